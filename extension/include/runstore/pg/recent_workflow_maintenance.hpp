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
 *     created_at or id) only matters where a slot names a removed run.  Each
 *     step is its own statement, so under READ COMMITTED each sees what
 *     committed before it: (1) lock the slots of every group losing a run,
 *     which makes a concurrent collapse of the same group finish first; (2)
 *     find the groups whose slots name a removed run; (3) drop their slots;
 *     (4) write each one's latest remaining run (one index probe).  A slot
 *     appearing after (1) is a concurrent inserter's and names a run this
 *     statement does not remove.  The randomized test
 *     (tests/random/recent_workflows_random.sh) found the race that made (1)
 *     lock all touched groups, not only those named in (2).
 */
#pragma once

extern "C" {
#include "postgres.h"
}

namespace runstore::pg {

/* Slots per group; the slot tables' CHECK (slot BETWEEN 0 AND 15) and runstore.summary_slot agree. */
constexpr int kRecentWorkflowSlots = 16;

/* Which transition rows to read: a whole INSERT/DELETE, or only the rows of an UPDATE that changed group or order. */
enum class TransitionRows { kAll, kChangedByUpdate };

/* The slot this backend writes: concurrent backends get different ones (up to 16). */
int16 RecentWorkflowSlot();

/* UPDATE: whether any run changed group, created_at or id (else nothing to do). */
bool UpdateChangesGroups();

/* Adds the runs of runstore_new to both summaries. */
void AddRecentRuns(TransitionRows rows);

/* Removes the runs of runstore_old from both summaries. */
void RemoveRecentRuns(TransitionRows rows);

/* Empties both summaries (TRUNCATE of executions). */
void ClearRecentRuns();

} // namespace runstore::pg
