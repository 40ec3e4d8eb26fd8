/*
 * fn_dequeue.cpp: runstore.dequeue(text, int, interval)
 *
 * Claims up to max_jobs claimable executions for a worker in one statement
 * (queue_statements.cpp): queued ones whose run_after has come and running
 * ones whose lease ended, by priority then age, skipping rows other workers
 * hold locked.  Runs as the caller: UPDATE privilege and row-level security
 * apply.
 */
extern "C" {
#include "postgres.h"

#include "catalog/pg_type_d.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "nodes/params.h"
}

#include "runstore/pg/queue_arguments.hpp"
#include "runstore/pg/spi_run.hpp"
#include "runstore/pg/statements.hpp"
#include "runstore/pg_boundary.hpp"

RUNSTORE_FUNCTION(runstore_dequeue)
{
	InitMaterializedSRF(fcinfo, MAT_SRF_USE_EXPECTED_DESC);
	const Datum worker = runstore::pg::ReadWorker(fcinfo, 0);
	const int32 max_jobs = runstore::pg::ReadBatchCount(fcinfo, 1, "max_jobs");
	const Datum lease = runstore::pg::ReadLease(fcinfo, 2);

	ParamListInfo params = makeParamList(3);
	params->params[0] = ParamExternData{worker, false, PARAM_FLAG_CONST, TEXTOID};
	params->params[1] = ParamExternData{Int32GetDatum(max_jobs), false, PARAM_FLAG_CONST, INT4OID};
	params->params[2] = ParamExternData{lease, false, PARAM_FLAG_CONST, INTERVALOID};

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "runstore: SPI_connect failed");
	runstore::pg::RunKeptPlan(&runstore::pg::statements::dequeue, params, SPI_OK_SELECT);
	runstore::pg::AppendSpiRows(reinterpret_cast<ReturnSetInfo *>(fcinfo->resultinfo));
	SPI_finish();
	return (Datum) 0;
}
