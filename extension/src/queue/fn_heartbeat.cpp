/*
 * fn_heartbeat.cpp: runstore.heartbeat(text, uuid[], interval, int[])
 *
 * Extends, in one statement, the leases a worker still holds among a batch
 * of executions, and returns those ids in the order given.  With attempts
 * (the fencing tokens dequeue handed out, aligned with ids) an execution
 * claimed again since, even by a worker of the same name, is not extended.
 */
extern "C" {
#include "postgres.h"

#include "catalog/pg_type_d.h"
#include "funcapi.h"
#include "nodes/params.h"
}

#include "runstore/batch/id_batch_query.hpp"
#include "runstore/queue/queue_arguments.hpp"
#include "runstore/pg/statements.hpp"
#include "runstore/pg_boundary.hpp"

RUNSTORE_FUNCTION(runstore_heartbeat)
{
	InitMaterializedSRF(fcinfo, MAT_SRF_USE_EXPECTED_DESC); /* SETOF uuid: a scalar result */
	const Datum worker = runstore::pg::ReadWorker(fcinfo, 0);
	runstore::pg::IdBatch batch;
	const bool any_ids = runstore::pg::ReadIdBatch(fcinfo, 1, "ids", &batch);
	const Datum lease = runstore::pg::ReadLease(fcinfo, 2);
	const bool fenced = !PG_ARGISNULL(3);
	ArrayType *attempts =
	    fenced ? runstore::pg::ReadAlignedArray(fcinfo, 3, "attempts", any_ids ? batch.count : 0, false,
	                                            "Pass the attempt dequeue returned for each id, or no attempts at all.")
	           : nullptr;
	if (!any_ids)
		return (Datum)0; /* NULL or empty ids: nothing to extend */

	ParamListInfo params = makeParamList(fenced ? 4 : 3);
	params->params[0] = ParamExternData{worker, false, PARAM_FLAG_CONST, TEXTOID};
	params->params[1] = ParamExternData{PointerGetDatum(batch.array), false, PARAM_FLAG_CONST, UUIDARRAYOID};
	params->params[2] = ParamExternData{lease, false, PARAM_FLAG_CONST, INTERVALOID};
	if (fenced)
		params->params[3] = ParamExternData{PointerGetDatum(attempts), false, PARAM_FLAG_CONST, INT4ARRAYOID};
	runstore::pg::RunIdStatement(
	    fcinfo, batch, fenced ? &runstore::pg::statements::heartbeat_attempts : &runstore::pg::statements::heartbeat,
	    params, false);
	return (Datum)0;
}
