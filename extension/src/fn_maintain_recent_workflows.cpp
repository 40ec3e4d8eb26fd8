/*
 * fn_maintain_recent_workflows.cpp: runstore._maintain_recent_workflows()
 *
 * The one trigger function behind the AFTER INSERT / UPDATE / DELETE /
 * TRUNCATE statement-level triggers on runstore.executions: reads the
 * transition tables and keeps both recent-workflow summaries exact with a
 * few set-based statements per triggering statement, whatever its row count.
 */
extern "C" {
#include "postgres.h"

#include "commands/trigger.h"
#include "executor/spi.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
}

#include "runstore/pg/recent_workflow_direct_add.hpp"
#include "runstore/pg/recent_workflow_maintenance.hpp"
#include "runstore/pg/runstore_relations.hpp"
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
 * transition-table names) the function must refuse, not misread.
 */
void
RequireExecutionsTable(const TriggerData *td)
{
	if (!runstore::pg::IsExecutionsTable(td->tg_relation))
		ereport(ERROR, (errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
		                errmsg("runstore._maintain_recent_workflows() maintains runstore.executions only, not \"%s\"",
		                       RelationGetRelationName(td->tg_relation))));
}

} // namespace

RUNSTORE_FUNCTION(runstore_maintain_recent_workflows)
{
	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR, (errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
		                errmsg("runstore._maintain_recent_workflows() must be called as a trigger")));
	auto *td = reinterpret_cast<TriggerData *>(fcinfo->context);
	const TriggerEvent event = td->tg_event;
	if (!TRIGGER_FIRED_AFTER(event) || !TRIGGER_FIRED_FOR_STATEMENT(event))
		ereport(ERROR, (errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
		                errmsg("runstore._maintain_recent_workflows() must fire AFTER ... FOR EACH STATEMENT")));
	RequireExecutionsTable(td);

	/* INSERT under READ COMMITTED, without SPI (recent_workflow_direct_add.hpp says why). */
	if (TRIGGER_FIRED_BY_INSERT(event)) {
		RequireTransitionTables(td, false, true);
		if (runstore::pg::AddInsertedRunsDirectly(td, runstore::pg::RecentWorkflowSlot()))
			return PointerGetDatum(nullptr);
	}

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "runstore: SPI_connect failed");
	if (SPI_register_trigger_data(td) != SPI_OK_TD_REGISTER)
		elog(ERROR, "runstore: SPI_register_trigger_data failed");

	using runstore::pg::TransitionRows;
	if (TRIGGER_FIRED_BY_INSERT(event)) {
		RequireTransitionTables(td, false, true);
		runstore::pg::AddRecentRuns(TransitionRows::kAll);
	} else if (TRIGGER_FIRED_BY_DELETE(event)) {
		RequireTransitionTables(td, true, false);
		runstore::pg::RemoveRecentRuns(TransitionRows::kAll);
	} else if (TRIGGER_FIRED_BY_UPDATE(event)) {
		/* Removals first: a run moved within a group is then re-added with its new key. */
		RequireTransitionTables(td, true, true);
		if (runstore::pg::UpdateChangesGroups()) {
			runstore::pg::RemoveRecentRuns(TransitionRows::kChangedByUpdate);
			runstore::pg::AddRecentRuns(TransitionRows::kChangedByUpdate);
		}
	} else if (TRIGGER_FIRED_BY_TRUNCATE(event)) {
		runstore::pg::ClearRecentRuns();
	}

	SPI_finish();
	return PointerGetDatum(nullptr);
}
