/*
 * first_appearance.hpp: "each id once, at its first appearance", pure C++.
 *
 * The batch functions promise rows in the order of the caller's array,
 * duplicates once, NULLs omitted.  This picks those ids, O(n) with a hash
 * set; the SQL statement then keeps their order with WITH ORDINALITY.
 */
#pragma once

#include "runstore/core/uuid.hpp"

namespace runstore::core {

/*
 * requested[i] for i < n, skipped where nulls[i] is true (nulls may be null
 * when there are no NULL elements).  Writes into out_index (capacity n) the
 * index of each distinct id's first appearance, in order, and returns how
 * many it wrote.  Throws std::bad_alloc only.
 */
std::size_t FirstAppearances(const Uuid *requested, const bool *nulls, std::size_t n, std::uint32_t *out_index);

} // namespace runstore::core
