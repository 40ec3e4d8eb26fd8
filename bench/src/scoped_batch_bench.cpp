// scoped_batch_bench: get_executions_by_ids(ids, workspace_id) against the
// hand-written SELECT * FROM runstore.executions WHERE workspace_id = $2 AND
// id = ANY($1), on the same ids: N ids of one workspace per call, both
// prepared, binary parameters and results, as an application holding the
// ids sends them.  The contenders alternate A B B A call by call (so a
// noisy moment costs both), and each round prints both medians and the
// ratio routed / runstore (above 1: runstore is faster).
//
//   scoped_batch_bench --conninfo "..." [--ids 100] [--calls 2000] [--rounds 3]
//
// Written for a Citus coordinator, where both statements are routed to the
// workspace's node; it runs the same on a single node.
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <map>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "bench_support.hpp"

namespace {

constexpr Oid kUuidArrayOid = 2951;
constexpr Oid kInt8Oid = 20;

struct Options {
  std::string conninfo;
  int ids = 100;
  int calls = 2000;
  int rounds = 3;
};

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) throw std::runtime_error(a + " needs a value");
      return argv[++i];
    };
    if (a == "--conninfo")
      o.conninfo = value();
    else if (a == "--ids")
      o.ids = std::stoi(value());
    else if (a == "--calls")
      o.calls = std::stoi(value());
    else if (a == "--rounds")
      o.rounds = std::stoi(value());
    else
      throw std::runtime_error("unknown option " + a);
  }
  if (o.ids < 1 || o.calls < 2 || o.rounds < 1)
    throw std::runtime_error("--ids, --calls and --rounds must be positive");
  return o;
}

std::string int8_param(std::int64_t v) {
  std::string out;
  for (int s = 56; s >= 0; s -= 8) out.push_back(static_cast<char>((static_cast<std::uint64_t>(v) >> s) & 0xFF));
  return out;
}

std::int64_t read_int8(const char* p) {
  std::uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return static_cast<std::int64_t>(v);
}

// Per workspace holding at least `n` runs: the binary parameters of `n` of its ids and of its id.
struct Workspace {
  std::string ids;
  std::string workspace_id;
};

std::vector<Workspace> fetch_workspaces(PGconn* c, int n) {
  const std::string sql =
      "SELECT workspace_id, id FROM (SELECT workspace_id, id, row_number() OVER (PARTITION BY workspace_id ORDER BY "
      "id) AS k FROM runstore.executions) s WHERE k <= " +
      std::to_string(n) + " ORDER BY workspace_id, k";
  bench::Result r(PQexecParams(c, sql.c_str(), 0, nullptr, nullptr, nullptr, nullptr, 1), &PQclear);
  if (PQresultStatus(r.get()) != PGRES_TUPLES_OK) throw std::runtime_error(PQresultErrorMessage(r.get()));
  std::map<std::int64_t, std::vector<bench::Uuid16>> by_workspace;
  for (int row = 0; row < PQntuples(r.get()); ++row)
    by_workspace[read_int8(PQgetvalue(r.get(), row, 0))].emplace_back(PQgetvalue(r.get(), row, 1), 16);
  std::vector<Workspace> out;
  for (const auto& [ws, ids] : by_workspace)
    if (static_cast<int>(ids.size()) == n)
      out.push_back({bench::uuid_array_param(ids.data(), ids.size()), int8_param(ws)});
  if (out.empty()) throw std::runtime_error("no workspace holds " + std::to_string(n) + " runs");
  return out;
}

}  // namespace

int main(int argc, char** argv) try {
  const Options opt = parse(argc, argv);
  bench::Conn conn = bench::connect(opt.conninfo);
  PGconn* c = conn.get();
  const std::vector<Workspace> workspaces = fetch_workspaces(c, opt.ids);

  const Oid types[] = {kUuidArrayOid, kInt8Oid};
  bench::prepare(c, "runstore", "SELECT * FROM runstore.get_executions_by_ids($1, $2)", 2, types);
  bench::prepare(c, "routed", "SELECT * FROM runstore.executions WHERE workspace_id = $2 AND id = ANY ($1)", 2, types);

  std::mt19937_64 rng(20261207);
  std::uniform_int_distribution<std::size_t> pick(0, workspaces.size() - 1);
  auto call = [&](const char* stmt, const Workspace& w) {
    const auto t0 = bench::Clock::now();
    const long rows = bench::exec_prepared(c, stmt, {w.ids, w.workspace_id});
    const double ms = bench::ms_since(t0);
    if (rows != opt.ids) throw std::runtime_error(std::string(stmt) + " returned " + std::to_string(rows) + " rows");
    return ms;
  };
  for (int i = 0; i < 50; ++i) {  // warm both plans and caches
    call("runstore", workspaces[pick(rng)]);
    call("routed", workspaces[pick(rng)]);
  }

  std::printf("# %zu workspaces of >= %d runs; %d ids per call, %d calls per contender per round, A B B A; %s\n",
              workspaces.size(), opt.ids, opt.ids, opt.calls, bench::transport(c).c_str());
  std::vector<double> ratios;
  for (int round = 1; round <= opt.rounds; ++round) {
    std::vector<double> runstore, routed;
    for (int k = 0; k < opt.calls; ++k) {
      const Workspace& w = workspaces[pick(rng)];
      if (k % 2 == 0) {
        runstore.push_back(call("runstore", w));
        routed.push_back(call("routed", w));
      } else {
        routed.push_back(call("routed", w));
        runstore.push_back(call("runstore", w));
      }
    }
    const double a = bench::median(runstore), b = bench::median(routed);
    ratios.push_back(b / a);
    std::printf("round %d: get_executions_by_ids %.3f ms, routed = ANY %.3f ms (medians); ratio %.3f\n", round, a, b,
                b / a);
  }
  std::printf("ratio routed / runstore, median of %d rounds: %.3f (target >= 0.9)\n", opt.rounds,
              bench::median(ratios));
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "scoped_batch_bench: %s\n", e.what());
  return 1;
}
