// retrying.cpp: see retrying.hpp.
#include "retrying.hpp"

#include <algorithm>
#include <random>

namespace runstore::detail {

std::chrono::milliseconds full_jitter_delay(const RetryPolicy& policy, int retry) {
  // Doubling stops at 2^20 so the ceiling cannot overflow.
  const int doublings = std::clamp(retry - 1, 0, 20);
  const auto base = std::max<std::int64_t>(policy.initial_backoff.count(), 0);
  const auto ceiling = std::min<std::int64_t>(std::max<std::int64_t>(policy.max_backoff.count(), 0),
                                              base << doublings);
  thread_local std::mt19937_64 rng{std::random_device{}()};
  std::uniform_int_distribution<std::int64_t> pick(0, std::max<std::int64_t>(ceiling, 0));
  return std::chrono::milliseconds(pick(rng));
}

}  // namespace runstore::detail
