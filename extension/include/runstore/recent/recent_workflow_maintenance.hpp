/*
 * recent_workflow_maintenance.hpp: keeping runstore.workspace_recent_workflow
 * and runstore.user_recent_workflow exact from statement-level triggers
 * (PostgreSQL zone).  Call inside an SPI connection on which the trigger's
 * transition tables are registered.
 *
 * The design (docs/architecture.md "Recent workflows"): each group has up to 16 slot rows;
 * a group's value is its greatest slot, and every slot names an existing run
 * of its group.
 *   - Adding runs writes the newest added run per group into this backend's
 *     slot, keeping the greater value: one write per group touched, and
 *     concurrent inserters into one group mostly touch different rows.  An
 *     INSERT under READ COMMITTED does it without SPI
 *     (recent_workflow_direct_add.hpp); everything else runs AddRecentRuns.
 *   - Removing runs (DELETE, or an UPDATE that moves a run or changes its
 *     created_at or id) only matters where a slot row names a removed run.
 *     Two statements, each reading what committed before it (the latest
 *     snapshot also under REPEATABLE READ and SERIALIZABLE): (1) delete the
 *     rows naming a removed run, found by exact key, returning the groups
 *     that lost one; (2) write each such group's latest remaining run into
 *     slot 0, locked FOR SHARE until the transaction ends, so a remover of
 *     that run waits for this one to commit and then sees its row.  The
 *     randomized test (tests/random/recent_workflows_random.sh) found the
 *     races both rules close.
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
