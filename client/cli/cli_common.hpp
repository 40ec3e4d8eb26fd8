// cli_common.hpp: what every command shares: exit codes, the connection
// options, --help handling, id and workspace arguments.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "args.hpp"
#include "command_line.hpp"
#include "runstore/client.hpp"
#include "runstore/uuid.hpp"

namespace runstore::cli {

// Usage errors (bad arguments) exit 2; server and runtime errors exit 1.
constexpr int kExitOk = 0;
constexpr int kExitFailure = 1;
constexpr int kExitUsage = 2;

// Options given before the command name.
struct GlobalOptions {
  std::optional<std::string> dsn;             // --dsn/-d
  std::optional<std::string> statement_mode;  // --statement-mode
};

// What a command's run function gets.
struct Invocation {
  std::vector<std::string> args;  // after the command name
  GlobalOptions global;
};

// Parses a command's arguments with `line`, which holds the command's own
// options; --dsn/-d, --statement-mode and --help/-h are added (last in its
// help) so they work after the command name too.  A bad statement mode
// (option or environment) is a UsageError.  Returns false after printing the help to
// stdout (the command then exits 0).
bool parse_command(Invocation& inv, CommandLine& line);

// --dsn, else RUNSTORE_DSN, else "" (libpq reads the PG* environment).
std::string resolve_conninfo(const GlobalOptions& global);
// --statement-mode, else RUNSTORE_STATEMENT_MODE, else prepared; anything
// but "prepared" or "unnamed" is a UsageError naming where it came from.
StatementMode resolve_statement_mode(const GlobalOptions& global);
// The help line of --statement-mode, shared by every level.
extern const char* const kStatementModeHelp;
Client connect(const GlobalOptions& global);

// The id arguments of status and delete: the words as given, or, when the
// only word is "-", the whitespace-separated words read from stdin.
std::vector<std::string> id_words(const std::vector<std::string>& positional);

// Every word must be a UUID: the first that is not is a UsageError naming it.
// Duplicates are dropped, first appearance kept.
std::vector<Uuid> parse_ids(const std::vector<std::string>& words);

// --workspace as a bigint, when given.
std::optional<std::int64_t> workspace_option(const std::optional<std::string>& value);

// The ids the server has at most per array call (runstore.max_batch_size
// defaults to 500); longer id lists are sent in chunks of this size.
constexpr std::size_t kIdChunk = 500;

}  // namespace runstore::cli
