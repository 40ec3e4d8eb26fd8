/*
 * runstore_relations.cpp: see runstore_relations.hpp.
 */
extern "C" {
#include "postgres.h"

#include "catalog/namespace.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
}

#include <cstring>

#include "runstore/pg/runstore_relations.hpp"

namespace runstore::pg {

Oid
RunstoreRelation(const char *name)
{
	return get_relname_relid(name, get_namespace_oid("runstore", false));
}

bool
IsExecutionsTable(Relation rel)
{
	const char *schema = get_namespace_name(RelationGetNamespace(rel));
	return schema != nullptr && std::strcmp(schema, "runstore") == 0 &&
	       std::strcmp(RelationGetRelationName(rel), "executions") == 0;
}

} // namespace runstore::pg
