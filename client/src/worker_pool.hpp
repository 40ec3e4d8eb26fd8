// worker_pool.hpp: the handler threads (one per slot).
//
// The claim loop may hand over more executions than there are threads (it
// claims ahead of the handlers): those wait in the queue, in claim order,
// as Ledger::Phase::buffered, and a thread starts one only if its lease is
// still held (Ledger::start).  A finished handler's
// outcome goes to the Ledger, for the claim loop to write: the handler
// threads never touch the database.
//
// A finished handler rings the claim loop's bell only when the loop has
// something to decide: the first outcome since it last took them (it then
// times the batch's report_delay itself), a batch's worth waiting
// (set_batch), the queue shorter than the threads (claim more, or nothing
// else runs), or a newer claim of the same id waiting for this handler.
// Ringing for every handler that returns woke the loop once per execution:
// with short jobs, a write, a poll and a pass of the loop each, which took
// a fifth of a core from the database at 30,000 jobs a second.
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "runstore/execution.hpp"
#include "runstore/worker.hpp"
#include "worker_ledger.hpp"
#include "worker_wakeup.hpp"

namespace runstore::detail {

class HandlerPool {
 public:
  HandlerPool(int threads, const Handler& handler, Ledger& ledger, const Wakeup& wakeup);
  ~HandlerPool();  // stop_and_join()
  HandlerPool(const HandlerPool&) = delete;
  HandlerPool& operator=(const HandlerPool&) = delete;

  struct Job {
    Execution execution;
    std::shared_ptr<JobContext> ctx;
  };
  void submit(Execution execution, std::shared_ptr<JobContext> ctx);
  // A claim's executions at once: one lock, and one wake-up of the threads
  // (not one per execution, each of which a sleeping thread pays for).
  void submit(std::vector<Job> jobs);
  // Executions submitted and not yet taken by a thread.
  [[nodiscard]] std::size_t queued() const;
  // Takes them all back (shutdown: they are released unstarted).
  std::vector<HeldLease> take_queued();
  // Lets the queued jobs run, then waits for every handler to return.
  void stop_and_join();
  // How many waiting outcomes make a batch (the loop's current batch size).
  void set_batch(std::size_t outcomes) { batch_.store(outcomes == 0 ? 1 : outcomes); }

 private:
  void thread_main();
  HandlerResult call_handler(const Job& job) const;

  const Handler& handler_;
  Ledger& ledger_;
  const Wakeup& wakeup_;
  mutable std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<Job> queue_;
  std::atomic<std::size_t> queued_{0};  // queue_.size(), readable without the mutex
  bool stopping_ = false;
  std::vector<std::thread> threads_;
  const std::size_t thread_count_;
  std::atomic<std::size_t> batch_{1};
};

}  // namespace runstore::detail
