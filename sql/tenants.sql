-- Row-level security per workspace (docs/tenants.sql on top of docs/roles.sql):
-- for every runstore function, a role restricted to workspace 1 neither sees
-- nor changes workspace 2's runs or summary rows, and the summaries stay
-- exact through the trigger path whatever the writer's policy.
\set VERBOSITY default
\set SHOW_CONTEXT never

-- Workspace 2 is the bait: the same workflow ids and user, newer runs,
-- higher priorities, older run_after, running executions held by a worker
-- of the same name ('w', attempt 1), and one with an expired lease.
INSERT INTO runstore.executions (id, workspace_id, workflow_id, user_id, tags, priority, created_at, run_after)
SELECT u(n), 1, CASE WHEN n % 2 = 0 THEN 10 ELSE 20 END, CASE WHEN n < 4 THEN 'ada' ELSE 'bob' END,
       '{shared}', 0, '2024-01-01'::timestamptz + n * interval '1 hour', '2024-01-01'
  FROM generate_series(1, 6) n;
-- Workspace 1's summary rows folded, workspace 2's pending: both tables hide
-- workspace 2 from its tenant.
SELECT runstore.fold_recent_workflows() AS folded_rows;
INSERT INTO runstore.executions (id, workspace_id, workflow_id, user_id, tags, priority, created_at, run_after)
SELECT u(n), 2, CASE WHEN n % 2 = 0 THEN 10 ELSE 20 END, 'ada',
       '{shared}', 10, '2024-02-01'::timestamptz + n * interval '1 hour', '2023-01-01'
  FROM generate_series(11, 16) n;
UPDATE runstore.executions SET status = 'running', lease_owner = 'w', attempt = 1, started_at = now(),
       lease_expires_at = now() + interval '1 hour', run_after = now() + interval '1 hour'
 WHERE id = ANY (ARRAY[u(3), u(11), u(12)]);
UPDATE runstore.executions SET status = 'running', lease_owner = 'gone', attempt = 1, started_at = now(),
       lease_expires_at = now() - interval '1 hour', run_after = now() - interval '1 hour'
 WHERE id = u(13);

-- Fingerprints of workspace 2: its runs and both of its summaries.
SELECT md5(string_agg(e::text, ',' ORDER BY e.id)) AS ws2_runs
  FROM runstore.executions e WHERE e.workspace_id = 2 \gset
SELECT md5(string_agg(s::text, ',' ORDER BY s.workflow_id)) AS ws2_summary
  FROM runstore.workspace_recent_workflow s WHERE s.workspace_id = 2 \gset
SELECT md5(string_agg(s::text, ',' ORDER BY s.user_id, s.workflow_id)) AS ws2_user_summary
  FROM runstore.user_recent_workflow s WHERE s.workspace_id = 2 \gset

-- docs/roles.sql is shown in roles.out; here it runs unechoed.
\set ECHO none
\i docs/roles.sql
\set ECHO all
\i docs/tenants.sql

-- Tenant-scoped login roles: an application role with the table privileges
-- of the README's quick start, a worker and a dashboard.
CREATE ROLE rs_t_app LOGIN;
GRANT USAGE ON SCHEMA runstore TO rs_t_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON runstore.executions TO rs_t_app;
GRANT SELECT ON runstore.recent_workflow_folded, runstore.recent_workflow_pending TO rs_t_app;
CREATE ROLE rs_t_worker LOGIN IN ROLE runstore_worker;
CREATE ROLE rs_t_dash LOGIN IN ROLE runstore_dashboard;

SELECT tablename, policyname, roles, cmd, qual FROM pg_policies WHERE schemaname = 'runstore' ORDER BY 1, 2;

-- 1. The application role, in workspace 1.
SET ROLE rs_t_app;
SET app.workspace_id = '1';
SELECT count(*) AS visible, min(workspace_id), max(workspace_id) FROM runstore.executions;
-- get_executions_by_ids: workspace 2's ids are omitted as unknown.
SELECT id, workspace_id FROM runstore.get_executions_by_ids(ARRAY[u(11), u(1), u(12), u(2), u(13)]);
SELECT id FROM runstore.get_executions_by_ids(ARRAY[u(11), u(1)], workspace_id => 2);
-- recent_workflows: workspace 2's summary rows do not exist for it.
SELECT * FROM runstore.recent_workflows(1);
SELECT * FROM runstore.recent_workflows(1, 4, 'ada');
SELECT * FROM runstore.recent_workflows(2);
SELECT * FROM runstore.recent_workflows(2, 4, 'ada');
SELECT count(*) AS folded_rows_visible, max(workspace_id) FROM runstore.recent_workflow_folded;
SELECT count(*) AS pending_rows_visible, max(workspace_id) FROM runstore.recent_workflow_pending;
-- The operator's functions and the views are not the tenant's.
SELECT runstore.rebuild_recent_workflows(2);
\echo :LAST_ERROR_SQLSTATE
SELECT runstore.fold_recent_workflows();
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM runstore.verify_recent_workflows();
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM runstore.workspace_recent_workflow;
\echo :LAST_ERROR_SQLSTATE
-- dequeue claims workspace 1's due runs only, though workspace 2's come
-- first by priority and age and one of them has an expired lease.
SELECT id, workspace_id, status, attempt FROM runstore.dequeue('w', 10, '1 hour');
SELECT id FROM runstore.dequeue('w', 10);
-- heartbeat, complete, fail: workspace 2's runs held by a worker named 'w'
-- at attempt 1 are not this caller's, with or without the fencing token.
SELECT * FROM runstore.heartbeat('w', ARRAY[u(11), u(12), u(3)], '1 hour', ARRAY[1, 1, 1]);
SELECT * FROM runstore.heartbeat('w', ARRAY[u(11), u(12)]);
SELECT runstore.complete(u(11), 'w', '{"stolen": true}', 1) AS complete_attempt,
       runstore.complete(u(11), 'w') AS complete_name;
SELECT runstore.fail(u(12), 'w', 'stolen', true, 1) AS fail_retry,
       runstore.fail(u(12), 'w', 'stolen', false) AS fail_final;
-- Their batch forms likewise change nothing and return nothing.
SELECT * FROM runstore.complete_many('w', ARRAY[u(11)], ARRAY[1], ARRAY['{"stolen": true}']::jsonb[]) AS completed;
SELECT * FROM runstore.fail_many('w', ARRAY[u(12)], ARRAY[1], ARRAY['stolen']);
SELECT * FROM runstore.release_many('w', ARRAY[u(11), u(12)], ARRAY[1, 1]) AS released;
-- cancel: only workspace 1's.
SELECT * FROM runstore.cancel(ARRAY[u(11), u(1), u(13), u(14)]);
SELECT * FROM runstore.cancel(ARRAY[u(14), u(2)], workspace_id => 2);
-- delete_many and delete_by_tag: only workspace 1's.
SELECT * FROM runstore.delete_many(ARRAY[u(15), u(1), u(16)]);
SELECT * FROM runstore.delete_many(ARRAY[u(15), u(2)], workspace_id => 2);
SELECT * FROM runstore.delete_by_tag('shared', 1);
SELECT * FROM runstore.delete_by_tag('shared', 100, workspace_id => 2);
-- Plain statements: the policy is the same.
UPDATE runstore.executions SET priority = 99 WHERE workspace_id = 2;
DELETE FROM runstore.executions WHERE workspace_id = 2;
-- The trigger path: writes to workspace 1 keep its summaries exact ...
INSERT INTO runstore.executions (id, workspace_id, workflow_id, user_id, tags, created_at)
VALUES (u(7), 1, 10, 'ada', '{shared}', '2024-01-02'), (u(8), 1, 30, 'bob', '{}', '2024-01-03');
UPDATE runstore.executions SET workflow_id = 20 WHERE id = u(7);
UPDATE runstore.executions SET created_at = '2024-01-05' WHERE id = u(5);
DELETE FROM runstore.executions WHERE id = u(8);
SELECT * FROM runstore.recent_workflows(1);
SELECT * FROM runstore.recent_workflows(1, 4, 'ada');
-- ... and nothing reaches workspace 2: not by INSERT, nor by moving a run.
INSERT INTO runstore.executions (workspace_id, workflow_id) VALUES (2, 10);
\echo :LAST_ERROR_SQLSTATE
UPDATE runstore.executions SET workspace_id = 2 WHERE id = u(7);
\echo :LAST_ERROR_SQLSTATE
-- COPY FROM refuses any table under row-level security (PostgreSQL's rule):
-- tenant-scoped roles enqueue with INSERT.
COPY runstore.executions (workspace_id) FROM STDIN;
1
\.
\echo :LAST_ERROR_SQLSTATE
-- Not set, or set for the transaction only: no rows at all.
RESET app.workspace_id;
SELECT count(*) AS visible_without_setting FROM runstore.executions;
SELECT id FROM runstore.dequeue('w', 10);
INSERT INTO runstore.executions (workspace_id) VALUES (1);
\echo :LAST_ERROR_SQLSTATE
BEGIN;
SET LOCAL app.workspace_id = '1';
SELECT count(*) AS visible_in_transaction FROM runstore.executions;
COMMIT;
SELECT count(*) AS visible_after_commit FROM runstore.executions;
SET app.workspace_id = 'one';
SELECT count(*) FROM runstore.executions;
\echo :LAST_ERROR_SQLSTATE
RESET app.workspace_id;
RESET ROLE;

-- 2. A worker through the wrappers (they run as runstore_queue_definer,
--    which the policy covers): workspace 1's jobs only.
INSERT INTO runstore.executions (id, workspace_id, workflow_id, priority, run_after)
VALUES (u(21), 1, 10, 0, '2024-01-01'), (u(22), 1, 10, 0, '2024-01-01'),
       (u(23), 2, 10, 20, '2023-01-01');
SET SESSION AUTHORIZATION rs_t_worker;
SELECT id FROM runstore_worker.dequeue('w', 10) AS without_setting;
SET app.workspace_id = '1';
SELECT id, workspace_id, attempt FROM runstore_worker.dequeue('w', 10, '1 hour');
SELECT * FROM runstore_worker.heartbeat('w', ARRAY[u(11), u(12), u(21)], '1 hour', ARRAY[1, 1, 1]);
SELECT runstore_worker.complete(u(11), 'w', NULL, 1) AS not_its_workspace;
SELECT runstore_worker.fail(u(12), 'w', 'x', false, 1) AS not_its_workspace;
SELECT * FROM runstore_worker.complete_many('w', ARRAY[u(11)], ARRAY[1]) AS not_its_workspace;
SELECT * FROM runstore_worker.fail_many('w', ARRAY[u(12)], ARRAY[1], ARRAY['x']) AS not_its_workspace;
SELECT * FROM runstore_worker.release_many('w', ARRAY[u(11)], ARRAY[1]) AS not_its_workspace;
SELECT runstore_worker.complete(u(21), 'w', '{"done": 1}', 1) AS its_own;
SELECT runstore_worker.fail(u(22), 'w', 'broken', false, 1) AS its_own;
RESET app.workspace_id;
RESET SESSION AUTHORIZATION;

-- 3. A dashboard in workspace 1.
SET SESSION AUTHORIZATION rs_t_dash;
SET app.workspace_id = '1';
SELECT id, workspace_id, status FROM runstore.get_executions_by_ids(ARRAY[u(23), u(21), u(11), u(22)]);
-- queue_stats: workspace 1's live queue only (workspace 2's u(23) is due
-- at a higher priority).
SELECT status, priority, executions, due_now, due_later, expired_leases, retrying FROM runstore.queue_stats();
SELECT * FROM runstore.recent_workflows(2);
SELECT workflow_id FROM runstore.recent_workflows(1);
-- Through the security_invoker view: workspace 1's rows only.
SELECT * FROM runstore.user_recent_workflow;
\echo :LAST_ERROR_SQLSTATE
-- The setting is the boundary: a session that can run its own SQL can change it.
SET app.workspace_id = '2';
SELECT count(*) AS visible_after_changing_the_setting FROM runstore.executions;
RESET app.workspace_id;
RESET SESSION AUTHORIZATION;

-- 4. The admin works across workspaces.
SET ROLE runstore_admin;
SELECT workspace_id, count(*) FROM runstore.executions GROUP BY 1 ORDER BY 1;
SELECT count(*) AS admin_summary_groups FROM runstore.workspace_recent_workflow;
SELECT * FROM runstore.verify_recent_workflows();
RESET ROLE;

-- Workspace 2, after all of the above: untouched but for u(23), inserted by the superuser.
DELETE FROM runstore.executions WHERE id = u(23);
SELECT md5(string_agg(e::text, ',' ORDER BY e.id)) = :'ws2_runs' AS ws2_runs_unchanged
  FROM runstore.executions e WHERE e.workspace_id = 2;
SELECT md5(string_agg(s::text, ',' ORDER BY s.workflow_id)) = :'ws2_summary' AS ws2_summary_unchanged
  FROM runstore.workspace_recent_workflow s WHERE s.workspace_id = 2;
SELECT md5(string_agg(s::text, ',' ORDER BY s.user_id, s.workflow_id)) = :'ws2_user_summary' AS ws2_user_summary_unchanged
  FROM runstore.user_recent_workflow s WHERE s.workspace_id = 2;
-- Every write above went through the summaries' trigger under a tenant's
-- policy; they are exact.
SELECT * FROM runstore.verify_recent_workflows();
-- The admin folds (SECURITY DEFINER: every workspace's pending rows, whatever
-- the policy): the same summaries, nothing pending.
SET ROLE runstore_admin;
SELECT runstore.fold_recent_workflows() > 0 AS folded;
RESET ROLE;
SELECT count(*) AS pending_after_fold FROM runstore.recent_workflow_pending;
SELECT md5(string_agg(s::text, ',' ORDER BY s.workflow_id)) = :'ws2_summary' AS ws2_summary_unchanged
  FROM runstore.workspace_recent_workflow s WHERE s.workspace_id = 2;
SELECT * FROM runstore.verify_recent_workflows();
-- A deletion of workspace 2's latest run leaves a recheck mark there: a
-- tenant of workspace 1 sees neither it nor the run its read would look up
-- (recent_workflows reads executions as the caller), a tenant of workspace
-- 2 reads the group's new latest run.
DELETE FROM runstore.executions WHERE id = u(16);
SET ROLE rs_t_app;
SET app.workspace_id = '1';
SELECT * FROM runstore.recent_workflows(2);
SELECT count(*) AS pending_rows_visible FROM runstore.recent_workflow_pending;
SET app.workspace_id = '2';
SELECT workflow_id, right(last_execution_id::text, 2) AS run FROM runstore.recent_workflows(2);
SELECT workflow_id, right(last_execution_id::text, 2) AS run FROM runstore.recent_workflows(2, 4, 'ada');
SELECT count(*) AS pending_rows_visible FROM runstore.recent_workflow_pending;
RESET app.workspace_id;
RESET ROLE;
SELECT * FROM runstore.verify_recent_workflows();

-- The views are security_invoker: they read the folded and pending tables
-- (and executions) with the caller's rights, so their policies apply through
-- them.  Granted to a tenant role, a view shows that tenant's workspace only.
SELECT c.relname, c.reloptions FROM pg_class c
 WHERE c.oid IN ('runstore.workspace_recent_workflow'::regclass, 'runstore.user_recent_workflow'::regclass)
 ORDER BY 1;
GRANT SELECT ON runstore.workspace_recent_workflow TO rs_t_app;
SET ROLE rs_t_app;
SET app.workspace_id = '1';
SELECT workspace_id, count(*) AS groups_seen_through_view FROM runstore.workspace_recent_workflow GROUP BY 1 ORDER BY 1;
RESET app.workspace_id;
RESET ROLE;

-- Undo both recipes.
DROP POLICY workspace_tenant ON runstore.executions;
DROP POLICY workspace_tenant ON runstore.recent_workflow_folded;
DROP POLICY workspace_tenant ON runstore.recent_workflow_pending;
DROP POLICY admin_all ON runstore.executions;
DROP POLICY admin_all ON runstore.recent_workflow_folded;
DROP POLICY admin_all ON runstore.recent_workflow_pending;
ALTER TABLE runstore.executions DISABLE ROW LEVEL SECURITY;
ALTER TABLE runstore.recent_workflow_folded DISABLE ROW LEVEL SECURITY;
ALTER TABLE runstore.recent_workflow_pending DISABLE ROW LEVEL SECURITY;
DROP SCHEMA runstore_worker CASCADE;
GRANT EXECUTE ON FUNCTION runstore.verify_recent_workflows() TO PUBLIC;
DROP OWNED BY runstore_dashboard, runstore_worker, runstore_admin, runstore_queue_definer,
              rs_t_app, rs_t_worker, rs_t_dash;
DROP ROLE runstore_dashboard, runstore_worker, runstore_admin, runstore_queue_definer,
          rs_t_app, rs_t_worker, rs_t_dash;
TRUNCATE runstore.executions;
