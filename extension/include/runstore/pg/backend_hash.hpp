/*
 * backend_hash.hpp: the backend-lifetime hash tables runstore keeps its
 * caches in (PostgreSQL zone).
 */
#pragma once

extern "C" {
#include "postgres.h"

#include "utils/hsearch.h"
}

namespace runstore::pg {

/*
 * `*table`, made on first use: entries of `entry_size` bytes keyed by their
 * first `key_size` bytes (compared as bytes), in `context` (which must live
 * as long as the backend, e.g. TopMemoryContext or CacheMemoryContext).
 */
HTAB *BackendHash(HTAB **table, const char *name, Size key_size, Size entry_size, long initial_size,
                  MemoryContext context);

} // namespace runstore::pg
