// worker_lane.hpp: one of the claim loop's connections, on a thread of its
// own, so that the loop can have a second round trip in flight while the
// first waits for the server (its statements and its commit's WAL flush).
//
// The loop hands a lane one step at a time (outcomes to write and how many
// executions to claim, runstore.report_and_dequeue's arguments) and goes on;
// the lane rings the loop's Wakeup when the answer (or the exception) is in,
// and the loop takes it.  A lane decides nothing: it only carries the call.
#pragma once

#include <condition_variable>
#include <exception>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "runstore/client.hpp"
#include "runstore/queue_types.hpp"
#include "worker_support.hpp"
#include "worker_wakeup.hpp"

namespace runstore::detail {

class StepLane {
 public:
  struct Request {
    std::vector<Completion> completions;
    std::vector<Failure> failures;
    int claim = 0;
  };
  struct Answer {
    Client::Reported reported;
    std::exception_ptr error;  // set if the call threw (after the client's retries)
  };

  StepLane(ClientOptions client, std::string worker, std::chrono::milliseconds lease, const Wakeup& wakeup);
  // Waits for a step in flight to come back (its answer is dropped).
  ~StepLane();
  StepLane(const StepLane&) = delete;
  StepLane& operator=(const StepLane&) = delete;

  // A step handed over and its answer not yet taken.
  [[nodiscard]] bool busy() const;
  // Hands over a step; the lane must not be busy.
  void send(Request request);
  // The answer, once it is in (the lane is then free again).
  std::optional<Answer> take();
  // The lane's connection, for the loop's own calls while the lane is not
  // busy (at shutdown, once every step came back): already open and warm,
  // where a connection opened then would cost the stop a backend's start.
  Client& idle_client();

 private:
  void thread_main(StopToken& stop);

  LazyClient client_;
  const std::string worker_;
  const std::chrono::milliseconds lease_;
  const Wakeup& wakeup_;
  mutable std::mutex mutex_;
  std::condition_variable cv_;
  std::optional<Request> request_;
  std::optional<Answer> answer_;
  bool busy_ = false;
  StoppableThread thread_;  // last: starts once everything above is ready
};

}  // namespace runstore::detail
