-- runstore demo: run by scripts/demo.sh against a throwaway cluster.
\pset footer off
\echo
\echo '== CREATE EXTENSION runstore'
DROP DATABASE IF EXISTS runstore_demo;
CREATE DATABASE runstore_demo;
\c runstore_demo
CREATE EXTENSION runstore;
\dx runstore

\echo
\echo '== 200,000 executions across 50 workspaces: inserting is enqueueing; ids are time-ordered UUIDv7'
INSERT INTO runstore.executions (workspace_id, workflow_id, user_id, status, tags, payload)
SELECT 1 + n % 50, 1 + n % 400, 'user' || (n % 37),
       -- finished history; the queue section below enqueues live work of its own
       (ARRAY['succeeded', 'succeeded', 'failed', 'cancelled'])[1 + n % 4]::runstore.execution_status,
       CASE WHEN n % 10 = 0 THEN ARRAY['nightly', 'demo'] ELSE ARRAY['demo'] END,
       jsonb_build_object('n', n, 'input', md5(n::text))
  FROM generate_series(1, 200000) n;
ANALYZE runstore.executions;
SELECT id, workspace_id, status, tags FROM runstore.executions ORDER BY id LIMIT 3;

-- A dashboard's ids, in the dashboard's order, with a duplicate, an unknown id and a NULL.
SELECT array_agg(id ORDER BY random()) AS ids FROM (SELECT id FROM runstore.executions ORDER BY id DESC LIMIT 5) s \gset
SELECT (:'ids'::uuid[])[1] AS first_id \gset

\echo
\echo '== get_executions_by_ids: one call for the whole dashboard, in the order asked'
SELECT id, workspace_id, status
  FROM runstore.get_executions_by_ids(:'ids'::uuid[] || ARRAY[:'first_id'::uuid, '00000000-0000-7000-8000-000000000000', NULL]);

\echo
\echo '== ... scoped to one workspace (what a multi-tenant app passes; Citus routes on it)'
SELECT workspace_id AS ws FROM runstore.executions WHERE id = :'first_id' \gset
SELECT id, workspace_id, status FROM runstore.get_executions_by_ids(:'ids'::uuid[], :ws);

\echo
\echo '== 500 random ids in one call (bench/ compares it with per-id round trips and a hand-written = ANY)'
SELECT array_agg(id) AS ids500 FROM (SELECT id FROM runstore.executions TABLESAMPLE SYSTEM (1) LIMIT 500) s \gset
\timing on
SELECT count(*) AS rows_in_one_call FROM runstore.get_executions_by_ids(:'ids500'::uuid[]);
\timing off

\echo
\echo '== The batch cap: more than runstore.max_batch_size (500) ids is an ERROR with SQLSTATE 54000'
SELECT count(*) FROM runstore.get_executions_by_ids(ARRAY(SELECT runstore.uuid_v7() FROM generate_series(1, 501)));
\echo 'SQLSTATE' :LAST_ERROR_SQLSTATE

\echo
\echo '== delete_many: one statement deletes the batch and returns what it deleted'
SELECT * FROM runstore.delete_many(:'ids'::uuid[]);
SELECT count(*) AS still_there FROM runstore.get_executions_by_ids(:'ids'::uuid[]);

\echo
\echo '== delete_by_tag: purge a tag in bounded chunks, oldest first, until nothing is returned'
SELECT count(*) AS tagged_nightly FROM runstore.executions WHERE tags @> '{nightly}';
DO $$
DECLARE
  n bigint;
  total bigint := 0;
  rounds int := 0;
BEGIN
  LOOP
    SELECT count(*) INTO n FROM runstore.delete_by_tag('nightly', 5000);
    EXIT WHEN n = 0;
    total := total + n;
    rounds := rounds + 1;
  END LOOP;
  RAISE NOTICE 'deleted % executions in % calls of at most 5000', total, rounds;
END $$;
SELECT count(*) AS tagged_nightly_left FROM runstore.executions WHERE tags @> '{nightly}';

\echo
\echo '== recent_workflows: the 4 workflows workspace 2 used most recently, from the trigger-kept summary'
SELECT * FROM runstore.recent_workflows(2);
\echo '   ... the same question asked of the run history with DISTINCT ON (reads every run of the workspace):'
SELECT workflow_id, created_at FROM (
  SELECT DISTINCT ON (workflow_id) workflow_id, created_at, id FROM runstore.executions
  WHERE workspace_id = 2 AND workflow_id IS NOT NULL ORDER BY workflow_id, created_at DESC, id DESC) s
ORDER BY created_at DESC, workflow_id DESC LIMIT 4;
\echo '   a run deleted, a run moved to another workflow: the summary follows, and verify finds nothing'
DELETE FROM runstore.executions WHERE id = (SELECT last_execution_id FROM runstore.recent_workflows(2, 1));
UPDATE runstore.executions SET workflow_id = 999999
 WHERE id = (SELECT last_execution_id FROM runstore.recent_workflows(2, 2) OFFSET 1);
SELECT * FROM runstore.recent_workflows(2);
SELECT count(*) AS inconsistent_groups FROM runstore.verify_recent_workflows();

\echo
\echo '== The queue: workers claim, heartbeat, complete and fail through runstore functions only'
INSERT INTO runstore.executions (workspace_id, workflow_id, priority, payload, max_attempts)
SELECT 9001, 70, p, jsonb_build_object('job', n), 2 FROM generate_series(1, 6) n, LATERAL (SELECT (n % 3 = 0)::int AS p) x;
\echo '   worker-a claims 3 (priority first, then age) with a 30 s lease; attempt is the fencing token'
SELECT payload->>'job' AS job, priority, status, attempt, lease_owner,
       lease_expires_at - started_at AS lease
FROM runstore.dequeue('worker-a', 3, '30 s');
\echo '   one heartbeat extends all the leases worker-a holds'
SELECT count(*) AS leases_extended FROM runstore.heartbeat('worker-a',
  (SELECT array_agg(id) FROM runstore.executions WHERE workspace_id = 9001 AND status = 'running'));
\echo '   worker-a completes one and fails one (re-queued with backoff, 1 attempt left)'
SELECT runstore.complete(id, 'worker-a', '{"rows": 42}', attempt) AS completed
FROM runstore.executions WHERE workspace_id = 9001 AND status = 'running' AND payload->>'job' = '3';
SELECT runstore.fail(id, 'worker-a', 'upstream timed out', true, attempt) AS now
FROM runstore.executions WHERE workspace_id = 9001 AND status = 'running' AND payload->>'job' = '6';
\echo '   the third lease lapses (the demo moves its end into the past); worker-b claims it again, and worker-a is fenced off'
UPDATE runstore.executions SET run_after = now() - interval '1 s', lease_expires_at = now() - interval '1 s'
 WHERE workspace_id = 9001 AND status = 'running';
SELECT payload->>'job' AS job, attempt, lease_owner FROM runstore.dequeue('worker-b', 1);
SELECT runstore.complete(id, 'worker-a', '{"late": true}', 1) AS late_complete_accepted
FROM runstore.executions WHERE workspace_id = 9001 AND lease_owner = 'worker-b';
\echo '   cancel what is left; the states, as a dashboard sees them'
SELECT count(*) AS cancelled FROM runstore.cancel(
  (SELECT array_agg(id) FROM runstore.executions WHERE workspace_id = 9001));
SELECT payload->>'job' AS job, status, attempt, error, result
FROM runstore.get_executions_by_ids((SELECT array_agg(id ORDER BY payload->>'job') FROM runstore.executions
                                     WHERE workspace_id = 9001));

\echo
\echo '== Bad input gets a clear error with a precise SQLSTATE'
SELECT * FROM runstore.delete_by_tag('demo', 0);
\echo 'SQLSTATE' :LAST_ERROR_SQLSTATE
SELECT * FROM runstore.get_executions_by_ids(ARRAY[[:'first_id'::uuid]]);
\echo 'SQLSTATE' :LAST_ERROR_SQLSTATE
SELECT * FROM runstore.recent_workflows(1, -4);
\echo 'SQLSTATE' :LAST_ERROR_SQLSTATE
SELECT * FROM runstore.dequeue('worker-a', 10, '0 s');
\echo 'SQLSTATE' :LAST_ERROR_SQLSTATE
\c postgres
DROP DATABASE runstore_demo;
