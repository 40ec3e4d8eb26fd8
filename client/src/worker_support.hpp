// worker_support.hpp: small pieces every part of the Worker runtime shares:
// the counters behind WorkerStats, the serialized log, and a Client that is
// (re)made on first use, so a worker can start while the server is down.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "runstore/client.hpp"
#include "runstore/worker.hpp"

namespace runstore::detail {

// Atomics: handler threads, the heartbeat and the claim loop all count,
// stats() reads from any thread.
struct WorkerCounters {
  std::atomic<std::uint64_t> claimed{0};
  std::atomic<std::uint64_t> succeeded{0};
  std::atomic<std::uint64_t> failed{0};
  std::atomic<std::uint64_t> leases_lost{0};
  std::atomic<std::uint64_t> released{0};

  [[nodiscard]] WorkerStats snapshot() const;
};

// One mutex around the user's log function: it is called from the claim
// loop, the heartbeat and the waiter, and need not be thread-safe itself.
class WorkerLog {
 public:
  WorkerLog(std::string worker_name, std::function<void(const std::string&)> sink);
  void operator()(const std::string& message) const noexcept;

 private:
  std::string prefix_;
  std::function<void(const std::string&)> sink_;
  mutable std::mutex mutex_;
};

// A Client made on first use.  Client's constructor connects and throws when
// the server is unreachable; deferring it lets every thread treat "cannot
// connect" like any other failed call: log, back off, try again.  Once made,
// the Client reconnects by itself (per its retry policy).
class LazyClient {
 public:
  explicit LazyClient(ClientOptions options) : options_(std::move(options)) {}
  Client& get();
  // Forget the connection, e.g. after a failure left its session in doubt.
  void reset();
  // From another thread: Client::interrupt_waits() on the client, now and
  // on any made later.
  void interrupt_waits() noexcept;

 private:
  ClientOptions options_;
  std::mutex mutex_;  // around client_'s making and unmaking, for interrupt_waits
  std::optional<Client> client_;
  bool interrupted_ = false;
};

// Stops a background thread (heartbeat, waiter): a flag plus a condition
// variable, so the thread's sleeps end as soon as it is told to stop.
class StopToken {
 public:
  void request() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stop_ = true;
    }
    cv_.notify_all();
  }
  [[nodiscard]] bool requested() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return stop_;
  }
  // Sleeps up to `d`; true if stop was requested.
  bool sleep_for(std::chrono::milliseconds d) {
    std::unique_lock<std::mutex> lock(mutex_);
    return cv_.wait_for(lock, d, [this] { return stop_; });
  }

 private:
  mutable std::mutex mutex_;
  std::condition_variable cv_;
  bool stop_ = false;
};

// A background thread of the worker (heartbeat, waiter) with its StopToken:
// started at construction, stopped and joined at the latest on destruction.
// Its owner declares it as its last member, so the thread starts once every
// other member is ready and, being destroyed first, is joined before any of
// them goes away.  Neither copyable nor movable: the thread holds `this`.
class StoppableThread {
 public:
  // Runs `body(token)` on the new thread.  `interrupt`, if given, is called
  // by stop() after the stop is requested and before the join: for a body
  // that may be blocked on something other than the token.
  explicit StoppableThread(std::function<void(StopToken&)> body, std::function<void()> interrupt = nullptr);
  ~StoppableThread() { stop(); }
  StoppableThread(const StoppableThread&) = delete;
  StoppableThread& operator=(const StoppableThread&) = delete;

  // Requests the stop and waits for the thread to end; later calls do nothing
  // more.
  void stop();

 private:
  StopToken stop_;
  std::function<void()> interrupt_;
  std::thread thread_;  // last: starts once the token is ready
};

// The text of an exception, for the log.
std::string describe(const std::exception& e);

// "<hostname>:<pid>", the default worker name.
std::string default_worker_name();

}  // namespace runstore::detail
