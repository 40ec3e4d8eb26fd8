// cmd_worker.cpp: `runstore worker -- COMMAND...`: a runstore::Worker whose
// handler runs COMMAND once per claimed execution (see subprocess.hpp).
#include <csignal>
#include <cstdio>
#include <iostream>
#include <mutex>
#include <string>

#include <nlohmann/json.hpp>

#include "cli_common.hpp"
#include "commands.hpp"
#include "runstore/worker.hpp"
#include "subprocess.hpp"
#include "text_util.hpp"

namespace runstore::cli {

namespace {

constexpr HelpText kHelp = {
    R"(usage: runstore worker [OPTIONS] -- COMMAND [ARGS...]

Claims executions and runs COMMAND once for each (directly, no shell; looked
up in PATH), until SIGTERM or SIGINT (or, with --until-empty, until nothing
is due).  For each execution COMMAND gets:
  stdin    the payload as JSON text (empty when the payload is null)
  env      RUNSTORE_EXECUTION_ID, RUNSTORE_ATTEMPT, RUNSTORE_WORKSPACE_ID
           (and RUNSTORE_WORKFLOW_ID when set), on top of the worker's own
Its outcome:
  exit 0             succeeded; stdout is the result: stored as JSON when it
                     is valid JSON, else as a JSON string; empty means null
  exit non-zero, or  failed (retryable: queued again after a backoff until
  killed by signal   max_attempts), with the last 2 KB of stderr as the error
  cannot be run      failed (retryable), the error says why
stdout beyond 16 MiB is a failure.  COMMAND runs in a process group of its
own: a Ctrl-C in the terminal reaches the worker, which stops it as below.

Stopping.  SIGTERM or SIGINT: no new claims; each running COMMAND gets SIGTERM
(its group does) and --grace seconds to finish (exit 0 then still succeeds),
then SIGKILL.  The same happens to a COMMAND whose lease was lost (cancelled,
or expired and claimed again): its outcome is then not written.
)",
    R"(Log lines go to stderr.  Exit status: 0 after a graceful stop (or, with
--until-empty, once nothing is due); 1 the database cannot be reached at
start; 2 a usage error (including a COMMAND not found).
)",
    24};

std::mutex g_log_mutex;

void log_line(const std::string& worker, const std::string& message) {
  const std::string line = "runstore worker " + worker + ": " + message + "\n";
  std::lock_guard<std::mutex> lock(g_log_mutex);
  std::fwrite(line.data(), 1, line.size(), stderr);
}

// stdout as a result: valid JSON as is, anything else as a JSON string.
std::optional<std::string> result_from_stdout(const std::string& out) {
  const auto first = out.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) return std::nullopt;
  const auto last = out.find_last_not_of(" \t\r\n");
  const std::string trimmed = out.substr(first, last - first + 1);
  auto parsed = nlohmann::json::parse(trimmed, nullptr, /*allow_exceptions=*/false);
  // "\u0000" is valid JSON that jsonb refuses: such output is kept as text.
  if (!parsed.is_discarded() && trimmed.find("\\u0000") == std::string::npos) return trimmed;
  return nlohmann::json(sanitize_utf8(out)).dump();
}

std::string describe_exit(const SubprocessResult& r) {
  if (r.term_signal != 0) {
    const char* name = sigabbrev_np(r.term_signal);
    return "killed by signal " + std::to_string(r.term_signal) +
           (name != nullptr ? std::string(" (SIG") + name + ")" : std::string());
  }
  return "exit status " + std::to_string(r.exit_code);
}

// The error text: what happened, then the end of stderr (valid UTF-8, no
// NUL, starting at a character boundary, without trailing blank lines).
std::string failure_text(const SubprocessResult& r) {
  std::string tail = r.err_tail;
  std::size_t start = 0;
  while (start < tail.size() && (static_cast<unsigned char>(tail[start]) & 0xC0) == 0x80) ++start;
  tail = sanitize_utf8(tail.substr(start));
  while (!tail.empty() && (tail.back() == '\n' || tail.back() == '\r' || tail.back() == ' ')) tail.pop_back();
  std::string text = describe_exit(r);
  if (!tail.empty()) text += ": " + tail;
  return text;
}

struct WorkerConfig {
  std::vector<std::string> command;
  std::chrono::milliseconds grace{10000};
  bool quiet = false;
  std::string name;  // resolved by the Worker; for our log lines
};

HandlerResult run_one(const WorkerConfig& cfg, const Execution& e, JobContext& ctx) {
  SubprocessSpec spec;
  spec.argv = cfg.command;
  spec.extra_env = {"RUNSTORE_EXECUTION_ID=" + e.id.to_string(), "RUNSTORE_ATTEMPT=" + std::to_string(e.attempt),
                    "RUNSTORE_WORKSPACE_ID=" + std::to_string(e.workspace_id)};
  if (e.workflow_id) spec.extra_env.push_back("RUNSTORE_WORKFLOW_ID=" + std::to_string(*e.workflow_id));
  spec.stdin_data = e.payload.value_or("");
  spec.grace = cfg.grace;

  const auto started = std::chrono::steady_clock::now();
  const SubprocessResult r = run_subprocess(spec, [&ctx] { return ctx.stop_requested(); });
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  char took[32];
  std::snprintf(took, sizeof took, " (%.2f s)", secs);
  const std::string which = e.id.to_string() + " attempt " + std::to_string(e.attempt) + ": ";

  HandlerResult out;
  if (!r.started) {
    out = HandlerResult::failure(r.start_error, true);
  } else if (r.stdout_overflow) {
    out = HandlerResult::failure("output larger than " + std::to_string(spec.max_stdout) + " bytes", true);
  } else if (r.term_signal == 0 && r.exit_code == 0) {
    // Also after a stop request: it finished within the grace period.
    out = HandlerResult::success(result_from_stdout(r.out));
  } else {
    std::string text = failure_text(r);
    if (r.stop_sent) text = (ctx.lease_lost() ? "stopped (lease lost): " : "stopped (worker shutting down): ") + text;
    out = HandlerResult::failure(text, true);
  }
  if (!cfg.quiet) {
    if (ctx.lease_lost()) {
      log_line(cfg.name, which + "lease lost; outcome not written" + took);
    } else if (out.ok) {
      log_line(cfg.name, which + "succeeded" + took);
    } else {
      log_line(cfg.name, which + "failed: " + truncate_chars(one_line(out.error), 200) + took);
    }
  }
  return out;
}

}  // namespace

int run_worker(Invocation& inv) {
  CommandLine line("worker", kHelp);
  std::optional<std::string> name, slots, batch, ahead, lease, poll, grace, function_schema, listen_dsn;
  WorkerConfig cfg;
  line.value("-n,--name", name, "NAME", "lease owner name (default: HOST:PID); unique per worker");
  line.value("-s,--slots", slots, "N", "commands running at once (default 1)");
  line.value("-b,--batch", batch, "N", "most executions claimed per dequeue call (default: automatic)");
  line.value("--claim-ahead", ahead, "N",
             "executions claimed ahead of the running commands (default:\n"
             "automatic, about what they finished in the last 100 ms;\n"
             "0: claim only for free slots)");
  line.value("-l,--lease", lease, "SECONDS", "lease per claim, renewed by heartbeats (default 30)");
  line.value("-p,--poll", poll, "SECONDS",
             "look for due work at least this often (default 1);\n"
             "new work wakes an idle worker at once");
  line.value("-g,--grace", grace, "SECONDS",
             "from SIGTERM to SIGKILL for a stopping COMMAND\n"
             "(default 10)");
  line.flag("-q,--quiet", cfg.quiet, "no line per finished execution (errors still logged)");
  bool until_empty = false;
  line.flag("--until-empty", until_empty,
            "exit once nothing is due and every command has finished\n"
            "(for tests and batch jobs; runs due later are left)");
  line.value("--function-schema", function_schema, "SCHEMA",
             "schema of dequeue/heartbeat/complete/fail and\n"
             "wait_for_work (default runstore; runstore_worker for\n"
             "the worker role of docs/roles.sql, which may not\n"
             "touch the table and finds new work by polling)");
  line.value("--listen-dsn", listen_dsn, "CONNINFO",
             "a connection of its own to wait for work on, e.g.\n"
             "straight to PostgreSQL when --dsn is a pooler (default:\n"
             "--dsn's; through a pooler the worker polls instead)");
  line.keep_double_dash_apart();
  if (!parse_command(inv, line)) return kExitOk;
  if (!line.words().empty() && !line.saw_double_dash())
    throw UsageError("put the command after '--': runstore worker [OPTIONS] -- COMMAND [ARGS...]");
  if (!line.words().empty())
    throw UsageError("unexpected argument " + quote_word(line.words().front()) +
                     " before '--' (see 'runstore worker --help')");
  if (line.after_double_dash().empty())
    throw UsageError("no command given: runstore worker [OPTIONS] -- COMMAND [ARGS...]");

  cfg.command = line.after_double_dash();
  if (!command_exists(cfg.command.front()))
    throw UsageError("command not found or not executable: " + quote_word(cfg.command.front()));

  WorkerOptions opts;
  opts.conninfo = resolve_conninfo(inv.global);
  opts.statement_mode = resolve_statement_mode(inv.global);
  opts.listen_conninfo = listen_dsn;
  if (name) {
    if (name->empty()) throw UsageError("--name must not be empty");
    opts.name = *name;
  }
  opts.slots = slots ? parse_int32(*slots, "--slots", 1, 1000) : 1;
  if (batch) opts.batch_size = parse_int32(*batch, "--batch", 1, 1000);
  if (ahead) opts.claim_ahead = parse_int32(*ahead, "--claim-ahead", 0, 100000);
  opts.stop_when_idle = until_empty;
  if (lease) opts.lease = std::chrono::milliseconds(parse_seconds_ms(*lease, "--lease"));
  if (poll) opts.poll_interval = std::chrono::milliseconds(parse_seconds_ms(*poll, "--poll"));
  if (function_schema) {
    if (function_schema->empty()) throw UsageError("--function-schema must not be empty");
    opts.queue_function_schema = *function_schema;
  }
  if (grace) cfg.grace = std::chrono::milliseconds(parse_seconds_ms(*grace, "--grace"));
  // The runtime releases a handler's execution at the deadline; the command
  // gets its grace first, and a little more to be reaped and reported.
  opts.shutdown_deadline = cfg.grace + std::chrono::milliseconds(5000);

  // The runtime retries an unreachable database forever (right for a
  // long-running worker); a wrong DSN at start should fail at once instead.
  {
    Client probe(ClientOptions{opts.conninfo, opts.statement_mode, RetryPolicy::none()});
    (void)probe.server_version();
    if (opts.listen_conninfo) {
      try {
        Client listen_probe(ClientOptions{*opts.listen_conninfo, opts.statement_mode, RetryPolicy::none()});
      } catch (const ConnectionError& e) {
        throw ConnectionError("--listen-dsn: " + std::string(e.what()), e.sqlstate());
      }
    }
  }

  // A command that does not read its stdin closes the pipe: that must be an
  // EPIPE for the write, not a signal that kills the worker.
  std::signal(SIGPIPE, SIG_IGN);

  Worker worker(opts, [&cfg](const Execution& e, JobContext& ctx) { return run_one(cfg, e, ctx); });
  cfg.name = worker.name();
  install_stop_signal_handlers(worker);
  std::string shown;
  for (const auto& w : cfg.command) shown += (shown.empty() ? "" : " ") + w;
  log_line(cfg.name, "started: " + std::to_string(opts.slots) + " slot(s), running " + one_line(shown));
  worker.run();
  const WorkerStats s = worker.stats();
  log_line(cfg.name, "stopped: claimed " + std::to_string(s.claimed) + ", succeeded " + std::to_string(s.succeeded) +
                         ", failed " + std::to_string(s.failed) + ", leases lost " + std::to_string(s.leases_lost) +
                         ", released " + std::to_string(s.released));
  return kExitOk;
}

}  // namespace runstore::cli
