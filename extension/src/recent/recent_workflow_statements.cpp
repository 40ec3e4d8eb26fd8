/*
 * recent_workflow_statements.cpp: the SQL the recent-workflows triggers, the
 * fold and recent_workflows() run (see statements.hpp and docs/architecture.md
 * "Recent workflows").
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

#define PENDING "runstore.recent_workflow_pending"
#define PENDING_COLUMNS "(workspace_id, workflow_id, user_id, last_used_at, last_execution_id)"
#define FOLDED "runstore.recent_workflow_folded"

/*
 * Appending added runs: per (workspace, workflow, user) group of `source`,
 * its newest run.  One row covers both scopes: the workspace group's value
 * is the greatest of its users' rows.  What the direct path
 * (pending_appender.hpp) writes for an INSERT.
 */
#define APPEND(source)                                                                             \
	"INSERT INTO " PENDING " " PENDING_COLUMNS                                                     \
	" SELECT DISTINCT ON (n.workspace_id, n.workflow_id, n.user_id)"                                \
	" n.workspace_id, n.workflow_id, n.user_id, n.created_at, n.id FROM " source " n"               \
	" WHERE n.workflow_id IS NOT NULL"                                                             \
	" ORDER BY n.workspace_id, n.workflow_id, n.user_id, n.created_at DESC, n.id DESC"

/* Marking the groups that lost runs of `source`: a recheck mark (NULL value) per group, both scopes. */
#define MARK(source)                                                                               \
	"INSERT INTO " PENDING " " PENDING_COLUMNS                                                     \
	" SELECT DISTINCT o.workspace_id, o.workflow_id, o.user_id, NULL::pg_catalog.timestamptz, NULL::pg_catalog.uuid" \
	" FROM " source " o WHERE o.workflow_id IS NOT NULL"

KeptPlan append_inserted = {APPEND("runstore_new"), 0, nullptr, nullptr};
KeptPlan mark_deleted = {MARK("runstore_old"), 0, nullptr, nullptr};
/* An UPDATE that moved runs or changed created_at/id: its old side marked, its new side appended. */
KeptPlan change_updated = {"WITH marked AS (" MARK(UPDATED_OLD) " RETURNING 1) " APPEND(UPDATED_NEW), 0, nullptr,
                           nullptr};

/*
 * The fold (docs/architecture.md, "Recent workflows"): delete every pending
 * row this statement's snapshot sees, and merge them into the folded table,
 * in one statement, so a reader sees a row either pending or folded (its
 * snapshot sees the fold either committed or not).  Per (workspace,
 * workflow, user) group, the one group both scopes read:
 *   - a group with a recheck mark among the rows is recomputed from
 *     executions (one probe of its recent index, under the same snapshot):
 *     its folded row is set to the latest run, or deleted if none is left;
 *   - every other group's folded row takes the greatest of its rows if that
 *     is newer.  Its folded row still names an existing run: a removal of
 *     that run marked the group in the same transaction, and the mark,
 *     visible once the removal is, was folded by this fold or by an earlier
 *     one that recomputed the group.
 * Only one fold runs at a time (recent_workflow_fold.hpp), so nothing else
 * deletes pending rows or writes folded rows meanwhile.  Returns the number
 * of pending rows folded.
 *
 * user_id NULL stands for the runs with no user, which only the workspace
 * scope reads (the folded key treats NULLs as equal, and the matches below
 * do too).  Its folded row holds a run of the workflow at least as new as
 * every such run, not necessarily one with no user: it is recomputed as the
 * workflow's latest run of any user (one ordered probe of
 * executions_workflow_recent_idx; no index orders a workflow's runs with no
 * user), whenever any group of the workflow is marked and the row exists or
 * is being folded.  So a removal of the run it names, which marks that run's
 * group, gets it recomputed as well.  `marked` holds the groups recomputed:
 * those with marks, and those NULL rows.
 */
#define GROUP(a) a "workspace_id, " a "workflow_id, " a "user_id"
#define MATCH(a, b)                                                                                \
	a ".workspace_id" EQ b ".workspace_id AND " a ".workflow_id" EQ b ".workflow_id AND "            \
	SAME(a ".user_id", b ".user_id")
#define LATEST_RUN(user_cond)                                                                      \
	"(SELECT e.created_at, e.id FROM runstore.executions e WHERE e.workspace_id" EQ "m.workspace_id"  \
	" AND e.workflow_id" EQ "m.workflow_id AND " user_cond " ORDER BY e.created_at DESC, e.id DESC LIMIT 1)"

KeptPlan fold_recent = {
    "WITH taken AS (DELETE FROM " PENDING " p RETURNING p.workspace_id, p.workflow_id, p.user_id,"
    " p.last_used_at, p.last_execution_id),"
    " marks AS (SELECT DISTINCT " GROUP("t.") " FROM taken t WHERE t.last_used_at IS NULL),"
    " marked AS (SELECT " GROUP("k.") " FROM marks k UNION"
    "  SELECT DISTINCT k.workspace_id, k.workflow_id, NULL::pg_catalog.text FROM marks k"
    "  WHERE k.user_id IS NOT NULL AND (EXISTS (SELECT FROM " FOLDED " f WHERE f.workspace_id" EQ "k.workspace_id"
    "   AND f.workflow_id" EQ "k.workflow_id AND f.user_id IS NULL)"
    "   OR EXISTS (SELECT FROM taken t WHERE t.workspace_id" EQ "k.workspace_id"
    "   AND t.workflow_id" EQ "k.workflow_id AND t.user_id IS NULL))),"
    " merged AS (SELECT DISTINCT ON (" GROUP("t.") ") " GROUP("t.") ", t.last_used_at, t.last_execution_id"
    "  FROM taken t WHERE t.last_used_at IS NOT NULL"
    "  AND NOT EXISTS (SELECT FROM marked m WHERE " MATCH("m", "t") ")"
    "  ORDER BY " GROUP("t.") ", t.last_used_at DESC, t.last_execution_id DESC),"
    " latest AS (SELECT " GROUP("m.") ", l.created_at, l.id FROM marked m LEFT JOIN LATERAL ("
    LATEST_RUN("m.user_id IS NOT NULL AND e.user_id" EQ "m.user_id") " UNION ALL "
    LATEST_RUN("m.user_id IS NULL") ") l ON true),"
    " merged_in AS (INSERT INTO " FOLDED " AS f (" GROUP("") ", last_used_at, last_execution_id)"
    "  SELECT * FROM merged"
    "  ON CONFLICT (" GROUP("") ") DO UPDATE SET last_used_at = EXCLUDED.last_used_at,"
    "  last_execution_id = EXCLUDED.last_execution_id"
    "  WHERE " NEWER("EXCLUDED.last_used_at", "EXCLUDED.last_execution_id", "f.last_used_at", "f.last_execution_id")
    "  RETURNING 1),"
    " recomputed AS (INSERT INTO " FOLDED " AS f (" GROUP("") ", last_used_at, last_execution_id)"
    "  SELECT * FROM latest l WHERE l.created_at IS NOT NULL"
    "  ON CONFLICT (" GROUP("") ") DO UPDATE SET last_used_at = EXCLUDED.last_used_at,"
    "  last_execution_id = EXCLUDED.last_execution_id RETURNING 1),"
    " emptied AS (DELETE FROM " FOLDED " f USING latest l"
    "  WHERE l.created_at IS NULL AND " MATCH("f", "l") " RETURNING 1)"
    " SELECT pg_catalog.count(*) FROM taken",
    0, nullptr, nullptr};

KeptPlan truncate_recent = {"TRUNCATE " FOLDED ", " PENDING, 0, nullptr, nullptr};

/*
 * The reads below are planned once, generically: each is an index probe or
 * an ordered index scan for whatever workspace it is given, so a plan per
 * call (which the plan cache picks when it misjudges the generic plan's
 * cost, as it does on a Citus shard's small statistics) buys nothing and
 * costs more than the read.
 */
constexpr int kReadOptions = CURSOR_OPT_GENERIC_PLAN;

/*
 * recent_workflows (fn_recent_workflows.cpp): the scope's folded rows newest
 * first, through a cursor over the folded table's recent index, read until
 * max_results workflows are decided; and, read first, each workflow's
 * greatest pending row of the scope (a recheck mark, NULL, first).
 */
KeptPlan recent_in_workspace = {
    "SELECT f.workflow_id, f.last_used_at, f.last_execution_id FROM " FOLDED " f"
    " WHERE f.workspace_id" EQ "$1"
    " ORDER BY f.last_used_at DESC, f.workflow_id DESC, f.last_execution_id DESC",
    1, kArgTypes<INT8OID>, nullptr, kReadOptions | CURSOR_OPT_FAST_PLAN};
KeptPlan recent_for_user = {
    "SELECT f.workflow_id, f.last_used_at, f.last_execution_id FROM " FOLDED " f"
    " WHERE f.workspace_id" EQ "$1 AND f.user_id" EQ "$2"
    " ORDER BY f.last_used_at DESC, f.workflow_id DESC, f.last_execution_id DESC",
    2, kArgTypes<INT8OID, TEXTOID>, nullptr, kReadOptions | CURSOR_OPT_FAST_PLAN};
/*
 * The workspace's pending rows, one per workflow, by a loose scan of the
 * pending table's (workspace_id, workflow_id, last_used_at DESC, ...) index:
 * one probe per workflow pending in the workspace, however many rows each
 * has (a hot workflow gains one per insert until the next fold).
 */
#define PENDING_FIRST(cond)                                                                        \
	"(SELECT p.workflow_id, p.last_used_at, p.last_execution_id FROM " PENDING " p"                 \
	" WHERE p.workspace_id" EQ "$1" cond                                                            \
	" ORDER BY p.workflow_id, p.last_used_at DESC, p.last_execution_id DESC LIMIT 1)"
KeptPlan pending_in_workspace = {
    "WITH RECURSIVE w AS (" PENDING_FIRST("")
    " UNION ALL SELECT n.* FROM w CROSS JOIN LATERAL " PENDING_FIRST(" AND p.workflow_id" GT "w.workflow_id") " n)"
    " SELECT w.workflow_id, w.last_used_at, w.last_execution_id FROM w",
    1, kArgTypes<INT8OID>, nullptr, kReadOptions};
/* The user's: its rows of the workspace's range, the greatest per workflow. */
KeptPlan pending_for_user = {
    "SELECT DISTINCT ON (p.workflow_id) p.workflow_id, p.last_used_at, p.last_execution_id FROM " PENDING " p"
    " WHERE p.workspace_id" EQ "$1 AND p.user_id" EQ "$2"
    " ORDER BY p.workflow_id, p.last_used_at DESC, p.last_execution_id DESC",
    2, kArgTypes<INT8OID, TEXTOID>, nullptr, kReadOptions};

/* A rechecked group's latest run: one probe of the executions' recent index. */
KeptPlan latest_in_workflow = {
    "SELECT e.created_at, e.id FROM runstore.executions e"
    " WHERE e.workspace_id" EQ "$1 AND e.workflow_id" EQ "$2 ORDER BY e.created_at DESC, e.id DESC LIMIT 1",
    2, kArgTypes<INT8OID, INT8OID>, nullptr, kReadOptions};
KeptPlan latest_for_user = {
    "SELECT e.created_at, e.id FROM runstore.executions e"
    " WHERE e.workspace_id" EQ "$1 AND e.workflow_id" EQ "$2 AND e.user_id" EQ "$3"
    " ORDER BY e.created_at DESC, e.id DESC LIMIT 1",
    3, kArgTypes<INT8OID, INT8OID, TEXTOID>, nullptr, kReadOptions};

/*
 * The same answer in one statement, for tables Citus distributes: every
 * table is filtered by workspace_id = $1, so Citus routes the whole
 * statement to the one shard group holding the workspace (one round trip
 * instead of one per step above).  `w`: each workflow's greatest pending row
 * of the scope (or mark); `v`: its value (a marked one's latest run, else the
 * greater of its pending and folded rows); `o`: the other workflows' folded
 * values, newest first, at most $2 (max_results).
 */
#define ROUTED_READ(pending_rows, others, folded_match, runs_match)                                \
	"WITH RECURSIVE w AS (" pending_rows "),"                                                       \
	" v AS (SELECT w.workflow_id, x.last_used_at, x.last_execution_id FROM w CROSS JOIN LATERAL ("  \
	"  (SELECT e.created_at, e.id FROM runstore.executions e WHERE w.last_used_at IS NULL AND "       \
	runs_match " AND e.workflow_id" EQ "w.workflow_id ORDER BY e.created_at DESC, e.id DESC LIMIT 1)" \
	"  UNION ALL (SELECT c.at, c.id FROM (SELECT w.last_used_at, w.last_execution_id UNION ALL"       \
	"   SELECT f.last_used_at, f.last_execution_id FROM " FOLDED " f WHERE " folded_match             \
	"   AND f.workflow_id" EQ "w.workflow_id) c(at, id)"                                                \
	"   WHERE w.last_used_at IS NOT NULL ORDER BY c.at DESC, c.id DESC LIMIT 1)"                         \
	" ) x(last_used_at, last_execution_id)),"                                                            \
	" o AS (" others ")"                                                                                 \
	" SELECT r.workflow_id, r.last_used_at, r.last_execution_id FROM ("                                  \
	"  SELECT v.workflow_id, v.last_used_at, v.last_execution_id FROM v UNION ALL"                       \
	"  SELECT o.workflow_id, o.last_used_at, o.last_execution_id FROM o) r"                              \
	" ORDER BY r.last_used_at DESC, r.workflow_id DESC, r.last_execution_id DESC LIMIT $2"

/* The first folded row, after `cond`, of a workflow with nothing pending: a workspace's rows newest first. */
#define FOLDED_NEXT(cols, cond)                                                                    \
	"(SELECT " cols " FROM " FOLDED " f WHERE f.workspace_id" EQ "$1" cond                        \
	" AND NOT EXISTS (SELECT FROM w WHERE w.workflow_id" EQ "f.workflow_id)"                       \
	" ORDER BY f.last_used_at DESC, f.workflow_id DESC, f.last_execution_id DESC LIMIT 1)"
/*
 * A workspace's folded rows hold one row per user of a workflow: walk them
 * newest first, one index probe per step, past the rows of workflows already
 * taken (`seen`), until $2 workflows are taken.
 */
#define WORKSPACE_OTHERS                                                                           \
	FOLDED_NEXT("f.workflow_id, f.last_used_at, f.last_execution_id, ARRAY[f.workflow_id] AS seen", "") \
	" UNION ALL SELECT n.* FROM o CROSS JOIN LATERAL "                                             \
	FOLDED_NEXT("f.workflow_id, f.last_used_at, f.last_execution_id, o.seen OPERATOR(pg_catalog.||) f.workflow_id", \
	            " AND ROW(f.last_used_at, f.workflow_id, f.last_execution_id) OPERATOR(pg_catalog.<)"      \
	            " ROW(o.last_used_at, o.workflow_id, o.last_execution_id)"                                 \
	            " AND NOT f.workflow_id" EQ "ANY (o.seen)")                                                \
	" n WHERE pg_catalog.cardinality(o.seen) < $2"

KeptPlan routed_recent_in_workspace = {
    ROUTED_READ(PENDING_FIRST("") " UNION ALL SELECT n.* FROM w CROSS JOIN LATERAL "
                PENDING_FIRST(" AND p.workflow_id" GT "w.workflow_id") " n",
                WORKSPACE_OTHERS, "f.workspace_id" EQ "$1", "e.workspace_id" EQ "$1"),
    2, kArgTypes<INT8OID, INT4OID>, nullptr};
/* A user's folded rows hold one row per workflow: the newest $2. */
KeptPlan routed_recent_for_user = {
    ROUTED_READ("SELECT DISTINCT ON (p.workflow_id) p.workflow_id, p.last_used_at, p.last_execution_id FROM " PENDING
                " p WHERE p.workspace_id" EQ "$1 AND p.user_id" EQ "$3"
                " ORDER BY p.workflow_id, p.last_used_at DESC, p.last_execution_id DESC",
                "SELECT f.workflow_id, f.last_used_at, f.last_execution_id FROM " FOLDED " f"
                " WHERE f.workspace_id" EQ "$1 AND f.user_id" EQ "$3"
                " AND NOT EXISTS (SELECT FROM w WHERE w.workflow_id" EQ "f.workflow_id)"
                " ORDER BY f.last_used_at DESC, f.workflow_id DESC, f.last_execution_id DESC LIMIT $2",
                "f.workspace_id" EQ "$1 AND f.user_id" EQ "$3", "e.workspace_id" EQ "$1 AND e.user_id" EQ "$3"),
    3, kArgTypes<INT8OID, INT4OID, TEXTOID>, nullptr};

/* clang-format on */
} // namespace runstore::pg::statements
