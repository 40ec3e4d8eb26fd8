/*
 * first_appearance.cpp: see first_appearance.hpp.
 */
#include "runstore/core/first_appearance.hpp"

#include <cstring>
#include <unordered_map>

#include "runstore/core/cpp_only.hpp"

namespace runstore::core {

namespace {

/* UUIDs are already uniformly random in their low bytes (v7 or v4). */
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

/* Marks a found row as already emitted. */
constexpr std::uint32_t kEmitted = UINT32_MAX;

} // namespace

std::size_t
OrderByFirstAppearance(const Uuid *requested, const bool *requested_null, std::size_t n_requested,
                       const Uuid *found, std::size_t n_found, std::uint32_t *out_order)
{
	std::unordered_map<Uuid, std::uint32_t, UuidHash, UuidEqual> position_of_found;
	position_of_found.reserve(n_found);
	for (std::size_t j = 0; j < n_found; ++j)
		position_of_found.emplace(found[j], static_cast<std::uint32_t>(j));

	std::size_t written = 0;
	for (std::size_t i = 0; i < n_requested && written < n_found; ++i) {
		if (requested_null != nullptr && requested_null[i])
			continue;
		auto it = position_of_found.find(requested[i]);
		if (it == position_of_found.end() || it->second == kEmitted)
			continue; /* unknown id, or a duplicate already emitted */
		out_order[written++] = it->second;
		it->second = kEmitted;
	}
	return written;
}

} // namespace runstore::core
