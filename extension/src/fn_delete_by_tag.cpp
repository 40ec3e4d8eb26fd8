/*
 * fn_delete_by_tag.cpp: runstore.delete_by_tag(text, int, bigint)
 *
 * Deletes up to max_rows executions carrying a tag, oldest first, in one
 * statement.  Cleanups call it in a loop until it returns no rows, so no
 * single call holds many row locks for long.  Runs as the caller through SPI.
 */
extern "C" {
#include "postgres.h"

#include "catalog/pg_type_d.h"
#include "executor/spi.h"
#include "funcapi.h"
}

#include "runstore/pg/spi_plan.hpp"
#include "runstore/pg/srf_output.hpp"
#include "runstore/pg_boundary.hpp"

namespace {

const Oid kTagArgs[] = {TEXTOID, INT4OID};
const Oid kTagWorkspaceArgs[] = {TEXTOID, INT4OID, INT8OID};

/*
 * FOR UPDATE (without SKIP LOCKED) below the LIMIT: a row deleted by a
 * concurrent purge is skipped after its lock is released and the next oldest
 * takes its place, so a call never returns short while tagged rows remain.
 */
#define RUNSTORE_DELETE_BY_TAG_SQL(extra_condition)                                                 \
	"WITH doomed AS ("                                                                              \
	"  SELECT e.id FROM runstore.executions e"                                                      \
	"  WHERE e.tags OPERATOR(pg_catalog.@>) ARRAY[$1]::pg_catalog.text[]" extra_condition           \
	"  ORDER BY e.created_at, e.id LIMIT $2 FOR UPDATE OF e),"                                      \
	" deleted AS ("                                                                                 \
	"  DELETE FROM runstore.executions x USING doomed d WHERE x.id OPERATOR(pg_catalog.=) d.id"    \
	"  RETURNING x.id, x.created_at)"                                                              \
	" SELECT id FROM deleted ORDER BY created_at, id"

runstore::pg::KeptPlan delete_by_tag = {RUNSTORE_DELETE_BY_TAG_SQL(""), 2, kTagArgs, nullptr};

runstore::pg::KeptPlan delete_by_tag_in_workspace = {
    RUNSTORE_DELETE_BY_TAG_SQL(" AND e.workspace_id OPERATOR(pg_catalog.=) $3"), 3, kTagWorkspaceArgs, nullptr};

} // namespace

RUNSTORE_FUNCTION(runstore_delete_by_tag)
{
	InitMaterializedSRF(fcinfo, MAT_SRF_USE_EXPECTED_DESC); /* SETOF uuid: a scalar result */

	if (PG_ARGISNULL(1))
		ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("max_rows must not be NULL"),
		                errhint("Pass a positive row count; the default is 1000.")));
	const int32 max_rows = PG_GETARG_INT32(1);
	if (max_rows < 1)
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
		                errmsg("max_rows must be at least 1, not %d", max_rows),
		                errhint("Call delete_by_tag repeatedly until it returns no rows.")));
	if (PG_ARGISNULL(0))
		return (Datum) 0; /* no execution carries the NULL tag */

	const bool in_workspace = !PG_ARGISNULL(2);
	Datum values[3] = {PG_GETARG_DATUM(0), Int32GetDatum(max_rows), in_workspace ? PG_GETARG_DATUM(2) : (Datum) 0};

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "runstore: SPI_connect failed");
	SPIPlanPtr plan = runstore::pg::GetKeptPlan(in_workspace ? &delete_by_tag_in_workspace : &delete_by_tag);
	const int rc = SPI_execute_plan(plan, values, nullptr, false, 0);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "runstore: delete_by_tag statement returned %s", SPI_result_code_string(rc));

	/* The statement already sorted oldest first: emit in its order. */
	const uint64 n = SPI_processed;
	auto *order = static_cast<std::uint32_t *>(palloc(sizeof(std::uint32_t) * Max(n, (uint64) 1)));
	for (uint64 i = 0; i < n; ++i)
		order[i] = static_cast<std::uint32_t>(i);
	runstore::pg::EmitRowsInOrder(fcinfo, order, n);

	SPI_finish();
	return (Datum) 0;
}
