// retrying.cpp: see retrying.hpp.  The delay is the extension's own
// full-jitter formula (runstore/core/retry_backoff.hpp, the one that spaces a
// failed execution's attempts), fed with this thread's random numbers.
#include "retrying.hpp"

#include <cmath>
#include <random>

#include "runstore/core/retry_backoff.hpp"

namespace runstore::detail {

std::chrono::milliseconds full_jitter_delay(const RetryPolicy& policy, int retry) {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  const double ms = core::BackoffDelayMs(retry, static_cast<double>(policy.initial_backoff.count()),
                                         static_cast<double>(policy.max_backoff.count()), unit(rng));
  return std::chrono::milliseconds(static_cast<std::int64_t>(std::floor(ms)));
}

}  // namespace runstore::detail
