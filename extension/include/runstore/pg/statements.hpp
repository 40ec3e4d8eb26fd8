/*
 * statements.hpp: every SQL statement runstore's C++ runs, in one place
 * (PostgreSQL zone).
 *
 * Each is a KeptPlan: prepared once per backend on first use.  The texts
 * schema-qualify every table, function and operator, so a caller's
 * search_path cannot redirect them.  runstore._statement_text(name) returns
 * a text by name, so sql/plans.sql checks the plans of the very statements
 * the functions run.
 */
#pragma once

#include "runstore/pg/spi_plan.hpp"

namespace runstore::pg::statements {

/* get_executions_by_ids: $1 uuid[] (and $2 bigint workspace_id). */
extern KeptPlan select_by_ids;
extern KeptPlan select_by_ids_in_workspace;
/* delete_many: $1 uuid[] (and $2 bigint workspace_id). */
extern KeptPlan delete_by_ids;
extern KeptPlan delete_by_ids_in_workspace;
/* delete_by_tag, one round: $1 text tag, $2 int limit (and $3 bigint workspace_id). */
extern KeptPlan delete_by_tag;
extern KeptPlan delete_by_tag_in_workspace;

/*
 * Recent workflows (recent_workflow_statements.cpp).  Trigger statements read
 * the transition tables runstore_new / runstore_old and append to the pending table.
 */
/* UPDATE only: did it change any run's group, created_at or id? one boolean row */
extern KeptPlan update_changes_groups;
extern KeptPlan append_inserted; /* each group's newest added run */
extern KeptPlan mark_deleted;    /* a recheck mark per group that lost runs */
extern KeptPlan change_updated;  /* both, for an UPDATE that moved runs */
/* The fold: one int8 row, the pending rows folded. */
extern KeptPlan fold_recent;
extern KeptPlan truncate_recent;
/* recent_workflows: $1 int8 workspace_id (and $2 text user_id): folded rows newest first (a cursor) ... */
extern KeptPlan recent_in_workspace;
extern KeptPlan recent_for_user;
/* ... and each workflow's greatest pending row (or recheck mark). */
extern KeptPlan pending_in_workspace;
extern KeptPlan pending_for_user;
/* A group's latest run: $1 int8 workspace_id, $2 int8 workflow_id (and $3 text user_id). */
extern KeptPlan latest_in_workflow;
extern KeptPlan latest_for_user;
/* On Citus, the whole read in one routed statement: $1 workspace_id, $2 int max_results (and $3 text user_id). */
extern KeptPlan routed_recent_in_workspace;
extern KeptPlan routed_recent_for_user;

/*
 * Queue lifecycle (queue_statements.cpp).
 *   dequeue:   $1 text worker, $2 int max_jobs, $3 interval lease
 *   heartbeat: $1 worker, $2 uuid[] ids, $3 lease (and $4 int[] attempts)
 *   complete:  $1 uuid id, $2 worker, $3 jsonb result (and $4 int attempt)
 *   fail:      $1 id, $2 worker, $3 text error, $4 bool retryable (and $5 attempt), then
 *              timestamptz now, float8 fraction, float8 base_ms, float8 cap_ms (queue_statements.cpp)
 *   cancel:    $1 uuid[] ids (and $2 bigint workspace_id)
 *   complete_many, fail_many, release_many: a batch of outcomes, arrays aligned with ids (queue_statements.cpp)
 */
extern KeptPlan dequeue;
/* dequeue from frontiers: also $4 int4[] priorities, $5 timestamptz[] frontiers (claim_frontier.hpp) */
extern KeptPlan dequeue_from_frontiers;
/* the priority classes, highest first (at most 65 rows); $1 int4[]: register classes; all listed */
extern KeptPlan queue_priorities;
extern KeptPlan register_priorities;
extern KeptPlan listed_priorities;
/* whether a claimable execution is due now: one bool */
extern KeptPlan work_due;
extern KeptPlan heartbeat;
extern KeptPlan heartbeat_attempts;
extern KeptPlan complete;
extern KeptPlan complete_attempt;
extern KeptPlan fail;
extern KeptPlan fail_attempt;
extern KeptPlan complete_many;
extern KeptPlan fail_many;
extern KeptPlan release_many;
extern KeptPlan cancel;
extern KeptPlan cancel_in_workspace;

/* The kept plan named `name` (as above), or nullptr. */
KeptPlan *Find(const char *name);

} // namespace runstore::pg::statements
