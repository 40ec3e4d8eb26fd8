// worker.cpp: runstore::Worker's public surface: options checked and
// resolved, stop requests, stats, and the SIGTERM/SIGINT hook.  The work
// itself is in worker_loop.cpp (claims and outcomes), worker_pool.cpp
// (handler threads), worker_heartbeat.cpp and worker_waiter.cpp.
#include "runstore/worker.hpp"

#include <csignal>
#include <stdexcept>

#include "worker_loop.hpp"
#include "worker_support.hpp"
#include "worker_wakeup.hpp"

namespace runstore {

namespace {

using std::chrono::milliseconds;

// Fails fast on options the database would refuse on every call, rather
// than logging the same error forever from run().
WorkerOptions resolve(WorkerOptions o) {
  if (o.slots < 1) throw std::invalid_argument("runstore::Worker: slots must be at least 1");
  if (o.batch_size < 0) throw std::invalid_argument("runstore::Worker: batch_size must not be negative");
  if (o.claim_ahead < -1) throw std::invalid_argument("runstore::Worker: claim_ahead must be -1 (automatic) or more");
  if (o.report_delay < milliseconds(0)) {
    throw std::invalid_argument("runstore::Worker: report_delay must not be negative");
  }
  if (o.lease < milliseconds(1) || o.lease > milliseconds(7LL * 24 * 3600 * 1000)) {
    throw std::invalid_argument("runstore::Worker: lease must be between 1 ms and 7 days");
  }
  if (o.heartbeat_interval < milliseconds(0)) {
    throw std::invalid_argument("runstore::Worker: heartbeat_interval must not be negative");
  }
  if (o.poll_interval < milliseconds(1)) {
    throw std::invalid_argument("runstore::Worker: poll_interval must be at least 1 ms");
  }
  if (o.shutdown_deadline < milliseconds(0)) {
    throw std::invalid_argument("runstore::Worker: shutdown_deadline must not be negative");
  }
  if (o.name.empty()) o.name = detail::default_worker_name();
  if (o.heartbeat_interval == milliseconds(0)) {
    o.heartbeat_interval = std::max(o.lease / 3, milliseconds(1));
  }
  if (o.heartbeat_interval >= o.lease) {
    // Every lease would end between two beats: each handler fenced off.
    throw std::invalid_argument("runstore::Worker: heartbeat_interval must be shorter than the lease");
  }
  return o;
}

// The worker SIGTERM/SIGINT are routed to.  Lock-free atomic: read from a
// signal handler.
std::atomic<Worker*> g_signal_target{nullptr};
static_assert(std::atomic<Worker*>::is_always_lock_free);
static_assert(std::atomic<bool>::is_always_lock_free);

extern "C" void runstore_worker_on_stop_signal(int) {
  if (Worker* w = g_signal_target.load()) w->request_stop();
}

}  // namespace

struct Worker::Impl {
  WorkerOptions options;
  Handler handler;
  detail::Wakeup wakeup;
  std::atomic<bool> stop{false};
  detail::WorkerCounters counters;
  detail::WorkerLog log;

  Impl(WorkerOptions o, Handler h)
      : options(resolve(std::move(o))), handler(std::move(h)), log(options.name, options.log) {
    if (!handler) throw std::invalid_argument("runstore::Worker: the handler is empty");
  }
};

Worker::Worker(WorkerOptions options, Handler handler)
    : impl_(std::make_unique<Impl>(std::move(options), std::move(handler))) {}

Worker::~Worker() {
  // A signal arriving later must not reach a destroyed worker.
  Worker* self = this;
  g_signal_target.compare_exchange_strong(self, nullptr);
}

void Worker::run() {
  detail::ClaimLoop loop(impl_->options, impl_->handler, impl_->wakeup, impl_->stop, impl_->counters, impl_->log);
  loop.run();
}

void Worker::request_stop() noexcept {
  impl_->stop.store(true);
  impl_->wakeup.ring();
}

WorkerStats Worker::stats() const { return impl_->counters.snapshot(); }

const std::string& Worker::name() const { return impl_->options.name; }

void install_stop_signal_handlers(Worker& worker) {
  g_signal_target.store(&worker);
  struct sigaction sa {};
  sa.sa_handler = runstore_worker_on_stop_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;  // the rest of the program's blocking calls go on
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGINT, &sa, nullptr);
}

}  // namespace runstore
