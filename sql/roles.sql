-- The three role recipes of docs/roles.sql, run as they are documented:
-- a read-only dashboard, a worker that changes runs only through runstore's
-- queue functions, and an admin.  Every refusal is the 42501 of a plain
-- statement without the privilege.
\set VERBOSITY default
\set SHOW_CONTEXT never

INSERT INTO runstore.executions (id, workspace_id, workflow_id, user_id, tags, priority, created_at)
SELECT u(n), 1, 10 + n % 2, 'ada', '{roles}', n, '2024-01-01'::timestamptz + n * interval '1 minute'
  FROM generate_series(1, 6) n;

\i docs/roles.sql

-- Table privileges on the runs, per role.
SELECT r AS role,
       has_table_privilege(r, 'runstore.executions', 'SELECT') AS sel,
       has_table_privilege(r, 'runstore.executions', 'INSERT') AS ins,
       has_table_privilege(r, 'runstore.executions', 'UPDATE') AS upd,
       has_table_privilege(r, 'runstore.executions', 'DELETE') AS del,
       has_table_privilege(r, 'runstore.executions', 'TRUNCATE') AS trunc,
       has_any_column_privilege(r, 'runstore.executions', 'UPDATE') AS upd_some_column
  FROM unnest(ARRAY['runstore_dashboard', 'runstore_worker', 'runstore_admin', 'runstore_queue_definer']) r;
-- The wrappers: SECURITY DEFINER, owned by the definer, fixed search_path,
-- callable by runstore_worker (and its members) only.
SELECT p.oid::regprocedure AS wrapper, p.prosecdef, p.proowner::regrole, p.proconfig, p.proacl
  FROM pg_proc p WHERE p.pronamespace = 'runstore_worker'::regnamespace ORDER BY p.oid;

-- 1. Dashboard: reads work ...
SET ROLE runstore_dashboard;
SELECT id, status FROM runstore.get_executions_by_ids(ARRAY[u(2), u(1)]);
SELECT * FROM runstore.recent_workflows(1);
SELECT * FROM runstore.recent_workflows(1, 1, 'ada');
SELECT workspace_id, workflow_id, last_execution_id FROM runstore.workspace_recent_workflow ORDER BY 2;
SELECT count(*) AS dashboard_sees FROM runstore.executions;
SELECT status, priority, executions, due_now FROM runstore.queue_stats();
-- ... and nothing changes anything.
INSERT INTO runstore.executions (workspace_id) VALUES (1);
\echo :LAST_ERROR_SQLSTATE
UPDATE runstore.executions SET priority = 0;
\echo :LAST_ERROR_SQLSTATE
DELETE FROM runstore.executions;
\echo :LAST_ERROR_SQLSTATE
TRUNCATE runstore.executions;
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM runstore.delete_many(ARRAY[u(1)]);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM runstore.delete_by_tag('roles');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM runstore.cancel(ARRAY[u(1)]);
\echo :LAST_ERROR_SQLSTATE
SELECT id FROM runstore.dequeue('dash');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM runstore.heartbeat('dash', ARRAY[u(1)]);
\echo :LAST_ERROR_SQLSTATE
SELECT runstore.complete(u(1), 'dash');
\echo :LAST_ERROR_SQLSTATE
SELECT runstore.fail(u(1), 'dash', 'no');
\echo :LAST_ERROR_SQLSTATE
SELECT id FROM runstore_worker.dequeue('dash');
\echo :LAST_ERROR_SQLSTATE
SELECT runstore.rebuild_recent_workflows();
\echo :LAST_ERROR_SQLSTATE
SELECT runstore.fold_recent_workflows();
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM runstore.verify_recent_workflows();
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
SELECT count(*) AS unchanged, count(*) FILTER (WHERE status = 'queued') AS still_queued FROM runstore.executions;

-- 2. Worker, as a login role that is a member of runstore_worker: no
-- direct access to the table at all ...
CREATE ROLE rs_worker_login LOGIN IN ROLE runstore_worker;
SET SESSION AUTHORIZATION rs_worker_login;
SELECT count(*) FROM runstore.executions;
\echo :LAST_ERROR_SQLSTATE
UPDATE runstore.executions SET status = 'succeeded';
\echo :LAST_ERROR_SQLSTATE
UPDATE runstore.executions SET lease_owner = 'w' WHERE id = u(1);
\echo :LAST_ERROR_SQLSTATE
DELETE FROM runstore.executions;
\echo :LAST_ERROR_SQLSTATE
INSERT INTO runstore.executions (workspace_id) VALUES (1);
\echo :LAST_ERROR_SQLSTATE
TRUNCATE runstore.executions;
\echo :LAST_ERROR_SQLSTATE
-- ... nor through runstore's functions called directly (they run as the caller) ...
SELECT id FROM runstore.dequeue('w');
\echo :LAST_ERROR_SQLSTATE
SELECT runstore.complete(u(1), 'w');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM runstore.cancel(ARRAY[u(1)]);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM runstore.delete_many(ARRAY[u(1)]);
\echo :LAST_ERROR_SQLSTATE
SELECT id FROM runstore.get_executions_by_ids(ARRAY[u(1)]);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM runstore.queue_stats();
\echo :LAST_ERROR_SQLSTATE
-- ... nor can it take the definer's rights or change the wrappers.
SET ROLE runstore_queue_definer;
\echo :LAST_ERROR_SQLSTATE
CREATE FUNCTION runstore_worker.evil() RETURNS int LANGUAGE sql RETURN 1;
\echo :LAST_ERROR_SQLSTATE
CREATE OR REPLACE FUNCTION runstore_worker.complete(id uuid, worker text, result jsonb DEFAULT NULL,
                                                    attempt integer DEFAULT NULL)
  RETURNS boolean LANGUAGE sql AS $$ SELECT true $$;
\echo :LAST_ERROR_SQLSTATE
ALTER FUNCTION runstore_worker.fail(uuid, text, text, boolean, integer) SECURITY INVOKER;
\echo :LAST_ERROR_SQLSTATE
-- Through the wrappers: the whole lifecycle, fencing included.  Claimed by
-- priority: u(6), u(5), u(4).
SELECT id, status, attempt, lease_owner FROM runstore_worker.dequeue('w', 3, '1 minute');
SELECT * FROM runstore_worker.heartbeat('w', ARRAY[u(6), u(5), u(4)], '2 minutes', ARRAY[1, 1, 1]);
SELECT * FROM runstore_worker.heartbeat('w', ARRAY[u(6)], NULL, ARRAY[2]) AS wrong_attempt;
SELECT runstore_worker.complete(u(6), 'w', '{"ok": true}', 1) AS completed;
SELECT runstore_worker.complete(u(6), 'w', '{"ok": true}', 1) AS completed_twice;
SELECT runstore_worker.complete(u(5), 'someone-else') AS not_the_holder;
SELECT runstore_worker.fail(u(5), 'w', 'boom', true, 1) AS retried;
SELECT runstore_worker.fail(u(4), 'w', 'fatal', false) AS final;
-- The wrappers' argument rules are runstore's.
SELECT id FROM runstore_worker.dequeue(NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT id FROM runstore_worker.dequeue('w', 0);
\echo :LAST_ERROR_SQLSTATE
RESET SESSION AUTHORIZATION;
SELECT id, status, attempt, result, error, lease_owner FROM runstore.executions
 WHERE id = ANY (ARRAY[u(4), u(5), u(6)]) ORDER BY id;

-- The definer itself may change only the queue columns, and never delete or insert.
SET ROLE runstore_queue_definer;
UPDATE runstore.executions SET payload = '{}' WHERE id = u(1);
\echo :LAST_ERROR_SQLSTATE
UPDATE runstore.executions SET workspace_id = 2 WHERE id = u(1);
\echo :LAST_ERROR_SQLSTATE
DELETE FROM runstore.executions WHERE id = u(1);
\echo :LAST_ERROR_SQLSTATE
INSERT INTO runstore.executions (workspace_id) VALUES (1);
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;

-- u(5)'s retry backoff is drawn with full jitter from [0, 1 s), so it may
-- already have run out; keep it waiting so the claims below are deterministic.
UPDATE runstore.executions SET run_after = now() + interval '1 day' WHERE id = u(5);

-- 3. Admin: everything.
SET ROLE runstore_admin;
INSERT INTO runstore.executions (id, workspace_id, workflow_id, user_id, tags, created_at)
VALUES (u(7), 1, 12, 'bob', '{roles}', '2024-01-02');
UPDATE runstore.executions SET priority = 100 WHERE id = u(7);
SELECT id, status FROM runstore.get_executions_by_ids(ARRAY[u(7), u(1)]);
SELECT * FROM runstore.recent_workflows(1, 2);
SELECT id FROM runstore.dequeue('admin', 1);
SELECT runstore.complete(u(7), 'admin');
SELECT id FROM runstore_worker.dequeue('admin-as-worker', 1);
SELECT * FROM runstore.heartbeat('admin-as-worker', ARRAY[u(3)]);
SELECT runstore.fail(u(3), 'admin-as-worker', 'x', false);
SELECT * FROM runstore.cancel(ARRAY[u(1), u(2), u(7)]);
SELECT * FROM runstore.delete_many(ARRAY[u(1)]);
SELECT * FROM runstore.delete_by_tag('roles', 2);
-- The deletions left recheck marks pending: the admin reads exactly before
-- and after folding them.
SELECT * FROM runstore.user_recent_workflow ORDER BY workflow_id;
SELECT runstore.fold_recent_workflows() > 0 AS folded;
SELECT count(*) AS pending_after_fold FROM runstore.recent_workflow_pending;
SELECT runstore.rebuild_recent_workflows();
SELECT * FROM runstore.verify_recent_workflows();
SELECT * FROM runstore.user_recent_workflow ORDER BY workflow_id;
TRUNCATE runstore.executions;
SELECT count(*) AS summary_rows_after_truncate FROM runstore.workspace_recent_workflow;
RESET ROLE;

-- Undo the recipe (the roles are cluster-wide).
DROP SCHEMA runstore_worker CASCADE;
GRANT EXECUTE ON FUNCTION runstore.verify_recent_workflows() TO PUBLIC;
DROP OWNED BY runstore_dashboard, runstore_worker, runstore_admin, runstore_queue_definer, rs_worker_login;
DROP ROLE runstore_dashboard, runstore_worker, runstore_admin, runstore_queue_definer, rs_worker_login;
-- (The extension's own grants to PUBLIC, of what dequeue reads, stay.)
SELECT count(*) AS leftover_grants FROM pg_class c, aclexplode(c.relacl) a
 WHERE c.relnamespace = 'runstore'::regnamespace AND a.grantee <> c.relowner
   AND c.relname NOT IN ('queue_priorities', 'claim_epoch');
