/*
 * backend_hash.cpp: see backend_hash.hpp.
 */
#include "runstore/pg/backend_hash.hpp"

namespace runstore::pg {

HTAB *
BackendHash(HTAB **table, const char *name, Size key_size, Size entry_size, long initial_size, MemoryContext context)
{
	if (*table == nullptr) {
		HASHCTL ctl;
		ctl.keysize = key_size;
		ctl.entrysize = entry_size;
		ctl.hcxt = context;
		*table = hash_create(name, initial_size, &ctl, HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	}
	return *table;
}

} // namespace runstore::pg
