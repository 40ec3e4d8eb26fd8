// worker_listener.hpp: the thread that turns enqueue notifications into
// wake-ups of the claim loop.
//
// It LISTENs on runstore_enqueued over a connection of its own and rings the
// claim loop's Wakeup for each notification, so new work starts at once
// instead of at the next poll.  The claim loop still polls: retries coming
// due after a backoff and ended leases send no notification, and a
// notification sent while this connection was down is lost.
#pragma once

#include <chrono>
#include <thread>

#include "runstore/client.hpp"
#include "worker_support.hpp"
#include "worker_wakeup.hpp"

namespace runstore::detail {

class EnqueueListener {
 public:
  // `client` should already be listening (the claim loop sets that up
  // before its first dequeue, so no enqueue after it is missed); if it is
  // empty or fails, the listener reconnects and listens again by itself.
  EnqueueListener(LazyClient client, bool listening, const Wakeup& wakeup, const WorkerLog& log,
                  std::chrono::milliseconds retry_delay);
  ~EnqueueListener();  // stop()
  EnqueueListener(const EnqueueListener&) = delete;
  EnqueueListener& operator=(const EnqueueListener&) = delete;

  void stop();

 private:
  void thread_main();

  LazyClient client_;
  bool listening_;
  const Wakeup& wakeup_;
  const WorkerLog& log_;
  std::chrono::milliseconds retry_delay_;
  StopToken stop_;
  std::thread thread_;  // last: starts once everything above is ready
};

}  // namespace runstore::detail
