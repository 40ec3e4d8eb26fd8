/*
 * fn_get_executions_by_ids.cpp: runstore.get_executions_by_ids(uuid[], bigint)
 *
 * One statement for a whole dashboard's worth of ids, instead of one round
 * trip per id.  Runs as the caller through SPI, so table privileges and
 * row-level security apply exactly as to a plain SELECT.
 */
extern "C" {
#include "postgres.h"

#include "catalog/pg_type_d.h"
#include "executor/spi.h"
#include "funcapi.h"
}

#include "runstore/pg/id_batch_query.hpp"
#include "runstore/pg/statements.hpp"
#include "runstore/pg_boundary.hpp"

RUNSTORE_FUNCTION(runstore_get_executions_by_ids)
{
	InitMaterializedSRF(fcinfo, 0);
	/* STABLE: read with the calling query's snapshot. */
	runstore::pg::RunIdBatchQuery(fcinfo, &runstore::pg::statements::select_by_ids,
	                              &runstore::pg::statements::select_by_ids_in_workspace, true);
	return (Datum) 0;
}
