/*
 * id_index_lookup.hpp: get_executions_by_ids without a statement
 * (PostgreSQL zone).
 *
 * A batch lookup by id needs no parser, planner or executor: one B-tree
 * descent per distinct id, in id order, the rows then put into the call's
 * result in request order.
 * That path is only taken when it gives exactly what the SQL statement
 * would: the same snapshot, the same lock, the same privilege check (and its
 * hook), no row-level security policy to apply, and a table whose shape it
 * has proven (ExecutionsShape: a local heap table, an index led by id).
 */
#pragma once

extern "C" {
#include "postgres.h"

#include "fmgr.h"
}

#include "runstore/batch/id_array.hpp"

namespace runstore::pg {

/*
 * Appends the rows of runstore.executions whose id is in `batch` (and whose
 * workspace_id is `*workspace_id`, unless it is nullptr) to the call's
 * materialized result, each distinct id once, in the order of its first
 * appearance, read with the active snapshot.
 *
 * Returns false, having appended nothing, when this path does not apply and
 * the caller must run the SQL statement: runstore.direct_paths off, a table
 * shape it has not proven (no index led by id, or by workspace_id and id for
 * a call with a workspace; not a local heap table), row-level security that
 * applies to the caller, or a call whose row type is not the table's.
 * ERRORs as a SELECT of the table would: 42501 without SELECT privilege on
 * the columns.
 */
bool LookupByIdIndex(FunctionCallInfo fcinfo, const IdBatch &batch, const int64 *workspace_id);

} // namespace runstore::pg
