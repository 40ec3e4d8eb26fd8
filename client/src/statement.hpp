// statement.hpp: the SQL the client sends, one statement per runstore call.
//
// Each statement is schema-qualified and takes typed parameters only (see
// params.hpp).  The name is a readable label: a statement is prepared as the
// label followed by a hash of its text and parameter types
// (connection.hpp, prepared_name), so two statements of one prepared name
// are the same statement on any server session, whichever client made it.
#pragma once

namespace runstore::detail {

struct Statement {
  const char* name;
  const char* sql;
};

namespace statements {

inline constexpr Statement kGetByIds{"runstore_get_executions_by_ids_v1",
                                     "SELECT * FROM runstore.get_executions_by_ids($1, $2)"};
inline constexpr Statement kGetStatesByIds{
    "runstore_get_execution_states_v1",
    "SELECT id, status, attempt, updated_at FROM runstore.get_executions_by_ids($1, $2)"};
inline constexpr Statement kRecentWorkflows{
    "runstore_recent_workflows_v1",
    "SELECT workflow_id, last_used_at, last_execution_id FROM runstore.recent_workflows($1, $2, $3)"};
inline constexpr Statement kDeleteMany{"runstore_delete_many_v1", "SELECT d FROM runstore.delete_many($1, $2) AS d"};
inline constexpr Statement kDeleteByTag{"runstore_delete_by_tag_v1",
                                        "SELECT d FROM runstore.delete_by_tag($1, $2, $3) AS d"};
// Enqueue: one INSERT for the whole batch, from parallel arrays.  Tags travel
// as one jsonb array per execution (SQL has no arrays of arrays of different
// lengths).  Unset fields fall back to the column defaults of
// runstore.executions (priority 0, max_attempts 3, run_after now(), tags
// '{}').  ON CONFLICT DO NOTHING makes a retried enqueue harmless: the ids
// are made by the client, so a second try finds them stored.  No conflict
// target: the key is (workspace_id, id) from 0.3.0 on and (id) before, and
// Citus runs the statement on each shard as written.
// Enqueue's INSERT depends on the batch: enqueue_statement.hpp.
// dequeue, heartbeat, complete and fail are built per Client, in the schema
// ClientOptions::queue_function_schema names (client.cpp, QueueStatements).
inline constexpr Statement kCancel{"runstore_cancel_v1", "SELECT c FROM runstore.cancel($1, $2) AS c"};
inline constexpr Statement kQueueStats{
    "runstore_queue_stats_v1",
    "SELECT status, priority, executions, due_now, due_later, expired_leases, retrying, oldest_due_age"
    " FROM runstore.queue_stats()"};
// The server process of the session that answers (Client::connected_through_pooler).
inline constexpr Statement kBackendPid{"runstore_backend_pid_v1", "SELECT pg_catalog.pg_backend_pid()"};

}  // namespace statements
}  // namespace runstore::detail
