// main.cpp: the `runstore` command: global options, dispatch to a command,
// and the one place that turns exceptions into a message and an exit code.
#include <exception>
#include <iostream>
#include <string>
#include <vector>

#include "args.hpp"
#include "cli_common.hpp"
#include "commands.hpp"
#include "runstore/errors.hpp"
#include "text_util.hpp"

#ifndef RUNSTORE_VERSION
#define RUNSTORE_VERSION "unknown"
#endif

namespace runstore::cli {
namespace {

const CommandEntry kCommands[] = {
    {"status", "show executions by id (a table, or --json)", run_status},
    {"recent", "list a workspace's (or a user's) most recently used workflows", run_recent},
    {"delete", "delete executions by id", run_delete},
    {"purge", "delete every execution carrying a tag, in batches", run_purge},
    {"enqueue", "add executions (from options, or JSON lines on stdin)", run_enqueue},
    {"worker", "run a command for each claimed execution", run_worker},
};

void print_global_help() {
  std::cout << "usage: runstore [--dsn CONNINFO] COMMAND [OPTIONS] [ARGS]\n"
               "\n"
               "Command-line access to a runstore database.\n"
               "\n"
               "Commands:\n";
  for (const auto& c : kCommands) {
    std::string name = c.name;
    name.resize(10, ' ');
    std::cout << "  " << name << c.summary << '\n';
  }
  std::cout << "\n"
               "Global options (also accepted after the command name):\n"
               "  -d, --dsn CONNINFO  libpq connection string or URI; default: $RUNSTORE_DSN,\n"
               "                      else the PG* environment (PGHOST, PGDATABASE, ...)\n"
               "  -h, --help          this help; 'runstore COMMAND --help' for a command's\n"
               "      --version       print the version\n"
               "\n"
               "Exit status: 0 success; 1 a server or runtime error (or, for status and\n"
               "delete, an id that was not found); 2 a usage error.  Errors are one line on\n"
               "stderr: 'runstore: error: MESSAGE' with '(SQLSTATE xxxxx)' for server errors.\n";
}

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
  const std::vector<OptionSpec> global_specs = {
      {"dsn", 'd', true, false}, {"help", 'h', false, false}, {"version", 0, false, false}};
  ParsedArgs global = parse_args(argv, global_specs, "", /*stop_at_first_positional=*/true);
  if (global.has("version")) {
    std::cout << "runstore " << RUNSTORE_VERSION << '\n';
    return kExitOk;
  }
  if (global.has("help")) {
    print_global_help();
    return kExitOk;
  }
  if (global.positional.empty()) {
    throw UsageError("no command given (see 'runstore --help')");
  }
  Invocation inv;
  inv.global.dsn = global.value("dsn");
  std::string name = global.positional.front();
  inv.args.assign(global.positional.begin() + 1, global.positional.end());
  // The global parse stopped at the command name, so anything after a "--"
  // that followed it was not split off: the command parses it.
  if (global.saw_double_dash) {
    inv.args.push_back("--");
    inv.args.insert(inv.args.end(), global.after_double_dash.begin(),
                    global.after_double_dash.end());
  }
  if (name == "help") {
    // `runstore help [COMMAND]`
    if (inv.args.empty()) {
      print_global_help();
      return kExitOk;
    }
    name = inv.args.front();
    inv.args = {"--help"};
  }
  for (const auto& c : kCommands) {
    if (name == c.name) return c.run(inv);
  }
  throw UsageError("unknown command " + quote_word(name) + " (see 'runstore --help')");
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
    std::cerr << "runstore: error: " << squeeze(e.what()) << " (SQLSTATE " << e.sqlstate() << ")"
              << std::endl;
    return kExitFailure;
  } catch (const std::exception& e) {
    std::cerr << "runstore: error: " << squeeze(e.what()) << std::endl;
    return kExitFailure;
  }
}
