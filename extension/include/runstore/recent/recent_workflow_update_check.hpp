/*
 * recent_workflow_update_check.hpp: whether an UPDATE of runstore.executions
 * left every run's group and order as they were, read straight from the
 * transition tables (PostgreSQL zone).
 *
 * Why: almost every UPDATE of executions is the queue's (dequeue, heartbeat,
 * complete, fail, cancel change status, lease and result, never group,
 * created_at or id).  Deciding that through SPI cost each of them an SPI
 * connection, the planner settings and one statement over both transition
 * tables; here it is one pass comparing five columns.
 */
#pragma once

extern "C" {
#include "postgres.h"

#include "commands/trigger.h"
}

namespace runstore::pg {

/*
 * True when every old row equals the new row at the same position in
 * workspace_id, workflow_id, user_id, created_at and id (byte equality), so
 * the summaries need nothing.  False means "maybe changed": the caller asks
 * the SPI statement, which pairs rows by id.  Sound without relying on the
 * pairing: if each old row equals some new row, the new rows are the old
 * ones (ids are unique).  PostgreSQL does store an UPDATE's old and new rows
 * in the same order, so a queue UPDATE never falls through.  Also false
 * when runstore.direct_paths is off or the five columns are not all there
 * with the extension's types (ExecutionsShape).
 */
bool UpdateKeepsEveryGroup(const TriggerData *td);

} // namespace runstore::pg
