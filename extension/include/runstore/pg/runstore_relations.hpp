/*
 * runstore_relations.hpp: finding runstore's own tables and sequences by
 * name, whatever the caller's search_path (PostgreSQL zone).
 */
#pragma once

extern "C" {
#include "postgres.h"

#include "utils/relcache.h"
}

namespace runstore::pg {

/* The OID of runstore.<name>; InvalidOid when it does not exist. ERRORs if schema runstore is missing. */
Oid RunstoreRelation(const char *name);

} // namespace runstore::pg
