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

constexpr HelpText kHelp = {
    R"(usage: runstore recent --workspace W [--user U] [--limit N] [--json]

Lists the workflows workspace W (with --user: user U in it) used most
recently, newest first: one read of the summary runstore keeps exact, however
many executions the workspace has.
)",
    R"(Exit status: 0 success (also when there is nothing to list); 1 a server error;
2 a usage error.
)"};

}  // namespace

int run_recent(Invocation& inv) {
  CommandLine line("recent", kHelp);
  std::optional<std::string> workspace_text, user, limit_text;
  bool json = false;
  line.value("-w,--workspace", workspace_text, "W", "the workspace (required)");
  line.value("-u,--user", user, "U", "only executions started by user U");
  line.value("-n,--limit", limit_text, "N", "at most N workflows, 0 to 1000 (default 10)");
  line.flag("--json", json,
            "print a JSON array of {workflow_id, last_used_at,\n"
            "last_execution_id}");
  if (!parse_command(inv, line)) return kExitOk;
  if (!line.words().empty())
    throw UsageError("unexpected argument " + quote_word(line.words().front()) + " (see 'runstore recent --help')");
  const auto workspace = workspace_option(workspace_text);
  if (!workspace) throw UsageError("--workspace is required (see 'runstore recent --help')");
  const std::int32_t limit = limit_text ? parse_int32(*limit_text, "--limit", 0, 1000) : 10;

  Client client = connect(inv.global);
  const auto rows = client.recent_workflows(*workspace, limit, user);

  if (json) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& r : rows) out.push_back(recent_workflow_to_json(r));
    std::cout << dump_json(out, 2) << '\n';
  } else if (!rows.empty()) {
    Table table({"workflow", "last_used_at", "last_execution_id"});
    for (const auto& r : rows)
      table.add_row(
          {std::to_string(r.workflow_id), format_utc(r.last_used_at, false), r.last_execution_id.to_string()});
    table.print(std::cout);
  }
  return kExitOk;
}

}  // namespace runstore::cli
