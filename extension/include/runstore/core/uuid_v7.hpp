/*
 * uuid_v7.hpp: time-ordered UUIDs (RFC 9562, version 7), pure C++.
 *
 * Layout: 48-bit big-endian Unix time in milliseconds, version 7, a 12-bit
 * counter (rand_a), the RFC variant, 62 random bits (rand_b).  The counter
 * implements RFC 9562 section 6.2 method 1: within one generator, ids are
 * strictly increasing even when many are made in the same millisecond or the
 * clock steps backwards, so inserts append to the right edge of the primary
 * key's B-tree instead of splitting random pages.
 */
#pragma once

#include "runstore/core/uuid.hpp"

namespace runstore::core {

class UuidV7Generator {
public:
	/*
	 * Makes the next id.  `unix_ms` is the wall clock; `random` supplies 10
	 * fresh random bytes (2 seed the counter at each new millisecond, 8 fill
	 * rand_b).  Never fails, never allocates.
	 */
	Uuid Next(std::uint64_t unix_ms, const std::uint8_t (&random)[10]) noexcept;

private:
	std::uint64_t last_ms_ = 0;
	std::uint16_t counter_ = 0; /* 12 bits used */
};

/* The millisecond timestamp stored in a version 7 id. */
std::uint64_t UuidV7Millis(const Uuid &id) noexcept;

} // namespace runstore::core
