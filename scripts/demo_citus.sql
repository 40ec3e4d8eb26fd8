-- runstore on Citus: run by scripts/demo.sh --citus against a throwaway
-- coordinator with two workers (tests/citus/cluster.sh).
\pset footer off
SET client_min_messages = warning;  -- Citus explains each data copy in NOTICEs
\echo
\echo '== CREATE EXTENSION runstore on the coordinator (Citus propagates it to the workers)'
CREATE EXTENSION runstore;
SELECT nodename, nodeport FROM citus_get_active_worker_nodes() ORDER BY 2;

\echo
\echo '== 100,000 runs across 50 workspaces, loaded before distributing'
INSERT INTO runstore.executions (workspace_id, workflow_id, user_id, status, tags)
SELECT 1 + n % 50, 1 + n % 400, 'user' || (n % 37),
       (ARRAY['succeeded', 'failed'])[1 + n % 2]::runstore.execution_status,
       CASE WHEN n % 10 = 0 THEN ARRAY['nightly'] ELSE '{}' END
  FROM generate_series(1, 100000) n;

\echo
\echo '== runstore.distribute(): executions and the summaries sharded by workspace_id, co-located'
SELECT runstore.distribute(shard_count := 8);
SELECT logicalrelid AS table_name, colocationid, (SELECT count(*) FROM pg_dist_shard s WHERE s.logicalrelid = p.logicalrelid) AS shards
  FROM pg_dist_partition p WHERE logicalrelid::text LIKE 'runstore.%' ORDER BY 1;
SELECT nodeport, count(*) AS executions_shards
  FROM pg_dist_shard_placement JOIN pg_dist_shard USING (shardid)
 WHERE logicalrelid = 'runstore.executions'::regclass GROUP BY 1 ORDER BY 1;

\echo
\echo '== recent_workflows: one statement routed to the workspace''s node'
SELECT * FROM runstore.recent_workflows(7);
INSERT INTO runstore.executions (workspace_id, workflow_id, user_id) VALUES (7, 9999, 'user1');
SELECT * FROM runstore.recent_workflows(7, 2);
SELECT * FROM runstore.recent_workflows(7, 2, 'user1');

\echo
\echo '== get_executions_by_ids with workspace_id: routed; without: every shard, by the index on id'
SELECT array_agg(id) AS ids FROM (SELECT id FROM runstore.executions WHERE workspace_id = 7 ORDER BY id DESC LIMIT 3) s \gset
SELECT id, workspace_id, workflow_id, status FROM runstore.get_executions_by_ids(:'ids'::uuid[], 7);
SELECT count(*) AS found FROM runstore.get_executions_by_ids(:'ids'::uuid[]);

\echo
\echo '== writes on every shard keep both summaries exact: a multi-shard UPDATE, DELETE, delete_by_tag'
UPDATE runstore.executions SET workflow_id = workflow_id + 1 WHERE workflow_id % 97 = 0;
DELETE FROM runstore.executions WHERE workflow_id = 9999;
SELECT count(*) AS deleted FROM runstore.delete_by_tag('nightly', 5000);
SELECT count(*) AS groups_differing_from_the_definition FROM runstore.verify_recent_workflows();

\echo
\echo '== dequeue does not claim across shards (0A000); complete and fail route by id'
\set VERBOSITY terse
SELECT count(*) FROM runstore.dequeue('demo-worker', 1);
\set VERBOSITY default

\echo
\echo '== runstore.undistribute(): every run back on the coordinator, the shards dropped'
SELECT runstore.undistribute() AS runs_back;
SELECT count(*) AS citus_tables FROM pg_dist_partition WHERE logicalrelid::text LIKE 'runstore.%';
SELECT count(*) AS groups_differing_from_the_definition FROM runstore.verify_recent_workflows();
DROP EXTENSION runstore;
DROP SCHEMA runstore;
