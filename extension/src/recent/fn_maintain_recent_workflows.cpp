/*
 * fn_maintain_recent_workflows.cpp: runstore._maintain_recent_workflows()
 *
 * The one trigger function behind the AFTER INSERT / UPDATE / DELETE /
 * TRUNCATE statement-level triggers on runstore.executions: records what
 * the statement changed in the pending table (one append per group touched,
 * whatever the row count) and, every few dozen appends, folds
 * (recent_workflow_maintenance.hpp, recent_workflow_fold.hpp).
 */
extern "C" {
#include "postgres.h"

#include "commands/trigger.h"
#include "access/table.h"
#include "executor/spi.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
}

#include "runstore/recent/pending_appender.hpp"
#include "runstore/recent/recent_workflow_fold.hpp"
#include "runstore/recent/recent_workflow_maintenance.hpp"
#include "runstore/recent/recent_workflow_update_check.hpp"
#include "runstore/pg/citus_shards.hpp"
#include "runstore/pg/trigger_call.hpp"
#include "runstore/pg_boundary.hpp"

namespace {

void
RequireTransitionTables(const TriggerData *td, bool old_table, bool new_table)
{
	if ((old_table && td->tg_oldtable == nullptr) || (new_table && td->tg_newtable == nullptr))
		ereport(ERROR, (errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
		                errmsg("trigger \"%s\" must declare REFERENCING %s", td->tg_trigger->tgname,
		                       old_table && new_table ? "OLD TABLE AS runstore_old NEW TABLE AS runstore_new"
		                       : old_table            ? "OLD TABLE AS runstore_old"
		                                              : "NEW TABLE AS runstore_new")));
}

/*
 * The summaries describe runstore.executions and the kept plans read its
 * columns by position: on any other table (even a look-alike with the same
 * transition-table names) the function must refuse, not misread.  On Citus
 * it fires on each shard of executions (citus_shards.hpp), and on the
 * coordinator's shell only for a TRUNCATE, which the shards' triggers handle.
 */
runstore::pg::ExecutionsTarget
RequireExecutionsTable(const TriggerData *td)
{
	const runstore::pg::ExecutionsTarget target = runstore::pg::ResolveExecutionsTarget(td->tg_relation);
	if (target.role == runstore::pg::ExecutionsRole::kNone)
		ereport(ERROR, (errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
		                errmsg("runstore._maintain_recent_workflows() maintains runstore.executions only, not \"%s\"",
		                       RelationGetRelationName(td->tg_relation))));
	return target;
}

} // namespace

RUNSTORE_FUNCTION(runstore_maintain_recent_workflows)
{
	TriggerData *td = runstore::pg::RequireTriggerCall(fcinfo, "runstore._maintain_recent_workflows()");
	const TriggerEvent event = td->tg_event;
	if (!TRIGGER_FIRED_AFTER(event) || !TRIGGER_FIRED_FOR_STATEMENT(event))
		ereport(ERROR, (errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
		                errmsg("runstore._maintain_recent_workflows() must fire AFTER ... FOR EACH STATEMENT")));
	const runstore::pg::ExecutionsTarget target = RequireExecutionsTable(td);
	if (target.role == runstore::pg::ExecutionsRole::kShell ||
	    target.role == runstore::pg::ExecutionsRole::kUnlistedShard)
		return PointerGetDatum(nullptr);

	/* INSERT without SPI where it can (pending_appender.hpp says why). */
	int64 appended = -1;
	if (TRIGGER_FIRED_BY_INSERT(event)) {
		RequireTransitionTables(td, false, true);
		if (target.summaries_present)
			appended = runstore::pg::AppendInsertedRunsDirectly(td, target.pending);
		if (appended >= 0 && !runstore::pg::TakeFoldTurn(appended, target.shard_id))
			return PointerGetDatum(nullptr);
	}

	/* An UPDATE that moved no run (the queue's): nothing to do (recent_workflow_update_check.hpp says why). */
	if (TRIGGER_FIRED_BY_UPDATE(event)) {
		RequireTransitionTables(td, true, true);
		if (runstore::pg::UpdateKeepsEveryGroup(td))
			return PointerGetDatum(nullptr);
	}

	/*
	 * A database still on 0.1.0's objects (slot tables, no pending table)
	 * with this library loaded: say what to do rather than fail on a
	 * missing relation.
	 */
	if (!target.summaries_present)
		ereport(ERROR,
		        (errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
		         errmsg("runstore's library keeps recent workflows in runstore.recent_workflow_pending, which this "
		                "database lacks"),
		         errhint("Run ALTER EXTENSION runstore UPDATE to bring the extension's objects up to the library.")));
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "runstore: SPI_connect failed");
	if (SPI_register_trigger_data(td) != SPI_OK_TD_REGISTER)
		elog(ERROR, "runstore: SPI_register_trigger_data failed");
	const int planner_settings =
	    runstore::pg::ApplyUpkeepPlannerSettings(target.role == runstore::pg::ExecutionsRole::kShard);

	/* INSERT and UPDATE had their transition tables checked above. */
	const runstore::pg::RecentPlans &plans = target.plans;
	const int64 shard = target.shard_id;
	bool fold = appended >= 0; /* a direct INSERT whose fold turn came */
	if (TRIGGER_FIRED_BY_INSERT(event)) {
		if (appended < 0)
			fold = runstore::pg::TakeFoldTurn(runstore::pg::AppendInsertedRuns(plans), shard);
	} else if (TRIGGER_FIRED_BY_DELETE(event)) {
		RequireTransitionTables(td, true, false);
		fold = runstore::pg::TakeFoldTurn(runstore::pg::MarkDeletedRuns(plans), shard);
	} else if (TRIGGER_FIRED_BY_UPDATE(event)) {
		if (runstore::pg::UpdateChangesGroups())
			fold = runstore::pg::TakeFoldTurn(runstore::pg::RecordUpdatedRuns(plans), shard);
	} else if (TRIGGER_FIRED_BY_TRUNCATE(event)) {
		runstore::pg::ClearRecentRuns(plans);
	}
	if (fold)
		(void)runstore::pg::FoldPending(plans);

	runstore::pg::RestoreUpkeepPlannerSettings(planner_settings);
	SPI_finish();
	return PointerGetDatum(nullptr);
}

/* runstore.fold_recent_workflows(): the fold on demand (SECURITY DEFINER, granted to no one by default). */
RUNSTORE_FUNCTION(runstore_fold_recent_workflows)
{
	PG_RETURN_INT64(runstore::pg::FoldNow());
}

/* runstore._fold_recent_workflows_on(shard): the same for one Citus shard group (run on the node holding it). */
RUNSTORE_FUNCTION(runstore_fold_recent_workflows_on)
{
	Relation shard = table_open(PG_GETARG_OID(0), AccessShareLock);
	const int64 folded = runstore::pg::FoldShardNow(shard);
	table_close(shard, NoLock);
	PG_RETURN_INT64(folded);
}
