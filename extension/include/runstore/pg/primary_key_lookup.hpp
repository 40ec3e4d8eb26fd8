/*
 * primary_key_lookup.hpp: get_executions_by_ids without a statement
 * (PostgreSQL zone).
 *
 * A batch lookup by primary key needs no parser, planner or executor: one
 * btree descent per distinct id, in id order, the rows then put into the
 * call's result in request order.
 * That path is only taken when it gives exactly what the SQL statement
 * would: the same snapshot, the same lock, the same privilege check (and its
 * hook), and no row-level security policy to apply.
 */
#pragma once

extern "C" {
#include "postgres.h"

#include "fmgr.h"
}

#include "runstore/pg/id_array.hpp"

namespace runstore::pg {

/*
 * Appends the rows of runstore.executions whose id is in `batch` (and whose
 * workspace_id is `*workspace_id`, unless it is nullptr) to the call's
 * materialized result, each distinct id once, in the order of its first
 * appearance, read with the active snapshot.
 *
 * Returns false, having appended nothing, when row-level security applies to
 * the caller or the call's row type is not the table's: the caller then runs
 * the SQL statement, which applies the policies.  ERRORs as a SELECT of the
 * table would: 42501 without SELECT privilege on the columns, 42501 when
 * row_security is off and a policy would apply.
 */
bool LookupByPrimaryKey(FunctionCallInfo fcinfo, const IdBatch &batch, const int64 *workspace_id);

} // namespace runstore::pg
