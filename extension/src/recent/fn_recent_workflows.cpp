/*
 * fn_recent_workflows.cpp: runstore.recent_workflows(bigint, int, text)
 *
 * The workflows a workspace (or one user in it) used most recently, newest
 * first, read from the summary's slots through a cursor over an index in
 * the result's order: O(max_results) index reads, whatever the number of
 * runs.  A group has 16 slots, and a slot one row but after a race between
 * two writers sharing it, so 16 * max_results rows almost always suffice;
 * when they do not (that many rows read, fewer workflows found) the read is
 * repeated with a four times larger bound.  Runs as the caller: SELECT on
 * the slot tables and their row-level security apply.
 */
extern "C" {
#include "postgres.h"

#include "executor/spi.h"
#include "funcapi.h"
#include "utils/tuplestore.h"
}

#include "runstore/recent/recent_workflow_maintenance.hpp"
#include "runstore/pg/spi_plan.hpp"
#include "runstore/pg/statements.hpp"
#include "runstore/pg_boundary.hpp"

namespace {

constexpr int32 kMaxResults = 1000;

bool
Seen(const int64 *seen, int n, int64 workflow_id)
{
	for (int i = 0; i < n; ++i) {
		if (seen[i] == workflow_id)
			return true;
	}
	return false;
}

} // namespace

RUNSTORE_FUNCTION(runstore_recent_workflows)
{
	InitMaterializedSRF(fcinfo, 0);
	if (PG_ARGISNULL(0))
		ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("workspace_id must not be NULL")));
	if (PG_ARGISNULL(1))
		ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("max_results must not be NULL"),
		                errhint("The default is 4.")));
	const int32 max_results = PG_GETARG_INT32(1);
	if (max_results < 0 || max_results > kMaxResults)
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
		                errmsg("max_results must be between 0 and %d, not %d", kMaxResults, max_results)));
	if (max_results == 0)
		return (Datum)0;

	const bool for_user = !PG_ARGISNULL(2);
	Datum args[3] = {PG_GETARG_DATUM(0), (Datum)0, for_user ? PG_GETARG_DATUM(2) : (Datum)0};
	auto *rsinfo = reinterpret_cast<ReturnSetInfo *>(fcinfo->resultinfo);
	auto *seen = static_cast<int64 *>(palloc(sizeof(int64) * max_results));

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "runstore: SPI_connect failed");
	SPIPlanPtr plan = runstore::pg::GetKeptPlan(for_user ? &runstore::pg::statements::recent_for_user
	                                                     : &runstore::pg::statements::recent_in_workspace);
	for (int64 limit = int64{runstore::pg::kRecentWorkflowSlots} * max_results;; limit *= 4) {
		args[1] = Int64GetDatum(limit);
		tuplestore_clear(rsinfo->setResult);
		int emitted = 0;
		int64 rows = 0;
		Portal cursor = SPI_cursor_open(nullptr, plan, args, nullptr, true);
		/* Usually every row is a new workflow: fetch a little more than needed, then more. */
		long batch = max_results + 4;
		while (emitted < max_results) {
			SPI_cursor_fetch(cursor, true, batch);
			if (SPI_processed == 0)
				break;
			rows += static_cast<int64>(SPI_processed);
			for (uint64 i = 0; i < SPI_processed && emitted < max_results; ++i) {
				HeapTuple row = SPI_tuptable->vals[i];
				Datum values[3];
				bool nulls[3];
				for (int c = 0; c < 3; ++c)
					values[c] = SPI_getbinval(row, SPI_tuptable->tupdesc, c + 1, &nulls[c]);
				const int64 workflow_id = DatumGetInt64(values[0]);
				if (Seen(seen, emitted, workflow_id))
					continue; /* a lower row of a workflow already returned */
				seen[emitted++] = workflow_id;
				tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
			}
			SPI_freetuptable(SPI_tuptable);
			batch *= 2;
		}
		SPI_cursor_close(cursor);
		/* Done when enough workflows were found or the bound was not reached (every row read). */
		if (emitted == max_results || rows < limit || limit > PG_INT64_MAX / 4)
			break;
	}
	SPI_finish();
	return (Datum)0;
}
