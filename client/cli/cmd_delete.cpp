// cmd_delete.cpp: `runstore delete ID...`: runstore.delete_many, one call
// per 500 ids.
#include <iostream>
#include <unordered_set>

#include "cli_common.hpp"
#include "commands.hpp"

namespace runstore::cli {

namespace {

constexpr HelpText kHelp = {
    R"(usage: runstore delete [--workspace W] ID...
       runstore delete [--workspace W] -     (ids from stdin)

Deletes executions by id, whatever their status, and prints the id of each
execution deleted, one per line.  Each call of up to 500 ids is one statement:
it deletes all of its ids or, on an error, none.
)",
    R"(Ids that were not deleted because they do not exist are listed on stderr as
'not found: ID'.

Exit status: 0 every id deleted; 1 some id not found, or a server error; 2 a
usage error (such as an argument that is not a UUID: nothing is deleted then).
)"};

}  // namespace

int run_delete(Invocation& inv) {
  IdCommandLine line("delete", kHelp, " and are left alone");
  auto cmd = line.start(inv);
  if (!cmd) return kExitOk;

  std::unordered_set<Uuid> deleted;
  for_each_id_chunk(cmd->ids, [&](const std::vector<Uuid>& chunk) {
    for (const auto& id : cmd->client.delete_many(chunk, cmd->workspace)) {
      deleted.insert(id);
      std::cout << id.to_string() << '\n';
    }
    // Printed as each chunk commits: if a later chunk fails, what is on
    // stdout is exactly what was deleted.
    std::cout.flush();
  });
  return report_not_found(cmd->ids, deleted);
}

}  // namespace runstore::cli
