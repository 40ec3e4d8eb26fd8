// worker_pool.hpp: the handler threads (one per slot).
//
// The claim loop may hand over more executions than there are threads (it
// claims ahead of the handlers): those wait in the queue, in claim order,
// as Ledger::Phase::buffered, and a thread starts one only if its lease is
// still held (Ledger::start).  A finished handler's
// outcome goes to the Ledger and the claim loop is woken to write it: the
// handler threads never touch the database.
#pragma once

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

  void submit(Execution execution, std::shared_ptr<JobContext> ctx);
  // Executions submitted and not yet taken by a thread.
  [[nodiscard]] std::size_t queued() const;
  // Takes them all back (shutdown: they are released unstarted).
  std::vector<HeldLease> take_queued();
  // Lets the queued jobs run, then waits for every handler to return.
  void stop_and_join();

 private:
  struct Job {
    Execution execution;
    std::shared_ptr<JobContext> ctx;
  };
  void thread_main();
  HandlerResult call_handler(const Job& job) const;

  const Handler& handler_;
  Ledger& ledger_;
  const Wakeup& wakeup_;
  mutable std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<Job> queue_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace runstore::detail
