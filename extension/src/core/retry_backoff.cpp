/*
 * retry_backoff.cpp: see retry_backoff.hpp.
 */
#include "runstore/core/retry_backoff.hpp"

#include <algorithm>
#include <cmath>

#include "runstore/core/cpp_only.hpp"

namespace runstore::core {

double
BackoffDelayMs(std::int32_t attempt, double base_ms, double cap_ms, double unit_random) noexcept
{
	/* 2^62 ms is far beyond any cap a GUC allows; clamping keeps ldexp finite. */
	/* In 64 bits: attempt - 1 would overflow for attempt = INT32_MIN. */
	const auto exponent = static_cast<int>(std::clamp<std::int64_t>(std::int64_t{attempt} - 1, 0, 62));
	const double ceiling = std::min(cap_ms, std::ldexp(base_ms, exponent));
	return std::max(0.0, ceiling * std::clamp(unit_random, 0.0, 1.0));
}

} // namespace runstore::core
