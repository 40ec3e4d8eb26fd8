/*
 * fn_get_executions_by_ids.cpp: runstore.get_executions_by_ids(uuid[], bigint)
 *
 * One index scan for a whole dashboard's worth of ids, instead of one round
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
#include "runstore/pg_boundary.hpp"

namespace {

const Oid kIdsArg[] = {UUIDARRAYOID};
const Oid kIdsWorkspaceArgs[] = {UUIDARRAYOID, INT8OID};

runstore::pg::KeptPlan select_by_ids = {
    "SELECT e.* FROM runstore.executions e WHERE e.id OPERATOR(pg_catalog.=) ANY ($1)", 1, kIdsArg, nullptr};

runstore::pg::KeptPlan select_by_ids_in_workspace = {
    "SELECT e.* FROM runstore.executions e "
    "WHERE e.id OPERATOR(pg_catalog.=) ANY ($1) AND e.workspace_id OPERATOR(pg_catalog.=) $2",
    2, kIdsWorkspaceArgs, nullptr};

} // namespace

RUNSTORE_FUNCTION(runstore_get_executions_by_ids)
{
	InitMaterializedSRF(fcinfo, 0);
	/* STABLE: read with the calling query's snapshot. */
	runstore::pg::RunIdBatchQuery(fcinfo, &select_by_ids, &select_by_ids_in_workspace, true, SPI_OK_SELECT);
	return (Datum) 0;
}
