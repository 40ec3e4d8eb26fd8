// cmd_delete.cpp: `runstore delete ID...`: runstore.delete_many, one call
// per 500 ids.
#include <iostream>
#include <unordered_set>

#include "cli_common.hpp"
#include "commands.hpp"

namespace runstore::cli {

namespace {

const char* const kHelp =
    R"(usage: runstore delete [--workspace W] ID...
       runstore delete [--workspace W] -     (ids from stdin)

Deletes executions by id, whatever their status, and prints the id of each
execution deleted, one per line.  Each call of up to 500 ids is one statement:
it deletes all of its ids or, on an error, none.

Options:
  -w, --workspace W   only executions of workspace W; ids of other workspaces
                      count as not found and are left alone
  -d, --dsn CONNINFO  connection string (default: $RUNSTORE_DSN, else PG*)
  -h, --help          this help

Ids that were not deleted because they do not exist are listed on stderr as
'not found: ID'.

Exit status: 0 every id deleted; 1 some id not found, or a server error; 2 a
usage error (such as an argument that is not a UUID: nothing is deleted then).
)";

}  // namespace

int run_delete(Invocation& inv) {
  auto args = parse_command(inv, {{"workspace", 'w', true, false}}, "delete", kHelp);
  if (!args) return kExitOk;
  const auto workspace = workspace_option(*args);
  const auto ids = parse_ids(id_words(args->positional));
  if (ids.empty()) throw UsageError("no execution ids given (see 'runstore delete --help')");

  Client client = connect(inv.global);
  std::unordered_set<Uuid> deleted;
  for (std::size_t i = 0; i < ids.size(); i += kIdChunk) {
    const std::vector<Uuid> chunk(
        ids.begin() + static_cast<std::ptrdiff_t>(i),
        ids.begin() + static_cast<std::ptrdiff_t>(std::min(ids.size(), i + kIdChunk)));
    for (const auto& id : client.delete_many(chunk, workspace)) {
      deleted.insert(id);
      std::cout << id.to_string() << '\n';
    }
    // Printed as each chunk commits: if a later chunk fails, what is on
    // stdout is exactly what was deleted.
    std::cout.flush();
  }
  int missing = 0;
  for (const auto& id : ids) {
    if (deleted.count(id) == 0) {
      std::cerr << "not found: " << id.to_string() << '\n';
      ++missing;
    }
  }
  return missing == 0 ? kExitOk : kExitFailure;
}

}  // namespace runstore::cli
