/*
 * fn_delete_by_tag.cpp: runstore.delete_by_tag(text, int, bigint)
 *
 * Deletes up to max_rows executions carrying a tag, oldest first, with one
 * statement (a second only when a concurrent purge took rows from under it).
 * Cleanups call it in a loop until it returns no rows, so no single call
 * holds many row locks for long.  Runs as the caller through SPI.
 */
extern "C" {
#include "postgres.h"

#include "catalog/pg_type_d.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/tuplestore.h"
}

#include "runstore/pg/spi_plan.hpp"
#include "runstore/pg/statements.hpp"
#include "runstore/pg_boundary.hpp"

RUNSTORE_FUNCTION(runstore_delete_by_tag)
{
	InitMaterializedSRF(fcinfo, MAT_SRF_USE_EXPECTED_DESC); /* SETOF uuid: a scalar result */

	if (PG_ARGISNULL(1))
		ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("max_rows must not be NULL"),
		                errhint("Pass a positive row count; the default is 1000.")));
	const int32 max_rows = PG_GETARG_INT32(1);
	if (max_rows < 1)
		ereport(ERROR,
		        (errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("max_rows must be at least 1, not %d", max_rows),
		         errhint("Call delete_by_tag repeatedly until it returns no rows.")));
	if (PG_ARGISNULL(0))
		return (Datum)0; /* no execution carries the NULL tag */

	const bool in_workspace = !PG_ARGISNULL(2);
	Datum values[3] = {PG_GETARG_DATUM(0), Int32GetDatum(max_rows), in_workspace ? PG_GETARG_DATUM(2) : (Datum)0};

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "runstore: SPI_connect failed");
	SPIPlanPtr plan = runstore::pg::GetKeptPlan(in_workspace ? &runstore::pg::statements::delete_by_tag_in_workspace
	                                                         : &runstore::pg::statements::delete_by_tag);

	auto *rsinfo = reinterpret_cast<ReturnSetInfo *>(fcinfo->resultinfo);

	/*
	 * Usually one round.  When a concurrent purge deleted (or retagged) some
	 * of the rows this round chose, the DELETE skips them once their lock is
	 * released, and the round deletes fewer than it chose.  Callers stop at
	 * the first empty result, so such a round is followed by another with a
	 * new snapshot for the rest of the budget: an empty result then really
	 * means no tagged rows are left.  A round that deleted everything it chose
	 * ends the call.
	 */
	int32 remaining = max_rows;
	while (remaining > 0) {
		values[1] = Int32GetDatum(remaining);
		const int rc = SPI_execute_plan(plan, values, nullptr, false, 0);
		if (rc != SPI_OK_SELECT || SPI_processed == 0)
			elog(ERROR, "runstore: delete_by_tag statement returned %s", SPI_result_code_string(rc));

		bool isnull;
		const int64 chosen = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull));
		int64 deleted = 0;
		for (uint64 i = 0; i < SPI_processed; ++i) {
			Datum id = SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1, &isnull);
			if (isnull)
				continue; /* the one row of a round that deleted nothing */
			tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, &id, &isnull);
			++deleted;
		}
		SPI_freetuptable(SPI_tuptable);

		remaining -= static_cast<int32>(deleted);
		if (deleted == chosen)
			break;
		CHECK_FOR_INTERRUPTS();
	}

	SPI_finish();
	return (Datum)0;
}
