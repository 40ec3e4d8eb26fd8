/*
 * fn_heartbeat.cpp: runstore.heartbeat(text, uuid[], interval, int[], bigint[])
 *
 * Extends, in one statement, the leases a worker still holds among a batch
 * of executions, and returns those ids in the order given.  With attempts
 * (the fencing tokens dequeue handed out, aligned with ids) an execution
 * claimed again since, even by a worker of the same name, is not extended;
 * it is then a batch like complete_many's (outcome_batch.hpp), and
 * workspace_ids route it on a Citus cluster as they route those.
 */
extern "C" {
#include "postgres.h"

#include "catalog/pg_type_d.h"
#include "funcapi.h"
#include "nodes/params.h"
}

#include "runstore/batch/id_batch_query.hpp"
#include "runstore/queue/outcome_batch.hpp"
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
	/* workspace_ids: aligned with ids, NULL elements for unknown ones; they name fenced leases. */
	ArrayType *workspace_ids = nullptr;
	if (PG_NARGS() > 4 && !PG_ARGISNULL(4)) {
		if (!fenced)
			ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("workspace_ids needs attempts"),
			                errhint("Pass the attempt dequeue returned for each id along with its workspace.")));
		workspace_ids = runstore::pg::ReadAlignedArray(fcinfo, 4, "workspace_ids", any_ids ? batch.count : 0, true,
		                                               "Pass the workspace_id dequeue returned for each id.");
	}
	if (!any_ids)
		return (Datum)0; /* NULL or empty ids: nothing to extend */

	if (fenced) {
		runstore::pg::RunOutcomes(fcinfo,
		                          runstore::pg::MakeOutcomeBatch(runstore::pg::OutcomeKind::kHeartbeat, batch, worker,
		                                                         attempts, nullptr, nullptr, workspace_ids, lease));
		return (Datum)0;
	}
	ParamListInfo params = makeParamList(3);
	params->params[0] = ParamExternData{worker, false, PARAM_FLAG_CONST, TEXTOID};
	params->params[1] = ParamExternData{PointerGetDatum(batch.array), false, PARAM_FLAG_CONST, UUIDARRAYOID};
	params->params[2] = ParamExternData{lease, false, PARAM_FLAG_CONST, INTERVALOID};
	runstore::pg::RunIdStatement(fcinfo, batch, &runstore::pg::statements::heartbeat, params, false);
	return (Datum)0;
}
