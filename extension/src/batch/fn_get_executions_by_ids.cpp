/*
 * fn_get_executions_by_ids.cpp: runstore.get_executions_by_ids(uuid[], bigint)
 *
 * One call for a whole dashboard's worth of ids, instead of one round trip
 * per id.  Runs as the caller: table privileges and row-level security apply
 * exactly as to a plain SELECT.  Where the table's shape allows and no
 * policy applies, the rows come straight from an index led by id
 * (id_index_lookup.cpp); otherwise from the SQL statement through SPI, which
 * is the definition (its plan carries any policy).
 */
extern "C" {
#include "postgres.h"

#include "funcapi.h"
}

#include "runstore/batch/id_array.hpp"
#include "runstore/batch/id_batch_query.hpp"
#include "runstore/batch/id_index_lookup.hpp"
#include "runstore/batch/result_arena.hpp"
#include "runstore/pg/statements.hpp"
#include "runstore/pg_boundary.hpp"

RUNSTORE_FUNCTION(runstore_get_executions_by_ids)
{
	/* The rows go into memory kept between calls (result_arena.hpp says why). */
	runstore::pg::InitMaterializedSRFInArena(fcinfo, 0);
	runstore::pg::IdBatch batch;
	if (!runstore::pg::ReadIdBatch(fcinfo, 0, "ids", &batch))
		return (Datum)0; /* NULL or empty array: no rows */

	const bool in_workspace = PG_NARGS() > 1 && !PG_ARGISNULL(1);
	const int64 workspace_id = in_workspace ? PG_GETARG_INT64(1) : 0;
	/* STABLE: both paths read with the calling query's snapshot. */
	if (!runstore::pg::LookupByIdIndex(fcinfo, batch, in_workspace ? &workspace_id : nullptr))
		runstore::pg::RunIdBatchStatement(fcinfo, batch, &runstore::pg::statements::select_by_ids,
		                                  &runstore::pg::statements::select_by_ids_in_workspace, true);
	return (Datum)0;
}
