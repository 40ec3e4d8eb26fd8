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
  CommandLine line("delete", kHelp);
  std::optional<std::string> workspace_text;
  line.value("-w,--workspace", workspace_text, "W",
             "only executions of workspace W; ids of other workspaces\n"
             "count as not found and are left alone");
  if (!parse_command(inv, line)) return kExitOk;
  const auto workspace = workspace_option(workspace_text);
  const auto ids = parse_ids(id_words(line.words()));
  if (ids.empty()) throw UsageError("no execution ids given (see 'runstore delete --help')");

  Client client = connect(inv.global);
  std::unordered_set<Uuid> deleted;
  for (std::size_t i = 0; i < ids.size(); i += kIdChunk) {
    const std::vector<Uuid> chunk(ids.begin() + static_cast<std::ptrdiff_t>(i),
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
