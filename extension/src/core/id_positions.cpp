/*
 * id_positions.cpp: see id_positions.hpp.
 */
#include "runstore/core/id_positions.hpp"

#include <algorithm>
#include <cstring>

#include "runstore/core/cpp_only.hpp"

namespace runstore::core {

namespace {

/* memcmp order: the order of PostgreSQL's uuid btree opclass. */
int
Compare(const Uuid &a, const Uuid &b) noexcept
{
	return std::memcmp(a.bytes, b.bytes, sizeof(a.bytes));
}

} // namespace

std::size_t
DistinctIdPositions(const Uuid *requested, const bool *nulls, std::size_t n, IdPosition *out) noexcept
{
	std::size_t m = 0;
	for (std::size_t i = 0; i < n; ++i) {
		if (nulls != nullptr && nulls[i])
			continue;
		out[m++] = IdPosition{requested[i], static_cast<std::uint32_t>(i)};
	}
	/* By id, then by position, so the first of equal ids is its first appearance. */
	std::sort(out, out + m, [](const IdPosition &a, const IdPosition &b) {
		const int c = Compare(a.id, b.id);
		return c != 0 ? c < 0 : a.position < b.position;
	});
	auto last =
	    std::unique(out, out + m, [](const IdPosition &a, const IdPosition &b) { return Compare(a.id, b.id) == 0; });
	return static_cast<std::size_t>(last - out);
}

std::int64_t
FindIdPosition(const IdPosition *table, std::size_t n, const Uuid &id) noexcept
{
	const IdPosition *end = table + n;
	const IdPosition *it =
	    std::lower_bound(table, end, id, [](const IdPosition &e, const Uuid &key) { return Compare(e.id, key) < 0; });
	if (it == end || Compare(it->id, id) != 0)
		return -1;
	return it->position;
}

} // namespace runstore::core
