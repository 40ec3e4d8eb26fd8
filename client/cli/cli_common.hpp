// cli_common.hpp: what every command shares: exit codes, the connection
// options, --help handling, id and workspace arguments.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <unordered_set>
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

// What status and delete work with once their command line is read.
struct IdCommand {
  std::optional<std::int64_t> workspace;  // --workspace
  std::vector<Uuid> ids;                  // at least one, each once, in the order given
  Client client;
};

// The command line of status and delete, which act on executions by id:
// -w/--workspace W, first among the command's options, and the ids, as words
// or "-" for stdin.  The command adds its other options after constructing it.
class IdCommandLine : public CommandLine {
 public:
  // --workspace means the same to both commands (ids of other workspaces
  // count as not found); `workspace_help_end` finishes its help line with
  // what else it means to this one (" and are left alone").
  IdCommandLine(const std::string& command, const HelpText& help, const std::string& workspace_help_end = "");

  // Parses `inv`'s arguments (parse_command), then reads --workspace, then
  // the ids (id_words, parse_ids; none at all is a UsageError pointing at the
  // command's help), then connects: a mistake on the line is reported before
  // stdin is read or the server is asked.  nullopt when --help was printed
  // instead (the command then exits 0).
  std::optional<IdCommand> start(Invocation& inv);

 private:
  std::string command_;
  std::optional<std::string> workspace_text_;
};

// Calls `per_chunk` with consecutive slices of `ids`, in order, each of at
// most kIdChunk ids: one slice per server call, so no call exceeds the cap.
void for_each_id_chunk(const std::vector<Uuid>& ids, const std::function<void(const std::vector<Uuid>&)>& per_chunk);

// Lists on stderr, as 'not found: ID' in the order given, each of `ids` that
// is not in `found`.  Returns the command's exit status: kExitOk when every
// id was found, else kExitFailure.
int report_not_found(const std::vector<Uuid>& ids, const std::unordered_set<Uuid>& found);

}  // namespace runstore::cli
