/*
 * id_batch_query.hpp: the shared body of the id-batch functions
 * (get_executions_by_ids, delete_many), PostgreSQL zone.
 */
#pragma once

extern "C" {
#include "fmgr.h"
}

#include "runstore/pg/spi_plan.hpp"

namespace runstore::pg {

/*
 * Runs one statement over the batch in argument 0 (uuid[] ids) and argument
 * 1 (bigint workspace_id, optional: NULL means any workspace), and streams its
 * rows straight into the call's materialized result (set up with
 * InitMaterializedSRF), converted by position to the result's row type.
 *
 * Before the statement runs, ids is reduced to each distinct non-NULL id at
 * its first appearance, in order.  The statements receive that array as $1
 * (and workspace_id as $2 in `scoped`), unnest it WITH ORDINALITY and ORDER
 * BY the ordinality, so rows come back in the caller's order.
 * `read_only` is true for a STABLE caller.
 */
void RunIdBatchQuery(FunctionCallInfo fcinfo, KeptPlan *unscoped, KeptPlan *scoped, bool read_only);

} // namespace runstore::pg
