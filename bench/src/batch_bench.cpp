// batch_bench: get_executions_by_ids and delete_many against the ways an
// application does the same without runstore, on the same table in one run.
//
//   batch_bench --conninfo "host=/tmp/... dbname=runstore_bench" --label unix
//               [--rounds N] [--delete-rounds N] [--sizes 10,100,500]
//               [--delete-sizes 500] [--csv PATH]
//
// --sizes and --delete-sizes set the batch sizes of lookups and deletes;
// --csv PATH also writes every row's medians (bench/charts.sh).
//
// Contenders are interleaved: every round runs each of them once, in an
// order rotated from round to round (A B C, B C A, C A B, ...), on id sets
// drawn for that round, so drift in the machine's speed hits all of them
// alike.  Each figure is the median over rounds of the mean time per call;
// the ratios are what to quote, not the times.
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <functional>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "bench_support.hpp"

namespace {

using bench::Clock;

struct Options {
  std::string conninfo;
  std::string label = "unix";
  int rounds = 31;
  int delete_rounds = 9;
  std::vector<int> sizes{10, 100, 500};
  std::vector<int> delete_sizes{500};
  std::string csv;
};

constexpr Oid kUuidOid = 2950;
constexpr Oid kUuidArrayOid = 2951;

struct Contender {
  const char* name;
  // Runs one call over `ids`; returns the rows it produced or affected.
  std::function<long(const bench::Uuid16*, std::size_t)> call;
  int calls_per_round;
  std::vector<double> per_call_ms;  // one entry per round
};

std::vector<bench::Uuid16> fetch_ids(PGconn* c) {
  bench::Result r(PQexecParams(c, "SELECT id FROM runstore.executions", 0, nullptr, nullptr, nullptr, nullptr, 1),
                  &PQclear);
  if (PQresultStatus(r.get()) != PGRES_TUPLES_OK) throw std::runtime_error(PQresultErrorMessage(r.get()));
  std::vector<bench::Uuid16> ids;
  ids.reserve(static_cast<std::size_t>(PQntuples(r.get())));
  for (int i = 0; i < PQntuples(r.get()); ++i) ids.emplace_back(PQgetvalue(r.get(), i, 0), 16);
  return ids;
}

// Runs `rounds` rounds of the contenders in rotated order.  `next_ids(k)`
// yields the first of k fresh ids for one call.
void run_rounds(std::vector<Contender>& cs, int rounds, std::size_t n,
                const std::function<const bench::Uuid16*(std::size_t)>& next_ids, bool same_ids) {
  for (int round = 0; round < rounds; ++round) {
    // With same_ids every contender reads the same id sets this round.
    std::vector<const bench::Uuid16*> sets;
    if (same_ids) {
      for (int k = 0; k < cs.front().calls_per_round; ++k) sets.push_back(next_ids(n));
    }
    for (std::size_t j = 0; j < cs.size(); ++j) {
      Contender& c = cs[(j + static_cast<std::size_t>(round)) % cs.size()];
      std::vector<const bench::Uuid16*> mine = sets;
      if (!same_ids) {
        for (int k = 0; k < c.calls_per_round; ++k) mine.push_back(next_ids(n));
      }
      const auto t0 = Clock::now();
      for (int k = 0; k < c.calls_per_round; ++k) {
        const long rows = c.call(mine[static_cast<std::size_t>(k)], n);
        if (rows != static_cast<long>(n)) {
          throw std::runtime_error(std::string(c.name) + " returned " + std::to_string(rows) + " rows for " +
                                   std::to_string(n) + " ids");
        }
      }
      c.per_call_ms.push_back(bench::ms_since(t0) / c.calls_per_round);
    }
  }
}

const char* verdict(bool ok) { return ok ? "met" : "NOT MET"; }

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) throw std::invalid_argument(a + " needs a value");
      return argv[++i];
    };
    if (a == "--conninfo")
      o.conninfo = value();
    else if (a == "--label")
      o.label = value();
    else if (a == "--rounds")
      o.rounds = std::stoi(value());
    else if (a == "--delete-rounds")
      o.delete_rounds = std::stoi(value());
    else if (a == "--sizes")
      o.sizes = bench::int_list(value(), 100000);
    else if (a == "--delete-sizes")
      o.delete_sizes = bench::int_list(value(), 100000);
    else if (a == "--csv")
      o.csv = value();
    else
      throw std::invalid_argument("unknown option " + a);
  }
  return o;
}

}  // namespace

int main(int argc, char** argv) try {
  const Options opt = parse(argc, argv);
  bench::Conn conn = bench::connect(opt.conninfo);
  PGconn* c = conn.get();

  std::vector<bench::Uuid16> ids = fetch_ids(c);
  std::mt19937_64 rng(20261123);
  std::shuffle(ids.begin(), ids.end(), rng);
  // Deletes consume fresh ids from the tail: per round and batch size one
  // loop call and three calls each of the batched contenders, plus one
  // warm-up round.  Lookups cycle through everything before that.
  std::size_t delete_need = 0;
  for (int n : opt.delete_sizes)
    delete_need += static_cast<std::size_t>(opt.delete_rounds + 1) * static_cast<std::size_t>(n) * 7;
  const std::size_t lookup_need = 100 * static_cast<std::size_t>(*std::max_element(opt.sizes.begin(), opt.sizes.end()));
  if (ids.size() < delete_need + lookup_need) {
    throw std::runtime_error("the table holds " + std::to_string(ids.size()) + " executions; this run needs " +
                             std::to_string(delete_need + lookup_need) + " (load more with BENCH_ROWS)");
  }
  const std::size_t lookup_end = ids.size() - delete_need;
  std::size_t lookup_pos = 0, delete_pos = lookup_end;
  auto next_lookup = [&](std::size_t n) {
    if (lookup_pos + n > lookup_end) lookup_pos = 0;
    const bench::Uuid16* p = &ids[lookup_pos];
    lookup_pos += n;
    return p;
  };
  auto next_delete = [&](std::size_t n) {
    if (delete_pos + n > ids.size()) throw std::logic_error("delete pool sized wrongly");
    const bench::Uuid16* p = &ids[delete_pos];
    delete_pos += n;
    return p;
  };

  const Oid one_uuid[] = {kUuidOid};
  const Oid uuid_array[] = {kUuidArrayOid};
  bench::prepare(c, "get_one", "SELECT * FROM runstore.executions WHERE id = $1", 1, one_uuid);
  bench::prepare(c, "get_any", "SELECT * FROM runstore.executions WHERE id = ANY($1)", 1, uuid_array);
  // Informative: the same = ANY query made to buffer its whole result before
  // the first row goes out (a Sort), as any request-order answer must.
  bench::prepare(c, "get_any_buffered", "SELECT * FROM runstore.executions WHERE id = ANY($1) ORDER BY created_at", 1,
                 uuid_array);
  bench::prepare(c, "get_runstore", "SELECT * FROM runstore.get_executions_by_ids($1)", 1, uuid_array);
  bench::prepare(c, "del_one", "DELETE FROM runstore.executions WHERE id = $1", 1, one_uuid);
  bench::prepare(c, "del_any", "DELETE FROM runstore.executions WHERE id = ANY($1)", 1, uuid_array);
  bench::prepare(c, "del_runstore", "SELECT * FROM runstore.delete_many($1)", 1, uuid_array);

  auto per_id = [c](const char* stmt) {
    return [c, stmt](const bench::Uuid16* first, std::size_t n) {
      long rows = 0;
      for (std::size_t i = 0; i < n; ++i) rows += bench::exec_prepared(c, stmt, {first[i]});
      return rows;
    };
  };
  auto batched = [c](const char* stmt) {
    return [c, stmt](const bench::Uuid16* first, std::size_t n) {
      return bench::exec_prepared(c, stmt, {bench::uuid_array_param(first, n)});
    };
  };

  std::printf("# %s: %zu executions; medians over %d rounds (lookups) and %d rounds (deletes)\n", opt.label.c_str(),
              ids.size(), opt.rounds, opt.delete_rounds);
  std::printf("%-6s %-22s %10s %10s %12s %12s %13s %14s %14s\n", "via", "benchmark", "loop ms", "ANY ms", "buffered ms",
              "runstore ms", "runstore/ANY", "rs/buffered", "runstore/loop");
  bench::Csv csv(opt.csv,
                 "batch_bench " + opt.label + ": " + std::to_string(ids.size()) + " executions; medians over " +
                     std::to_string(opt.rounds) + " rounds (lookups) and " + std::to_string(opt.delete_rounds) +
                     " rounds (deletes); " + bench::transport(c),
                 "op,batch_size,loop_ms,any_ms,buffered_ms,runstore_ms");

  bool all_met = true;
  for (int n : opt.sizes) {
    // Enough calls per round that a round of the fast contenders lasts a few ms.
    const int calls = n <= 10 ? 40 : n <= 100 ? 10 : 6;
    std::vector<Contender> cs{{"loop", per_id("get_one"), calls, {}},
                              {"ANY", batched("get_any"), calls, {}},
                              {"runstore", batched("get_runstore"), calls, {}},
                              {"buffered", batched("get_any_buffered"), calls, {}}};
    run_rounds(cs, 3, static_cast<std::size_t>(n), next_lookup, true);  // warm-up, discarded
    for (auto& x : cs) x.per_call_ms.clear();
    run_rounds(cs, opt.rounds, static_cast<std::size_t>(n), next_lookup, true);
    const double loop = bench::median(cs[0].per_call_ms), any = bench::median(cs[1].per_call_ms),
                 rs = bench::median(cs[2].per_call_ms), buffered = bench::median(cs[3].per_call_ms);
    const bool met = any / rs >= 0.9;
    all_met = all_met && met;
    std::printf("%-6s %-22s %10.3f %10.3f %12.3f %12.3f %12.2fx %13.2fx %13.1fx   (>=0.9x vs ANY: %s)\n",
                opt.label.c_str(), ("get " + std::to_string(n) + " ids").c_str(), loop, any, buffered, rs, any / rs,
                buffered / rs, loop / rs, verdict(met));
    std::fflush(stdout);
    csv.row("get," + std::to_string(n) + "," + bench::num(loop) + "," + bench::num(any) + "," + bench::num(buffered) +
            "," + bench::num(rs));
  }

  for (int delete_size : opt.delete_sizes) {
    const auto n = static_cast<std::size_t>(delete_size);
    // Each call deletes fresh rows.  The loop runs once per round (n
    // autocommit transactions); the batched contenders three times.
    std::vector<Contender> cs{{"loop", per_id("del_one"), 1, {}},
                              {"ANY", batched("del_any"), 3, {}},
                              {"runstore", batched("del_runstore"), 3, {}}};
    run_rounds(cs, 1, n, next_delete, false);  // warm-up
    for (auto& x : cs) x.per_call_ms.clear();
    run_rounds(cs, opt.delete_rounds, n, next_delete, false);
    const double loop = bench::median(cs[0].per_call_ms), any = bench::median(cs[1].per_call_ms),
                 rs = bench::median(cs[2].per_call_ms);
    // The delete targets are set at 500 ids; at 1 id no batch can beat the loop.
    const bool targeted = n == 500;
    const bool met = !targeted || (any / rs >= 0.9 && loop / rs >= 40);
    all_met = all_met && met;
    std::printf("%-6s %-22s %10.3f %10.3f %12s %12.3f %12.2fx %13s %13.1fx   (%s%s)\n", opt.label.c_str(),
                ("delete " + std::to_string(n) + " ids").c_str(), loop, any, "-", rs, any / rs, "-", loop / rs,
                targeted ? ">=0.9x vs ANY, >=40x vs loop: " : "no target at this size", targeted ? verdict(met) : "");
    std::fflush(stdout);
    csv.row("delete," + std::to_string(n) + "," + bench::num(loop) + "," + bench::num(any) + ",," + bench::num(rs));
  }
  std::printf("# %s: targets %s\n", opt.label.c_str(), all_met ? "all met" : "NOT all met");
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "batch_bench: %s\n", e.what());
  return 1;
}
