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
 * the transition tables runstore_new / runstore_old.
 *   add_*:              $1 int2 slot; each touched group's newest run into the slot, both scopes;
 *                       one int8 row: the groups to write again (see ADD_SLOT)
 *   *_unname_*:         delete the slot rows naming a removed run; the groups that lost one
 *   *_recompute_groups: $1.. arrays of group keys; their latest runs into slot 0
 */
/* UPDATE only: did it change any run's group, created_at or id? one boolean row */
extern KeptPlan update_changes_groups;
extern KeptPlan add_inserted; /* both scopes, one statement */
extern KeptPlan add_updated;
extern KeptPlan workspace_unname_deleted;
extern KeptPlan workspace_unname_updated;
extern KeptPlan user_unname_deleted;
extern KeptPlan user_unname_updated;
extern KeptPlan workspace_recompute_groups;
extern KeptPlan user_recompute_groups;
extern KeptPlan truncate_recent;
/* recent_workflows: $1 int8 workspace_id, $2 int8 row limit (and $3 text user_id); read through a cursor. */
extern KeptPlan recent_in_workspace;
extern KeptPlan recent_for_user;

/*
 * Queue lifecycle (queue_statements.cpp).
 *   dequeue:   $1 text worker, $2 int max_jobs, $3 interval lease
 *   heartbeat: $1 worker, $2 uuid[] ids, $3 lease (and $4 int[] attempts)
 *   complete:  $1 uuid id, $2 worker, $3 jsonb result (and $4 int attempt)
 *   fail:      $1 id, $2 worker, $3 text error, $4 bool retryable (and $5 attempt)
 *   cancel:    $1 uuid[] ids (and $2 bigint workspace_id)
 */
extern KeptPlan dequeue;
/* dequeue from frontiers: also $4 int4[] priorities, $5 timestamptz[] frontiers (claim_frontier.hpp) */
extern KeptPlan dequeue_from_frontiers;
/* the priority classes, highest first (at most 65 rows); $1 int4[]: register classes; all listed */
extern KeptPlan queue_priorities;
extern KeptPlan register_priorities;
extern KeptPlan listed_priorities;
extern KeptPlan heartbeat;
extern KeptPlan heartbeat_attempts;
extern KeptPlan complete;
extern KeptPlan complete_attempt;
extern KeptPlan fail;
extern KeptPlan fail_attempt;
extern KeptPlan cancel;
extern KeptPlan cancel_in_workspace;

/* The kept plan named `name` (as above), or nullptr. */
KeptPlan *Find(const char *name);

} // namespace runstore::pg::statements
