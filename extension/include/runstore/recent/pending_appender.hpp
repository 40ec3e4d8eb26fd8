/*
 * pending_appender.hpp: an INSERT's recent-workflow upkeep by direct heap
 * and index access (PostgreSQL zone).
 *
 * What the SPI statement append_inserted does (recent_workflow_statements.cpp):
 * append to runstore.recent_workflow_pending, per (workspace, workflow, user)
 * group of the statement's new rows, the group's newest run.  No lock is
 * taken but the table's RowExclusiveLock and nothing is read, so concurrent
 * writers of one group never wait for each other, under any isolation level.
 * Through SPI a single-row INSERT's append would cost an executor start-up
 * and shutdown several times the append itself.
 */
#pragma once

extern "C" {
#include "postgres.h"

#include "commands/trigger.h"
}

namespace runstore::pg {

/*
 * Appends the newest run of each group of the trigger's new transition
 * table to `pending` (runstore.recent_workflow_pending, or on a Citus shard
 * its co-located shard); returns how many rows it appended, or -1 (nothing written) when
 * the SQL statement must run instead: direct paths off, a pending table of
 * another shape than the extension's (PendingTableShape), missing INSERT
 * privilege or row-level security for the trigger's role, or a run whose
 * NOT NULL column is null.
 */
int64 AppendInsertedRunsDirectly(const TriggerData *td, Oid pending);

} // namespace runstore::pg
