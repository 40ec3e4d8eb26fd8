// cmd_stats.cpp: `runstore stats`: the live queue (runstore.queue_stats),
// once or redrawn every few seconds until interrupted.
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <ctime>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "cli_common.hpp"
#include "commands.hpp"
#include "json_format.hpp"
#include "table_format.hpp"
#include "text_util.hpp"
#include "time_format.hpp"

namespace runstore::cli {

namespace {

constexpr HelpText kHelp = {
    R"(usage: runstore stats [--json] [--watch SECONDS]

Shows the live queue: per status (queued, running) and priority, how many
executions there are, how many are due now (claimable: queued and due, or
running with a lease that ended) and later, leases that ended, retries waiting
out their backoff, and how long the oldest due execution has waited.  One call
of runstore.queue_stats(), which reads only the queued and running executions,
however many finished ones the table keeps; it counts none of those.
)",
    R"(The table: status, priority, executions, due_now, due_later, expired_leases,
retrying, oldest_due (an age: 45s, 3m05s, 2h10m, 3d04h; '-' when nothing is
due), then a total line.  --json prints an array of objects with those keys,
the age as oldest_due_age_seconds (a number, or null); with --watch, one such
array per line.  With --watch on a terminal each table replaces the last.

Exit status: 0 success (an empty queue too; with --watch, after Ctrl-C or
SIGTERM); 1 a server error; 2 a usage error.
)"};

volatile std::sig_atomic_t g_stop = 0;

extern "C" void on_stop_signal(int) { g_stop = 1; }

// "45s", "3m05s", "2h10m", "3d04h": a people's age, cut to two units.
std::string format_age(std::chrono::microseconds age) {
  const long long s = std::max(0LL, static_cast<long long>(age.count() / 1000000));
  char buf[48];
  if (s < 60) {
    std::snprintf(buf, sizeof buf, "%llds", s);
  } else if (s < 3600) {
    std::snprintf(buf, sizeof buf, "%lldm%02llds", s / 60, s % 60);
  } else if (s < 86400) {
    std::snprintf(buf, sizeof buf, "%lldh%02lldm", s / 3600, s % 3600 / 60);
  } else {
    std::snprintf(buf, sizeof buf, "%lldd%02lldh", s / 86400, s % 86400 / 3600);
  }
  return buf;
}

nlohmann::json stats_to_json(const std::vector<QueueStatsRow>& rows) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& r : rows) {
    out.push_back(nlohmann::json{
        {"status", std::string(to_string(r.status))},
        {"priority", r.priority},
        {"executions", r.executions},
        {"due_now", r.due_now},
        {"due_later", r.due_later},
        {"expired_leases", r.expired_leases},
        {"retrying", r.retrying},
        {"oldest_due_age_seconds", r.oldest_due_age
                                       ? nlohmann::json(static_cast<double>(r.oldest_due_age->count()) / 1e6)
                                       : nlohmann::json(nullptr)},
    });
  }
  return out;
}

void print_table(const std::vector<QueueStatsRow>& rows) {
  Table table({"status", "priority", "executions", "due_now", "due_later", "expired_leases", "retrying", "oldest_due"});
  QueueStatsRow total;
  for (const auto& r : rows) {
    table.add_row({std::string(to_string(r.status)), std::to_string(r.priority), std::to_string(r.executions),
                   std::to_string(r.due_now), std::to_string(r.due_later), std::to_string(r.expired_leases),
                   std::to_string(r.retrying), r.oldest_due_age ? format_age(*r.oldest_due_age) : "-"});
    total.executions += r.executions;
    total.due_now += r.due_now;
    total.due_later += r.due_later;
    total.expired_leases += r.expired_leases;
    total.retrying += r.retrying;
    if (r.oldest_due_age && (!total.oldest_due_age || *r.oldest_due_age > *total.oldest_due_age))
      total.oldest_due_age = r.oldest_due_age;
  }
  table.add_row({"total", "", std::to_string(total.executions), std::to_string(total.due_now),
                 std::to_string(total.due_later), std::to_string(total.expired_leases), std::to_string(total.retrying),
                 total.oldest_due_age ? format_age(*total.oldest_due_age) : "-"});
  table.print(std::cout);
}

// Waits until `deadline`, or less if SIGINT or SIGTERM arrives; true if one
// did.  The signals are blocked only while checking and waiting, so one that
// arrives during a query sets g_stop through the handler and is seen here.
bool wait_for_stop(std::chrono::steady_clock::time_point deadline) {
  sigset_t stop_signals, old;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  sigprocmask(SIG_BLOCK, &stop_signals, &old);
  while (g_stop == 0) {
    const auto left = deadline - std::chrono::steady_clock::now();
    if (left <= std::chrono::steady_clock::duration::zero()) break;
    const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(left).count();
    timespec ts{static_cast<std::time_t>(ns / 1000000000), static_cast<long>(ns % 1000000000)};
    if (sigtimedwait(&stop_signals, nullptr, &ts) > 0) g_stop = 1;
    // -1: the time ran out (EAGAIN) or another signal's handler ran (EINTR);
    // the loop tells them apart by the clock.
  }
  sigprocmask(SIG_SETMASK, &old, nullptr);
  return g_stop != 0;
}

// A handler, not the inherited disposition: a shell starts background jobs
// with SIGINT ignored, and the watch must still end on it.
void install_stop_handlers() {
  struct sigaction sa {};
  sa.sa_handler = on_stop_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
}

}  // namespace

int run_stats(Invocation& inv) {
  CommandLine line("stats", kHelp);
  std::optional<std::string> watch_text;
  bool json = false;
  line.flag("--json", json, "print a JSON array of one object per status and priority");
  line.value("--watch", watch_text, "SECONDS",
             "redraw every SECONDS (0.001 to 604800) until Ctrl-C\n"
             "or SIGTERM, which exit 0");
  if (!parse_command(inv, line)) return kExitOk;
  if (!line.words().empty())
    throw UsageError("unexpected argument " + quote_word(line.words().front()) + " (see 'runstore stats --help')");
  std::optional<std::chrono::milliseconds> every;
  if (watch_text) every = std::chrono::milliseconds(parse_seconds_ms(*watch_text, "--watch"));

  Client client = connect(inv.global);
  if (!every) {
    const auto rows = client.queue_stats();
    if (json) {
      std::cout << dump_json(stats_to_json(rows), 2) << '\n';
    } else {
      print_table(rows);
    }
    return kExitOk;
  }

  install_stop_handlers();
  const bool redraw = !json && isatty(STDOUT_FILENO) != 0;
  char period[32];
  std::snprintf(period, sizeof period, "%g", static_cast<double>(every->count()) / 1000.0);
  auto next = std::chrono::steady_clock::now();
  for (bool first = true; g_stop == 0; first = false) {
    const auto rows = client.queue_stats();
    if (json) {
      std::cout << dump_json(stats_to_json(rows)) << '\n';
    } else {
      // Home and clear the screen on a terminal; elsewhere a blank line
      // between tables.
      std::cout << (redraw ? "\x1b[H\x1b[2J" : first ? "" : "\n");
      const auto now = std::chrono::time_point_cast<std::chrono::microseconds>(std::chrono::system_clock::now());
      std::cout << "queue at " << format_utc(now, false) << ", every " << period << "s (Ctrl-C to stop)\n";
      print_table(rows);
    }
    std::cout.flush();
    // A fixed cadence: a slow call delays the next draw, never the ones after.
    next = std::max(next + *every, std::chrono::steady_clock::now());
    if (wait_for_stop(next)) break;
  }
  return kExitOk;
}

}  // namespace runstore::cli
