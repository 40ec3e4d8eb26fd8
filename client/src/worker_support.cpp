// worker_support.cpp: see worker_support.hpp.
#include "worker_support.hpp"

#include <unistd.h>

#include <cstdio>

#include "runstore/errors.hpp"

namespace runstore::detail {

WorkerStats WorkerCounters::snapshot() const {
  WorkerStats s;
  s.claimed = claimed.load();
  s.succeeded = succeeded.load();
  s.failed = failed.load();
  s.leases_lost = leases_lost.load();
  s.released = released.load();
  return s;
}

WorkerLog::WorkerLog(std::string worker_name, std::function<void(const std::string&)> sink)
    : prefix_("runstore worker " + worker_name + ": "), sink_(std::move(sink)) {}

void WorkerLog::operator()(const std::string& message) const noexcept {
  // Logging must never take the worker down: a throwing sink is ignored.
  try {
    std::lock_guard<std::mutex> lock(mutex_);
    if (sink_) {
      sink_(message);
    } else {
      const std::string line = prefix_ + message + "\n";
      std::fwrite(line.data(), 1, line.size(), stderr);
    }
  } catch (...) {
  }
}

// Only the owning thread makes, unmakes and uses the client; the mutex
// keeps interrupt_waits (another thread) off a client being unmade.  The
// connection is made outside it, so an interrupt never waits for a connect.
Client& LazyClient::get() {
  if (client_) return *client_;
  Client made(options_);
  std::lock_guard<std::mutex> lock(mutex_);
  client_.emplace(std::move(made));
  if (interrupted_) client_->interrupt_waits();
  return *client_;
}

void LazyClient::reset() {
  std::lock_guard<std::mutex> lock(mutex_);
  client_.reset();
}

void LazyClient::interrupt_waits() noexcept {
  std::lock_guard<std::mutex> lock(mutex_);
  interrupted_ = true;
  if (client_) client_->interrupt_waits();
}

StoppableThread::StoppableThread(std::function<void(StopToken&)> body, std::function<void()> interrupt)
    : interrupt_(std::move(interrupt)), thread_([this, body = std::move(body)] { body(stop_); }) {}

void StoppableThread::stop() {
  stop_.request();
  if (interrupt_) interrupt_();
  if (thread_.joinable()) thread_.join();
}

std::string describe(const std::exception& e) {
  if (const auto* err = dynamic_cast<const Error*>(&e)) {
    return std::string(e.what()) + " (SQLSTATE " + err->sqlstate() + ")";
  }
  return e.what();
}

std::string default_worker_name() {
  char host[256] = {};
  if (gethostname(host, sizeof host - 1) != 0) host[0] = '\0';
  return std::string(host[0] ? host : "localhost") + ":" + std::to_string(getpid());
}

}  // namespace runstore::detail
