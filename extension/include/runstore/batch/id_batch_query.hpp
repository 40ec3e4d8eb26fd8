/*
 * id_batch_query.hpp: the shared body of the id-batch functions
 * (get_executions_by_ids, delete_many), PostgreSQL zone.
 */
#pragma once

extern "C" {
#include "fmgr.h"
}

#include "runstore/batch/id_array.hpp"
#include "runstore/pg/spi_plan.hpp"

extern "C" {
#include "nodes/params.h"
#include "tcop/dest.h"
}

namespace runstore::pg {

/*
 * The whole body of a SETOF uuid function that changes a batch of executions
 * (delete_many, cancel): runs one statement over the batch in argument 0
 * (uuid[] ids) and argument 1 (bigint workspace_id, optional: NULL means any
 * workspace) and returns, as the call's materialized result, each distinct
 * id the statement returned once, in the order of its first appearance in
 * the batch.  `unscoped` and `scoped` are as for RunIdBatchStatement.
 */
Datum RunIdBatchWrite(FunctionCallInfo fcinfo, KeptPlan *unscoped, KeptPlan *scoped);

/*
 * Runs one statement over a batch already read with ReadIdBatch (never
 * empty) and appends its rows to the call's materialized result (set up with
 * InitMaterializedSRF), each distinct requested id once, in the order of its
 * first appearance.  The statements receive the ids as $1 (and argument 1,
 * workspace_id, as $2 in `scoped`), select them with `id = ANY($1)` and
 * return a uuid column named id; an OrderedReceiver puts the rows in the
 * caller's order.  `read_only` is true for a STABLE caller.
 */
void RunIdBatchStatement(FunctionCallInfo fcinfo, const IdBatch &batch, KeptPlan *unscoped, KeptPlan *scoped,
                         bool read_only);

/*
 * The general form: runs `plan` with `params` (which carry batch.array
 * wherever the statement wants it) and appends its rows to the call's
 * materialized result in the order of the batch's first appearances.  The
 * statement must return a uuid column named id.
 */
void RunIdStatement(FunctionCallInfo fcinfo, const IdBatch &batch, KeptPlan *plan, ParamListInfo params,
                    bool read_only);

/*
 * RunIdStatement in parts, for a batch that runs as several statements (on
 * a Citus cluster, one per shard or node): a receiver to pass as every
 * statement's DestReceiver (nullptr when the batch holds only NULLs), then
 * the rows it received appended to the call's result in request order.
 * Every statement must return the same columns, a uuid column named id
 * among them.
 */
DestReceiver *BeginOrderedRows(const IdBatch &batch);
void EndOrderedRows(FunctionCallInfo fcinfo, DestReceiver *dest);

} // namespace runstore::pg
