/*
 * recent_workflow_statements.cpp: the SQL the recent-workflows triggers and
 * recent_workflows() run (see statements.hpp and docs/architecture.md "Recent workflows").
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

/* SQL text laid out by hand: clang-format would break it mid-clause. */
/* clang-format off */
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
 * A slot's value lives in its key, (group, slot, last_used_at,
 * last_execution_id), so every write gives the row a new key.  Why: while a
 * long transaction holds the xmin horizon back, a row written over and over
 * keeps an index entry per version, and PostgreSQL's uniqueness check of each
 * new entry visits every earlier version of the entry's key.  With a fixed
 * (group, slot) key every write was O(versions) under a held horizon; with
 * the value in the key each new entry's key is new.  A slot's value only
 * grows, so its live row is the first a backward scan of (group, slot) meets,
 * above its dead versions.
 *
 * ADD_SLOT (adding runs, the hot path): for each row of the CTE <p>_src (the
 * group columns, created_at, id; in key order), lock the slot's newest row
 * FOR UPDATE (in key order, so writers sharing a slot queue in one order) and
 * if the source row is newer, update that row in place (by ctid) or insert
 * one if the slot is empty.  ADD_MISSES counts the rows the update did not
 * reach: when a writer sharing the slot changed the locked row and committed
 * during this statement, the lock returns the new version, which this
 * statement's snapshot cannot update.  The caller then runs the statement
 * again (a new snapshot; what it already wrote is a no-op).  Two writers
 * sharing an empty slot both insert: the slot then holds two rows, each
 * naming an existing run, which readers (a group's greatest row) and removal
 * (rows found by exact key) handle.
 *
 * WRITE_SLOT (a collapse's slot-0 write, rare): the same choice, but the
 * newer value is inserted and the locked row deleted, with ON CONFLICT DO
 * NOTHING, because two collapses can name the same run in slot 0, and an
 * in-place update could not skip the duplicate.
 *
 * MATCH(a) is the group equality of slot row s against alias a, COLS(a) the
 * group columns prefixed by a.
 */
#define SLOT_CUR(p, table, MATCH, slot)                                                            \
	" " p "_cur AS MATERIALIZED (SELECT n.*, c.ctid AS old_ctid FROM " p "_src n LEFT JOIN LATERAL"  \
	" (SELECT s.ctid, s.last_used_at, s.last_execution_id FROM " table " s"                         \
	" WHERE " MATCH("n") " AND s.slot" EQ slot                                                     \
	" ORDER BY s.last_used_at DESC, s.last_execution_id DESC LIMIT 1 FOR UPDATE OF s) c ON true"    \
	" WHERE c.ctid IS NULL OR " NEWER("n.created_at", "n.id", "c.last_used_at", "c.last_execution_id") "),"

#define SLOT_INSERT(p, table, COLS, slot, tail)                                                    \
	" " p "_added AS (INSERT INTO " table " (" COLS("") ", slot, last_used_at, last_execution_id)"  \
	" SELECT " COLS("w.") ", " slot ", w.created_at, w.id FROM " p "_cur w" tail " RETURNING 1)"

#define ADD_SLOT(p, table, MATCH, COLS)                                                            \
	SLOT_CUR(p, table, MATCH, "$1")                                                               \
	" " p "_moved AS (UPDATE " table " s SET last_used_at = w.created_at, last_execution_id = w.id" \
	" FROM " p "_cur w WHERE s.ctid" EQ "w.old_ctid RETURNING 1),"                                 \
	SLOT_INSERT(p, table, COLS, "$1", " WHERE w.old_ctid IS NULL")

#define ADD_MISSES(p)                                                                              \
	"(SELECT pg_catalog.count(*) FROM " p "_cur w WHERE w.old_ctid IS NOT NULL)"                   \
	" OPERATOR(pg_catalog.-) (SELECT pg_catalog.count(*) FROM " p "_moved)"

#define WRITE_SLOT(p, table, MATCH, COLS, slot)                                                    \
	SLOT_CUR(p, table, MATCH, slot)                                                               \
	" " p "_gone AS (DELETE FROM " table " s WHERE s.ctid" EQ "ANY (ARRAY(SELECT w.old_ctid FROM " p "_cur w" \
	" WHERE w.old_ctid IS NOT NULL)) RETURNING 1),"                                                 \
	SLOT_INSERT(p, table, COLS, slot, " ON CONFLICT DO NOTHING")

#define WS_TABLE "runstore.workspace_recent_workflow_slot"
#define US_TABLE "runstore.user_recent_workflow_slot"
#define WS_MATCH(a) "s.workspace_id" EQ a ".workspace_id AND s.workflow_id" EQ a ".workflow_id"
#define US_MATCH(a) WS_MATCH(a) " AND s.user_id" EQ a ".user_id"
#define WS_COLS(a) a "workspace_id, " a "workflow_id"
#define US_COLS(a) a "workspace_id, " a "user_id, " a "workflow_id"

/*
 * Adding runs: each touched group's newest added run, both scopes, into this
 * backend's slot ($1).  One statement: one executor run and one snapshot per
 * triggering statement.  Returns one int8, the groups to write again.
 */
#define BOTH_ADD(source)                                                                           \
	"WITH ws_src AS (SELECT DISTINCT ON (n.workspace_id, n.workflow_id)"                           \
	" n.workspace_id, n.workflow_id, n.created_at, n.id FROM " source " n WHERE n.workflow_id IS NOT NULL" \
	" ORDER BY n.workspace_id, n.workflow_id, n.created_at DESC, n.id DESC),"                       \
	ADD_SLOT("ws", WS_TABLE, WS_MATCH, WS_COLS) ","                                                \
	" us_src AS (SELECT DISTINCT ON (n.workspace_id, n.user_id, n.workflow_id)"                    \
	" n.workspace_id, n.user_id, n.workflow_id, n.created_at, n.id FROM " source " n"              \
	" WHERE n.workflow_id IS NOT NULL AND n.user_id IS NOT NULL"                                    \
	" ORDER BY n.workspace_id, n.user_id, n.workflow_id, n.created_at DESC, n.id DESC),"            \
	ADD_SLOT("us", US_TABLE, US_MATCH, US_COLS)                                                    \
	" SELECT " ADD_MISSES("ws") " OPERATOR(pg_catalog.+) " ADD_MISSES("us")

KeptPlan add_inserted = {BOTH_ADD("runstore_new"), 1, kSlotArg, nullptr};
KeptPlan add_updated = {BOTH_ADD(UPDATED_NEW), 1, kSlotArg, nullptr};

/*
 * Removing runs, step 1: delete every slot row naming a removed run, found by
 * its exact key (one probe of each of the 16 slots per removed run, never a
 * walk over a group's rows, which under a held horizon would meet every dead
 * version), and return the groups that lost a row: only they can have lost
 * their latest run, since every row names an existing run of its group and
 * a group's greatest row names its latest run.
 *
 * Rows naming a run are written by the transaction that inserted it (so they
 * are visible once the run is) or by step 2 of a collapse, which holds a
 * FOR SHARE lock on the run it names until it commits.  Deleting the run, or
 * changing its group or created_at, waits for that lock, so by the time this
 * statement (a later snapshot under READ COMMITTED) looks, every row naming
 * the run is committed and seen.  A row an inserter has locked is waited
 * for; if the inserter moved it to its newer run meanwhile, the delete goes
 * to that new version (a TID scan's recheck accepts it), so the group is
 * recomputed in step 2, which names the inserter's run again: extra work in
 * a rare race, never a wrong summary.
 */
#define SLOTS "'{0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15}'::pg_catalog.int2[]"
#define UNNAME(table, MATCH, COLS, source, extra)                                                  \
	"WITH gone AS (DELETE FROM " table " s WHERE s.ctid" EQ "ANY (ARRAY("                          \
	"SELECT r.ctid FROM " source " o CROSS JOIN LATERAL (SELECT s.ctid FROM " table " s"            \
	" WHERE " MATCH("o") " AND s.slot" EQ "ANY (" SLOTS ")"                                         \
	" AND s.last_used_at" EQ "o.created_at AND s.last_execution_id" EQ "o.id OFFSET 0) r"           \
	" WHERE o.workflow_id IS NOT NULL" extra ")) RETURNING " COLS("s.") ")"                        \
	" SELECT DISTINCT " COLS("gone.") " FROM gone ORDER BY " COLS("gone.")

KeptPlan workspace_unname_deleted = {UNNAME(WS_TABLE, WS_MATCH, WS_COLS, "runstore_old", ""), 0, nullptr, nullptr};
KeptPlan workspace_unname_updated = {UNNAME(WS_TABLE, WS_MATCH, WS_COLS, UPDATED_OLD, ""), 0, nullptr, nullptr};
KeptPlan user_unname_deleted = {UNNAME(US_TABLE, US_MATCH, US_COLS, "runstore_old", " AND o.user_id IS NOT NULL"),
                                0, nullptr, nullptr};
KeptPlan user_unname_updated = {UNNAME(US_TABLE, US_MATCH, US_COLS, UPDATED_OLD, " AND o.user_id IS NOT NULL"), 0,
                                nullptr, nullptr};

/*
 * Step 2 (a new snapshot again): each such group's latest remaining run, one
 * index probe per group, locked FOR SHARE until this transaction ends (see
 * step 1), written into slot 0 keeping the greater value.  Two collapses of
 * one group can name the same run in slot 0 (the second, waiting for the
 * first's lock on the slot's row, finds it deleted and inserts; or a run
 * moved by an UPDATE is named by its updater and, after it commits, by a
 * collapse that waited for it): the row is then already there, hence ON
 * CONFLICT DO NOTHING.  Adding runs needs none: only the transaction that
 * inserted or moved a run names it there.
 */
KeptPlan workspace_recompute_groups = {
    "WITH ws_src AS (SELECT g.workspace_id, g.workflow_id, t.created_at, t.id"
    " FROM ROWS FROM (pg_catalog.unnest($1::pg_catalog.int8[]), pg_catalog.unnest($2::pg_catalog.int8[])) AS g(workspace_id, workflow_id)"
    " CROSS JOIN LATERAL (SELECT e.created_at, e.id FROM runstore.executions e"
    "  WHERE e.workspace_id" EQ "g.workspace_id AND e.workflow_id" EQ "g.workflow_id"
    "  ORDER BY e.created_at DESC, e.id DESC LIMIT 1 FOR SHARE OF e) t"
    " ORDER BY g.workspace_id, g.workflow_id),"
    WRITE_SLOT("ws", WS_TABLE, WS_MATCH, WS_COLS, "0::pg_catalog.int2")
    " SELECT 1",
    2, kWorkspaceGroupsArgs, nullptr};
KeptPlan user_recompute_groups = {
    "WITH us_src AS (SELECT g.workspace_id, g.user_id, g.workflow_id, t.created_at, t.id"
    " FROM ROWS FROM (pg_catalog.unnest($1::pg_catalog.int8[]), pg_catalog.unnest($2::pg_catalog.text[]),"
    " pg_catalog.unnest($3::pg_catalog.int8[]))"
    " AS g(workspace_id, user_id, workflow_id)"
    " CROSS JOIN LATERAL (SELECT e.created_at, e.id FROM runstore.executions e"
    "  WHERE e.workspace_id" EQ "g.workspace_id AND e.user_id" EQ "g.user_id AND e.workflow_id" EQ "g.workflow_id"
    "  ORDER BY e.created_at DESC, e.id DESC LIMIT 1 FOR SHARE OF e) t"
    " ORDER BY g.workspace_id, g.user_id, g.workflow_id),"
    WRITE_SLOT("us", US_TABLE, US_MATCH, US_COLS, "0::pg_catalog.int2")
    " SELECT 1",
    3, kUserGroupsArgs, nullptr};

KeptPlan truncate_recent = {
    "TRUNCATE runstore.workspace_recent_workflow_slot, runstore.user_recent_workflow_slot", 0, nullptr, nullptr};

/*
 * recent_workflows: slot rows newest first, read through a cursor until
 * max_results distinct workflows are seen.  A group's first row in this order
 * is its greatest row.  $2 bounds the read (16 * max_results: a group has 16
 * slots, one row each but after a race; fn_recent_workflows.cpp reads again
 * with a larger bound if that was not enough) and, with the fast-start cursor
 * option, steers the planner to the index that matches the ORDER BY instead
 * of a sort.
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

/* clang-format on */
} // namespace runstore::pg::statements
