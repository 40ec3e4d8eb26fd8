-- runstore.undistribute(): every run back on the coordinator, the shards
-- gone, the summaries exact; then the single-node path works again.
\set VERBOSITY default
SET client_min_messages = warning;

-- Runs on the shards to bring back (the randomized test left none).
INSERT INTO runstore.executions (id, workspace_id, workflow_id, user_id, created_at)
SELECT u(10000 + g), g % 20, g % 7, 'u' || g % 3, '2026-01-01'::timestamptz + g * interval '1 second'
FROM generate_series(1, 1000) g;
SELECT count(*) AS differing FROM runstore.verify_recent_workflows();
CREATE TEMP TABLE before AS SELECT count(*) AS runs, sum(hashtext(id::text)) AS ids FROM runstore.executions;
SELECT runstore.undistribute() = (SELECT runs FROM before) AS every_run_back;
SELECT runstore.is_distributed();
SELECT count(*) AS citus_tables FROM pg_dist_partition WHERE logicalrelid::regclass::text LIKE 'runstore.%';
SELECT count(*) AS shards FROM pg_dist_shard;
SELECT (SELECT count(*) FROM runstore.executions) = runs AND
       (SELECT sum(hashtext(id::text)) FROM runstore.executions) = ids AS same_runs FROM before;
SELECT count(*) AS differing FROM runstore.verify_recent_workflows();
SELECT lists_differing();
SELECT * FROM runstore.direct_path_status() WHERE path = 'get_executions_by_ids';
SELECT count(*) FROM runstore.dequeue('w1', 1);
SELECT runstore.undistribute();
\echo :LAST_ERROR_SQLSTATE
