// runstore/retry_policy.hpp: how the client retries transient faults.
//
// A call that fails with a transient fault (runstore::is_transient: lost
// connection, serialization failure, deadlock, admin shutdown, crash
// recovery, too many connections) is tried again after a delay drawn with
// "full jitter" (uniform in [0, min(max_backoff, initial_backoff * 2^n)), so
// many clients that lost one server do not all come back at the same moment.
// Retrying stops after max_attempts tries or once max_elapsed has passed,
// whichever comes first; the last error is then thrown.
#pragma once

#include <chrono>

namespace runstore {

struct RetryPolicy {
  int max_attempts = 8;  // tries in all, the first included; 1 = never retry
  std::chrono::milliseconds initial_backoff{50};
  std::chrono::milliseconds max_backoff{2000};
  std::chrono::milliseconds max_elapsed{30000};

  // One try, no retry: for callers with their own retry loop.
  [[nodiscard]] static RetryPolicy none() { return RetryPolicy{1, {}, {}, {}}; }
};

}  // namespace runstore
