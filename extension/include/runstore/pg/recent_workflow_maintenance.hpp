/*
 * recent_workflow_maintenance.hpp: keeping runstore.workspace_recent_workflow
 * and runstore.user_recent_workflow exact from statement-level triggers
 * (PostgreSQL zone).  Call inside an SPI connection on which the trigger's
 * transition tables are registered.
 *
 * The design (README "Recent workflows"): each group has up to 16 slot rows;
 * a group's value is its greatest slot, and every slot names an existing run
 * of its group.
 *   - Adding runs upserts the newest added run per group into this backend's
 *     slot, keeping the greater value: one write per group touched, and
 *     concurrent inserters into one group mostly touch different rows.
 *   - Removing runs (DELETE, or an UPDATE that moves a run or changes its
 *     created_at or id) only matters where a slot names a removed run.  Those
 *     groups are collapsed: lock all their slots, then with a new snapshot
 *     drop them, then with another new snapshot write the group's latest
 *     remaining run (one index probe).  Locking first means no slot can
 *     change under the collapse; a new slot appearing meanwhile names a run
 *     the collapse does not need to know about.
 */
#pragma once

extern "C" {
#include "postgres.h"
}

namespace runstore::pg {

/* Which transition rows to read: a whole INSERT/DELETE, or only the rows of an UPDATE that changed group or order. */
enum class TransitionRows { kAll, kChangedByUpdate };

/* The slot this backend writes: concurrent backends get different ones (up to 16). */
int16 RecentWorkflowSlot();

/* Adds the runs of runstore_new to both summaries. */
void AddRecentRuns(TransitionRows rows);

/* Removes the runs of runstore_old from both summaries. */
void RemoveRecentRuns(TransitionRows rows);

/* Empties both summaries (TRUNCATE of executions). */
void ClearRecentRuns();

} // namespace runstore::pg
