-- runstore on a Citus coordinator with two workers: distributing a table
-- that already holds runs, what distribute() refuses, and the summaries
-- exact afterwards.  Runs against the database tests/citus/run.sh prepared
-- (citus and runstore created, nothing distributed).
\set VERBOSITY default
SET client_min_messages = warning;

-- Deterministic ids: u(n) is the n-th test id.
CREATE FUNCTION u(n int) RETURNS uuid LANGUAGE sql IMMUTABLE
  RETURN ('00000000-0000-7000-8000-' || lpad(n::text, 12, '0'))::uuid;

-- 2,000 runs over 20 workspaces, 7 workflows, 3 users, some without a
-- workflow, loaded before distributing.
INSERT INTO runstore.executions (id, workspace_id, workflow_id, user_id, tags, created_at)
SELECT u(g), g % 20, CASE WHEN g % 11 = 0 THEN NULL ELSE g % 7 END, 'u' || g % 3,
       ARRAY['t' || g % 4], '2026-01-01'::timestamptz + g * interval '1 second'
FROM generate_series(1, 2000) g;
SELECT runstore.is_distributed();

-- Refusals: a role that does not own the tables, a bad shard count.
CREATE ROLE citus_tenant;
GRANT USAGE ON SCHEMA runstore TO citus_tenant;
SET ROLE citus_tenant;
SELECT runstore.distribute();
\echo :LAST_ERROR_SQLSTATE
SELECT runstore.undistribute();
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
GRANT EXECUTE ON FUNCTION runstore.distribute(integer) TO citus_tenant;
SET ROLE citus_tenant;
SELECT runstore.distribute();
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
SELECT runstore.distribute(shard_count := 0);
\echo :LAST_ERROR_SQLSTATE
SELECT runstore.undistribute();
\echo :LAST_ERROR_SQLSTATE

-- Distribute: four shards per table, co-located, the data moved to the workers.
SELECT runstore.distribute(shard_count := 4);
SELECT runstore.is_distributed();
SELECT logicalrelid::regclass AS table_name, partmethod, count(*) OVER (PARTITION BY colocationid) AS colocated
FROM pg_dist_partition WHERE logicalrelid::regclass::text LIKE 'runstore.%' ORDER BY 1;
SELECT logicalrelid::regclass AS table_name, count(*) AS shards
FROM pg_dist_shard WHERE logicalrelid::regclass::text LIKE 'runstore.%' GROUP BY 1 ORDER BY 1;
SELECT nodeport > 0 AS on_a_worker, count(DISTINCT nodeport) AS nodes
FROM pg_dist_shard_placement p JOIN pg_dist_shard s USING (shardid)
WHERE s.logicalrelid = 'runstore.executions'::regclass GROUP BY 1;
SELECT runstore.distribute();
\echo :LAST_ERROR_SQLSTATE

-- Every run kept; both summaries equal to the definition.
SELECT count(*) AS runs, count(DISTINCT workspace_id) AS workspaces FROM runstore.executions;
SELECT count(*) AS differing FROM runstore.verify_recent_workflows();
-- Every workspace's and user's list against the definition.
CREATE FUNCTION lists_differing() RETURNS bigint LANGUAGE sql AS $$
  WITH definition AS (
    SELECT workspace_id, NULL::text AS user_id, workflow_id, max(created_at) AS at FROM runstore.executions
    WHERE workflow_id IS NOT NULL GROUP BY 1, 2, 3
    UNION ALL
    SELECT workspace_id, user_id, workflow_id, max(created_at) FROM runstore.executions
    WHERE workflow_id IS NOT NULL AND user_id IS NOT NULL GROUP BY 1, 2, 3),
  expected AS (
    SELECT workspace_id, user_id, (array_agg(workflow_id ORDER BY at DESC, workflow_id DESC))[1:5] AS list
    FROM definition GROUP BY 1, 2),
  actual AS (
    SELECT s.ws AS workspace_id, s2.u AS user_id,
           (SELECT array_agg(r.workflow_id ORDER BY ord)
            FROM runstore.recent_workflows(s.ws, 5, s2.u) WITH ORDINALITY r(workflow_id, a, b, ord)) AS list
    FROM generate_series(0, 19) s(ws), unnest(ARRAY[NULL, 'u0', 'u1', 'u2']) s2(u))
  SELECT count(*) FROM actual a LEFT JOIN expected e
    ON e.workspace_id = a.workspace_id AND e.user_id IS NOT DISTINCT FROM a.user_id
  WHERE a.list IS DISTINCT FROM e.list
$$;
SELECT lists_differing();
SELECT * FROM runstore.recent_workflows(3, 3);
SELECT * FROM runstore.recent_workflows(3, 2, 'u1');
-- The views: for one workspace (routed to its shards) and everywhere.
SELECT workflow_id, last_used_at, last_execution_id FROM runstore.workspace_recent_workflow
WHERE workspace_id = 3 ORDER BY last_used_at DESC LIMIT 3;
SELECT count(*) FROM runstore.workspace_recent_workflow;
SELECT count(*) FROM runstore.user_recent_workflow WHERE workspace_id = 3 AND user_id = 'u1';
