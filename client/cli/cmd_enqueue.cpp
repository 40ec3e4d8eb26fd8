// cmd_enqueue.cpp: `runstore enqueue`: one execution from options, or many
// from JSON lines on stdin, inserted a batch per statement.
#include <iostream>
#include <limits>
#include <string>

#include <nlohmann/json.hpp>

#include "cli_common.hpp"
#include "commands.hpp"
#include "enqueue_input.hpp"
#include "json_format.hpp"
#include "text_util.hpp"

namespace runstore::cli {

namespace {

const char* const kHelp =
    R"(usage: runstore enqueue --workspace W [--workflow F] [--user U] [--tag T]...
                        [--priority P] [--max-attempts N] [--payload JSON] [--id UUID]
       runstore enqueue --stdin [--batch N]

Adds executions to the queue (status queued, due now) and prints the id of
each, one per line.

From options (the default): one execution; --workspace is required.
  -w, --workspace W      workspace (bigint)
  -f, --workflow F       workflow (bigint)
  -u, --user U           user who started it
  -t, --tag T            a tag; repeat for more
  -p, --priority P       higher runs first (default 0)
      --max-attempts N   attempts before it fails for good (default 3)
      --payload JSON     the input, any JSON value (checked here)
      --id UUID          use this id; an id already stored is not inserted
                         again (safe re-runs); default: a new version-7 UUID

With --stdin: one execution per line of standard input, as a JSON object
  {"workspace_id": 1, "workflow_id": 2, "user_id": "u", "tags": ["a"],
   "payload": {...}, "priority": 0, "max_attempts": 3, "id": "UUID"}
where only workspace_id is required; blank lines are skipped; unknown keys are
refused.  Lines are inserted in batches (each one statement: all or nothing);
the ids of a batch are printed once it is committed, in input order.
  -b, --batch N          lines per batch, 1 to 10000 (default 500)
--stdin is the only way to read stdin: without it, stdin is not read.

A bad line (not JSON, a wrong type, a missing workspace_id) stops the run with
an error naming the line: nothing from that line's batch is inserted, and the
earlier batches stay inserted: their ids are exactly the ids already printed.

Common options:
  -d, --dsn CONNINFO     connection string (default: $RUNSTORE_DSN, else PG*)
  -h, --help             this help

Exit status: 0 all inserted; 1 a bad input line or a server error; 2 a usage
error (including an invalid --payload).
)";

// Everything is checked here, before connecting: a usage error needs no server.
NewExecution execution_from_options(const ParsedArgs& args) {
  NewExecution e;
  const auto workspace = workspace_option(args);
  if (!workspace)
    throw UsageError("--workspace is required, or --stdin to read JSON lines "
                     "(see 'runstore enqueue --help')");
  e.workspace_id = *workspace;
  if (auto v = args.value("workflow")) e.workflow_id = parse_int64(*v, "--workflow");
  e.user_id = args.value("user");
  e.tags = args.values("tag");
  if (auto v = args.value("priority"))
    e.priority = parse_int32(*v, "--priority", std::numeric_limits<std::int32_t>::min(),
                             std::numeric_limits<std::int32_t>::max());
  if (auto v = args.value("max-attempts"))
    e.max_attempts = parse_int32(*v, "--max-attempts", 1, std::numeric_limits<std::int32_t>::max());
  if (auto v = args.value("payload")) {
    auto parsed = nlohmann::json::parse(*v, nullptr, /*allow_exceptions=*/false);
    if (parsed.is_discarded()) throw UsageError("--payload is not valid JSON");
    e.payload = *v;
  }
  if (auto v = args.value("id")) {
    try {
      e.id = Uuid::parse(*v);
    } catch (const std::invalid_argument&) {
      throw UsageError("invalid --id " + quote_word(*v) + " (expected a UUID)");
    }
  }
  return e;
}

int enqueue_from_stdin(Client& client, std::size_t batch_size) {
  std::vector<NewExecution> batch;
  std::size_t line_no = 0;
  std::size_t batch_first_line = 0;
  std::uint64_t inserted = 0;

  auto flush = [&]() {
    if (batch.empty()) return;
    std::vector<Uuid> ids;
    try {
      ids = client.enqueue(batch);
    } catch (const Error& e) {
      throw Error(e.sqlstate(), "lines " + std::to_string(batch_first_line) + "-" +
                                    std::to_string(line_no) + " not inserted: " + e.what() + " (" +
                                    std::to_string(inserted) + " inserted before them)");
    }
    for (const auto& id : ids) std::cout << id.to_string() << '\n';
    std::cout.flush();
    inserted += ids.size();
    batch.clear();
  };

  std::string line;
  while (std::getline(std::cin, line)) {
    ++line_no;
    if (is_blank(line)) continue;
    if (batch.empty()) batch_first_line = line_no;
    try {
      batch.push_back(parse_execution_line(line));
    } catch (const InputError& e) {
      throw std::runtime_error("line " + std::to_string(line_no) + ": " + e.what() +
                               "; nothing from lines " + std::to_string(batch_first_line) + "-" +
                               std::to_string(line_no) + " inserted (" + std::to_string(inserted) +
                               " inserted before them)");
    }
    if (batch.size() >= batch_size) flush();
  }
  if (std::cin.bad()) throw std::runtime_error("cannot read standard input");
  flush();
  return kExitOk;
}

}  // namespace

int run_enqueue(Invocation& inv) {
  auto args = parse_command(inv,
                            {{"workspace", 'w', true, false},
                             {"workflow", 'f', true, false},
                             {"user", 'u', true, false},
                             {"tag", 't', true, true},
                             {"priority", 'p', true, false},
                             {"max-attempts", 0, true, false},
                             {"payload", 0, true, false},
                             {"id", 0, true, false},
                             {"stdin", 0, false, false},
                             {"batch", 'b', true, false}},
                            "enqueue", kHelp);
  if (!args) return kExitOk;
  if (!args->positional.empty())
    throw UsageError("unexpected argument " + quote_word(args->positional.front()) +
                     " (see 'runstore enqueue --help')");
  if (args->has("stdin")) {
    for (const char* field :
         {"workspace", "workflow", "user", "tag", "priority", "max-attempts", "payload", "id"}) {
      if (args->has(field))
        throw UsageError(std::string("--") + field +
                         " cannot be combined with --stdin (each line gives its own fields)");
    }
    const std::int32_t batch =
        args->has("batch") ? parse_int32(*args->value("batch"), "--batch", 1, 10000) : 500;
    Client client = connect(inv.global);
    return enqueue_from_stdin(client, static_cast<std::size_t>(batch));
  }
  if (args->has("batch")) throw UsageError("--batch applies to --stdin only");
  const NewExecution execution = execution_from_options(*args);
  Client client = connect(inv.global);
  std::cout << client.enqueue(execution).to_string() << std::endl;
  return kExitOk;
}

}  // namespace runstore::cli
