/*
 * runstore_relations.cpp: see runstore_relations.hpp.
 */
extern "C" {
#include "postgres.h"

#include "catalog/namespace.h"
#include "utils/lsyscache.h"
}

#include "runstore/pg/runstore_relations.hpp"

namespace runstore::pg {

Oid
RunstoreRelation(const char *name)
{
	return get_relname_relid(name, get_namespace_oid("runstore", false));
}

} // namespace runstore::pg
