// client_bench: the C++ client against the same work done the naive way, in
// one run, contenders alternating (A B A B ...).
//
//   status  runstore::Client::get_executions_by_ids (and get_execution_states)
//           for N ids in one call against N calls of one id each (the N+1
//           pattern), both through the client, prepared, binary; N in
//           {10, 100, 500}.
//   worker  a prefilled queue drained by W runstore::Worker instances with a
//           no-op handler (slots = B, every other option at its default;
//           --worker-batch B' sets batch_size by hand, a diagnostic) against
//           W raw SQL workers running queue_bench's step with batches of B
//           (report the held batch and claim the next in one pipeline,
//           bench/src/queue_steps.cpp); jobs/s.
//
// Usage: client_bench --conninfo STR [--only status|worker] [--rounds N]
//                     [--status-rounds N]
//                     [--rows N] [--jobs N] [--workers W] [--batch B] [--worker-batch B']
#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstring>
#include <iterator>
#include <memory>
#include <random>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "bench_support.hpp"
#include "queue_steps.hpp"
#include "runstore/client.hpp"
#include "runstore/worker.hpp"

namespace {

using bench::Clock;

struct Options {
  std::string conninfo;
  std::string only;
  int rounds = 5;          // worker: each round drains the whole queue
  int status_rounds = 21;  // status: a round is a fraction of a second
  long rows = 200000;
  long jobs = 20000;
  int workers = 4;
  int batch = 10;
  int worker_batch = 0;  // the Worker's batch_size: 0 = its default (automatic)
};

long scalar(PGconn* c, const std::string& sql) { return std::stol(PQgetvalue(bench::exec(c, sql).get(), 0, 0)); }

// ---- status: one call for N ids against N calls ----

void status(const Options& o) {
  bench::Conn admin = bench::connect(o.conninfo);
  bench::exec(admin.get(), "TRUNCATE runstore.executions");
  bench::exec(admin.get(),
              "INSERT INTO runstore.executions (workspace_id, workflow_id, status, payload, created_at)"
              " SELECT 1 + g % 50, g % 500, 'succeeded', jsonb_build_object('n', g),"
              "  now() - g * interval '1 s' FROM generate_series(1, " +
                  std::to_string(o.rows) + ") g");
  bench::exec(admin.get(), "VACUUM ANALYZE runstore.executions");
  std::vector<runstore::Uuid> all;
  {
    auto r = bench::exec(admin.get(), "SELECT id FROM runstore.executions ORDER BY random() LIMIT 5000");
    for (int i = 0; i < PQntuples(r.get()); ++i) all.push_back(runstore::Uuid::parse(PQgetvalue(r.get(), i, 0)));
  }
  runstore::Client client(o.conninfo);
  std::mt19937 rng(42);
  // Two methods, each against itself: whole rows (get_executions_by_ids) and
  // the polling shape (get_execution_states: id, status, attempt, updated_at).
  for (const bool states : {false, true}) {
    std::printf(
        "== batch status through runstore::Client::%s: one call for N ids vs N calls of one id,"
        " ms per batch (%ld rows, %d rounds, A B A B)\n",
        states ? "get_execution_states" : "get_executions_by_ids", o.rows, o.status_rounds);
    std::printf("%-6s %12s %12s %8s\n", "ids", "one call", "N calls", "ratio");
    const auto lookup = [&](const std::vector<runstore::Uuid>& ids) {
      return states ? client.get_execution_states(ids).size() : client.get_executions_by_ids(ids).size();
    };
    for (int n : {10, 100, 500}) {
      std::vector<double> batch_ms, single_ms;
      const int reps = std::max(3, 2000 / n);
      for (int round = 0; round < o.status_rounds * 2; ++round) {
        std::vector<runstore::Uuid> ids;
        std::sample(all.begin(), all.end(), std::back_inserter(ids), n, rng);
        const bool batch_first = round % 2 == 0;
        for (int turn = 0; turn < 2; ++turn) {
          const bool batched = (turn == 0) == batch_first;
          const auto t0 = Clock::now();
          std::size_t found = 0;
          for (int rep = 0; rep < reps; ++rep) {
            if (batched) {
              found += lookup(ids);
            } else {
              for (const auto& id : ids) found += lookup({id});
            }
          }
          if (found != static_cast<std::size_t>(n) * reps) throw std::runtime_error("status: rows missing");
          (batched ? batch_ms : single_ms).push_back(bench::ms_since(t0) / reps);
        }
      }
      const double b = bench::median(batch_ms), s = bench::median(single_ms);
      std::printf("%-6d %12.3f %12.3f %7.1fx\n", n, b, s, s / b);
      std::fflush(stdout);
    }
  }
}

// ---- worker: runstore::Worker against the raw SQL step ----

void prefill(PGconn* admin, long jobs) {
  bench::exec(admin, "TRUNCATE runstore.executions");
  bench::exec(admin,
              "INSERT INTO runstore.executions (workspace_id, workflow_id, payload)"
              " SELECT 1 + g % 50, g % 200, jsonb_build_object('n', g) FROM generate_series(1, " +
                  std::to_string(jobs) + ") g");
  bench::exec(admin, "VACUUM ANALYZE runstore.executions");
}

// W threads, each a connection running report_and_claim until the queue is
// empty; returns seconds.
double drain_raw(const Options& o) {
  std::vector<bench::Conn> conns;
  for (int i = 0; i < o.workers; ++i) {
    conns.push_back(bench::connect(o.conninfo));
    bench::prepare_all(conns.back().get());
  }
  const auto t0 = Clock::now();
  std::vector<std::thread> threads;
  for (int i = 0; i < o.workers; ++i) {
    threads.emplace_back([&, i] {
      const std::string worker = "raw-" + std::to_string(i);
      std::vector<bench::Claimed> held;
      do {
        held = bench::report_and_claim(conns[static_cast<std::size_t>(i)].get(), worker, held, o.batch);
      } while (!held.empty());
    });
  }
  for (auto& t : threads) t.join();
  return bench::ms_since(t0) / 1000.0;
}

// W runstore::Worker instances with a no-op handler; stopped once every job
// has been handled; returns seconds until every worker has written its
// outcomes and returned.
double drain_worker(const Options& o) {
  std::atomic<long> handled{0};
  std::vector<std::unique_ptr<runstore::Worker>> workers;
  for (int i = 0; i < o.workers; ++i) {
    runstore::WorkerOptions wo;
    wo.conninfo = o.conninfo;
    wo.name = "worker-" + std::to_string(i);
    wo.slots = o.batch;
    wo.batch_size = o.worker_batch;
    wo.poll_interval = std::chrono::milliseconds(1000);
    workers.push_back(
        std::make_unique<runstore::Worker>(wo, [&handled](const runstore::Execution&, runstore::JobContext&) {
          handled.fetch_add(1, std::memory_order_relaxed);
          return runstore::HandlerResult::success();
        }));
  }
  const auto t0 = Clock::now();
  std::vector<std::thread> threads;
  for (auto& w : workers) threads.emplace_back([&w] { w->run(); });
  while (handled.load() < o.jobs) std::this_thread::sleep_for(std::chrono::microseconds(200));
  for (auto& w : workers) w->request_stop();
  for (auto& t : threads) t.join();
  return bench::ms_since(t0) / 1000.0;
}

void worker(const Options& o) {
  bench::Conn admin = bench::connect(o.conninfo);
  std::printf(
      "== worker runtime: drain %ld prefilled jobs, %d workers of %d slots (Worker batch_size %s),"
      " raw steps of %d, no-op handler, jobs/s (%d rounds, A B A B)\n",
      o.jobs, o.workers, o.batch, o.worker_batch == 0 ? "automatic" : std::to_string(o.worker_batch).c_str(), o.batch,
      o.rounds);
  std::vector<double> raw_rate, worker_rate;
  for (int round = 0; round < o.rounds * 2; ++round) {
    const bool worker_turn = (round % 2 == 0) == (round / 2 % 2 == 0);
    prefill(admin.get(), o.jobs);
    const double seconds = worker_turn ? drain_worker(o) : drain_raw(o);
    const long done = scalar(admin.get(), "SELECT count(*) FROM runstore.executions WHERE status = 'succeeded'");
    if (done != o.jobs) {
      throw std::runtime_error(std::string(worker_turn ? "Worker" : "raw") + " finished " + std::to_string(done) +
                               " of " + std::to_string(o.jobs));
    }
    (worker_turn ? worker_rate : raw_rate).push_back(static_cast<double>(o.jobs) / seconds);
  }
  const double w = bench::median(worker_rate), r = bench::median(raw_rate);
  std::printf("%-22s %10.0f\n%-22s %10.0f\n%-22s %9.2fx\n", "runstore::Worker", w, "raw SQL step", r, "Worker / raw",
              w / r);
}

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) throw std::runtime_error(a + " needs a value");
      return argv[++i];
    };
    if (a == "--conninfo")
      o.conninfo = next();
    else if (a == "--only")
      o.only = next();
    else if (a == "--rounds")
      o.rounds = std::stoi(next());
    else if (a == "--status-rounds")
      o.status_rounds = std::stoi(next());
    else if (a == "--rows")
      o.rows = std::stol(next());
    else if (a == "--jobs")
      o.jobs = std::stol(next());
    else if (a == "--workers")
      o.workers = std::stoi(next());
    else if (a == "--batch")
      o.batch = std::stoi(next());
    else if (a == "--worker-batch")
      o.worker_batch = std::stoi(next());
    else
      throw std::runtime_error("unknown option " + a);
  }
  return o;
}

}  // namespace

int main(int argc, char** argv) try {
  const Options o = parse(argc, argv);
  if (o.only.empty() || o.only == "status") status(o);
  if (o.only.empty() || o.only == "worker") worker(o);
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "client_bench: %s\n", e.what());
  return 1;
}
