/*
 * uuid.hpp: the 16-byte UUID value shared by both zones.
 *
 * Plain data with the same size and byte order as PostgreSQL's pg_uuid_t, so
 * the PostgreSQL zone can hand arrays of them to the C++ zone without copying
 * element by element.  Safe to include from either zone: only <cstdint>.
 */
#pragma once

#include <cstddef>
#include <cstdint>

namespace runstore::core {

struct Uuid {
	std::uint8_t bytes[16];
};

static_assert(sizeof(Uuid) == 16, "Uuid must match pg_uuid_t's layout");

} // namespace runstore::core
