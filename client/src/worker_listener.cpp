// worker_listener.cpp: see worker_listener.hpp.
#include "worker_listener.hpp"

#include <exception>

namespace runstore::detail {

namespace {
// How long one wait for a notification lasts: also how long stop() may take.
constexpr std::chrono::milliseconds kWaitSlice{200};
}  // namespace

EnqueueListener::EnqueueListener(LazyClient client, bool listening, const Wakeup& wakeup, const WorkerLog& log,
                                 std::chrono::milliseconds retry_delay)
    : client_(std::move(client)),
      listening_(listening),
      wakeup_(wakeup),
      log_(log),
      retry_delay_(retry_delay),
      thread_([this] { thread_main(); }) {}

EnqueueListener::~EnqueueListener() { stop(); }

void EnqueueListener::stop() {
  stop_.request();
  if (thread_.joinable()) thread_.join();
}

void EnqueueListener::thread_main() {
  bool failing = false;
  while (!stop_.requested()) {
    try {
      if (!listening_) {
        client_.get().listen_for_enqueues();
        listening_ = true;
        // Enqueues made while we were not listening sent their notification
        // to nobody: have the claim loop look now rather than at its next poll.
        wakeup_.ring();
      }
      if (client_.get().wait_for_enqueue(kWaitSlice)) wakeup_.ring();
      if (failing) log_("listening for enqueue notifications again");
      failing = false;
    } catch (const std::exception& e) {
      if (!failing) log_("listening for enqueues failed (polling meanwhile): " + describe(e));
      failing = true;
      // The session (and its LISTEN) may be gone: start from a fresh one.
      client_.reset();
      listening_ = false;
      if (stop_.sleep_for(retry_delay_)) return;
    }
  }
}

}  // namespace runstore::detail
