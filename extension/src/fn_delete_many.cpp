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

/* DELETE cannot ORDER BY: the ids come back sorted by their ordinality afterwards. */
#define RUNSTORE_DELETE_BY_IDS_SQL(condition)                                                        \
	"WITH deleted AS ("                                                                             \
	"  DELETE FROM runstore.executions x"                                                           \
	"  USING pg_catalog.unnest($1::pg_catalog.uuid[]) WITH ORDINALITY AS r(id, ord)"               \
	"  WHERE x.id OPERATOR(pg_catalog.=) r.id" condition                                            \
	"  RETURNING x.id, r.ord)"                                                                     \
	" SELECT d.id FROM deleted d ORDER BY d.ord"

runstore::pg::KeptPlan delete_by_ids = {RUNSTORE_DELETE_BY_IDS_SQL(""), 1, kIdsArg, nullptr};

runstore::pg::KeptPlan delete_by_ids_in_workspace = {
    RUNSTORE_DELETE_BY_IDS_SQL(" AND x.workspace_id OPERATOR(pg_catalog.=) $2"), 2, kIdsWorkspaceArgs, nullptr};

} // namespace

RUNSTORE_FUNCTION(runstore_delete_many)
{
	InitMaterializedSRF(fcinfo, MAT_SRF_USE_EXPECTED_DESC); /* SETOF uuid: a scalar result */
	runstore::pg::RunIdBatchQuery(fcinfo, &delete_by_ids, &delete_by_ids_in_workspace, false);
	return (Datum) 0;
}
