// queue_bench: the execution lifecycle through runstore's functions against a
// naive client-side queue, on the same table, in one run.
//
//   throughput  a producer enqueues (multi-row INSERT) and W workers claim
//               batches of B and complete each execution, for W in {1, 4, 8}
//               (--workers sets the list) and B in {1, 10}.  Contenders
//               alternate (A B A B ...):
//                 runstore  SELECT … FROM runstore.dequeue(worker, B)
//                           + runstore.complete(id, worker, result, attempt)
//                 naive     BEGIN; SELECT id … FOR UPDATE SKIP LOCKED LIMIT B;
//                           UPDATE … SET status = 'running' … WHERE id = ANY;
//                           COMMIT; + UPDATE … SET status = 'succeeded' per id
//   latency     one idle worker; single enqueues at random gaps; time from
//               the start of the INSERT to the worker holding the execution,
//               woken by runstore.wait_for_work, by LISTEN runstore_enqueued
//               (notify_enqueued on), or polling every 100 ms.
//   churn       producer + 4 workers + a janitor deleting finished executions
//               (runstore.delete_many) for --churn-seconds, with and without
//               an idle-in-transaction session holding the xmin horizon:
//               throughput, table + index size each minute, dead tuples.
//
// Usage: queue_bench --conninfo STR [--only throughput|latency|churn]
//                    [--seconds N] [--rounds N] [--churn-seconds N]
//                    [--churn-summaries on|off] [--workers N[,N...]] [--batch 1|10]
//                    [--way runstore|naive] [--csv PATH]
// --csv PATH also writes the throughput medians (bench/charts.sh).
#include <poll.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <map>
#include <mutex>
#include <random>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "bench_support.hpp"
#include "queue_steps.hpp"

namespace {

using bench::Claimed;
using bench::Clock;
using bench::prepare_all;
using bench::report_and_claim;
using bench::run;

enum class Way { runstore, naive };
const char* name_of(Way w) { return w == Way::runstore ? "runstore" : "naive"; }

// Claims up to `batch` executions the chosen way.
std::vector<Claimed> claim(PGconn* c, Way way, const std::string& worker, int batch) {
  const std::string n = std::to_string(batch);
  std::vector<Claimed> out;
  if (way == Way::runstore) {
    auto r = run(c, "rs_dequeue", {worker.c_str(), n.c_str()});
    for (int i = 0; i < PQntuples(r.get()); ++i) out.push_back({PQgetvalue(r.get(), i, 0), PQgetvalue(r.get(), i, 1)});
    return out;
  }
  bench::exec(c, "BEGIN");
  auto sel = run(c, "naive_select", {n.c_str()});
  if (PQntuples(sel.get()) == 0) {
    bench::exec(c, "COMMIT");
    return out;
  }
  std::string ids = "{";
  for (int i = 0; i < PQntuples(sel.get()); ++i) {
    if (i > 0) ids += ',';
    ids += PQgetvalue(sel.get(), i, 0);
  }
  ids += '}';
  auto upd = run(c, "naive_claim", {worker.c_str(), ids.c_str()});
  bench::exec(c, "COMMIT");
  for (int i = 0; i < PQntuples(upd.get()); ++i)
    out.push_back({PQgetvalue(upd.get(), i, 0), PQgetvalue(upd.get(), i, 1)});
  return out;
}

// Reports a batch's outcomes.  runstore (a worker's last batch): the calls go
// out in one libpq pipeline, one round trip and one transaction; each call
// still checks the lease on its own.  naive: one autocommit UPDATE per
// execution.
void complete_all(PGconn* c, Way way, const std::string& worker, const std::vector<Claimed>& jobs) {
  if (way == Way::naive) {
    for (const auto& job : jobs) {
      auto r = run(c, "naive_complete", {job.id.c_str(), worker.c_str(), job.attempt.c_str()});
      if (std::strcmp(PQcmdTuples(r.get()), "1") != 0) throw std::runtime_error("naive complete missed: " + job.id);
    }
    return;
  }
  if (jobs.empty()) return;
  if (jobs.size() == 1) {
    auto r = run(c, "rs_complete", {jobs[0].id.c_str(), worker.c_str(), jobs[0].attempt.c_str()});
    if (std::strcmp(PQgetvalue(r.get(), 0, 0), "t") != 0) throw std::runtime_error("complete refused: " + jobs[0].id);
    return;
  }
  if (PQenterPipelineMode(c) != 1) throw std::runtime_error("cannot enter pipeline mode");
  for (const auto& job : jobs) {
    const char* values[] = {job.id.c_str(), worker.c_str(), job.attempt.c_str()};
    if (PQsendQueryPrepared(c, "rs_complete", 3, values, nullptr, nullptr, 0) != 1)
      throw std::runtime_error(PQerrorMessage(c));
  }
  if (PQpipelineSync(c) != 1) throw std::runtime_error(PQerrorMessage(c));
  std::string failure;
  for (std::size_t i = 0; i < jobs.size(); ++i) {
    bench::Result r(PQgetResult(c), &PQclear);
    if (PQresultStatus(r.get()) != PGRES_TUPLES_OK)
      failure = PQresultErrorMessage(r.get());
    else if (std::strcmp(PQgetvalue(r.get(), 0, 0), "t") != 0)
      failure = "complete refused: " + jobs[i].id;
    bench::Result end(PQgetResult(c), &PQclear);  // NULL after each query's results
  }
  bench::Result sync(PQgetResult(c), &PQclear);
  if (PQresultStatus(sync.get()) != PGRES_PIPELINE_SYNC) failure = "pipeline: no sync";
  PQexitPipelineMode(c);
  if (!failure.empty()) throw std::runtime_error(failure);
}

long scalar(PGconn* c, const std::string& sql) {
  auto r = bench::exec(c, sql);
  return std::stol(PQgetvalue(r.get(), 0, 0));
}

// Keeps the backlog (enqueued minus finished, counted in the program so the
// producer reads nothing from the table) between `low` and `high`, enqueuing
// 50 executions per statement.
class Producer {
 public:
  Producer(const std::string& conninfo, const std::atomic<long>& finished, long low, long high)
      : conn_(bench::connect(conninfo)), finished_(finished), low_(low), high_(high) {
    prepare_all(conn_.get());
  }
  void start() {
    thread_ = std::thread([this] { loop(); });
  }
  void stop() {
    stop_ = true;
    thread_.join();
  }

 private:
  void loop() {
    while (!stop_) {
      if (enqueued_ - finished_ >= low_) {
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
        continue;
      }
      while (enqueued_ - finished_ < high_ && !stop_) {
        const std::string base = std::to_string(enqueued_);
        run(conn_.get(), "enqueue", {"50", base.c_str()});
        enqueued_ += 50;
      }
    }
  }
  bench::Conn conn_;
  const std::atomic<long>& finished_;
  long low_, high_;
  std::atomic<bool> stop_{false};
  long enqueued_ = 0;
  std::thread thread_;
};

// W workers claiming batches of B and completing each, for `seconds`.
struct WorkerPool {
  std::vector<bench::Conn> conns;
  std::atomic<long> done{0};
  std::atomic<bool> stop{false};
  std::mutex finished_mutex;
  std::vector<std::string> finished;  // for the janitor
  bool keep_finished = false;

  WorkerPool(const std::string& conninfo, int workers) {
    for (int i = 0; i < workers; ++i) {
      conns.push_back(bench::connect(conninfo));
      prepare_all(conns.back().get());
    }
  }

  // Runs the workers; returns the executions they finished meanwhile.
  long run_for(Way way, int batch, double seconds) {
    const long before = done;
    stop = false;
    std::vector<std::thread> threads;
    for (std::size_t i = 0; i < conns.size(); ++i) {
      threads.emplace_back([this, i, way, batch] {
        PGconn* c = conns[i].get();
        const std::string worker = std::string(name_of(way)) + "-" + std::to_string(i);
        std::vector<Claimed> held;  // runstore: claimed, outcome not yet reported
        auto finish = [this](const std::vector<Claimed>& jobs) {
          done += static_cast<long>(jobs.size());
          if (keep_finished) {
            std::lock_guard<std::mutex> lock(finished_mutex);
            for (const auto& job : jobs) finished.push_back(job.id);
          }
        };
        while (!stop) {
          std::vector<Claimed> jobs;
          if (way == Way::runstore) {
            jobs = report_and_claim(c, worker, held, batch);
            finish(held);
            held = jobs;  // the no-op handler has run: reported with the next claim
          } else {
            jobs = claim(c, way, worker, batch);
            complete_all(c, way, worker, jobs);
            finish(jobs);
          }
          if (jobs.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
        }
        complete_all(c, way, worker, held);
        finish(held);
      });
    }
    std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
    stop = true;
    for (auto& t : threads) t.join();
    return done - before;
  }
};

// A diagnostic, not a contender: with the recent-workflow triggers off the
// churn measures the queue alone, apart from the summaries' upkeep of the
// producer's 50 groups (each statement updates the same 50 summary rows).
void set_summary_triggers(PGconn* c, bool on) {
  for (const char* event : {"insert", "update", "delete"})
    bench::exec(c, (std::string("ALTER TABLE runstore.executions ") + (on ? "ENABLE" : "DISABLE") +
                    " TRIGGER executions_recent_workflows_" + event)
                       .c_str());
}

// Every contender starts from the same state: an empty table and a fresh
// checkpoint (else whichever run a checkpoint falls into pays its full-page
// writes: a 300 s churn writes ~5 GB of WAL, max_wal_size is 8 GB).
void reset_table(PGconn* c) {
  bench::exec(c, "TRUNCATE runstore.executions");
  bench::exec(c, "VACUUM ANALYZE runstore.executions");
  bench::exec(c, "CHECKPOINT");
}

// Which throughput cells to run: --workers sets the worker counts (one for
// a diagnostic, e.g. one cell under perf; more for a chart); a batch of 0
// means both (--batch narrows it down).
struct Cells {
  std::vector<int> workers{1, 4, 8};
  int batch = 0;
  std::string way;  // "runstore" or "naive": that contender alone (no ratio)
};

void throughput(const std::string& conninfo, double seconds, int rounds, const Cells& cells,
                const std::string& csv_path) {
  bench::Conn admin = bench::connect(conninfo);
  bench::Csv csv(csv_path,
                 "queue_bench: " + bench::num(seconds) + " s per run, medians of " + std::to_string(rounds) +
                     " rounds; a producer keeps 2,000-4,000 executions queued; " + bench::transport(admin.get()),
                 "workers,batch,runstore_jobs_per_s,naive_jobs_per_s");
  std::printf("== throughput: enqueue -> dequeue -> complete, jobs/s (%.0f s per run, %d rounds, A B A B)\n", seconds,
              rounds);
  std::printf("%-8s %-6s %12s %12s %8s\n", "workers", "batch", "runstore", "naive", "ratio");
  for (int workers : cells.workers) {
    for (int batch : {1, 10}) {
      if (cells.batch != 0 && batch != cells.batch) continue;
      std::vector<double> rs, nv;
      for (int round = 0; round < rounds; ++round) {
        for (Way way : round % 2 == 0 ? std::vector<Way>{Way::runstore, Way::naive}
                                      : std::vector<Way>{Way::naive, Way::runstore}) {
          if (!cells.way.empty() && cells.way != name_of(way)) continue;
          reset_table(admin.get());
          WorkerPool pool(conninfo, workers);
          Producer producer(conninfo, pool.done, 2000, 4000);
          producer.start();
          std::this_thread::sleep_for(std::chrono::milliseconds(200));
          const long finished = pool.run_for(way, batch, seconds);
          producer.stop();
          (way == Way::runstore ? rs : nv).push_back(static_cast<double>(finished) / seconds);
        }
      }
      if (!cells.way.empty()) {
        const auto& only_way = cells.way == "naive" ? nv : rs;
        std::printf("%-8d %-6d %s alone: %.0f jobs/s\n", workers, batch, cells.way.c_str(), bench::median(only_way));
        const std::string figure = bench::num(bench::median(only_way));
        csv.row(std::to_string(workers) + "," + std::to_string(batch) + "," +
                (cells.way == "naive" ? "," + figure : figure + ","));
        continue;
      }
      const double r = bench::median(rs), n = bench::median(nv);
      std::printf("%-8d %-6d %12.0f %12.0f %7.2fx\n", workers, batch, r, n, r / n);
      std::fflush(stdout);
      csv.row(std::to_string(workers) + "," + std::to_string(batch) + "," + bench::num(r) + "," + bench::num(n));
    }
  }
}

// Pickup latency of one idle worker, woken by wait_for_work (the default),
// by LISTEN/NOTIFY (runstore.notify_enqueued on), or polling.
void latency(const std::string& conninfo, int jobs) {
  bench::Conn admin = bench::connect(conninfo);
  // Two clocks: from the start of the INSERT (its commit's WAL flush
  // included), and from its acknowledgement (the execution is committed and
  // visible; the worker may even hold it already, counted as 0).  Both end
  // when dequeue has returned, its claim committed.
  std::printf(
      "== pickup latency: enqueue -> worker holds the execution (claim committed), ms"
      " (%d single enqueues, gaps 20-60 ms)\n",
      jobs);
  std::printf("%-22s %14s %8s %8s %16s %8s\n", "wake-up", "from INSERT: median", "p95", "max", "from commit: median",
              "p95");
  enum class Wake { wait_for_work, notify, poll };
  for (Wake wake : {Wake::wait_for_work, Wake::notify, Wake::poll}) {
    const bool notify = wake == Wake::notify;
    reset_table(admin.get());
    bench::Conn producer = bench::connect(conninfo);
    prepare_all(producer.get());
    bench::Conn worker = bench::connect(conninfo);
    prepare_all(worker.get());
    PGconn* w = worker.get();
    if (notify) {
      // NOTIFY is off by default (it serializes writers' commits); applications that LISTEN turn it on.
      bench::exec(producer.get(), "SET runstore.notify_enqueued = on");
      bench::exec(w, "LISTEN runstore_enqueued");
    }

    std::mutex m;
    std::map<long, Clock::time_point> sent, acked;
    std::map<long, Clock::time_point> held;
    std::vector<double> latencies;
    std::atomic<bool> stop{false};
    std::thread consumer([&] {
      while (!stop) {
        auto r = bench::exec(w, "SELECT (payload->>'n')::bigint FROM runstore.dequeue('latency', 10)");
        const auto now = Clock::now();
        for (int i = 0; i < PQntuples(r.get()); ++i) {
          const long n = std::stol(PQgetvalue(r.get(), i, 0));
          std::lock_guard<std::mutex> lock(m);
          latencies.push_back(std::chrono::duration<double, std::milli>(now - sent.at(n)).count());
          held[n] = now;
        }
        if (PQntuples(r.get()) > 0) continue;
        if (wake == Wake::wait_for_work) {
          // Returns once an execution is due (or after 1 s); the worker then claims.
          (void)bench::exec(w, "CALL runstore.wait_for_work(1000, NULL)");
        } else if (notify) {
          // Sleep on the socket until a notification arrives (1 s fallback).
          pollfd pfd{PQsocket(w), POLLIN, 0};
          if (::poll(&pfd, 1, 1000) > 0) PQconsumeInput(w);
          while (PGnotify* note = PQnotifies(w)) PQfreemem(note);
        } else {
          std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
      }
    });
    std::mt19937 rng(42);
    std::uniform_int_distribution<int> gap(20, 60);
    for (long n = 1; n <= jobs; ++n) {
      std::this_thread::sleep_for(std::chrono::milliseconds(gap(rng)));
      {
        std::lock_guard<std::mutex> lock(m);
        sent[n + 0] = Clock::now();  // payload n = base (n - 1) + g (1)
      }
      const std::string base = std::to_string(n - 1);
      run(producer.get(), "enqueue", {"1", base.c_str()});
      {
        std::lock_guard<std::mutex> lock(m);
        acked[n] = Clock::now();
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    stop = true;
    consumer.join();
    std::sort(latencies.begin(), latencies.end());
    if (static_cast<long>(latencies.size()) != jobs) throw std::runtime_error("latency: lost executions");
    std::vector<double> from_commit;
    for (const auto& [n, t] : held) {
      from_commit.push_back(std::max(0.0, std::chrono::duration<double, std::milli>(t - acked.at(n)).count()));
    }
    std::sort(from_commit.begin(), from_commit.end());
    const char* label = wake == Wake::wait_for_work ? "wait_for_work"
                        : notify                    ? "LISTEN/NOTIFY"
                                                    : "polling every 100 ms";
    std::printf("%-22s %14.2f %8.2f %8.2f %16.2f %8.2f\n", label, bench::median(latencies),
                latencies[latencies.size() * 95 / 100], latencies.back(), bench::median(from_commit),
                from_commit[from_commit.size() * 95 / 100]);
    std::fflush(stdout);
  }
}

struct ChurnResult {
  double jobs_per_s;
  std::vector<long> sizes;  // bytes, at start and after each minute
  long dead_tuples;
  // jobs/s in each 30 s of the run, to see where a run stalls or steps
  // down (bench/README.md, "How the figures are made").
  std::vector<double> rates;
};

ChurnResult churn(const std::string& conninfo, double seconds, bool hold_horizon) {
  bench::Conn admin = bench::connect(conninfo);
  reset_table(admin.get());
  bench::Conn holder = bench::connect(conninfo);
  if (hold_horizon) {
    // An idle transaction with a snapshot: VACUUM may remove nothing newer.
    bench::exec(holder.get(), "BEGIN ISOLATION LEVEL REPEATABLE READ");
    bench::exec(holder.get(), "SELECT count(*) FROM pg_catalog.pg_class");
  }
  WorkerPool pool(conninfo, 4);
  pool.keep_finished = true;
  Producer producer(conninfo, pool.done, 2000, 4000);
  producer.start();
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  const char* size_sql = "SELECT pg_total_relation_size('runstore.executions')";
  ChurnResult result{0, {scalar(admin.get(), size_sql)}, 0, {}};

  std::atomic<bool> stop{false};
  // Janitor: retention of a few seconds, deleting finished executions in batches of 500.
  std::thread janitor([&] {
    bench::Conn jc = bench::connect(conninfo);
    prepare_all(jc.get());
    while (!stop) {
      std::this_thread::sleep_for(std::chrono::seconds(2));
      std::vector<std::string> batch;
      {
        std::lock_guard<std::mutex> lock(pool.finished_mutex);
        batch.swap(pool.finished);
      }
      for (std::size_t i = 0; i < batch.size(); i += 500) {
        std::string ids = "{";
        for (std::size_t j = i; j < std::min(batch.size(), i + 500); ++j) {
          if (j > i) ids += ',';
          ids += batch[j];
        }
        ids += '}';
        run(jc.get(), "delete_many", {ids.c_str()});
      }
    }
  });
  std::thread sizer([&] {
    bench::Conn sc = bench::connect(conninfo);
    auto next = Clock::now() + std::chrono::seconds(60);
    auto next_rate = Clock::now() + std::chrono::seconds(30);
    long done_before = pool.done;
    while (!stop) {
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
      if (Clock::now() >= next) {
        result.sizes.push_back(scalar(sc.get(), size_sql));
        next += std::chrono::seconds(60);
      }
      if (Clock::now() >= next_rate) {
        const long done_now = pool.done;
        result.rates.push_back(static_cast<double>(done_now - done_before) / 30.0);
        done_before = done_now;
        next_rate += std::chrono::seconds(30);
      }
    }
  });
  const long finished = pool.run_for(Way::runstore, 10, seconds);
  stop = true;
  janitor.join();
  sizer.join();
  producer.stop();
  result.jobs_per_s = static_cast<double>(finished) / seconds;
  result.sizes.push_back(scalar(admin.get(), size_sql));
  result.dead_tuples =
      scalar(admin.get(), "SELECT n_dead_tup FROM pg_stat_user_tables WHERE relid = 'runstore.executions'::regclass");
  if (hold_horizon) bench::exec(holder.get(), "COMMIT");
  return result;
}

void print_churn(const char* label, const ChurnResult& r) {
  std::printf("%-28s %10.0f jobs/s  dead tuples %9ld  size MB:", label, r.jobs_per_s, r.dead_tuples);
  for (long s : r.sizes) std::printf(" %.1f", static_cast<double>(s) / 1048576.0);
  std::printf("\n%-28s jobs/s in each 30 s:", "");
  for (double rate : r.rates) std::printf(" %.0f", rate);
  std::printf("\n");
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) try {
  std::string conninfo, only, csv_path;
  double seconds = 10, churn_seconds = 300;
  int rounds = 2;
  bool summaries = true;
  Cells cells;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--conninfo") == 0 && i + 1 < argc)
      conninfo = argv[++i];
    else if (std::strcmp(argv[i], "--only") == 0 && i + 1 < argc)
      only = argv[++i];
    else if (std::strcmp(argv[i], "--seconds") == 0 && i + 1 < argc)
      seconds = std::stod(argv[++i]);
    else if (std::strcmp(argv[i], "--rounds") == 0 && i + 1 < argc)
      rounds = std::stoi(argv[++i]);
    else if (std::strcmp(argv[i], "--churn-seconds") == 0 && i + 1 < argc)
      churn_seconds = std::stod(argv[++i]);
    else if (std::strcmp(argv[i], "--churn-summaries") == 0 && i + 1 < argc)
      summaries = std::strcmp(argv[++i], "off") != 0;
    else if (std::strcmp(argv[i], "--workers") == 0 && i + 1 < argc)
      cells.workers = bench::int_list(argv[++i], 64);  // each worker is a connection; max_connections is 100
    else if (std::strcmp(argv[i], "--csv") == 0 && i + 1 < argc)
      csv_path = argv[++i];
    else if (std::strcmp(argv[i], "--way") == 0 && i + 1 < argc)
      cells.way = argv[++i];
    else if (std::strcmp(argv[i], "--batch") == 0 && i + 1 < argc)
      cells.batch = std::stoi(argv[++i]);
    else
      throw std::invalid_argument(std::string("unknown option ") + argv[i]);
  }
  // A cell or contender that does not exist would run nothing and print nothing.
  if (cells.batch != 0 && cells.batch != 1 && cells.batch != 10) throw std::invalid_argument("--batch must be 1 or 10");
  if (!cells.way.empty() && cells.way != "runstore" && cells.way != "naive")
    throw std::invalid_argument("--way must be runstore or naive");
  if (rounds < 1) throw std::invalid_argument("--rounds must be at least 1");
  if (only.empty() || only == "throughput") throughput(conninfo, seconds, rounds, cells, csv_path);
  if (only.empty() || only == "latency") latency(conninfo, 200);
  if (only.empty() || only == "churn") {
    std::printf("== sustained churn: producer + 4 workers (batch 10) + janitor (delete_many), %.0f s each%s\n",
                churn_seconds, summaries ? "" : "; recent-workflow triggers disabled (the queue alone)");
    bench::Conn admin = bench::connect(conninfo);
    set_summary_triggers(admin.get(), summaries);
    const ChurnResult free_run = churn(conninfo, churn_seconds, false);
    print_churn("horizon free", free_run);
    const ChurnResult held = churn(conninfo, churn_seconds, true);
    print_churn("horizon held (idle in tx)", held);
    const auto& s = free_run.sizes;
    if (s.size() >= 3)
      std::printf("size at end / after first minute (horizon free): %.2fx\n",
                  static_cast<double>(s.back()) / static_cast<double>(s[1]));
    std::printf("throughput with held horizon / without: %.2fx\n", held.jobs_per_s / free_run.jobs_per_s);
    set_summary_triggers(admin.get(), true);
  }
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "queue_bench: %s\n", e.what());
  return 1;
}
