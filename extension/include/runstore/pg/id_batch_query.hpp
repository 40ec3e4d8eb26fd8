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
 * 1 (bigint workspace_id, optional: NULL means any workspace), and returns its
 * rows in the order of each id's first appearance in ids, duplicates once,
 * unknown ids and NULL elements omitted.
 *
 * `unscoped` takes $1 = ids; `scoped` takes $1 = ids, $2 = workspace_id.
 * Both must return the column "id".  `read_only` is true for a STABLE caller.
 * The caller must have called InitMaterializedSRF.
 */
void RunIdBatchQuery(FunctionCallInfo fcinfo, KeptPlan *unscoped, KeptPlan *scoped, bool read_only,
                     int expected_spi_result);

} // namespace runstore::pg
