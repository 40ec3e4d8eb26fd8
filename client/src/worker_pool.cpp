// worker_pool.cpp: see worker_pool.hpp.
#include "worker_pool.hpp"

#include <exception>

namespace runstore::detail {

HandlerPool::HandlerPool(int threads, const Handler& handler, Ledger& ledger, const Wakeup& wakeup)
    : handler_(handler), ledger_(ledger), wakeup_(wakeup), thread_count_(static_cast<std::size_t>(threads)) {
  try {
    for (int i = 0; i < threads; ++i) threads_.emplace_back([this] { thread_main(); });
  } catch (...) {
    stop_and_join();  // the destructor does not run for a half-built pool
    throw;
  }
}

HandlerPool::~HandlerPool() { stop_and_join(); }

void HandlerPool::submit(Execution execution, std::shared_ptr<JobContext> ctx) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    queue_.push_back(Job{std::move(execution), std::move(ctx)});
    queued_.store(queue_.size());
  }
  cv_.notify_one();
}

void HandlerPool::submit(std::vector<Job> jobs) {
  if (jobs.empty()) return;
  const bool several = jobs.size() > 1;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    for (Job& job : jobs) queue_.push_back(std::move(job));
    queued_.store(queue_.size());
  }
  if (several) {
    cv_.notify_all();
  } else {
    cv_.notify_one();
  }
}

std::size_t HandlerPool::queued() const { return queued_.load(); }

std::vector<HeldLease> HandlerPool::take_queued() {
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<HeldLease> out;
  out.reserve(queue_.size());
  for (const Job& job : queue_) out.push_back(job.ctx->lease());
  queue_.clear();
  queued_.store(0);
  return out;
}

void HandlerPool::stop_and_join() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  cv_.notify_all();
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
  threads_.clear();
}

void HandlerPool::thread_main() {
  for (;;) {
    Job job;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, and nothing left to run
      job = std::move(queue_.front());
      queue_.pop_front();
      queued_.store(queue_.size());
    }
    // Lost (or released) while it waited in the buffer: it must not run.
    // Reported all the same, so the claim loop drops the claim and frees
    // its place.
    HandlerResult result = ledger_.start(job.ctx->lease())
                               ? call_handler(job)
                               : HandlerResult::failure("lease lost before the handler started", true);
    const Ledger::Finished f = ledger_.finish(Outcome{job.ctx->lease(), std::move(result)});
    if (f.outcomes_waiting == 1 || f.outcomes_waiting >= batch_.load() || f.claim_waits || queued() < thread_count_) {
      wakeup_.ring();
    }
  }
}

// A throwing handler is a retryable failure: the exception says what went
// wrong, and another attempt may well succeed.
HandlerResult HandlerPool::call_handler(const Job& job) const {
  try {
    return handler_(job.execution, *job.ctx);
  } catch (const std::exception& e) {
    return HandlerResult::failure(e.what(), true);
  } catch (...) {
    return HandlerResult::failure("handler threw an exception that is not a std::exception", true);
  }
}

}  // namespace runstore::detail
