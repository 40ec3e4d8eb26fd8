/*
 * fn_complete_fail.cpp: runstore.complete(uuid, text, jsonb, int) and
 * runstore.fail(uuid, text, text, boolean, int)
 *
 * A worker reports the outcome of an execution it holds.  Each is one
 * statement that changes the execution only while the caller still holds
 * its lease (status running, lease_owner = worker, and attempt = the fencing
 * token when given); otherwise nothing changes and the result says so:
 * complete returns false, fail returns NULL.
 *
 * fail binds what its statement's retry delay is computed from (the
 * statement's timestamp, a uniform draw and the backoff settings) rather
 * than letting the statement call runstore._retry_delay(): Citus refuses
 * VOLATILE functions in an UPDATE of a distributed table, and non-IMMUTABLE
 * ones inside its CASEs (queue_statements.cpp, FAIL_SQL).
 */
extern "C" {
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_type_d.h"
#include "common/pg_prng.h"
#include "executor/spi.h"
#include "nodes/params.h"
#include "utils/timestamp.h"
}

#include "runstore/queue/queue_arguments.hpp"
#include "runstore/pg/citus_shards.hpp"
#include "runstore/pg/guc.hpp"
#include "runstore/pg/spi_run.hpp"
#include "runstore/pg/statements.hpp"
#include "runstore/pg_boundary.hpp"

namespace {

/* The execution id (argument 0) must not be NULL. */
Datum
ReadExecutionId(FunctionCallInfo fcinfo)
{
	if (PG_ARGISNULL(0))
		ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("id must not be NULL")));
	return PG_GETARG_DATUM(0);
}

} // namespace

RUNSTORE_FUNCTION(runstore_complete)
{
	const Datum id = ReadExecutionId(fcinfo);
	const Datum worker = runstore::pg::ReadWorker(fcinfo, 1);
	const bool fenced = !PG_ARGISNULL(3);

	ParamListInfo params = makeParamList(fenced ? 4 : 3);
	params->params[0] = ParamExternData{id, false, PARAM_FLAG_CONST, UUIDOID};
	params->params[1] = ParamExternData{worker, false, PARAM_FLAG_CONST, TEXTOID};
	params->params[2] = ParamExternData{PG_GETARG_DATUM(2), PG_ARGISNULL(2), PARAM_FLAG_CONST, JSONBOID};
	if (fenced)
		params->params[3] = ParamExternData{PG_GETARG_DATUM(3), false, PARAM_FLAG_CONST, INT4OID};

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "runstore: SPI_connect failed");
	const int nest_level = runstore::pg::OneConnectionPerNode();
	runstore::pg::RunKeptPlan(fenced ? &runstore::pg::statements::complete_attempt
	                                 : &runstore::pg::statements::complete,
	                          params, SPI_OK_UPDATE_RETURNING);
	runstore::pg::RestoreConnectionsPerNode(nest_level);
	const bool completed = SPI_processed > 0;
	SPI_finish();
	PG_RETURN_BOOL(completed);
}

RUNSTORE_FUNCTION(runstore_fail)
{
	const Datum id = ReadExecutionId(fcinfo);
	const Datum worker = runstore::pg::ReadWorker(fcinfo, 1);
	const Datum error = runstore::pg::ReadRequiredText(fcinfo, 2, "error");
	if (PG_ARGISNULL(3))
		ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("retryable must not be NULL"),
		                errhint("The default is true.")));
	const bool fenced = !PG_ARGISNULL(4);

	/* The retry delay's values follow the arguments (and the attempt). */
	const int backoff = fenced ? 5 : 4;
	ParamListInfo params = makeParamList(backoff + 4);
	params->params[0] = ParamExternData{id, false, PARAM_FLAG_CONST, UUIDOID};
	params->params[1] = ParamExternData{worker, false, PARAM_FLAG_CONST, TEXTOID};
	params->params[2] = ParamExternData{error, false, PARAM_FLAG_CONST, TEXTOID};
	params->params[3] = ParamExternData{PG_GETARG_DATUM(3), false, PARAM_FLAG_CONST, BOOLOID};
	if (fenced)
		params->params[4] = ParamExternData{PG_GETARG_DATUM(4), false, PARAM_FLAG_CONST, INT4OID};
	/* What statement_timestamp() returns; the same random source as runstore._retry_delay. */
	const TimestampTz now = GetCurrentStatementStartTimestamp();
	const double fraction = pg_prng_double(&pg_global_prng_state);
	params->params[backoff] = ParamExternData{TimestampTzGetDatum(now), false, PARAM_FLAG_CONST, TIMESTAMPTZOID};
	params->params[backoff + 1] = ParamExternData{Float8GetDatum(fraction), false, PARAM_FLAG_CONST, FLOAT8OID};
	params->params[backoff + 2] =
	    ParamExternData{Float8GetDatum(runstore::pg::retry_backoff_base_ms), false, PARAM_FLAG_CONST, FLOAT8OID};
	params->params[backoff + 3] =
	    ParamExternData{Float8GetDatum(runstore::pg::retry_backoff_cap_ms), false, PARAM_FLAG_CONST, FLOAT8OID};

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "runstore: SPI_connect failed");
	const int nest_level = runstore::pg::OneConnectionPerNode();
	runstore::pg::RunKeptPlan(fenced ? &runstore::pg::statements::fail_attempt : &runstore::pg::statements::fail,
	                          params, SPI_OK_UPDATE_RETURNING);
	runstore::pg::RestoreConnectionsPerNode(nest_level);
	bool refused = SPI_processed == 0;
	Datum status = (Datum)0;
	if (!refused) {
		/* An enum Datum is its OID, passed by value: it outlives SPI_finish. */
		status = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &refused);
	}
	SPI_finish();
	if (refused)
		PG_RETURN_NULL();
	return status;
}
