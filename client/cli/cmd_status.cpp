// cmd_status.cpp: `runstore status ID...`: executions by id, in one call per
// 500 ids (runstore.get_executions_by_ids).
#include <iostream>
#include <unordered_set>

#include "cli_common.hpp"
#include "commands.hpp"
#include "json_format.hpp"
#include "table_format.hpp"
#include "text_util.hpp"
#include "time_format.hpp"

namespace runstore::cli {

namespace {

constexpr HelpText kHelp = {
    R"(usage: runstore status [--workspace W] [--json] ID...
       runstore status [--workspace W] [--json] -     (ids from stdin)

Shows executions by id, in the order given (duplicates once).
)",
    R"(The table shows: id, workspace, workflow, status, attempt/max, updated_at (UTC,
ISO-8601), error (cut to 60 characters).  Ids that do not exist are listed on
stderr as 'not found: ID'.

Exit status: 0 all found; 1 some id not found, or a server error; 2 a usage
error (such as an argument that is not a UUID: nothing is queried then).
)"};

constexpr std::size_t kErrorWidth = 60;

void print_table(const std::vector<Execution>& rows) {
  Table table({"id", "workspace", "workflow", "status", "attempt/max", "updated_at", "error"});
  for (const auto& e : rows) {
    table.add_row({e.id.to_string(), std::to_string(e.workspace_id),
                   e.workflow_id ? std::to_string(*e.workflow_id) : "-", std::string(to_string(e.status)),
                   std::to_string(e.attempt) + "/" + std::to_string(e.max_attempts), format_utc(e.updated_at, false),
                   e.error ? truncate_chars(one_line(*e.error), kErrorWidth) : ""});
  }
  table.print(std::cout);
}

}  // namespace

int run_status(Invocation& inv) {
  IdCommandLine line("status", kHelp);
  bool json = false;
  line.flag("--json", json,
            "print a JSON array of full execution objects (every\n"
            "column; payload and result as JSON; times in UTC)");
  auto cmd = line.start(inv);
  if (!cmd) return kExitOk;

  std::vector<Execution> rows;
  for_each_id_chunk(cmd->ids, [&](const std::vector<Uuid>& chunk) {
    auto part = cmd->client.get_executions_by_ids(chunk, cmd->workspace);
    rows.insert(rows.end(), std::make_move_iterator(part.begin()), std::make_move_iterator(part.end()));
  });

  if (json) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& e : rows) out.push_back(execution_to_json(e));
    std::cout << dump_json(out, 2) << '\n';
  } else if (!rows.empty()) {
    print_table(rows);
  }

  std::unordered_set<Uuid> found;
  for (const auto& e : rows) found.insert(e.id);
  const int status = report_not_found(cmd->ids, found);
  std::cout.flush();
  return status;
}

}  // namespace runstore::cli
