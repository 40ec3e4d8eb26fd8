// recent_read_bench: the 4 most recent workflows of a workspace, three ways,
// on the same table in one run (bench/recent_load.sql):
//   distinct_on  the production query: DISTINCT ON (workflow_id) over the
//                workspace's runs, newest first, top 4
//   loose_scan   the best pure-SQL alternative without a summary: a
//                recursive-CTE loose index scan over the (workspace_id,
//                workflow_id, created_at) index, then each workflow's latest
//   runstore     runstore.recent_workflows(workspace, 4)
// and, as a reference rather than a contender, the round trip: a prepared
// SELECT of the parameter, what any call costs on this connection that day
// (the part of runstore's time no server-side change can remove).
// Contenders are interleaved with rotated order per round; figures are
// medians per call and ratios of them.  --csv PATH also writes the medians
// with each workspace's runs and workflows (bench/charts.sh).
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

#include "bench_support.hpp"

namespace {

constexpr Oid kInt8Oid = 20;

std::string int8_param(std::int64_t v) {
  std::string s(8, '\0');
  for (int i = 0; i < 8; ++i) s[static_cast<std::size_t>(i)] = static_cast<char>((v >> (56 - 8 * i)) & 0xff);
  return s;
}

const char* kDistinctOn =
    "SELECT workflow_id, created_at, id FROM ("
    "  SELECT DISTINCT ON (workflow_id) workflow_id, created_at, id FROM runstore.executions"
    "  WHERE workspace_id = $1 AND workflow_id IS NOT NULL"
    "  ORDER BY workflow_id, created_at DESC, id DESC) s"
    " ORDER BY created_at DESC, workflow_id DESC LIMIT 4";

const char* kLooseScan =
    "WITH RECURSIVE wf AS ("
    "  (SELECT e.workflow_id FROM runstore.executions e"
    "   WHERE e.workspace_id = $1 AND e.workflow_id IS NOT NULL ORDER BY e.workflow_id LIMIT 1)"
    "  UNION ALL"
    "  SELECT (SELECT e.workflow_id FROM runstore.executions e"
    "          WHERE e.workspace_id = $1 AND e.workflow_id > wf.workflow_id ORDER BY e.workflow_id LIMIT 1)"
    "  FROM wf WHERE wf.workflow_id IS NOT NULL)"
    " SELECT wf.workflow_id, l.created_at, l.id FROM wf CROSS JOIN LATERAL ("
    "  SELECT e.created_at, e.id FROM runstore.executions e"
    "  WHERE e.workspace_id = $1 AND e.workflow_id = wf.workflow_id"
    "  ORDER BY e.created_at DESC, e.id DESC LIMIT 1) l"
    " WHERE wf.workflow_id IS NOT NULL ORDER BY l.created_at DESC, wf.workflow_id DESC LIMIT 4";

const char* kRunstore = "SELECT workflow_id, last_used_at, last_execution_id FROM runstore.recent_workflows($1, 4)";

const char* kRoundTrip = "SELECT $1::bigint";

struct Contender {
  const char* name;
  const char* statement;
  std::vector<double> ms;
};

}  // namespace

int main(int argc, char** argv) try {
  std::string conninfo, csv_path;
  int rounds = 7;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--conninfo") == 0 && i + 1 < argc)
      conninfo = argv[++i];
    else if (std::strcmp(argv[i], "--rounds") == 0 && i + 1 < argc)
      rounds = std::stoi(argv[++i]);
    else if (std::strcmp(argv[i], "--csv") == 0 && i + 1 < argc)
      csv_path = argv[++i];
    else
      throw std::invalid_argument(std::string("unknown option ") + argv[i]);
  }
  bench::Conn conn = bench::connect(conninfo);
  PGconn* c = conn.get();
  bench::exec(c, "SET jit = off");  // production measured 555 ms of JIT on top; leave it out of every contender
  const Oid types[] = {kInt8Oid};
  bench::prepare(c, "distinct_on", kDistinctOn, 1, types);
  bench::prepare(c, "loose_scan", kLooseScan, 1, types);
  bench::prepare(c, "runstore", kRunstore, 1, types);
  bench::prepare(c, "round_trip", kRoundTrip, 1, types);

  struct Workspace {
    std::int64_t id;
    const char* shape;
  };
  const Workspace workspaces[] = {
      {1, "1M runs, 1 workflow"}, {2, "130k runs, 129k workflows"}, {3, "700k runs, 15k workflows"}};
  struct Measured {
    std::int64_t workspace;
    double distinct_on, loose_scan, runstore;
    long runs = 0, workflows = 0;
  };
  std::vector<Measured> measured;
  std::printf("%-28s %14s %14s %14s %14s %14s %14s\n", "workspace", "DISTINCT ON ms", "loose scan ms", "runstore ms",
              "vs DISTINCT ON", "vs loose scan", "round trip ms");
  for (const Workspace& w : workspaces) {
    std::vector<Contender> cs{{"distinct_on", "distinct_on", {}},
                              {"loose_scan", "loose_scan", {}},
                              {"runstore", "runstore", {}},
                              {"round_trip", "round_trip", {}}};
    const std::string p = int8_param(w.id);
    for (auto& x : cs) bench::exec_prepared(c, x.statement, {p});  // warm-up
    for (int round = 0; round < rounds; ++round) {
      for (std::size_t j = 0; j < cs.size(); ++j) {
        Contender& x = cs[(j + static_cast<std::size_t>(round)) % cs.size()];
        // Fast contenders repeat within a round so one timing spans some milliseconds.
        const bool fast = std::strcmp(x.name, "runstore") == 0 || std::strcmp(x.name, "round_trip") == 0;
        const int calls = fast ? 200 : 1;
        const long expected = std::strcmp(x.name, "round_trip") == 0 || w.id == 1 ? 1 : 4;
        const auto t0 = bench::Clock::now();
        for (int k = 0; k < calls; ++k) {
          const long rows = bench::exec_prepared(c, x.statement, {p});
          if (rows != expected)
            throw std::runtime_error(std::string(x.name) + " returned " + std::to_string(rows) + " rows");
        }
        x.ms.push_back(bench::ms_since(t0) / calls);
      }
    }
    const double d = bench::median(cs[0].ms), l = bench::median(cs[1].ms), r = bench::median(cs[2].ms);
    const double t = bench::median(cs[3].ms);
    std::printf("%-28s %14.3f %14.3f %14.4f %13.0fx %13.0fx %14.4f\n", w.shape, d, l, r, d / r, l / r, t);
    std::fflush(stdout);
    measured.push_back({w.id, d, l, r});
  }
  if (!csv_path.empty()) {
    // Counted after the timings, so these full reads of the workspaces warm
    // no cache for a contender; counted rather than taken from the shape
    // names, which describe the full-size load only (RECENT_SCALE=1).
    for (Measured& m : measured) {
      auto res = bench::exec(c,
                             "SELECT count(*), count(DISTINCT workflow_id) FROM runstore.executions"
                             " WHERE workspace_id = " +
                                 std::to_string(m.workspace));
      m.runs = std::stol(PQgetvalue(res.get(), 0, 0));
      m.workflows = std::stol(PQgetvalue(res.get(), 0, 1));
    }
    auto total = bench::exec(c, "SELECT count(*) FROM runstore.executions");
    // Smallest workspace first: the chart's x axis is the workspace's runs.
    std::sort(measured.begin(), measured.end(), [](const Measured& a, const Measured& b) { return a.runs < b.runs; });
    bench::Csv csv(csv_path,
                   "recent_read_bench: " + std::string(PQgetvalue(total.get(), 0, 0)) +
                       " runs in the table; medians of " + std::to_string(rounds) + " interleaved rounds; " +
                       bench::transport(c) + "; JIT off",
                   "workspace,runs,workflows,distinct_on_ms,loose_scan_ms,runstore_ms");
    for (const Measured& m : measured)
      csv.row(std::to_string(m.workspace) + "," + std::to_string(m.runs) + "," + std::to_string(m.workflows) + "," +
              bench::num(m.distinct_on) + "," + bench::num(m.loose_scan) + "," + bench::num(m.runstore));
  }
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "recent_read_bench: %s\n", e.what());
  return 1;
}
