/*
 * fn_delete_by_tag.cpp: runstore.delete_by_tag(text, int, bigint)
 *
 * Deletes up to max_rows executions carrying a tag, oldest first, with one
 * statement (a second only when a concurrent purge took rows from under it).  Cleanups call it in a loop until it returns no rows, so no
 * single call holds many row locks for long.  Runs as the caller through SPI.
 */
extern "C" {
#include "postgres.h"

#include "catalog/pg_type_d.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "miscadmin.h"
}

#include "runstore/pg/spi_plan.hpp"
#include "runstore/pg/srf_output.hpp"
#include "runstore/pg_boundary.hpp"

namespace {

const Oid kTagArgs[] = {TEXTOID, INT4OID};
const Oid kTagWorkspaceArgs[] = {TEXTOID, INT4OID, INT8OID};

/*
 * No FOR UPDATE: it would demand UPDATE privilege, and delete_by_tag must ask
 * for exactly what a plain DELETE asks for.  The DELETE re-checks the tag (and
 * workspace), so a row whose tags changed concurrently is not deleted.
 */
#define RUNSTORE_DELETE_BY_TAG_SQL(extra_condition)                                                 \
	"WITH deleted AS ("                                                                             \
	"  DELETE FROM runstore.executions x"                                                           \
	"  WHERE x.id OPERATOR(pg_catalog.=) ANY (ARRAY("                                               \
	"    SELECT e.id FROM runstore.executions e"                                                    \
	"    WHERE e.tags OPERATOR(pg_catalog.@>) ARRAY[$1]::pg_catalog.text[]" extra_condition("e")     \
	"    ORDER BY e.created_at, e.id LIMIT $2))"                                                    \
	"  AND x.tags OPERATOR(pg_catalog.@>) ARRAY[$1]::pg_catalog.text[]" extra_condition("x")        \
	"  RETURNING x.id, x.created_at)"                                                              \
	" SELECT id FROM deleted ORDER BY created_at, id"
#define RUNSTORE_NO_CONDITION(alias) ""
#define RUNSTORE_IN_WORKSPACE(alias) " AND " alias ".workspace_id OPERATOR(pg_catalog.=) $3"

runstore::pg::KeptPlan delete_by_tag = {RUNSTORE_DELETE_BY_TAG_SQL(RUNSTORE_NO_CONDITION), 2, kTagArgs, nullptr};

runstore::pg::KeptPlan delete_by_tag_in_workspace = {RUNSTORE_DELETE_BY_TAG_SQL(RUNSTORE_IN_WORKSPACE), 3,
                                                     kTagWorkspaceArgs, nullptr};

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

	/*
	 * Usually one round.  A round comes back short when fewer rows carry the
	 * tag, or when a concurrent purge deleted some of the rows this one had
	 * chosen (they are skipped once its lock is released).  Callers stop at
	 * the first empty result, so a short round is retried with a new snapshot
	 * for the rest of the budget: an empty result then means none are left.
	 * Every round deletes at least one row or ends the loop.
	 */
	int32 remaining = max_rows;
	while (remaining > 0) {
		values[1] = Int32GetDatum(remaining);
		const int rc = SPI_execute_plan(plan, values, nullptr, false, 0);
		if (rc != SPI_OK_SELECT)
			elog(ERROR, "runstore: delete_by_tag statement returned %s", SPI_result_code_string(rc));

		/* Each round is sorted oldest first: emit in its order. */
		const uint64 n = SPI_processed;
		if (n == 0)
			break;
		auto *order = static_cast<std::uint32_t *>(palloc(sizeof(std::uint32_t) * n));
		for (uint64 i = 0; i < n; ++i)
			order[i] = static_cast<std::uint32_t>(i);
		runstore::pg::EmitRowsInOrder(fcinfo, order, n);
		pfree(order);
		SPI_freetuptable(SPI_tuptable);

		if (n >= static_cast<uint64>(remaining))
			break;
		remaining -= static_cast<int32>(n);
		CHECK_FOR_INTERRUPTS();
	}

	SPI_finish();
	return (Datum) 0;
}
