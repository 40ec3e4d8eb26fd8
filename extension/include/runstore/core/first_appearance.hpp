/*
 * first_appearance.hpp: orders the rows a batch query found by the position
 * of their id's first appearance in the caller's array, pure C++.
 *
 * The batch functions fetch rows with one `id = ANY($1)` index scan, which
 * returns them in index order; callers asked for "the order of my array,
 * duplicates once, unknown ids and NULLs omitted".  This is that reordering,
 * O(requested + found) with a hash map.
 */
#pragma once

#include "runstore/core/uuid.hpp"

namespace runstore::core {

/*
 * requested[i] for i < n_requested, skipped where requested_null[i] is true
 * (requested_null may be null when there are no NULL elements);
 * found[j] for j < n_found, each id at most once (a primary key).
 * Writes into out_order (capacity n_found) the indexes j of found rows in the
 * order their id first appears in requested, and returns how many it wrote:
 * fewer than n_found only if a found id was never requested.
 * Throws std::bad_alloc only.
 */
std::size_t OrderByFirstAppearance(const Uuid *requested, const bool *requested_null, std::size_t n_requested,
                                   const Uuid *found, std::size_t n_found, std::uint32_t *out_order);

} // namespace runstore::core
