-- Every function of runstore on the distributed tables (citus_distribute
-- ran first): the single-node answers, errors with their SQLSTATEs, and the
-- summaries exact after every kind of write.
\set VERBOSITY default
SET client_min_messages = warning;

-- get_executions_by_ids: order of first appearance, duplicates once, unknown
-- ids and NULLs omitted; with a workspace (routed) and without (every shard).
SELECT id, workspace_id FROM runstore.get_executions_by_ids(ARRAY[u(45), u(3), NULL, u(45), u(999999), u(21)]);
SELECT id, workspace_id FROM runstore.get_executions_by_ids(ARRAY[u(45), u(3), u(25), u(5)], 5);
SELECT count(*) FROM runstore.get_executions_by_ids(NULL);
SELECT count(*) FROM runstore.get_executions_by_ids('{}');
SELECT count(*) FROM runstore.get_executions_by_ids(ARRAY(SELECT u(g) FROM generate_series(1, 501) g));
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) FROM runstore.get_executions_by_ids(ARRAY[[u(1)], [u(2)]]);
\echo :LAST_ERROR_SQLSTATE
-- Row-level security applies on the shards.
CREATE ROLE citus_reader LOGIN;
GRANT USAGE ON SCHEMA runstore TO citus_reader;
GRANT SELECT ON runstore.executions TO citus_reader;
ALTER TABLE runstore.executions ENABLE ROW LEVEL SECURITY;
CREATE POLICY citus_reader_ws3 ON runstore.executions TO citus_reader USING (workspace_id = 3);
SET ROLE citus_reader;
SELECT id, workspace_id FROM runstore.get_executions_by_ids(ARRAY[u(3), u(23), u(4)]);
RESET ROLE;
DROP POLICY citus_reader_ws3 ON runstore.executions;
ALTER TABLE runstore.executions DISABLE ROW LEVEL SECURITY;

-- recent_workflows: argument errors (raised on the worker the call is
-- delegated to: terse, so the output does not name its port).
\set VERBOSITY terse
SELECT * FROM runstore.recent_workflows(NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM runstore.recent_workflows(3, 1001);
\echo :LAST_ERROR_SQLSTATE
\set VERBOSITY default
SELECT count(*) FROM runstore.recent_workflows(3, 0);
SELECT count(*) FROM runstore.recent_workflows(123456);

-- Writes of every kind keep both summaries exact.
-- A multi-shard INSERT, with runstore.notify_enqueued on: shards never notify,
-- so Citus's two-phase commit goes through.
SET runstore.notify_enqueued = on;
INSERT INTO runstore.executions (id, workspace_id, workflow_id, user_id, created_at)
SELECT u(3000 + g), g % 20, 100 + g % 3, 'u' || g % 2, '2026-02-01'::timestamptz + g * interval '1 second'
FROM generate_series(1, 200) g;
RESET runstore.notify_enqueued;
SELECT count(*) AS differing FROM runstore.verify_recent_workflows();
SELECT * FROM runstore.recent_workflows(3, 2);
-- COPY, over every shard.
COPY runstore.executions (id, workspace_id, workflow_id, user_id, created_at) FROM STDIN;
00000000-0000-7000-8000-000000005001	1	200	u9	2026-03-01 00:00:00+00
00000000-0000-7000-8000-000000005002	2	200	u9	2026-03-01 00:00:01+00
00000000-0000-7000-8000-000000005003	3	200	\N	2026-03-01 00:00:02+00
00000000-0000-7000-8000-000000005004	17	\N	u9	2026-03-01 00:00:03+00
\.
SELECT count(*) AS differing FROM runstore.verify_recent_workflows();
SELECT * FROM runstore.recent_workflows(3, 1);
-- UPDATEs moving runs between workflows, users and in time.
UPDATE runstore.executions SET workflow_id = 101 WHERE workflow_id = 100 AND workspace_id IN (1, 2, 3);
UPDATE runstore.executions SET user_id = NULL WHERE id = u(5002) AND workspace_id = 2;
UPDATE runstore.executions SET created_at = '2025-01-01' WHERE workflow_id = 200;
SELECT count(*) AS differing FROM runstore.verify_recent_workflows();
SELECT * FROM runstore.recent_workflows(3, 2);
-- DELETE of a group's latest run (a recheck mark), then a fold of every shard group.
DELETE FROM runstore.executions WHERE workflow_id = 101;
SELECT count(*) AS differing FROM runstore.verify_recent_workflows();
-- The views read a marked group's latest run from its shard.
SELECT count(*) FROM runstore.recent_workflow_pending WHERE last_used_at IS NULL AND workspace_id = 2;
SELECT v.workflow_id, v.last_used_at = d.at AS exact
FROM runstore.workspace_recent_workflow v
JOIN (SELECT workspace_id, workflow_id, max(created_at) AS at FROM runstore.executions
      WHERE workspace_id = 2 GROUP BY 1, 2) d USING (workspace_id, workflow_id)
WHERE v.workspace_id = 2 ORDER BY 1;
SELECT (SELECT count(*) FROM runstore.workspace_recent_workflow) =
       (SELECT count(DISTINCT (workspace_id, workflow_id)) FROM runstore.executions WHERE workflow_id IS NOT NULL) AS every_group;
SELECT runstore.fold_recent_workflows() > 0 AS folded;
SELECT count(*) FROM runstore.recent_workflow_pending;
SELECT count(*) AS differing FROM runstore.verify_recent_workflows();
SELECT lists_differing();
BEGIN ISOLATION LEVEL REPEATABLE READ;
SELECT runstore.fold_recent_workflows();
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;
-- Each shard group folds in a transaction of its own: not inside a block.
BEGIN;
SELECT runstore.fold_recent_workflows();
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;

-- delete_many: the ids deleted, in the order given; routed with a workspace.
SELECT d FROM runstore.delete_many(ARRAY[u(40), u(20), u(40), u(999999)]) d;
SELECT d FROM runstore.delete_many(ARRAY[u(60), u(61), u(80)], 0) d;
SELECT count(*) FROM runstore.delete_many(ARRAY(SELECT u(g) FROM generate_series(1, 501) g));
\echo :LAST_ERROR_SQLSTATE
-- delete_by_tag: oldest first, at most max_rows, per workspace or everywhere.
SELECT count(*) FROM runstore.delete_by_tag('t1', 5, 7);
SELECT count(*) FROM runstore.delete_by_tag('t2', 30);
SELECT count(*) FROM runstore.executions WHERE 't2' = ANY (tags);
SELECT count(*) FROM runstore.delete_by_tag('t1', 0);
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) AS differing FROM runstore.verify_recent_workflows();

-- The queue: executions leased by hand (dequeue and the batch outcomes on
-- the cluster: citus_queue), then heartbeat, complete and fail, which name
-- no workspace and so run on every shard (through executions_id_idx).
UPDATE runstore.executions SET status = 'running', lease_owner = 'w1', attempt = 1,
       lease_expires_at = now() + interval '1 minute', run_after = now() + interval '1 minute'
WHERE id IN (u(201), u(202), u(203), u(204)) AND workspace_id IN (1, 2, 3, 4);
SELECT h FROM runstore.heartbeat('w1', ARRAY[u(201), u(202), u(999999)]) h;
SELECT h FROM runstore.heartbeat('w2', ARRAY[u(201)]) h;
SELECT h FROM runstore.heartbeat('w1', ARRAY[u(201), u(202)], interval '5 minutes', ARRAY[1, 2]) h;
SELECT runstore.complete(u(201), 'w1', '{"ok": true}');
SELECT runstore.complete(u(201), 'w1', '{"ok": false}');
SELECT runstore.complete(u(202), 'w2', NULL);
SELECT runstore.complete(u(202), 'w1', NULL, 7);
SET runstore.retry_backoff_base = '10s';
SELECT runstore.fail(u(202), 'w1', 'boom');
SELECT status, attempt, error, run_after > now() AS backs_off, run_after <= now() + interval '10s' AS within_base
FROM runstore.executions WHERE id = u(202);
SELECT runstore.fail(u(203), 'w1', 'fatal', false, 1);
SELECT runstore.fail(u(204), 'w9', 'not mine');
SELECT id, status, result, error, lease_owner FROM runstore.executions
WHERE id IN (u(201), u(202), u(203), u(204)) ORDER BY id;
SELECT runstore.complete(NULL, 'w1');
\echo :LAST_ERROR_SQLSTATE
-- cancel: queued or running ones, in the order given.
SELECT c FROM runstore.cancel(ARRAY[u(204), u(205), u(201), u(999999)]) c;
SELECT c FROM runstore.cancel(ARRAY[u(106), u(126)], 6) c;
SELECT count(*) AS differing FROM runstore.verify_recent_workflows();

-- rebuild_recent_workflows from the coordinator: everything, then one workspace.
SELECT runstore.rebuild_recent_workflows() > 0 AS rebuilt;
SELECT runstore.rebuild_recent_workflows(3) > 0 AS rebuilt;
SELECT count(*) AS differing FROM runstore.verify_recent_workflows();
SELECT lists_differing();

-- TRUNCATE empties every shard of both summaries.
CREATE TEMP TABLE kept AS SELECT * FROM runstore.executions;
TRUNCATE runstore.executions;
SELECT count(*) FROM runstore.recent_workflow_pending;
SELECT count(*) FROM runstore.recent_workflow_folded;
INSERT INTO runstore.executions SELECT * FROM kept;
SELECT count(*) AS differing FROM runstore.verify_recent_workflows();
SELECT lists_differing();

-- recent_workflows on each worker: the node holding a workspace's shards
-- reads them directly (as in a call the coordinator delegates to it), the
-- other sends the routed statement; both give the definition.
CREATE TEMP TABLE expected_lists AS
  SELECT workspace_id, (array_agg(workflow_id ORDER BY at DESC, workflow_id DESC))[1:5]::text AS list
  FROM (SELECT workspace_id, workflow_id, max(created_at) AS at FROM runstore.executions
        WHERE workflow_id IS NOT NULL GROUP BY 1, 2) d GROUP BY 1;
SELECT count(*) AS answers, count(*) FILTER (WHERE w.result = e.list) AS exact
FROM expected_lists e, run_command_on_workers(format(
  $$SELECT array_agg(workflow_id ORDER BY ord)::text FROM runstore.recent_workflows(%s, 5) WITH ORDINALITY r(workflow_id, a, b, ord)$$,
  e.workspace_id)) w;
