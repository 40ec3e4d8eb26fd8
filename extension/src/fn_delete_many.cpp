/*
 * fn_delete_many.cpp: runstore.delete_many(uuid[], bigint)
 *
 * Deletes a batch of executions in one statement and returns the ids it
 * deleted.  Runs as the caller through SPI: DELETE privilege and row-level
 * security apply exactly as to a plain DELETE, and every trigger on the table
 * fires as usual.
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

runstore::pg::KeptPlan delete_by_ids = {
    "DELETE FROM runstore.executions e WHERE e.id OPERATOR(pg_catalog.=) ANY ($1) RETURNING e.id", 1, kIdsArg,
    nullptr};

runstore::pg::KeptPlan delete_by_ids_in_workspace = {
    "DELETE FROM runstore.executions e "
    "WHERE e.id OPERATOR(pg_catalog.=) ANY ($1) AND e.workspace_id OPERATOR(pg_catalog.=) $2 RETURNING e.id",
    2, kIdsWorkspaceArgs, nullptr};

} // namespace

RUNSTORE_FUNCTION(runstore_delete_many)
{
	InitMaterializedSRF(fcinfo, MAT_SRF_USE_EXPECTED_DESC); /* SETOF uuid: a scalar result */
	runstore::pg::RunIdBatchQuery(fcinfo, &delete_by_ids, &delete_by_ids_in_workspace, false,
	                              SPI_OK_DELETE_RETURNING);
	return (Datum) 0;
}
