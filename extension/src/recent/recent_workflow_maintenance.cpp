/*
 * recent_workflow_maintenance.cpp: see recent_workflow_maintenance.hpp.
 *
 * PostgreSQL zone: only trivially destructible locals, so an ERROR raised by
 * any SPI call below unwinds nothing of ours.
 */
extern "C" {
#include "postgres.h"

#include "executor/spi.h"
#include "utils/guc.h"
}

#include "runstore/pg/spi_plan.hpp"
#include "runstore/pg/statements.hpp"
#include "runstore/recent/recent_workflow_maintenance.hpp"

namespace runstore::pg {

namespace {

int64
Append(KeptPlan *kept)
{
	const int rc = SPI_execute_plan(GetKeptPlan(kept), nullptr, nullptr, false, 0);
	if (rc != SPI_OK_INSERT)
		elog(ERROR, "runstore: recent-workflows statement returned %s", SPI_result_code_string(rc));
	return static_cast<int64>(SPI_processed);
}

} // namespace

/*
 * Planner settings for the upkeep and fold statements, in force from here
 * until RestoreUpkeepPlannerSettings (an ERROR restores them with the (sub)transaction's
 * abort, as for a function's SET clause).  Set here, not as the function's
 * SET clause, because that clause is applied (parsed, saved, restored) on
 * every call, and the direct INSERT path, which plans nothing, is most calls:
 * it cost about 3% of a single-row INSERT.
 *
 * jit = off: the statements read the transition tables and their plans are
 * kept for the backend's life, costed for the first statement's row count.
 * After one bulk DELETE those costs pass jit_above_cost, and every later
 * single-row DELETE in that backend JIT-compiled the upkeep again (measured:
 * 330-390 ms instead of ~2.5 ms).  They touch a few rows per group; JIT never
 * pays for them.
 * enable_seqscan = off, for the same kept plans: the fold is meant to touch
 * only the folded rows of the groups it merges (index probes).  Planned
 * while the summary is small, a sequential scan of the folded table looks
 * cheaper and would stay in the plan as it grows to millions of rows.
 */
int
ApplyUpkeepPlannerSettings(bool on_shard)
{
	const int nest_level = NewGUCNestLevel();
	(void)set_config_option("jit", "off", PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SAVE, true, 0, false);
	(void)set_config_option("enable_seqscan", "off", PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SAVE, true, 0, false);
	/*
	 * On a Citus shard the statements write the co-located shards directly,
	 * as Citus's own executor does; Citus refuses a TRUNCATE of a shard
	 * from a session it does not know as its own unless this is on.
	 */
	if (on_shard)
		(void)set_config_option("citus.enable_manual_changes_to_shards", "on", PGC_USERSET, PGC_S_SESSION,
		                        GUC_ACTION_SAVE, true, 0, false);
	return nest_level;
}

void
RestoreUpkeepPlannerSettings(int nest_level)
{
	AtEOXact_GUC(true, nest_level);
}

bool
UpdateChangesGroups()
{
	return DatumGetBool(SelectOneValue(&statements::update_changes_groups, true));
}

int64
AppendInsertedRuns(const RecentPlans &plans)
{
	return Append(plans.append_inserted);
}

int64
RecordUpdatedRuns(const RecentPlans &plans)
{
	return Append(plans.change_updated);
}

int64
MarkDeletedRuns(const RecentPlans &plans)
{
	return Append(plans.mark_deleted);
}

void
ClearRecentRuns(const RecentPlans &plans)
{
	const int rc = SPI_execute_plan(GetKeptPlan(plans.truncate_recent), nullptr, nullptr, false, 0);
	if (rc != SPI_OK_UTILITY)
		elog(ERROR, "runstore: recent-workflows statement returned %s", SPI_result_code_string(rc));
}

} // namespace runstore::pg
