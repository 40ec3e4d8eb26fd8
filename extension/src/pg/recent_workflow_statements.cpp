/*
 * recent_workflow_statements.cpp: the SQL the recent-workflows triggers and
 * recent_workflows() run (see statements.hpp and README "Recent workflows").
 *
 * The trigger statements read the transition tables runstore_new and
 * runstore_old (registered with SPI_register_trigger_data).  Every table,
 * function and operator is schema-qualified: the trigger function is
 * SECURITY DEFINER, so a caller's search_path must not reach it.  That rules
 * out IN (...) and IS DISTINCT FROM, which look "=" up by name.
 */
extern "C" {
#include "postgres.h"

#include "catalog/pg_type_d.h"
#include "nodes/parsenodes.h"
}

#include "runstore/pg/statements.hpp"

namespace runstore::pg::statements {

namespace {

const Oid kSlotArg[] = {INT2OID};
const Oid kWorkspaceGroupsArgs[] = {INT8ARRAYOID, INT8ARRAYOID};
const Oid kUserGroupsArgs[] = {INT8ARRAYOID, TEXTARRAYOID, INT8ARRAYOID};
const Oid kRecentArgs[] = {INT8OID, INT8OID};
const Oid kRecentUserArgs[] = {INT8OID, INT8OID, TEXTOID};

} // namespace

#define EQ " OPERATOR(pg_catalog.=) "
#define GT " OPERATOR(pg_catalog.>) "
/* a = b, NULLs equal */
#define SAME(a, b) "(" a EQ b " OR (" a " IS NULL AND " b " IS NULL))"
/* (new_at, new_id) > (old_at, old_id), written out: a row comparison looks ">" up by name */
#define NEWER(new_at, new_id, old_at, old_id)                                                      \
	"(" new_at GT old_at " OR (" new_at EQ old_at " AND " new_id GT old_id "))"

/* Rows of an UPDATE whose group membership or order key changed, old and new side. */
#define RUNSTORE_CHANGED(side, other)                                                              \
	"(SELECT " side ".* FROM runstore_" side " " side " WHERE NOT EXISTS (SELECT 1 FROM runstore_" other " " other \
	" WHERE " other ".id" EQ side ".id AND " other ".workspace_id" EQ side ".workspace_id AND "                      \
	SAME(other ".workflow_id", side ".workflow_id") " AND " SAME(other ".user_id", side ".user_id")                 \
	" AND " other ".created_at" EQ side ".created_at))"
#define UPDATED_NEW RUNSTORE_CHANGED("new", "old")
#define UPDATED_OLD RUNSTORE_CHANGED("old", "new")

/*
 * Whether an UPDATE changed what the summaries read.  The old side suffices:
 * ids are unique, so if every old row has an identical new row (same id,
 * group and created_at), the new rows are the old ones.  Lets the common
 * UPDATE (status, heartbeat, result) skip the rest with one cheap query.
 */
KeptPlan update_changes_groups = {"SELECT EXISTS (SELECT 1 FROM " UPDATED_OLD " c)", 0, nullptr, nullptr};

/*
 * Adding runs: one upsert per group touched, into this backend's slot ($1),
 * keeping the greater (created_at, id).  Rows go in key order, so two
 * statements sharing a slot lock their rows in the same order.
 */
#define WORKSPACE_ADD(source)                                                                      \
	"INSERT INTO runstore.workspace_recent_workflow_slot AS s"                                     \
	" (workspace_id, workflow_id, slot, last_used_at, last_execution_id)"                           \
	" SELECT DISTINCT ON (n.workspace_id, n.workflow_id) n.workspace_id, n.workflow_id, $1, n.created_at, n.id" \
	" FROM " source " n WHERE n.workflow_id IS NOT NULL"                                           \
	" ORDER BY n.workspace_id, n.workflow_id, n.created_at DESC, n.id DESC"                        \
	" ON CONFLICT (workspace_id, workflow_id, slot) DO UPDATE"                                      \
	" SET last_used_at = excluded.last_used_at, last_execution_id = excluded.last_execution_id"     \
	" WHERE " NEWER("excluded.last_used_at", "excluded.last_execution_id", "s.last_used_at", "s.last_execution_id")

#define USER_ADD(source)                                                                           \
	"INSERT INTO runstore.user_recent_workflow_slot AS s"                                          \
	" (workspace_id, user_id, workflow_id, slot, last_used_at, last_execution_id)"                  \
	" SELECT DISTINCT ON (n.workspace_id, n.user_id, n.workflow_id)"                               \
	" n.workspace_id, n.user_id, n.workflow_id, $1, n.created_at, n.id"                            \
	" FROM " source " n WHERE n.workflow_id IS NOT NULL AND n.user_id IS NOT NULL"                 \
	" ORDER BY n.workspace_id, n.user_id, n.workflow_id, n.created_at DESC, n.id DESC"             \
	" ON CONFLICT (workspace_id, user_id, workflow_id, slot) DO UPDATE"                             \
	" SET last_used_at = excluded.last_used_at, last_execution_id = excluded.last_execution_id"     \
	" WHERE " NEWER("excluded.last_used_at", "excluded.last_execution_id", "s.last_used_at", "s.last_execution_id")

/* Both scopes in one statement: one executor run and one snapshot per triggering statement. */
#define BOTH_ADD(source) "WITH workspace_scope AS (" WORKSPACE_ADD(source) " RETURNING 1) " USER_ADD(source)

KeptPlan add_inserted = {BOTH_ADD("runstore_new"), 1, kSlotArg, nullptr};
KeptPlan add_updated = {BOTH_ADD(UPDATED_NEW), 1, kSlotArg, nullptr};

/*
 * Removing runs, step 1: lock every slot row of every group that loses a run,
 * in key order.  All of them, not only those naming a removed run: a
 * concurrent collapse of the same group may be about to name one of this
 * statement's removed runs in a slot it has not committed yet.  Holding the
 * group's slots makes such a collapse finish first (or start after this
 * transaction ends), so step 2 sees what it wrote.
 *
 * The workspace scope's locks serve the user scope too: every user group
 * (workspace, user, workflow) lies inside the workspace group (workspace,
 * workflow), and every collapse, of either scope, takes this lock first.
 *
 * The statement is shaped so that its cost follows the groups touched, never
 * the size of the summary: the distinct groups of the removed rows, then one
 * primary-key probe per group (a LATERAL subquery with a row lock is never
 * flattened into a hash join over the whole slot table).  Its plan is built
 * once per backend, whatever the size of the first transition table.
 */
#define WORKSPACE_LOCK(source)                                                                     \
	"SELECT 1 FROM (SELECT DISTINCT o.workspace_id, o.workflow_id FROM " source " o"               \
	" WHERE o.workflow_id IS NOT NULL ORDER BY o.workspace_id, o.workflow_id) g"                    \
	" CROSS JOIN LATERAL (SELECT 1 FROM runstore.workspace_recent_workflow_slot s"                 \
	" WHERE s.workspace_id" EQ "g.workspace_id AND s.workflow_id" EQ "g.workflow_id"               \
	" ORDER BY s.slot FOR UPDATE OF s) l"

KeptPlan workspace_lock_deleted = {WORKSPACE_LOCK("runstore_old"), 0, nullptr, nullptr};
KeptPlan workspace_lock_updated = {WORKSPACE_LOCK(UPDATED_OLD), 0, nullptr, nullptr};

/*
 * Step 2 (a new statement, so a new snapshot under READ COMMITTED): the
 * groups where a slot names a removed run.  Only those can have lost their
 * latest run: every slot names an existing run of its group, and the group's
 * latest run is named by its greatest slot.  One probe per removed row (LIMIT
 * keeps the LATERAL subquery a parameterized index scan).
 */
#define WORKSPACE_FIND(source)                                                                     \
	"SELECT DISTINCT o.workspace_id, o.workflow_id FROM " source " o"                              \
	" CROSS JOIN LATERAL (SELECT 1 FROM runstore.workspace_recent_workflow_slot r"                 \
	" WHERE r.workspace_id" EQ "o.workspace_id AND r.workflow_id" EQ "o.workflow_id"               \
	" AND r.last_execution_id" EQ "o.id LIMIT 1) r"                                                \
	" ORDER BY o.workspace_id, o.workflow_id"

#define USER_FIND(source)                                                                          \
	"SELECT DISTINCT o.workspace_id, o.user_id, o.workflow_id FROM " source " o"                   \
	" CROSS JOIN LATERAL (SELECT 1 FROM runstore.user_recent_workflow_slot r"                      \
	" WHERE r.workspace_id" EQ "o.workspace_id AND r.user_id" EQ "o.user_id"                       \
	" AND r.workflow_id" EQ "o.workflow_id AND r.last_execution_id" EQ "o.id LIMIT 1) r"           \
	" ORDER BY o.workspace_id, o.user_id, o.workflow_id"

KeptPlan workspace_find_deleted = {WORKSPACE_FIND("runstore_old"), 0, nullptr, nullptr};
KeptPlan workspace_find_updated = {WORKSPACE_FIND(UPDATED_OLD), 0, nullptr, nullptr};
KeptPlan user_find_deleted = {USER_FIND("runstore_old"), 0, nullptr, nullptr};
KeptPlan user_find_updated = {USER_FIND(UPDATED_OLD), 0, nullptr, nullptr};

/* Step 3 (a new snapshot again): drop those groups' slots. */
KeptPlan workspace_clear_groups = {
    "DELETE FROM runstore.workspace_recent_workflow_slot s"
    " USING ROWS FROM (pg_catalog.unnest($1::pg_catalog.int8[]), pg_catalog.unnest($2::pg_catalog.int8[])) AS g(workspace_id, workflow_id)"
    " WHERE s.workspace_id" EQ "g.workspace_id AND s.workflow_id" EQ "g.workflow_id",
    2, kWorkspaceGroupsArgs, nullptr};
KeptPlan user_clear_groups = {
    "DELETE FROM runstore.user_recent_workflow_slot s"
    " USING ROWS FROM (pg_catalog.unnest($1::pg_catalog.int8[]), pg_catalog.unnest($2::pg_catalog.text[]),"
    " pg_catalog.unnest($3::pg_catalog.int8[]))"
    " AS g(workspace_id, user_id, workflow_id)"
    " WHERE s.workspace_id" EQ "g.workspace_id AND s.user_id" EQ "g.user_id AND s.workflow_id" EQ "g.workflow_id",
    3, kUserGroupsArgs, nullptr};

/*
 * Step 4 (a new snapshot again): each group's latest remaining run, one index
 * probe per group, into slot 0, keeping the greater value should a
 * concurrent inserter have written slot 0 meanwhile.
 */
KeptPlan workspace_recompute_groups = {
    "INSERT INTO runstore.workspace_recent_workflow_slot AS s"
    " (workspace_id, workflow_id, slot, last_used_at, last_execution_id)"
    " SELECT g.workspace_id, g.workflow_id, 0, t.created_at, t.id"
    " FROM ROWS FROM (pg_catalog.unnest($1::pg_catalog.int8[]), pg_catalog.unnest($2::pg_catalog.int8[])) AS g(workspace_id, workflow_id)"
    " CROSS JOIN LATERAL (SELECT e.created_at, e.id FROM runstore.executions e"
    "  WHERE e.workspace_id" EQ "g.workspace_id AND e.workflow_id" EQ "g.workflow_id"
    "  ORDER BY e.created_at DESC, e.id DESC LIMIT 1) t"
    " ORDER BY g.workspace_id, g.workflow_id"
    " ON CONFLICT (workspace_id, workflow_id, slot) DO UPDATE"
    " SET last_used_at = excluded.last_used_at, last_execution_id = excluded.last_execution_id"
    " WHERE " NEWER("excluded.last_used_at", "excluded.last_execution_id", "s.last_used_at", "s.last_execution_id"),
    2, kWorkspaceGroupsArgs, nullptr};
KeptPlan user_recompute_groups = {
    "INSERT INTO runstore.user_recent_workflow_slot AS s"
    " (workspace_id, user_id, workflow_id, slot, last_used_at, last_execution_id)"
    " SELECT g.workspace_id, g.user_id, g.workflow_id, 0, t.created_at, t.id"
    " FROM ROWS FROM (pg_catalog.unnest($1::pg_catalog.int8[]), pg_catalog.unnest($2::pg_catalog.text[]),"
    " pg_catalog.unnest($3::pg_catalog.int8[]))"
    " AS g(workspace_id, user_id, workflow_id)"
    " CROSS JOIN LATERAL (SELECT e.created_at, e.id FROM runstore.executions e"
    "  WHERE e.workspace_id" EQ "g.workspace_id AND e.user_id" EQ "g.user_id AND e.workflow_id" EQ "g.workflow_id"
    "  ORDER BY e.created_at DESC, e.id DESC LIMIT 1) t"
    " ORDER BY g.workspace_id, g.user_id, g.workflow_id"
    " ON CONFLICT (workspace_id, user_id, workflow_id, slot) DO UPDATE"
    " SET last_used_at = excluded.last_used_at, last_execution_id = excluded.last_execution_id"
    " WHERE " NEWER("excluded.last_used_at", "excluded.last_execution_id", "s.last_used_at", "s.last_execution_id"),
    3, kUserGroupsArgs, nullptr};

KeptPlan truncate_recent = {
    "TRUNCATE runstore.workspace_recent_workflow_slot, runstore.user_recent_workflow_slot", 0, nullptr, nullptr};

/*
 * recent_workflows: slot rows newest first, read through a cursor until
 * max_results distinct workflows are seen.  A group's first row in this order
 * is its greatest slot.  $2 = 16 * max_results bounds the read (a group has
 * at most 16 slots) and, with the fast-start cursor option, steers the
 * planner to the index that matches the ORDER BY instead of a sort.
 */
KeptPlan recent_in_workspace = {
    "SELECT s.workflow_id, s.last_used_at, s.last_execution_id FROM runstore.workspace_recent_workflow_slot s"
    " WHERE s.workspace_id" EQ "$1"
    " ORDER BY s.last_used_at DESC, s.workflow_id DESC, s.last_execution_id DESC LIMIT $2",
    2, kRecentArgs, nullptr, CURSOR_OPT_FAST_PLAN};
KeptPlan recent_for_user = {
    "SELECT s.workflow_id, s.last_used_at, s.last_execution_id FROM runstore.user_recent_workflow_slot s"
    " WHERE s.workspace_id" EQ "$1 AND s.user_id" EQ "$3"
    " ORDER BY s.last_used_at DESC, s.workflow_id DESC, s.last_execution_id DESC LIMIT $2",
    3, kRecentUserArgs, nullptr, CURSOR_OPT_FAST_PLAN};

} // namespace runstore::pg::statements
