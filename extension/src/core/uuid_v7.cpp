/*
 * uuid_v7.cpp: RFC 9562 version 7 UUIDs with a monotonic counter.
 */
#include "runstore/core/uuid_v7.hpp"

#include "runstore/core/cpp_only.hpp"

namespace runstore::core {

namespace {
constexpr std::uint16_t kCounterMax = 0x0FFF;
/*
 * A fresh millisecond seeds the counter with random bits below this value,
 * leaving headroom for ~2,000 more ids in the same millisecond before the
 * generator borrows the next millisecond.
 */
constexpr std::uint16_t kCounterSeedMask = 0x07FF;
} // namespace

Uuid
UuidV7Generator::Next(std::uint64_t unix_ms, const std::uint8_t (&random)[10]) noexcept
{
	if (unix_ms > last_ms_) {
		last_ms_ = unix_ms;
		counter_ = static_cast<std::uint16_t>(((random[0] << 8) | random[1]) & kCounterSeedMask);
	} else if (counter_ < kCounterMax) {
		/* Same millisecond, or the clock went back: keep increasing. */
		++counter_;
	} else {
		/* Counter exhausted: move into the next millisecond (RFC 9562 6.2). */
		++last_ms_;
		counter_ = 0;
	}

	Uuid id{};
	const std::uint64_t ms = last_ms_ & 0xFFFFFFFFFFFFULL;
	for (int i = 0; i < 6; ++i)
		id.bytes[i] = static_cast<std::uint8_t>(ms >> (8 * (5 - i)));
	id.bytes[6] = static_cast<std::uint8_t>(0x70 | ((counter_ >> 8) & 0x0F));
	id.bytes[7] = static_cast<std::uint8_t>(counter_ & 0xFF);
	id.bytes[8] = static_cast<std::uint8_t>(0x80 | (random[2] & 0x3F));
	for (int i = 9; i < 16; ++i)
		id.bytes[i] = random[i - 6];
	return id;
}

std::uint64_t
UuidV7Millis(const Uuid &id) noexcept
{
	std::uint64_t ms = 0;
	for (int i = 0; i < 6; ++i)
		ms = (ms << 8) | id.bytes[i];
	return ms;
}

} // namespace runstore::core
