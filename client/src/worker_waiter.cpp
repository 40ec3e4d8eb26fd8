// worker_waiter.cpp: see worker_waiter.hpp.
#include "worker_waiter.hpp"

#include <algorithm>
#include <chrono>
#include <exception>
#include <string>

#include "runstore/errors.hpp"

namespace runstore::detail {

namespace {

// Rings in a row whose answer claimed nothing before the waiter slows to the
// poll's pace.  One alone is normal: another worker took the execution
// first, or the claim loop's step was already under way when the bell rang
// (the ring then makes it look again at once).
constexpr int kFruitlessRingsBeforeBackoff = 2;
// The first backoff after them, doubled per fruitless ring up to the poll interval.
constexpr std::chrono::milliseconds kFirstBackoff{10};

// Class 42: the procedure is missing (an extension older than 0.2.0, or a
// queue_function_schema without it, such as docs/roles.sql's
// runstore_worker) or the role may not call it.  Trying again changes
// nothing.
bool cannot_wait(const std::exception& e) {
  const auto* err = dynamic_cast<const Error*>(&e);
  return err != nullptr && err->sqlstate().rfind("42", 0) == 0;
}

}  // namespace

void IdleState::report(bool idle, std::size_t claimed) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    seen_.claimed += claimed;
    idle_ = idle;
    if (idle) ++seen_.idle_step;
  }
  if (idle) cv_.notify_all();
}

std::optional<IdleState::Seen> IdleState::wait_idle(std::uint64_t from, const StopToken& stop) {
  std::unique_lock<std::mutex> lock(mutex_);
  cv_.wait(lock, [&] { return stop.requested() || (idle_ && seen_.idle_step >= from); });
  if (stop.requested()) return std::nullopt;
  return seen_;
}

void IdleState::interrupt() {
  // Under the lock: a waiter between its check and its wait cannot miss it.
  std::lock_guard<std::mutex> lock(mutex_);
  cv_.notify_all();
}

WorkWaiter::WorkWaiter(ClientOptions client, IdleState& idle, const Wakeup& wakeup, const WorkerLog& log,
                       Settings settings)
    : client_(std::move(client)),
      idle_(idle),
      wakeup_(wakeup),
      log_(log),
      settings_(settings),
      // A stop must also end a wait for the claim loop to go idle, and a
      // wait_for_work in progress (up to a slice, 500 ms, otherwise).
      thread_([this](StopToken& stop) { thread_main(stop); },
              [this] {
                idle_.interrupt();
                client_.interrupt_waits();
              }) {}

void WorkWaiter::thread_main(StopToken& stop) {
  std::uint64_t from = 1;               // wait while idle at this step or a later one
  std::optional<IdleState::Seen> rang;  // where the claim loop stood at our last ring
  int fruitless = 0;                    // rings in a row whose answer claimed nothing
  bool failing = false;
  bool pooler_checked = !settings_.poll_behind_pooler;
  for (;;) {
    const auto seen = idle_.wait_idle(from, stop);
    if (!seen) return;
    if (rang) {
      // An idle step after the ring: the claim loop's answer to it.
      fruitless = seen->claimed == rang->claimed ? fruitless + 1 : 0;
      rang.reset();
      // Work is due that this worker's claims do not get (rows another
      // transaction holds locked, say), so wait_for_work keeps returning at
      // once: back off, doubling from 10 ms up to the claim loop's poll
      // interval.  Not the whole interval at once: a ring also comes up
      // empty when a step already under way claimed the work the ring was
      // for, more often where steps take longer (a Citus coordinator), and
      // the next job would then wait out the interval.
      if (fruitless >= kFruitlessRingsBeforeBackoff) {
        const int doublings = std::min(fruitless - kFruitlessRingsBeforeBackoff, 10);
        const auto backoff = std::min(settings_.poll_interval, kFirstBackoff * (1 << doublings));
        if (stop.sleep_for(backoff)) return;
      }
    }
    bool due = false;
    try {
      if (!pooler_checked) {
        if (client_.get().connected_through_pooler()) {
          log_("connected through a connection pooler: finding new work by polling every " +
               std::to_string(settings_.poll_interval.count()) +
               " ms (to be woken when work comes due, give the worker a direct connection to wait on: "
               "listen_conninfo, runstore worker --listen-dsn)");
          return;
        }
        pooler_checked = true;
      }
      due = client_.get().wait_for_work(settings_.slice);
      if (failing) {
        log_("waiting for work again");
        failing = false;
        due = true;  // back after a failure: have the claim loop look now
      }
    } catch (const std::exception& e) {
      // A stop ends a wait in progress with a cancel (interrupt_waits): not a failure.
      if (stop.requested()) return;
      if (cannot_wait(e)) {
        log_("cannot wait for work in the database (" + describe(e) + "); finding new work by polling every " +
             std::to_string(settings_.poll_interval.count()) + " ms");
        return;
      }
      if (!failing) log_("waiting for work failed (polling meanwhile): " + describe(e));
      failing = true;
      client_.reset();  // start again from a fresh session
      if (stop.sleep_for(settings_.retry_delay)) return;
      continue;
    }
    if (!due) {
      fruitless = 0;           // nothing is due: any earlier work went elsewhere
      from = seen->idle_step;  // still idle at the same step: wait again
      continue;
    }
    wakeup_.ring();
    rang = *seen;
    from = seen->idle_step + 1;  // ask again only after the claim loop answered
  }
}

}  // namespace runstore::detail
