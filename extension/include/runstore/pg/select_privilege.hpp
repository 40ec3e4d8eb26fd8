/*
 * select_privilege.hpp: the executor's SELECT privilege check, for direct
 * paths that read a table without a query (PostgreSQL zone).
 *
 * A direct path must refuse whom the statement it stands for would refuse:
 * table or column privileges, and whatever ExecutorCheckPerms_hook adds
 * (sepgsql), as the executor checks them for a query reading those columns.
 */
#pragma once

extern "C" {
#include "postgres.h"

#include "utils/relcache.h"
}

namespace runstore::pg {

/*
 * Whether the current user may read columns `columns[0..ncolumns)` of
 * `rel`.  With `ereport_on_violation` a refusal is an ERROR (42501, the
 * statement's message); without, false.
 */
bool MaySelectColumns(Relation rel, const AttrNumber *columns, int ncolumns, bool ereport_on_violation);

/* The same for every live column: what `SELECT x.* FROM rel x` needs. */
bool MaySelectRow(Relation rel, bool ereport_on_violation);

} // namespace runstore::pg
