/*
 * id_positions.hpp: where each requested id first appears, pure C++.
 *
 * The batch functions promise rows in the order of the caller's array,
 * duplicates once, NULLs omitted.  The statement itself fetches rows in
 * whatever order its plan yields (a primary-key scan with = ANY); this table,
 * sorted by id, tells each returned row its place in O(log n).
 */
#pragma once

#include <cstddef>
#include <cstdint>

#include "runstore/core/uuid.hpp"

namespace runstore::core {

struct IdPosition {
	Uuid id;
	std::uint32_t position; /* index of the id's first appearance in the request */
};

/*
 * requested[i] for i < n, skipped where nulls[i] is true (nulls may be null
 * when there are no NULL elements).  Writes into out (capacity n) one entry
 * per distinct id, sorted by id, carrying its first position, and returns how
 * many it wrote.  Allocates nothing; never throws.
 */
std::size_t DistinctIdPositions(const Uuid *requested, const bool *nulls, std::size_t n, IdPosition *out) noexcept;

/* The position of `id` in a table DistinctIdPositions wrote, or -1. */
std::int64_t FindIdPosition(const IdPosition *table, std::size_t n, const Uuid &id) noexcept;

} // namespace runstore::core
