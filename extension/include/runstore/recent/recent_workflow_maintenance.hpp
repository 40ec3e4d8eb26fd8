/*
 * recent_workflow_maintenance.hpp: recording what writes change in the
 * recent-workflows summaries, from statement-level triggers (PostgreSQL
 * zone).  Call inside an SPI connection on which the trigger's transition
 * tables are registered.
 *
 * The design (docs/architecture.md "Recent workflows"): writers append to
 * runstore.recent_workflow_pending, the fold (recent_workflow_fold.hpp)
 * merges it into the folded tables, and every read merges both.
 *   - Adding runs (INSERT, COPY, the new side of an UPDATE that moved runs or
 *     changed created_at or id) appends each touched group's newest added
 *     run.  An INSERT does it without SPI where it can
 *     (pending_appender.hpp); everything else runs the statements here.
 *   - Removing runs (DELETE, the old side of such an UPDATE) appends a
 *     recheck mark per group that lost runs: the fold, and until then every
 *     read, take that group's latest run from executions.
 * Nothing is read and no row is locked, so writers never wait for each
 * other, under any isolation level.
 */
#pragma once

extern "C" {
#include "postgres.h"
}

#include "runstore/pg/citus_shards.hpp"

namespace runstore::pg {

/*
 * jit and enable_seqscan off (and, on a Citus shard, manual changes to
 * shards allowed) for the kept upkeep and fold plans, until
 * RestoreUpkeepPlannerSettings(the returned nest level) or the
 * (sub)transaction's end; recent_workflow_maintenance.cpp says why.
 */
int ApplyUpkeepPlannerSettings(bool on_shard);
void RestoreUpkeepPlannerSettings(int nest_level);

/* UPDATE: whether any run changed group, created_at or id (else nothing to do). */
bool UpdateChangesGroups();

/*
 * The rest run `plans`: the statements against runstore's tables, or, for a
 * trigger on a Citus shard, against its co-located shards (citus_shards.hpp).
 */
/* INSERT: appends the newest run of each group of runstore_new; returns the rows appended. */
int64 AppendInsertedRuns(const RecentPlans &plans);

/* UPDATE that changed groups: marks its old side's groups, appends its new side's; returns the rows appended. */
int64 RecordUpdatedRuns(const RecentPlans &plans);

/* DELETE: marks the groups of runstore_old; returns the rows appended. */
int64 MarkDeletedRuns(const RecentPlans &plans);

/* Empties both summaries and the pending rows (TRUNCATE of executions). */
void ClearRecentRuns(const RecentPlans &plans);

} // namespace runstore::pg
