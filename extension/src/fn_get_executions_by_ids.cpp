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
#include "runstore/pg_boundary.hpp"

namespace {

const Oid kIdsArg[] = {UUIDARRAYOID};
const Oid kIdsWorkspaceArgs[] = {UUIDARRAYOID, INT8OID};

/*
 * unnest WITH ORDINALITY + ORDER BY ordinality: the caller's order, and the
 * planner knows the function scan already yields it, so the plan is a nested
 * loop of primary-key probes with no Sort (sql/plans.sql shows the plan).
 */
#define RUNSTORE_SELECT_BY_IDS_SQL(condition)                                                        \
	"SELECT x.* FROM pg_catalog.unnest($1::pg_catalog.uuid[]) WITH ORDINALITY AS r(id, ord)"       \
	" JOIN runstore.executions x ON x.id OPERATOR(pg_catalog.=) r.id" condition                     \
	" ORDER BY r.ord"

runstore::pg::KeptPlan select_by_ids = {RUNSTORE_SELECT_BY_IDS_SQL(""), 1, kIdsArg, nullptr};

runstore::pg::KeptPlan select_by_ids_in_workspace = {
    RUNSTORE_SELECT_BY_IDS_SQL(" AND x.workspace_id OPERATOR(pg_catalog.=) $2"), 2, kIdsWorkspaceArgs, nullptr};

} // namespace

RUNSTORE_FUNCTION(runstore_get_executions_by_ids)
{
	InitMaterializedSRF(fcinfo, 0);
	/* STABLE: read with the calling query's snapshot. */
	runstore::pg::RunIdBatchQuery(fcinfo, &select_by_ids, &select_by_ids_in_workspace, true);
	return (Datum) 0;
}
