// peer_runstore: runstore's contender in the queue peer comparison
// (bench/peers.sh), the counterpart of bench/peers/graphile.mjs and
// bench/peers/pgboss.mjs: the same workloads, the same output line.
//
// One runstore::Worker with slots = concurrency and every other WorkerOptions
// field at its default (profile "default", the headline), or additionally
// batch_size = --batch-size (profile "tuned"; default 100).  For the enqueue
// workloads, profile "plain" is the hand-written yardstick: a prepared
// INSERT … SELECT … FROM unnest($1::jsonb[]) (bulk) or INSERT … VALUES
// (single) into the same table, ids made by the server.
// Jobs are enqueued through runstore::Client::enqueue; the handler is a no-op
// returning success.  Each run starts from an empty queue: TRUNCATE, VACUUM
// ANALYZE, (the jobs,) VACUUM ANALYZE, CHECKPOINT, then the timed part.
//
//   drain           enqueue --jobs in one Client::enqueue call (not timed),
//                   then time one Worker from run() until every job was handled
//                   and the worker has stopped (its outcomes written);
//                   jobs/s.
//   pickup          one idle Worker; --jobs single enqueues at gaps of 20-60 ms
//                   (the same seeded sequence as the .mjs peers); latency from
//                   just before the enqueue call to the handler starting (the
//                   payload carries the send time, one process, monotonic
//                   clock); p50, p95, max in ms.
//   enqueue-bulk    --jobs in one Client::enqueue(vector) call; jobs/s.
//   enqueue-single  --jobs Client::enqueue(one) calls, one after the other;
//                   jobs/s.
//
// Every run verifies: each job handled once in the process (a duplicate id
// is an error), and in SQL exactly --jobs executions, all succeeded at
// attempt 1 (enqueue: exactly --jobs queued).
//
// Usage: peer_runstore --conninfo STR --workload drain|pickup|enqueue-bulk|enqueue-single
//                      --concurrency C --jobs N [--profile default|tuned] [--batch-size B]
//                      [--workspaces K]  (jobs spread over workspaces 1..K; default 1)
// Prints one line:
//   RESULT system=runstore profile=default workload=drain concurrency=4 jobs=20000 seconds=... jobs_per_s=...
#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <unordered_set>
#include <vector>

#include "bench_support.hpp"
#include "runstore/client.hpp"
#include "runstore/worker.hpp"

namespace {

using bench::Clock;

struct Options {
  std::string conninfo;
  std::string workload;
  std::string profile = "default";
  int concurrency = 1;
  long jobs = 0;
  int batch_size = 100;  // profile tuned only
  long workspaces = 1;   // jobs spread over workspaces 1..K (on Citus: over the shards)
};

// How long a run may take before it is declared stuck.
constexpr std::chrono::seconds kDeadline{900};

long scalar(PGconn* c, const std::string& sql) { return std::stol(PQgetvalue(bench::exec(c, sql).get(), 0, 0)); }

// An empty queue, vacuumed: every run starts the same way.
void reset(PGconn* admin) {
  bench::exec(admin, "TRUNCATE runstore.executions");
  bench::exec(admin, "VACUUM ANALYZE");
}

// What the timed part starts from: statistics and visibility map current,
// no checkpoint owed.
void settle(PGconn* admin) {
  bench::exec(admin, "VACUUM ANALYZE");
  bench::exec(admin, "CHECKPOINT");
}

long workspaces = 1;

runstore::NewExecution job(long n) {
  runstore::NewExecution e;
  e.workspace_id = 1 + n % workspaces;
  e.payload = "{\"n\": " + std::to_string(n) + "}";
  return e;
}

runstore::WorkerOptions worker_options(const Options& o) {
  runstore::WorkerOptions wo;  // every field at its default but these
  wo.conninfo = o.conninfo;
  wo.slots = o.concurrency;
  if (o.profile == "tuned") wo.batch_size = o.batch_size;
  return wo;
}

// Counts handled jobs and catches any job handled twice.
class Ledger {
 public:
  void record(const runstore::Uuid& id) {
    std::lock_guard<std::mutex> lock(m_);
    if (!seen_.insert(id).second) duplicate_ = true;
    handled_.store(static_cast<long>(seen_.size()));
    if (static_cast<long>(seen_.size()) == target_) reached_.notify_all();
  }
  [[nodiscard]] long handled() const { return handled_.load(); }
  // Waits until `jobs` are handled or `until`; true if they were.  Woken by
  // the handler that reaches it, as the .mjs peers' promise is: no polling
  // beside the worker.
  bool wait_until_handled(long jobs, Clock::time_point until) {
    std::unique_lock<std::mutex> lock(m_);
    target_ = jobs;
    return reached_.wait_until(lock, until, [&] { return static_cast<long>(seen_.size()) >= jobs; });
  }
  void check(long jobs) const {
    std::lock_guard<std::mutex> lock(m_);
    if (duplicate_) throw std::runtime_error("a job was handled twice");
    if (static_cast<long>(seen_.size()) != jobs) {
      throw std::runtime_error("handled " + std::to_string(seen_.size()) + " jobs of " + std::to_string(jobs));
    }
  }

 private:
  mutable std::mutex m_;
  std::unordered_set<runstore::Uuid> seen_;
  std::atomic<long> handled_{0};
  bool duplicate_ = false;
  long target_ = -1;
  std::condition_variable reached_;
};

void wait_for(Ledger& ledger, long jobs, Clock::time_point since) {
  if (!ledger.wait_until_handled(jobs, since + kDeadline)) {
    throw std::runtime_error("stuck: " + std::to_string(ledger.handled()) + " of " + std::to_string(jobs) +
                             " handled after " + std::to_string(kDeadline.count()) + " s");
  }
}

void verify_succeeded(PGconn* admin, long jobs) {
  const long total = scalar(admin, "SELECT count(*) FROM runstore.executions");
  const long once = scalar(admin,
                           "SELECT count(*) FROM runstore.executions"
                           " WHERE status = 'succeeded' AND attempt = 1");
  if (total != jobs || once != jobs) {
    throw std::runtime_error("verify: " + std::to_string(once) + " succeeded at attempt 1, " + std::to_string(total) +
                             " executions; expected " + std::to_string(jobs));
  }
}

// drain adds when the last job was handled, before the worker stopped.
void print_rate(const Options& o, double seconds, double handled_seconds = -1) {
  char extra[48] = "";
  if (handled_seconds >= 0) std::snprintf(extra, sizeof extra, " handled_s=%.3f", handled_seconds);
  std::printf("RESULT system=runstore profile=%s workload=%s concurrency=%d jobs=%ld seconds=%.3f jobs_per_s=%.1f%s\n",
              o.profile.c_str(), o.workload.c_str(), o.concurrency, o.jobs, seconds,
              static_cast<double>(o.jobs) / seconds, extra);
}

void drain(const Options& o) {
  bench::Conn admin = bench::connect(o.conninfo);
  reset(admin.get());
  {
    runstore::Client producer(o.conninfo);
    std::vector<runstore::NewExecution> batch;
    batch.reserve(static_cast<std::size_t>(o.jobs));
    for (long n = 1; n <= o.jobs; ++n) batch.push_back(job(n));
    producer.enqueue(batch);
  }
  settle(admin.get());

  Ledger ledger;
  runstore::Worker worker(worker_options(o), [&ledger](const runstore::Execution& e, runstore::JobContext&) {
    ledger.record(e.id);
    return runstore::HandlerResult::success();
  });
  const auto t0 = Clock::now();
  std::thread runner([&worker] { worker.run(); });
  try {
    wait_for(ledger, o.jobs, t0);
  } catch (...) {
    worker.request_stop();
    runner.join();
    throw;
  }
  const double handled_seconds = bench::ms_since(t0) / 1000.0;
  worker.request_stop();
  runner.join();
  const double seconds = bench::ms_since(t0) / 1000.0;

  ledger.check(o.jobs);
  verify_succeeded(admin.get(), o.jobs);
  print_rate(o, seconds, handled_seconds);
}

// mulberry32, as in the .mjs peers: the same gaps for every system.
class Gaps {
 public:
  explicit Gaps(std::uint32_t seed) : a_(seed) {}
  int next_ms() {  // 20..60
    a_ += 0x6D2B79F5u;
    std::uint32_t t = a_;
    t = (t ^ (t >> 15)) * (t | 1u);
    t ^= t + (t ^ (t >> 7)) * (t | 61u);
    const std::uint32_t r = t ^ (t >> 14);
    return 20 + static_cast<int>(static_cast<std::uint64_t>(r) * 41 / 4294967296ULL);
  }

 private:
  std::uint32_t a_;
};

std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch()).count();
}

// The send time the producer put in the payload, {"n": .., "t": <ns>}.
std::int64_t sent_ns(const std::string& payload) {
  const auto at = payload.find("\"t\"");
  if (at == std::string::npos) throw std::runtime_error("payload without t: " + payload);
  const auto colon = payload.find(':', at);
  return std::strtoll(payload.c_str() + colon + 1, nullptr, 10);
}

// Nearest rank, as in the .mjs peers.
double percentile(const std::vector<double>& sorted, double p) {
  const auto rank = static_cast<std::size_t>(std::ceil(p * static_cast<double>(sorted.size())));
  return sorted[std::max<std::size_t>(rank, 1) - 1];
}

void pickup(const Options& o) {
  bench::Conn admin = bench::connect(o.conninfo);
  reset(admin.get());
  settle(admin.get());

  Ledger ledger;
  std::mutex m;
  std::vector<double> latencies;
  runstore::Worker worker(worker_options(o), [&](const runstore::Execution& e, runstore::JobContext&) {
    const std::int64_t started = now_ns();
    const double ms = static_cast<double>(started - sent_ns(e.payload.value_or(""))) / 1e6;
    {
      std::lock_guard<std::mutex> lock(m);
      latencies.push_back(ms);
    }
    ledger.record(e.id);
    return runstore::HandlerResult::success();
  });
  runstore::Client producer(o.conninfo);
  (void)producer.connected_through_pooler();  // connected before the first send
  std::thread runner([&worker] { worker.run(); });
  std::this_thread::sleep_for(std::chrono::seconds(1));  // the worker is up and idle

  Gaps gaps(42);
  std::vector<double> enqueue_ms;  // how long each enqueue call took: part of its pickup latency
  try {
    for (long n = 1; n <= o.jobs; ++n) {
      std::this_thread::sleep_for(std::chrono::milliseconds(gaps.next_ms()));
      runstore::NewExecution e;
      e.workspace_id = 1 + n % workspaces;
      e.payload = "{\"n\": " + std::to_string(n) + ", \"t\": " + std::to_string(now_ns()) + "}";
      const auto sent = Clock::now();
      producer.enqueue(e);
      enqueue_ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - sent).count());
    }
    wait_for(ledger, o.jobs, Clock::now());
  } catch (...) {
    worker.request_stop();
    runner.join();
    throw;
  }
  worker.request_stop();
  runner.join();

  ledger.check(o.jobs);
  verify_succeeded(admin.get(), o.jobs);
  std::sort(latencies.begin(), latencies.end());
  std::sort(enqueue_ms.begin(), enqueue_ms.end());
  std::printf(
      "RESULT system=runstore profile=%s workload=pickup concurrency=%d jobs=%ld p50_ms=%.3f p95_ms=%.3f max_ms=%.3f"
      " enqueue_p50_ms=%.3f enqueue_p95_ms=%.3f enqueue_max_ms=%.3f\n",
      o.profile.c_str(), o.concurrency, o.jobs, percentile(latencies, 0.5), percentile(latencies, 0.95),
      latencies.back(), percentile(enqueue_ms, 0.5), percentile(enqueue_ms, 0.95), enqueue_ms.back());
}

void enqueue(const Options& o, bool bulk) {
  bench::Conn admin = bench::connect(o.conninfo);
  reset(admin.get());
  settle(admin.get());

  runstore::Client producer(o.conninfo);
  (void)producer.connected_through_pooler();  // connected before the clock starts
  std::vector<runstore::NewExecution> batch;
  batch.reserve(static_cast<std::size_t>(o.jobs));
  for (long n = 1; n <= o.jobs; ++n) batch.push_back(job(n));
  double seconds = 0;
  if (o.profile == "plain") {
    // The yardstick: what a program in any language writes by hand, the
    // server making the ids.  Bulk: one INSERT … SELECT … FROM unnest of
    // the payloads (text form); single: one INSERT … VALUES per job.  Both
    // prepared, into the same table with its triggers.
    bench::Conn c = bench::connect(o.conninfo);
    bench::exec(c.get(),
                "PREPARE plain_bulk(jsonb[]) AS INSERT INTO runstore.executions (workspace_id, payload)"
                " SELECT 1, p FROM unnest($1) AS p");
    bench::exec(c.get(),
                "PREPARE plain_one(jsonb) AS INSERT INTO runstore.executions (workspace_id, payload) VALUES (1, $1)");
    const auto t0 = Clock::now();
    if (bulk) {
      std::string array = "{";
      for (std::size_t i = 0; i < batch.size(); ++i) {
        if (i > 0) array += ',';
        array += '"';
        for (char ch : *batch[i].payload) {
          if (ch == '"' || ch == '\\') array += '\\';
          array += ch;
        }
        array += '"';
      }
      array += '}';
      const char* values[] = {array.c_str()};
      bench::Result r(PQexecPrepared(c.get(), "plain_bulk", 1, values, nullptr, nullptr, 0), &PQclear);
      if (PQresultStatus(r.get()) != PGRES_COMMAND_OK) throw std::runtime_error(PQresultErrorMessage(r.get()));
    } else {
      for (const auto& e : batch) {
        const char* values[] = {e.payload->c_str()};
        bench::Result r(PQexecPrepared(c.get(), "plain_one", 1, values, nullptr, nullptr, 0), &PQclear);
        if (PQresultStatus(r.get()) != PGRES_COMMAND_OK) throw std::runtime_error(PQresultErrorMessage(r.get()));
      }
    }
    seconds = bench::ms_since(t0) / 1000.0;
  } else {
    const auto t0 = Clock::now();
    if (bulk) {
      producer.enqueue(batch);
    } else {
      for (const auto& e : batch) producer.enqueue(e);
    }
    seconds = bench::ms_since(t0) / 1000.0;
  }

  const long queued = scalar(admin.get(), "SELECT count(*) FROM runstore.executions WHERE status = 'queued'");
  if (queued != o.jobs) {
    throw std::runtime_error("verify: " + std::to_string(queued) + " queued; expected " + std::to_string(o.jobs));
  }
  print_rate(o, seconds);
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
    else if (a == "--workload")
      o.workload = next();
    else if (a == "--profile")
      o.profile = next();
    else if (a == "--concurrency")
      o.concurrency = std::stoi(next());
    else if (a == "--jobs")
      o.jobs = std::stol(next());
    else if (a == "--workspaces")
      o.workspaces = std::stol(next());
    else if (a == "--batch-size")
      o.batch_size = std::stoi(next());
    else
      throw std::runtime_error("unknown option " + a);
  }
  if (o.profile != "default" && o.profile != "tuned" && o.profile != "plain")
    throw std::runtime_error("--profile: default, tuned or plain (enqueue only)");
  if (o.concurrency < 1) throw std::runtime_error("--concurrency: at least 1");
  if (o.jobs < 1) throw std::runtime_error("--jobs: at least 1");
  if (o.batch_size < 1) throw std::runtime_error("--batch-size: at least 1");
  return o;
}

}  // namespace

int main(int argc, char** argv) try {
  const Options o = parse(argc, argv);
  workspaces = o.workspaces;
  if (o.workload == "drain")
    drain(o);
  else if (o.workload == "pickup")
    pickup(o);
  else if (o.workload == "enqueue-bulk")
    enqueue(o, true);
  else if (o.workload == "enqueue-single")
    enqueue(o, false);
  else
    throw std::runtime_error("--workload: drain, pickup, enqueue-bulk or enqueue-single");
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "peer_runstore: %s\n", e.what());
  return 1;
}
