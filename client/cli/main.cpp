// main.cpp: the `runstore` command: global options, dispatch to a command,
// and the one place that turns exceptions into a message and an exit code.
#include <exception>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "args.hpp"
#include "cli_common.hpp"
#include "command_line.hpp"
#include "commands.hpp"
#include "runstore/errors.hpp"
#include "suggest.hpp"
#include "text_util.hpp"

#ifndef RUNSTORE_VERSION
#define RUNSTORE_VERSION "unknown"
#endif

namespace runstore::cli {
namespace {

const CommandEntry kCommands[] = {
    {"status", "show executions by id (a table, or --json)", run_status},
    {"recent", "list a workspace's (or a user's) most recently used workflows", run_recent},
    {"stats", "show the live queue: due now and later, expired leases, retries", run_stats},
    {"delete", "delete executions by id", run_delete},
    {"purge", "delete every execution carrying a tag, in batches", run_purge},
    {"enqueue", "add executions (from options, or JSON lines on stdin)", run_enqueue},
    {"worker", "run a command for each claimed execution", run_worker},
};

// The help's text above the global options: it lists the commands.
std::string global_help_above() {
  std::string text =
      "usage: runstore [--dsn CONNINFO] COMMAND [OPTIONS] [ARGS]\n"
      "\n"
      "Command-line access to a runstore database.\n"
      "\n"
      "Commands:\n";
  for (const auto& c : kCommands) {
    std::string name = c.name;
    name.resize(10, ' ');
    text += "  " + name + c.summary + '\n';
  }
  return text;
}

constexpr const char* kGlobalHelpBelow =
    R"(Exit status: 0 success; 1 a server or runtime error (or, for status and
delete, an id that was not found); 2 a usage error.  Errors are one line on
stderr: 'runstore: error: MESSAGE' with '(SQLSTATE xxxxx)' for server errors.
)";

// Server and libpq messages may span lines; an error here is one line.
std::string squeeze(const std::string& message) {
  std::string flat = one_line(message);
  std::string out;
  for (char c : flat) {
    if (c == ' ' && (out.empty() || out.back() == ' ')) continue;
    out += c;
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

int dispatch(const std::vector<std::string>& argv) {
  const std::string above = global_help_above();
  CommandLine line(
      "", HelpText{above.c_str(), kGlobalHelpBelow, 22, "Global options (also accepted after the command name):"});
  std::optional<std::string> dsn, statement_mode;
  bool help = false;
  bool version = false;
  line.value("-d,--dsn", dsn, "CONNINFO",
             "libpq connection string or URI; default: $RUNSTORE_DSN,\n"
             "else the PG* environment (PGHOST, PGDATABASE, ...)");
  line.value("--statement-mode", statement_mode, "MODE", kStatementModeHelp);
  line.flag("-h,--help", help, "this help; 'runstore COMMAND --help' for a command's");
  line.flag("--version", version, "print the version");
  // The global options end at the command name: the rest is the command's,
  // its "--" included.  A "--" before any command name leaves none.
  line.stop_at_first_word();
  line.keep_double_dash_apart();
  line.parse(argv);
  if (version) {
    std::cout << "runstore " << RUNSTORE_VERSION << '\n';
    return kExitOk;
  }
  if (help) {
    std::cout << line.help();
    return kExitOk;
  }
  if (line.words().empty()) {
    throw UsageError("no command given (see 'runstore --help')");
  }
  Invocation inv;
  inv.global.dsn = dsn;
  inv.global.statement_mode = statement_mode;
  std::string name = line.words().front();
  inv.args.assign(line.words().begin() + 1, line.words().end());
  if (name == "help") {
    // `runstore help [COMMAND]`
    if (inv.args.empty()) {
      std::cout << line.help();
      return kExitOk;
    }
    name = inv.args.front();
    inv.args = {"--help"};
  }
  std::vector<std::string> names = {"help"};
  for (const auto& c : kCommands) {
    if (name == c.name) return c.run(inv);
    names.emplace_back(c.name);
  }
  std::string message = "unknown command " + quote_word(name);
  if (auto near = closest_match(name, names)) message += "; did you mean '" + *near + "'?";
  throw UsageError(message + " (see 'runstore --help')");
}

}  // namespace
}  // namespace runstore::cli

int main(int argc, char** argv) {
  using namespace runstore::cli;
  std::vector<std::string> args(argv + 1, argv + argc);
  try {
    return dispatch(args);
  } catch (const UsageError& e) {
    std::cerr << "runstore: error: " << squeeze(e.what()) << std::endl;
    return kExitUsage;
  } catch (const runstore::Error& e) {
    std::cerr << "runstore: error: " << squeeze(e.what()) << " (SQLSTATE " << e.sqlstate() << ")" << std::endl;
    return kExitFailure;
  } catch (const std::exception& e) {
    std::cerr << "runstore: error: " << squeeze(e.what()) << std::endl;
    return kExitFailure;
  }
}
