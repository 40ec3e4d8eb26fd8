/*
 * first_appearance.cpp: see first_appearance.hpp.
 */
#include "runstore/core/first_appearance.hpp"

#include <cstring>
#include <unordered_set>

#include "runstore/core/cpp_only.hpp"

namespace runstore::core {

namespace {

/* UUIDs are uniformly random in their low bytes (v7 and v4 alike). */
struct UuidHash {
	std::size_t operator()(const Uuid &id) const noexcept
	{
		std::uint64_t hi = 0;
		std::uint64_t lo = 0;
		std::memcpy(&hi, id.bytes, 8);
		std::memcpy(&lo, id.bytes + 8, 8);
		return static_cast<std::size_t>(lo ^ (hi * 0x9E3779B97F4A7C15ULL));
	}
};

struct UuidEqual {
	bool operator()(const Uuid &a, const Uuid &b) const noexcept
	{
		return std::memcmp(a.bytes, b.bytes, sizeof(a.bytes)) == 0;
	}
};

} // namespace

std::size_t
FirstAppearances(const Uuid *requested, const bool *nulls, std::size_t n, std::uint32_t *out_index)
{
	std::unordered_set<Uuid, UuidHash, UuidEqual> seen;
	seen.reserve(n);
	std::size_t written = 0;
	for (std::size_t i = 0; i < n; ++i) {
		if (nulls != nullptr && nulls[i])
			continue;
		if (seen.insert(requested[i]).second)
			out_index[written++] = static_cast<std::uint32_t>(i);
	}
	return written;
}

} // namespace runstore::core
