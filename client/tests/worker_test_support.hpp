// worker_test_support.hpp: helpers shared by the Worker tests: a worker run
// on a thread of its own (stopped and joined however the test ends), and
// waiting for a condition with a bound, so no test can hang.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "runstore/worker.hpp"
#include "test_database.hpp"

namespace runstore::testing {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// Options for a worker on this process's test database, with a retry
// policy patient enough for a server restart, waiting for work over
// test_listen_conninfo() when the tests run behind a pooler.
inline WorkerOptions worker_options(const std::string& name) {
  WorkerOptions o;
  o.conninfo = test_conninfo();
  o.name = name;
  o.retry.max_attempts = 30;
  o.retry.max_elapsed = std::chrono::milliseconds(15000);
  o.poll_interval = 200ms;
  o.listen_conninfo = test_listen_conninfo();
  return o;
}

// Polls `pred` every 20 ms until it holds or `timeout` passes.
inline bool eventually(const std::function<bool()>& pred, std::chrono::milliseconds timeout = 15000ms) {
  const auto until = Clock::now() + timeout;
  while (Clock::now() < until) {
    if (pred()) return true;
    std::this_thread::sleep_for(20ms);
  }
  return pred();
}

inline int count_sql(const std::string& sql) { return std::stoi(exec_sql(sql)); }

// A log sink that keeps the lines (and echoes them, for failing tests).
class CapturedLog {
 public:
  std::function<void(const std::string&)> sink() {
    return [this](const std::string& line) {
      std::lock_guard<std::mutex> lock(mutex_);
      lines_.push_back(line);
    };
  }
  bool contains(const std::string& needle) const {
    std::lock_guard<std::mutex> lock(mutex_);
    for (const auto& l : lines_) {
      if (l.find(needle) != std::string::npos) return true;
    }
    return false;
  }
  std::string all() const {
    std::lock_guard<std::mutex> lock(mutex_);
    std::string out;
    for (const auto& l : lines_) out += l + "\n";
    return out;
  }

 private:
  mutable std::mutex mutex_;
  std::vector<std::string> lines_;
};

// Runs worker.run() on a thread.  stop() requests a stop and joins; the
// destructor does so too, so a failed assertion never leaves a thread.
class WorkerThread {
 public:
  WorkerThread(WorkerOptions options, Handler handler)
      : worker_(std::move(options), std::move(handler)), thread_([this] {
          worker_.run();
          returned_at_ = Clock::now();
        }) {}
  ~WorkerThread() { stop(); }

  Worker& worker() { return worker_; }
  // Requests a stop and waits for run() to return; the time it returned.
  Clock::time_point stop() {
    worker_.request_stop();
    if (thread_.joinable()) thread_.join();
    return returned_at_;
  }
  // Joins without requesting (someone else asked, e.g. a signal).
  Clock::time_point join() {
    if (thread_.joinable()) thread_.join();
    return returned_at_;
  }

 private:
  Worker worker_;
  Clock::time_point returned_at_{};
  std::thread thread_;  // last: starts once the worker exists
};

}  // namespace runstore::testing
