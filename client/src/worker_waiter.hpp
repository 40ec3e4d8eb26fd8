// worker_waiter.hpp: the thread that waits in the database for work to come
// due while the claim loop is idle, and wakes the claim loop.
//
// While the claim loop is idle (its last claim returned fewer executions
// than it asked for, and no outcome was left to write), this thread CALLs
// runstore.wait_for_work on a connection of its own, in short slices, and
// rings the claim loop's Wakeup when the answer is that work is due: a
// transaction that made work due wakes the wait when it commits, so new work
// starts at once instead of at the next poll.  It waits only while the claim
// loop is idle: with every slot busy, due work is no news, and the
// procedure, which returns at once while work is due, would be called in a
// busy loop.  After it rang, it waits for the claim loop's next idle step
// before it asks again.
//
// The claim loop still polls (poll_interval): the waiter's connection may be
// down, the role may not be allowed to wait (docs/roles.sql's worker role:
// the thread then ends and says so), the connection may go through a
// pooler (a wait would hold one of its few server connections for its whole
// length, and a transaction pooler cannot keep a session for it: unless the
// worker was given a connection of its own for waiting, the thread checks
// once, and ends and says so), and due work the claim cannot take
// (rows another transaction holds locked) makes the waiter back off to the
// poll's pace.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>

#include "runstore/client.hpp"
#include "worker_support.hpp"
#include "worker_wakeup.hpp"

namespace runstore::detail {

// What the claim loop tells the waiter after each step: whether it is idle.
// Steps that end idle are numbered, and the executions claimed are counted,
// so the waiter can tell whether the claim loop has answered its ring yet
// and whether that answer claimed anything.
class IdleState {
 public:
  struct Seen {
    std::uint64_t idle_step = 0;  // number of the last step that ended idle
    std::uint64_t claimed = 0;    // executions claimed by all steps so far
  };

  // The claim loop, after each step (`claimed`: executions that step claimed).
  void report(bool idle, std::size_t claimed);

  // Waits until the claim loop is idle after a step numbered `from` or
  // later; nullopt once `stop` is requested (call interrupt() after
  // requesting it).
  std::optional<Seen> wait_idle(std::uint64_t from, const StopToken& stop);
  // Ends a wait_idle() that should look at its StopToken again.
  void interrupt();

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  bool idle_ = false;
  Seen seen_;
};

class WorkWaiter {
 public:
  struct Settings {
    // One wait_for_work call lasts at most this long: also about how long
    // stop() may take.
    std::chrono::milliseconds slice;
    // After a failed call: the pause before the next try.
    std::chrono::milliseconds retry_delay;
    // The claim loop's poll interval: the waiter's pace while due work
    // keeps turning out unclaimable.
    std::chrono::milliseconds poll_interval;
    // Check first whether the connection goes through a pooler, and if so
    // leave the finding of work to the poll.  Off for a connection given
    // for waiting (WorkerOptions::listen_conninfo).
    bool poll_behind_pooler;
  };

  // `client`'s options name the database and queue_function_schema; the
  // connection is made on the first wait (and again after a failure).
  // The thread starts at once; destruction stops it (stop()).
  WorkWaiter(ClientOptions client, IdleState& idle, const Wakeup& wakeup, const WorkerLog& log, Settings settings);

  void stop() { thread_.stop(); }

 private:
  void thread_main(StopToken& stop);

  LazyClient client_;
  IdleState& idle_;
  const Wakeup& wakeup_;
  const WorkerLog& log_;
  Settings settings_;
  StoppableThread thread_;  // last: starts once everything above is ready
};

}  // namespace runstore::detail
