// runstore/worker.hpp: runs a handler over dequeued executions.
//
//   runstore::WorkerOptions opts;
//   opts.conninfo = "dbname=app";
//   opts.name = "mailer-1";
//   runstore::Worker worker(opts, [](const runstore::Execution& e, runstore::JobContext& ctx) {
//     send_mail(*e.payload);                 // check ctx.stop_requested() in long work
//     return runstore::HandlerResult::success(R"({"sent":true})");
//   });
//   runstore::install_stop_signal_handlers(worker);  // SIGTERM/SIGINT -> request_stop()
//   worker.run();                                     // returns after a graceful stop
//
// The worker holds no decision of its own: it claims with runstore.dequeue,
// extends every held lease in one runstore.heartbeat call well before the
// leases end, and reports with runstore.complete / runstore.fail, always at
// the lease's attempt (the fencing token).  A handler whose lease was lost
// (expired and claimed again, cancelled) is told through
// JobContext::lease_lost() and its outcome is not written.  While it has a
// free slot and nothing is due, a thread of its own waits in
// runstore.wait_for_work (one connection, short waits), so an execution
// committed meanwhile starts at once; polling every poll_interval remains
// the fallback.  A worker uses three connections: claims and outcomes,
// heartbeats, and the wait.  Behind a connection pooler the wait needs a
// session of its own (it holds a server connection for its whole length):
// give it a direct one in listen_conninfo; without one, a worker that finds
// itself behind a pooler (Client::connected_through_pooler) says so once in
// its log and finds new work by polling.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "runstore/client.hpp"
#include "runstore/execution.hpp"
#include "runstore/queue_types.hpp"

namespace runstore {

struct WorkerOptions {
  std::string conninfo;  // libpq conninfo; empty = PG* environment
  // Where the wait for work connects (empty = PG* environment), typically
  // straight to PostgreSQL when conninfo goes through a pooler.  Unset: the
  // wait uses conninfo, unless that goes through a pooler (then: polling).
  std::optional<std::string> listen_conninfo;
  StatementMode statement_mode = StatementMode::prepared;
  // See ClientOptions::queue_function_schema ("runstore_worker" for the
  // worker role of docs/roles.sql).
  std::string queue_function_schema = "runstore";
  RetryPolicy retry;  // for every call the worker makes
  std::string name;   // lease owner; empty = "<hostname>:<pid>"
  int slots = 1;      // handlers running at once
  // Most executions one dequeue call claims; 0 = automatic (up to 500,
  // runstore.max_batch_size's default, as far as claim_ahead allows).
  int batch_size = 0;
  // Executions claimed ahead of the handlers, waiting in the worker for a
  // free slot: their leases are heartbeated like running ones, and they
  // are handed back unstarted (release_many: the attempt given back) when
  // the worker stops.  -1 = automatic: about as many as the handlers
  // finished in the last 100 ms, up to 1,000, so short jobs never wait for
  // a round trip while long ones are not hoarded from other workers.  0 =
  // claim only for free slots.
  int claim_ahead = -1;
  // How long a finished execution's outcome may wait to be written with
  // others (complete_many / fail_many with the next claim: one round trip,
  // one commit).  Sooner when a batch is ready or nothing else is running.
  std::chrono::milliseconds report_delay{5};
  std::chrono::milliseconds lease{30000};
  // Heartbeat period; zero = a third of the lease.
  std::chrono::milliseconds heartbeat_interval{0};
  // Look for due work this often even when no wake-up came: the fallback
  // for when the worker cannot wait in the database (its waiting
  // connection is down, or the role may not call runstore.wait_for_work).
  // The wait itself starts new work at once, and finds runs coming due
  // later (retries, scheduled runs, ended leases) within min(poll_interval,
  // 500 ms), each wait lasting that long at most.
  std::chrono::milliseconds poll_interval{1000};
  // After request_stop(): how long running handlers may take to finish
  // before their executions are released for retry.
  std::chrono::milliseconds shutdown_deadline{10000};
  // Run until nothing is due (for tests and batch jobs, like Graphile
  // Worker's runOnce): run() returns once a claim finds nothing due while no
  // handler is running and every outcome is written.  Executions coming due
  // later (retries in backoff, scheduled runs, leases of other workers that
  // end later) are left for another run.
  bool stop_when_idle = false;
  // Where the worker reports what it cannot act on itself: a call that still
  // failed after the client's retries (it backs off and tries again), a
  // lease lost, executions released at shutdown.  Calls are serialized, so
  // the function need not be thread-safe.  Empty = one line to stderr.
  std::function<void(const std::string& message)> log;
};

// What a handler returns: success with an optional JSON result, or failure.
struct HandlerResult {
  bool ok = true;
  std::optional<std::string> result;  // JSON text, on success
  std::string error;                  // on failure
  bool retryable = true;              // on failure

  static HandlerResult success(std::optional<std::string> result_json = std::nullopt) {
    return HandlerResult{true, std::move(result_json), {}, true};
  }
  static HandlerResult failure(std::string error, bool retryable = true) {
    return HandlerResult{false, std::nullopt, std::move(error), retryable};
  }
};

// Given to a handler alongside its execution.
class JobContext {
 public:
  // The worker is shutting down (request_stop() was called), or this lease
  // was lost: finish soon.  A handler that returns within the shutdown
  // deadline still has its result written (unless the lease was lost).
  [[nodiscard]] bool stop_requested() const { return stop_.load() || lost_.load(); }
  // The lease is gone: whatever the handler returns is not written.
  [[nodiscard]] bool lease_lost() const { return lost_.load(); }
  [[nodiscard]] const HeldLease& lease() const { return lease_; }

  // For the worker runtime.
  explicit JobContext(HeldLease lease) : lease_(lease) {}
  void mark_lost() { lost_.store(true); }
  void mark_stopping() { stop_.store(true); }

 private:
  HeldLease lease_;
  std::atomic<bool> lost_{false};
  std::atomic<bool> stop_{false};
};

// A handler returns a HandlerResult; an exception it throws is a retryable
// failure with the exception's what() as the error.
using Handler = std::function<HandlerResult(const Execution&, JobContext&)>;

// Counters, for logs, tests and benchmarks.
struct WorkerStats {
  std::uint64_t claimed = 0;
  std::uint64_t succeeded = 0;
  std::uint64_t failed = 0;       // fail() calls made (requeued or final)
  std::uint64_t leases_lost = 0;  // handlers fenced off
  std::uint64_t released = 0;     // handed back at shutdown
};

class Worker {
 public:
  Worker(WorkerOptions options, Handler handler);
  ~Worker();
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  // Claims and runs executions until request_stop() (or, with
  // stop_when_idle, until nothing is due); then stops claiming,
  // waits up to shutdown_deadline for running handlers, releases the
  // executions of handlers still running (fail, retryable: they run again
  // elsewhere), and returns once every handler has returned.  Errors from
  // the database (server down longer than the retry policy allows) are
  // logged and retried later, never thrown.  Call it once per Worker.
  void run();

  // Safe from any thread and from a signal handler (it only stores an atomic
  // flag and writes one byte to a pipe).
  void request_stop() noexcept;

  [[nodiscard]] WorkerStats stats() const;
  [[nodiscard]] const std::string& name() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Routes SIGTERM and SIGINT to worker.request_stop() for the life of the
// process (one worker at a time).
void install_stop_signal_handlers(Worker& worker);

}  // namespace runstore
