// cmd_recent.cpp: `runstore recent`: runstore.recent_workflows.
#include <iostream>

#include "cli_common.hpp"
#include "commands.hpp"
#include "json_format.hpp"
#include "table_format.hpp"
#include "text_util.hpp"
#include "time_format.hpp"

namespace runstore::cli {

namespace {

const char* const kHelp =
    R"(usage: runstore recent --workspace W [--user U] [--limit N] [--json]

Lists the workflows workspace W (with --user: user U in it) used most
recently, newest first: one read of the summary runstore keeps exact, however
many executions the workspace has.

Options:
  -w, --workspace W   the workspace (required)
  -u, --user U        only executions started by user U
  -n, --limit N       at most N workflows, 0 to 1000 (default 10)
      --json          print a JSON array of {workflow_id, last_used_at,
                      last_execution_id}
  -d, --dsn CONNINFO  connection string (default: $RUNSTORE_DSN, else PG*)
  -h, --help          this help

Exit status: 0 success (also when there is nothing to list); 1 a server error;
2 a usage error.
)";

}  // namespace

int run_recent(Invocation& inv) {
  auto args = parse_command(inv,
                            {{"workspace", 'w', true, false},
                             {"user", 'u', true, false},
                             {"limit", 'n', true, false},
                             {"json", 0, false, false}},
                            "recent", kHelp);
  if (!args) return kExitOk;
  if (!args->positional.empty())
    throw UsageError("unexpected argument " + quote_word(args->positional.front()) +
                     " (see 'runstore recent --help')");
  const auto workspace = workspace_option(*args);
  if (!workspace) throw UsageError("--workspace is required (see 'runstore recent --help')");
  const std::int32_t limit =
      args->has("limit") ? parse_int32(*args->value("limit"), "--limit", 0, 1000) : 10;
  const std::optional<std::string> user = args->value("user");

  Client client = connect(inv.global);
  const auto rows = client.recent_workflows(*workspace, limit, user);

  if (args->has("json")) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& r : rows) out.push_back(recent_workflow_to_json(r));
    std::cout << dump_json(out, 2) << '\n';
  } else if (!rows.empty()) {
    Table table({"workflow", "last_used_at", "last_execution_id"});
    for (const auto& r : rows)
      table.add_row({std::to_string(r.workflow_id), format_utc(r.last_used_at, false),
                     r.last_execution_id.to_string()});
    table.print(std::cout);
  }
  return kExitOk;
}

}  // namespace runstore::cli
