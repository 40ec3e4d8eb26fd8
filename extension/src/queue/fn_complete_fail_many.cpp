/*
 * fn_complete_fail_many.cpp: runstore.complete_many(text, uuid[], int[], jsonb[]),
 * runstore.fail_many(text, uuid[], int[], text[], boolean[]) and
 * runstore.release_many(text, uuid[], int[])
 *
 * A worker reports a whole batch of outcomes in one statement each, instead
 * of one complete or fail per execution: one UPDATE over arrays aligned with
 * the ids, so a batch costs one plan execution, one join and one set of
 * trigger calls.  Every execution is fenced by its attempt (required here:
 * a batch form without tokens would fence nothing), and changes only while
 * the worker still holds it at that attempt; the call returns, in the order
 * given, the ids that changed (fail_many with their new status).
 * release_many hands back claims that never started, at no cost in attempts.  An id the
 * worker no longer holds is simply absent from the result, as complete
 * returns false and fail NULL for it.
 *
 * As fail does (fn_complete_fail.cpp), fail_many binds the statement's
 * timestamp and one uniform draw per execution rather than calling
 * runstore._retry_delay() in the statement, so that it can run on Citus.
 */
extern "C" {
#include "postgres.h"

#include "catalog/pg_type_d.h"
#include "common/pg_prng.h"
#include "funcapi.h"
#include "nodes/params.h"
#include "utils/array.h"
#include "utils/timestamp.h"
}

#include "runstore/batch/id_batch_query.hpp"
#include "runstore/pg/guc.hpp"
#include "runstore/pg/statements.hpp"
#include "runstore/pg_boundary.hpp"
#include "runstore/queue/queue_arguments.hpp"

namespace {

constexpr const char *kAttemptsHint = "Pass the attempt dequeue returned for each id: it fences the outcome.";

/* attempts (argument 2): required, aligned with the ids, no NULLs. */
ArrayType *
ReadAttempts(FunctionCallInfo fcinfo, int id_count)
{
	return runstore::pg::ReadAlignedArray(fcinfo, 2, "attempts", id_count, false, kAttemptsHint);
}

/* One uniform draw from [0, 1) per execution, as runstore._retry_delay draws. */
ArrayType *
DrawFractions(int count)
{
	auto *values = static_cast<Datum *>(palloc(sizeof(Datum) * (count > 0 ? count : 1)));
	for (int i = 0; i < count; ++i)
		values[i] = Float8GetDatum(pg_prng_double(&pg_global_prng_state));
	return construct_array(values, count, FLOAT8OID, sizeof(float8), FLOAT8PASSBYVAL, TYPALIGN_DOUBLE);
}

} // namespace

RUNSTORE_FUNCTION(runstore_complete_many)
{
	InitMaterializedSRF(fcinfo, MAT_SRF_USE_EXPECTED_DESC); /* SETOF uuid: a scalar result */
	const Datum worker = runstore::pg::ReadWorker(fcinfo, 0);
	runstore::pg::IdBatch batch;
	const bool any_ids = runstore::pg::ReadIdBatch(fcinfo, 1, "ids", &batch);
	const int count = any_ids ? batch.count : 0;
	ArrayType *attempts = ReadAttempts(fcinfo, count);
	/* results: NULL means no result for any; a NULL element, none for that one. */
	ArrayType *results = PG_ARGISNULL(3) ? nullptr
	                                     : runstore::pg::ReadAlignedArray(fcinfo, 3, "results", count, true,
	                                                                      "Pass one result (or NULL) per id.");
	if (!any_ids)
		return (Datum)0;

	ParamListInfo params = makeParamList(4);
	params->params[0] = ParamExternData{worker, false, PARAM_FLAG_CONST, TEXTOID};
	params->params[1] = ParamExternData{PointerGetDatum(batch.array), false, PARAM_FLAG_CONST, UUIDARRAYOID};
	params->params[2] = ParamExternData{PointerGetDatum(attempts), false, PARAM_FLAG_CONST, INT4ARRAYOID};
	params->params[3] = ParamExternData{PointerGetDatum(results), results == nullptr, PARAM_FLAG_CONST, JSONBARRAYOID};
	runstore::pg::RunIdStatement(fcinfo, batch, &runstore::pg::statements::complete_many, params, false);
	return (Datum)0;
}

RUNSTORE_FUNCTION(runstore_fail_many)
{
	InitMaterializedSRF(fcinfo, MAT_SRF_USE_EXPECTED_DESC); /* TABLE (id uuid, status) */
	const Datum worker = runstore::pg::ReadWorker(fcinfo, 0);
	runstore::pg::IdBatch batch;
	const bool any_ids = runstore::pg::ReadIdBatch(fcinfo, 1, "ids", &batch);
	const int count = any_ids ? batch.count : 0;
	ArrayType *attempts = ReadAttempts(fcinfo, count);
	ArrayType *errors =
	    runstore::pg::ReadAlignedArray(fcinfo, 3, "errors", count, false, "Pass one error message per id.");
	/* retryable: NULL means every failure may be retried (fail's default). */
	ArrayType *retryable = PG_ARGISNULL(4)
	                           ? nullptr
	                           : runstore::pg::ReadAlignedArray(fcinfo, 4, "retryable", count, false,
	                                                            "Pass true or false per id, or NULL: all retryable.");
	if (!any_ids)
		return (Datum)0;

	ParamListInfo params = makeParamList(9);
	params->params[0] = ParamExternData{worker, false, PARAM_FLAG_CONST, TEXTOID};
	params->params[1] = ParamExternData{PointerGetDatum(batch.array), false, PARAM_FLAG_CONST, UUIDARRAYOID};
	params->params[2] = ParamExternData{PointerGetDatum(attempts), false, PARAM_FLAG_CONST, INT4ARRAYOID};
	params->params[3] = ParamExternData{PointerGetDatum(errors), false, PARAM_FLAG_CONST, TEXTARRAYOID};
	params->params[4] =
	    ParamExternData{PointerGetDatum(retryable), retryable == nullptr, PARAM_FLAG_CONST, BOOLARRAYOID};
	/* What statement_timestamp() returns, and the backoff settings (FAIL_SET, queue_statements.cpp). */
	params->params[5] = ParamExternData{TimestampTzGetDatum(GetCurrentStatementStartTimestamp()), false,
	                                    PARAM_FLAG_CONST, TIMESTAMPTZOID};
	params->params[6] = ParamExternData{PointerGetDatum(DrawFractions(count)), false, PARAM_FLAG_CONST, FLOAT8ARRAYOID};
	params->params[7] =
	    ParamExternData{Float8GetDatum(runstore::pg::retry_backoff_base_ms), false, PARAM_FLAG_CONST, FLOAT8OID};
	params->params[8] =
	    ParamExternData{Float8GetDatum(runstore::pg::retry_backoff_cap_ms), false, PARAM_FLAG_CONST, FLOAT8OID};
	runstore::pg::RunIdStatement(fcinfo, batch, &runstore::pg::statements::fail_many, params, false);
	return (Datum)0;
}

RUNSTORE_FUNCTION(runstore_release_many)
{
	InitMaterializedSRF(fcinfo, MAT_SRF_USE_EXPECTED_DESC); /* SETOF uuid: a scalar result */
	const Datum worker = runstore::pg::ReadWorker(fcinfo, 0);
	runstore::pg::IdBatch batch;
	const bool any_ids = runstore::pg::ReadIdBatch(fcinfo, 1, "ids", &batch);
	ArrayType *attempts = ReadAttempts(fcinfo, any_ids ? batch.count : 0);
	if (!any_ids)
		return (Datum)0;

	ParamListInfo params = makeParamList(3);
	params->params[0] = ParamExternData{worker, false, PARAM_FLAG_CONST, TEXTOID};
	params->params[1] = ParamExternData{PointerGetDatum(batch.array), false, PARAM_FLAG_CONST, UUIDARRAYOID};
	params->params[2] = ParamExternData{PointerGetDatum(attempts), false, PARAM_FLAG_CONST, INT4ARRAYOID};
	runstore::pg::RunIdStatement(fcinfo, batch, &runstore::pg::statements::release_many, params, false);
	return (Datum)0;
}
