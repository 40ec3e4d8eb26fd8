// worker_lane.cpp: see worker_lane.hpp.
#include "worker_lane.hpp"

#include <stdexcept>

namespace runstore::detail {

StepLane::StepLane(ClientOptions client, std::string worker, std::chrono::milliseconds lease, const Wakeup& wakeup)
    : client_(std::move(client)),
      worker_(std::move(worker)),
      lease_(lease),
      wakeup_(wakeup),
      thread_([this](StopToken& stop) { thread_main(stop); },
              [this] {
                std::lock_guard<std::mutex> lock(mutex_);
                cv_.notify_all();
              }) {}

StepLane::~StepLane() { thread_.stop(); }

bool StepLane::busy() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return busy_;
}

void StepLane::send(Request request) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    busy_ = true;
    request_ = std::move(request);
  }
  cv_.notify_all();
}

std::optional<StepLane::Answer> StepLane::take() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!answer_) return std::nullopt;
  std::optional<Answer> out = std::move(answer_);
  answer_.reset();
  busy_ = false;
  return out;
}

Client& StepLane::idle_client() {
  if (busy()) throw std::logic_error("StepLane::idle_client while a step is on its way");
  return client_.get();
}

void StepLane::thread_main(StopToken& stop) {
  for (;;) {
    Request request;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      // A step already handed over is carried out even when a stop comes:
      // the loop waits for its answer before it writes anything else.
      cv_.wait(lock, [&] { return request_.has_value() || stop.requested(); });
      if (!request_) return;
      request = std::move(*request_);
      request_.reset();
    }
    Answer answer;
    try {
      if (request.completions.empty() && request.failures.empty()) {
        answer.reported.claimed = client_.get().dequeue(worker_, request.claim, lease_);
      } else {
        answer.reported =
            client_.get().report_and_dequeue(worker_, request.completions, request.failures, request.claim, lease_);
      }
    } catch (...) {
      answer.error = std::current_exception();
    }
    {
      std::lock_guard<std::mutex> lock(mutex_);
      answer_ = std::move(answer);
    }
    wakeup_.ring();
  }
}

}  // namespace runstore::detail
