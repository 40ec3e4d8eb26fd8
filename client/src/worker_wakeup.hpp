// worker_wakeup.hpp: the claim loop's doorbell, a self-pipe.
//
// A pipe rather than a condition variable because request_stop() must work
// from a signal handler, where only async-signal-safe calls (write) are
// allowed.  Everyone else rings it too (a handler finished, the waiter found
// work due), so the claim loop waits on one thing.  The data it guards lives
// behind mutexes and atomics elsewhere; the bell only says "look again".
#pragma once

#include <chrono>

namespace runstore::detail {

class Wakeup {
 public:
  Wakeup();  // throws std::system_error if no pipe can be made
  ~Wakeup();
  Wakeup(const Wakeup&) = delete;
  Wakeup& operator=(const Wakeup&) = delete;

  // Async-signal-safe.  Both ends are non-blocking: when the pipe is full a
  // ring is already pending, so a failed write loses nothing.
  void ring() const noexcept;

  // Waits until rung or `timeout` passed; consumes every pending ring.
  // True if rung.
  bool wait(std::chrono::milliseconds timeout) const;

 private:
  int read_fd_ = -1;
  int write_fd_ = -1;
};

}  // namespace runstore::detail
