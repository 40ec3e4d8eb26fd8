/*
 * retry_backoff.hpp: how long a failed execution waits before its next
 * attempt (pure C++ zone).
 */
#pragma once

#include <cstdint>

namespace runstore::core {

/*
 * Exponential backoff with full jitter: a delay drawn uniformly from
 * [0, min(cap_ms, base_ms * 2^(attempt - 1))) milliseconds, where `attempt`
 * is the attempt that just failed (1 for the first).  Full jitter spreads the
 * retries of executions that failed together (a database or downstream
 * outage) instead of bringing them back in one wave.  `unit_random` is a
 * uniform draw from [0, 1).  Never overflows: the exponent is clamped, and
 * attempts below 1 count as 1.
 */
double BackoffDelayMs(std::int32_t attempt, double base_ms, double cap_ms, double unit_random) noexcept;

} // namespace runstore::core
