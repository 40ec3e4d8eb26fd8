-- runstore 0.3.0 -> 0.4.0
\echo Use "ALTER EXTENSION runstore UPDATE TO '0.4.0'" to load this file. \quit

-- The live queue at a glance, for operators and dashboards: per status
-- (queued, running) and priority, how many executions there are, how many
-- dequeue may claim now and how many later, leases that ended, retries
-- waiting out their backoff, and how long the oldest due one has waited.
-- Its WHERE clause is the predicate of executions_claimable_idx, so it reads
-- that index and the live rows it points to, never the finished history:
-- the cost follows the queue, not the table.  For the same reason it counts
-- no succeeded, failed or cancelled runs: no index bounds them, and counting
-- them means reading every run ever kept.
-- Counted at the instant as_of, which queue_stats() below binds once, so
-- that on Citus every shard's query gets the coordinator's value (Citus does
-- not evaluate a SELECT's function calls on the coordinator, but sends
-- parameters as values).  enable_seqscan = off: with statistics that lag
-- behind the table (a bulk load of finished runs before autoanalyze) the
-- planner could otherwise read the whole table.  A run_after of '-infinity'
-- is due but has no age (PostgreSQL 15 has no infinite interval): such rows
-- count in due_now, not in oldest_due_age.
-- SQL rather than PL/pgSQL: a new session does not load the PL/pgSQL
-- library for it (a few milliseconds, much of a command-line call).
-- SECURITY INVOKER: it needs SELECT on the columns it reads, and row-level
-- security applies as to the plain SELECT.
CREATE FUNCTION runstore._queue_stats_at(as_of timestamptz)
  RETURNS TABLE (status runstore.execution_status, priority integer, executions bigint,
                 due_now bigint, due_later bigint, expired_leases bigint, retrying bigint,
                 oldest_due_age interval)
  LANGUAGE sql STABLE STRICT ROWS 10
  SET search_path = pg_catalog, pg_temp
  SET enable_seqscan = off
BEGIN ATOMIC
  SELECT e.status, e.priority, count(*),
         count(CASE WHEN e.run_after <= as_of THEN 1 END),
         count(CASE WHEN e.run_after > as_of THEN 1 END),
         count(CASE WHEN e.status = 'running' AND e.run_after <= as_of THEN 1 END),
         count(CASE WHEN e.status = 'queued' AND e.attempt > 0 AND e.run_after > as_of THEN 1 END),
         as_of - min(CASE WHEN e.run_after <= as_of AND isfinite(e.run_after) THEN e.run_after END)
    FROM runstore.executions e
   WHERE e.status IN ('queued', 'running')
   GROUP BY e.status, e.priority
   ORDER BY e.status, e.priority DESC;
END;
COMMENT ON FUNCTION runstore._queue_stats_at(timestamptz) IS
  'queue_stats() at the instant as_of: the live queue per status and priority';

-- At statement_timestamp(), the clock dequeue judges "due" by.  Inlined
-- into the calling query: the argument is evaluated once, where the call is.
CREATE FUNCTION runstore.queue_stats()
  RETURNS TABLE (status runstore.execution_status, priority integer, executions bigint,
                 due_now bigint, due_later bigint, expired_leases bigint, retrying bigint,
                 oldest_due_age interval)
  LANGUAGE sql STABLE ROWS 10
BEGIN ATOMIC
  SELECT s.status, s.priority, s.executions, s.due_now, s.due_later, s.expired_leases, s.retrying,
         s.oldest_due_age
    FROM runstore._queue_stats_at(pg_catalog.statement_timestamp()) s;
END;
COMMENT ON FUNCTION runstore.queue_stats() IS
  'The live queue per status and priority: due now and later, expired leases, retries in backoff, oldest due age; reads only queued and running executions';

-- undistribute() refuses while old shards of a move or split wait for Citus's cleanup.
CREATE OR REPLACE FUNCTION runstore.undistribute() RETURNS bigint
  LANGUAGE plpgsql
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  t regclass;
  runs bigint;
BEGIN
  PERFORM runstore._require_distribution_rights('undistribute');
  IF NOT runstore.is_distributed() THEN
    RAISE EXCEPTION 'runstore.executions is not distributed'
      USING ERRCODE = 'object_not_in_prerequisite_state';
  END IF;
  -- A shard move or split leaves the old shards on their node until Citus's
  -- cleanup drops them; they use runstore's types and functions, so DROP
  -- EXTENSION would then fail on that node.
  IF pg_catalog.to_regclass('pg_catalog.pg_dist_cleanup') IS NOT NULL THEN
    IF EXISTS (SELECT FROM pg_catalog.pg_dist_cleanup c
               WHERE c.object_name OPERATOR(pg_catalog.~) ('^runstore\.(executions|recent_workflow_pending|recent_workflow_folded)_[0-9]+$')) THEN
      RAISE EXCEPTION 'old shards of runstore''s tables, left by a shard move or split, are waiting for Citus to drop them'
        USING ERRCODE = 'object_not_in_prerequisite_state',
              HINT = 'Run CALL citus_cleanup_orphaned_resources(); outside a transaction block (or wait for '
                     'Citus''s maintenance daemon to drop them), then call runstore.undistribute() again.';
    END IF;
  END IF;
  LOCK TABLE runstore.executions IN EXCLUSIVE MODE;
  CREATE TEMP TABLE runstore_undistributed_runs ON COMMIT DROP AS SELECT * FROM runstore.executions;
  GET DIAGNOSTICS runs = ROW_COUNT;
  -- Citus refuses undistribute_table() on an extension's tables: drop the
  -- shards and the metadata as Citus's own DROP TABLE does (its
  -- citus_drop_trigger), keeping the tables, then put the runs back.
  FOREACH t IN ARRAY ARRAY['runstore.executions', 'runstore.recent_workflow_pending',
                           'runstore.recent_workflow_folded']::regclass[]
  LOOP
    PERFORM pg_catalog.master_remove_distributed_table_metadata_from_workers(
      t, 'runstore', (SELECT c.relname FROM pg_catalog.pg_class c WHERE c.oid = t));
    PERFORM pg_catalog.citus_drop_all_shards(t, 'runstore', (SELECT c.relname FROM pg_catalog.pg_class c WHERE c.oid = t));
    PERFORM pg_catalog.master_remove_partition_metadata(
      t, 'runstore', (SELECT c.relname FROM pg_catalog.pg_class c WHERE c.oid = t));
  END LOOP;
  -- The shells are empty: the insert's triggers rebuild both summaries.
  INSERT INTO runstore.executions SELECT * FROM runstore_undistributed_runs;
  RETURN runs;
END
$$;
REVOKE ALL ON FUNCTION runstore.undistribute() FROM PUBLIC;
COMMENT ON FUNCTION runstore.undistribute() IS
  'On a Citus coordinator: brings every run back into the coordinator''s tables and drops the shards; returns the runs';

-- Batch outcomes: a worker reports a batch of completions or failures in one statement.
CREATE FUNCTION runstore.complete_many(worker text, ids uuid[], attempts integer[], results jsonb[] DEFAULT NULL,
                                       workspace_ids bigint[] DEFAULT NULL)
  RETURNS SETOF uuid
  AS 'MODULE_PATHNAME', 'runstore_complete_many'
  LANGUAGE C VOLATILE PARALLEL UNSAFE ROWS 100;
COMMENT ON FUNCTION runstore.complete_many(text, uuid[], integer[], jsonb[], bigint[]) IS
  'complete for a batch in one statement: marks succeeded those of ids the worker holds at the given attempts; returns their ids in the order given';

CREATE FUNCTION runstore.fail_many(worker text, ids uuid[], attempts integer[], errors text[], retryable boolean[] DEFAULT NULL,
                                   workspace_ids bigint[] DEFAULT NULL)
  RETURNS TABLE (id uuid, status runstore.execution_status)
  AS 'MODULE_PATHNAME', 'runstore_fail_many'
  LANGUAGE C VOLATILE PARALLEL UNSAFE ROWS 100;
COMMENT ON FUNCTION runstore.fail_many(text, uuid[], integer[], text[], boolean[], bigint[]) IS
  'fail for a batch in one statement: records the failures of those of ids the worker holds at the given attempts; returns their ids and new status in the order given';

CREATE FUNCTION runstore.release_many(worker text, ids uuid[], attempts integer[], workspace_ids bigint[] DEFAULT NULL)
  RETURNS SETOF uuid
  AS 'MODULE_PATHNAME', 'runstore_release_many'
  LANGUAGE C VOLATILE PARALLEL UNSAFE ROWS 100;
COMMENT ON FUNCTION runstore.release_many(text, uuid[], integer[], bigint[]) IS
  'Hands back claims the worker holds at the given attempts and never started: queued again, due now, the attempt given back; returns their ids in the order given';

-- The tags index leaves untagged runs out: their claims and completions
-- write nothing to it.  Rebuilt here (it reads the table once).
DROP INDEX runstore.executions_tags_idx;
CREATE INDEX executions_tags_idx ON runstore.executions USING gin (tags) WHERE tags <> '{}'::text[];

-- The queue on a Citus cluster: dequeue claims on each node's shards, and
-- wait_for_work waits on every node holding them.
-- On a Citus cluster, the part of complete_many, fail_many or release_many
-- (or heartbeat's, with attempts) that runs on each node: the batch against
-- that node's executions shards.
-- runstore.distribute() distributes it by anchor with force_delegation, as
-- _claim_on_node.  Its column list says what the kind returns.
CREATE FUNCTION runstore._outcomes_on_node(anchor bigint, kind text, worker text, ids uuid[], attempts integer[],
                                           results jsonb[], errors text[], retryable boolean[],
                                           workspace_ids bigint[], lease interval DEFAULT NULL)
  RETURNS SETOF record
  AS 'MODULE_PATHNAME', 'runstore_outcomes_on_node'
  LANGUAGE C VOLATILE PARALLEL UNSAFE ROWS 100;
COMMENT ON FUNCTION runstore._outcomes_on_node(bigint, text, text, uuid[], integer[], jsonb[], text[], boolean[], bigint[], interval) IS
  'Internal: a batch of outcomes on the node holding the shard of workspace anchor (Citus)';

-- On a Citus cluster, the part of dequeue that runs on each node: claims
-- from that node's executions shards.  runstore.distribute() distributes it
-- by anchor with force_delegation, so dequeue's call naming a workspace id
-- that hashes into a node's shard runs on that node, in dequeue's transaction.
CREATE FUNCTION runstore._claim_on_node(anchor bigint, worker text, max_jobs integer, lease interval)
  RETURNS SETOF runstore.executions
  AS 'MODULE_PATHNAME', 'runstore_claim_on_node'
  LANGUAGE C VOLATILE PARALLEL UNSAFE ROWS 10;
COMMENT ON FUNCTION runstore._claim_on_node(bigint, text, integer, interval) IS
  'Internal: dequeue''s claim on the node holding the shard of workspace anchor (Citus)';

-- On a Citus cluster, what wait_for_work on one node sends to each other
-- node holding executions shards: the same wait, for that node's shards only.
CREATE PROCEDURE runstore._wait_on_node(timeout_ms integer, OUT work_due boolean)
  AS 'MODULE_PATHNAME', 'runstore_wait_on_node'
  LANGUAGE C;
COMMENT ON PROCEDURE runstore._wait_on_node(integer) IS
  'Internal: wait_for_work for this node''s executions shards only (Citus)';

CREATE OR REPLACE FUNCTION runstore.distribute(shard_count integer DEFAULT NULL) RETURNS void
  LANGUAGE plpgsql
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  t regclass;
BEGIN
  PERFORM runstore._require_distribution_rights('distribute');
  IF runstore.is_distributed() THEN
    RAISE EXCEPTION 'runstore.executions is already distributed'
      USING ERRCODE = 'object_not_in_prerequisite_state',
            HINT = 'runstore.undistribute() brings the tables back to the coordinator.';
  END IF;
  IF shard_count IS NOT NULL AND shard_count < 1 THEN
    RAISE EXCEPTION 'shard_count must be at least 1, not %', shard_count
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  -- No writer in between: every run is copied to its shard once.
  LOCK TABLE runstore.executions IN EXCLUSIVE MODE;
  -- The summaries are rebuilt on the shards at the end: the workers cannot
  -- see the new shards' metadata while this transaction copies runs into
  -- them, so their triggers leave those runs to the rebuild.
  TRUNCATE runstore.recent_workflow_pending, runstore.recent_workflow_folded;
  -- Citus creates the executions triggers on every shard only with this on.
  PERFORM pg_catalog.set_config('citus.enable_unsafe_triggers', 'on', true);
  -- The summary tables first: copying runs into the executions shards fires
  -- the shards' triggers, which write the co-located summary shards.
  FOREACH t IN ARRAY ARRAY['runstore.recent_workflow_pending', 'runstore.recent_workflow_folded',
                           'runstore.executions']::regclass[]
  LOOP
    IF t = 'runstore.recent_workflow_pending'::regclass THEN
      IF shard_count IS NULL THEN
        PERFORM pg_catalog.create_distributed_table(t, 'workspace_id', colocate_with := 'none');
      ELSE
        PERFORM pg_catalog.create_distributed_table(t, 'workspace_id', colocate_with := 'none',
                                                    shard_count := shard_count);
      END IF;
    ELSE
      PERFORM pg_catalog.create_distributed_table(t, 'workspace_id',
                                                  colocate_with := 'runstore.recent_workflow_pending');
    END IF;
    -- The coordinator's copy is a shell from now on.
    PERFORM pg_catalog.truncate_local_data_after_distributing_table(t);
  END LOOP;
  -- A call of recent_workflows(ws, ...) is sent whole to the node holding
  -- the workspace, which reads its shards directly (one round trip, no
  -- distributed statement planned on each call).
  PERFORM pg_catalog.create_distributed_function('runstore.recent_workflows(bigint,integer,text)', 'workspace_id',
                                                 colocate_with := 'runstore.recent_workflow_pending');
  -- dequeue claims, and the batch outcomes run, on each node through these,
  -- inside the caller's transaction.
  PERFORM pg_catalog.create_distributed_function('runstore._claim_on_node(bigint,text,integer,interval)', 'anchor',
                                                 colocate_with := 'runstore.recent_workflow_pending',
                                                 force_delegation := true);
  PERFORM pg_catalog.create_distributed_function(
    'runstore._outcomes_on_node(bigint,text,text,uuid[],integer[],jsonb[],text[],boolean[],bigint[],interval)', 'anchor',
    colocate_with := 'runstore.recent_workflow_pending', force_delegation := true);
  PERFORM runstore.rebuild_recent_workflows();
END
$$;
-- A cluster distributed before this version: distribute its queue functions too.
DO $$
BEGIN
  -- Nested: without Citus, citus_is_coordinator() does not exist to be parsed.
  IF runstore.is_distributed() THEN
    IF pg_catalog.citus_is_coordinator() THEN
      PERFORM pg_catalog.create_distributed_function('runstore._claim_on_node(bigint,text,integer,interval)',
                                                     'anchor', colocate_with := 'runstore.recent_workflow_pending',
                                                     force_delegation := true);
      PERFORM pg_catalog.create_distributed_function(
        'runstore._outcomes_on_node(bigint,text,text,uuid[],integer[],jsonb[],text[],boolean[],bigint[],interval)', 'anchor',
        colocate_with := 'runstore.recent_workflow_pending', force_delegation := true);
    END IF;
  END IF;
END
$$;

-- heartbeat takes workspace_ids (with attempts), which route it on Citus.
-- A signature of its own: dropped and created again (SQL-language wrappers
-- calling it by position, like docs/roles.sql's, go on working).
DROP FUNCTION runstore.heartbeat(text, uuid[], interval, integer[]);
CREATE FUNCTION runstore.heartbeat(worker text, ids uuid[], lease interval DEFAULT NULL, attempts integer[] DEFAULT NULL,
                                   workspace_ids bigint[] DEFAULT NULL)
  RETURNS SETOF uuid
  AS 'MODULE_PATHNAME', 'runstore_heartbeat'
  LANGUAGE C VOLATILE PARALLEL UNSAFE ROWS 10;
COMMENT ON FUNCTION runstore.heartbeat(text, uuid[], interval, integer[], bigint[]) IS
  'Extends the leases worker still holds among ids (with attempts: only those attempts); returns those ids';

-- The recent-workflow summaries keep one folded table for both scopes: the
-- fold writes one row per group it changes instead of two.  The new table
-- takes the user groups' folded rows as they are and the groups of runs with
-- no user from executions; pending rows stay pending and merge as before.
-- On a distributed cluster the tables would have to be re-sharded: refused,
-- with nothing changed.
DO $$
BEGIN
  IF runstore.is_distributed() THEN
    RAISE EXCEPTION 'runstore 0.4.0 keeps recent workflows in one folded table, which a distributed runstore.executions cannot take in place'
      USING ERRCODE = 'object_not_in_prerequisite_state',
            HINT = 'Run SELECT runstore.undistribute(); on the coordinator, ALTER EXTENSION runstore UPDATE on every '
                   'node, then SELECT runstore.distribute();.';
  END IF;
END
$$;
-- One row per group of both scopes at once, so the fold writes one row per
-- group it changes, not two.  user_id NULL: the runs with no user, which
-- only the workspace scope counts (the key treats NULLs as equal).
CREATE TABLE runstore.recent_workflow_folded (
  workspace_id      bigint NOT NULL,
  workflow_id       bigint NOT NULL,
  user_id           text,
  last_used_at      timestamptz NOT NULL,
  last_execution_id uuid NOT NULL,
  CONSTRAINT recent_workflow_folded_group_key UNIQUE NULLS NOT DISTINCT (workspace_id, workflow_id, user_id)
);
-- A workspace's rows newest first: a workspace read takes each workflow's
-- first row and passes over its other users' rows (fn_recent_workflows.cpp).
CREATE INDEX recent_workflow_folded_workspace_idx ON runstore.recent_workflow_folded
  (workspace_id, last_used_at DESC, workflow_id DESC, last_execution_id DESC);
-- A user's rows newest first.
CREATE INDEX recent_workflow_folded_user_idx ON runstore.recent_workflow_folded
  (workspace_id, user_id, last_used_at DESC, workflow_id DESC, last_execution_id DESC)
  WHERE user_id IS NOT NULL;
COMMENT ON TABLE runstore.recent_workflow_folded IS
  'Per (workspace_id, workflow_id, user_id): the latest run as of the last fold; the recent-workflow views add what is pending';

-- Writers wait (the folded rows copied must not change meanwhile); no fold
-- runs in between (its key, as rebuild_recent_workflows takes it).
LOCK TABLE runstore.executions IN SHARE MODE;
SELECT pg_catalog.pg_advisory_xact_lock(1920298611, 1718578276);
INSERT INTO runstore.recent_workflow_folded (workspace_id, workflow_id, user_id, last_used_at, last_execution_id)
SELECT f.workspace_id, f.workflow_id, f.user_id, f.last_used_at, f.last_execution_id
FROM runstore.user_recent_workflow_folded f;
INSERT INTO runstore.recent_workflow_folded (workspace_id, workflow_id, user_id, last_used_at, last_execution_id)
SELECT DISTINCT ON (e.workspace_id, e.workflow_id) e.workspace_id, e.workflow_id, NULL, e.created_at, e.id
FROM runstore.executions e WHERE e.workflow_id IS NOT NULL AND e.user_id IS NULL
ORDER BY e.workspace_id, e.workflow_id, e.created_at DESC, e.id DESC;

CREATE OR REPLACE VIEW runstore.workspace_recent_workflow WITH (security_invoker = true) AS
  SELECT g.workspace_id, g.workflow_id,
         coalesce(g.last_used_at, l.created_at) AS last_used_at, coalesce(g.last_execution_id, l.id) AS last_execution_id
  FROM (SELECT DISTINCT ON (c.workspace_id, c.workflow_id)
               c.workspace_id, c.workflow_id, c.last_used_at, c.last_execution_id
        FROM (SELECT f.workspace_id, f.workflow_id, f.last_used_at, f.last_execution_id
              FROM runstore.recent_workflow_folded f
              UNION ALL
              SELECT p.workspace_id, p.workflow_id, p.last_used_at, p.last_execution_id
              FROM runstore.recent_workflow_pending p) c
        ORDER BY c.workspace_id, c.workflow_id, c.last_used_at DESC, c.last_execution_id DESC) g
  LEFT JOIN LATERAL (
    SELECT e.created_at, e.id FROM runstore.executions e
    WHERE g.last_used_at IS NULL AND e.workspace_id = g.workspace_id AND e.workflow_id = g.workflow_id
    ORDER BY e.created_at DESC, e.id DESC LIMIT 1) l ON true
  WHERE g.last_used_at IS NOT NULL OR l.id IS NOT NULL;
COMMENT ON VIEW runstore.workspace_recent_workflow IS
  'Per (workspace_id, workflow_id): the latest run (max created_at, ties: greatest id)';

CREATE OR REPLACE VIEW runstore.user_recent_workflow WITH (security_invoker = true) AS
  SELECT g.workspace_id, g.user_id, g.workflow_id,
         coalesce(g.last_used_at, l.created_at) AS last_used_at, coalesce(g.last_execution_id, l.id) AS last_execution_id
  FROM (SELECT DISTINCT ON (c.workspace_id, c.user_id, c.workflow_id)
               c.workspace_id, c.user_id, c.workflow_id, c.last_used_at, c.last_execution_id
        FROM (SELECT f.workspace_id, f.user_id, f.workflow_id, f.last_used_at, f.last_execution_id
              FROM runstore.recent_workflow_folded f WHERE f.user_id IS NOT NULL
              UNION ALL
              SELECT p.workspace_id, p.user_id, p.workflow_id, p.last_used_at, p.last_execution_id
              FROM runstore.recent_workflow_pending p WHERE p.user_id IS NOT NULL) c
        ORDER BY c.workspace_id, c.user_id, c.workflow_id, c.last_used_at DESC, c.last_execution_id DESC) g
  LEFT JOIN LATERAL (
    SELECT e.created_at, e.id FROM runstore.executions e
    WHERE g.last_used_at IS NULL AND e.workspace_id = g.workspace_id AND e.user_id = g.user_id
      AND e.workflow_id = g.workflow_id
    ORDER BY e.created_at DESC, e.id DESC LIMIT 1) l ON true
  WHERE g.last_used_at IS NOT NULL OR l.id IS NOT NULL;
COMMENT ON VIEW runstore.user_recent_workflow IS
  'Per (workspace_id, user_id, workflow_id): the latest run (max created_at, ties: greatest id)';

CREATE OR REPLACE FUNCTION runstore.verify_recent_workflows()
  RETURNS TABLE (scope text, workspace_id bigint, user_id text, workflow_id bigint,
                 stored_last_used_at timestamptz, stored_last_execution_id uuid,
                 expected_last_used_at timestamptz, expected_last_execution_id uuid)
  LANGUAGE sql STABLE
  SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
  SELECT 'workspace', coalesce(s.workspace_id, d.workspace_id), NULL::text,
         coalesce(s.workflow_id, d.workflow_id),
         s.last_used_at, s.last_execution_id, d.created_at, d.id
  FROM (SELECT c.workspace_id, c.workflow_id, bool_or(c.last_used_at IS NULL) AS marked,
               (array_agg(c.last_used_at ORDER BY c.last_used_at DESC, c.last_execution_id DESC)
                  FILTER (WHERE c.last_used_at IS NOT NULL))[1] AS last_used_at,
               (array_agg(c.last_execution_id ORDER BY c.last_used_at DESC, c.last_execution_id DESC)
                  FILTER (WHERE c.last_used_at IS NOT NULL))[1] AS last_execution_id
        FROM (SELECT f.workspace_id, f.workflow_id, f.last_used_at, f.last_execution_id
              FROM runstore.recent_workflow_folded f
              UNION ALL
              SELECT p.workspace_id, p.workflow_id, p.last_used_at, p.last_execution_id
              FROM runstore.recent_workflow_pending p) c
        GROUP BY c.workspace_id, c.workflow_id) s
  FULL JOIN (SELECT DISTINCT ON (e.workspace_id, e.workflow_id) e.workspace_id, e.workflow_id, e.created_at, e.id
             FROM runstore.executions e WHERE e.workflow_id IS NOT NULL
             ORDER BY e.workspace_id, e.workflow_id, e.created_at DESC, e.id DESC) d
    ON s.workspace_id = d.workspace_id AND s.workflow_id = d.workflow_id
  WHERE NOT coalesce(s.marked, false)
    AND (s.last_used_at IS DISTINCT FROM d.created_at OR s.last_execution_id IS DISTINCT FROM d.id)
  UNION ALL
  SELECT 'user', coalesce(s.workspace_id, d.workspace_id), coalesce(s.user_id, d.user_id),
         coalesce(s.workflow_id, d.workflow_id),
         s.last_used_at, s.last_execution_id, d.created_at, d.id
  FROM (SELECT c.workspace_id, c.user_id, c.workflow_id, bool_or(c.last_used_at IS NULL) AS marked,
               (array_agg(c.last_used_at ORDER BY c.last_used_at DESC, c.last_execution_id DESC)
                  FILTER (WHERE c.last_used_at IS NOT NULL))[1] AS last_used_at,
               (array_agg(c.last_execution_id ORDER BY c.last_used_at DESC, c.last_execution_id DESC)
                  FILTER (WHERE c.last_used_at IS NOT NULL))[1] AS last_execution_id
        FROM (SELECT f.workspace_id, f.user_id, f.workflow_id, f.last_used_at, f.last_execution_id
              FROM runstore.recent_workflow_folded f WHERE f.user_id IS NOT NULL
              UNION ALL
              SELECT p.workspace_id, p.user_id, p.workflow_id, p.last_used_at, p.last_execution_id
              FROM runstore.recent_workflow_pending p WHERE p.user_id IS NOT NULL) c
        GROUP BY c.workspace_id, c.user_id, c.workflow_id) s
  FULL JOIN (SELECT DISTINCT ON (e.workspace_id, e.user_id, e.workflow_id)
                    e.workspace_id, e.user_id, e.workflow_id, e.created_at, e.id
             FROM runstore.executions e WHERE e.workflow_id IS NOT NULL AND e.user_id IS NOT NULL
             ORDER BY e.workspace_id, e.user_id, e.workflow_id, e.created_at DESC, e.id DESC) d
    ON s.workspace_id = d.workspace_id AND s.user_id = d.user_id AND s.workflow_id = d.workflow_id
  WHERE NOT coalesce(s.marked, false)
    AND (s.last_used_at IS DISTINCT FROM d.created_at OR s.last_execution_id IS DISTINCT FROM d.id)
  ORDER BY 1, 2, 3, 4;
END;
CREATE OR REPLACE FUNCTION runstore.rebuild_recent_workflows(workspace_id bigint DEFAULT NULL)
  RETURNS bigint
  LANGUAGE plpgsql VOLATILE SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  ws bigint;
  done bigint := 0;
  total bigint;
  groups bigint := 0;
  n bigint;
BEGIN
  LOCK TABLE runstore.executions IN SHARE MODE;
  -- No fold in between: the fold's key (runstore/recent/recent_workflow_fold.hpp).
  PERFORM pg_catalog.pg_advisory_xact_lock(1920298611, 1718578276);
  IF rebuild_recent_workflows.workspace_id IS NULL THEN
    TRUNCATE runstore.recent_workflow_folded, runstore.recent_workflow_pending;
  ELSE
    DELETE FROM runstore.recent_workflow_folded s WHERE s.workspace_id = rebuild_recent_workflows.workspace_id;
    DELETE FROM runstore.recent_workflow_pending s WHERE s.workspace_id = rebuild_recent_workflows.workspace_id;
  END IF;
  IF runstore.is_distributed() THEN
    INSERT INTO runstore.recent_workflow_folded
      (workspace_id, workflow_id, user_id, last_used_at, last_execution_id)
    SELECT DISTINCT ON (e.workspace_id, e.workflow_id, e.user_id)
           e.workspace_id, e.workflow_id, e.user_id, e.created_at, e.id
    FROM runstore.executions e
    WHERE e.workflow_id IS NOT NULL
      AND (rebuild_recent_workflows.workspace_id IS NULL OR e.workspace_id = rebuild_recent_workflows.workspace_id)
    ORDER BY e.workspace_id, e.workflow_id, e.user_id, e.created_at DESC, e.id DESC;
    SELECT count(*) INTO groups FROM (SELECT DISTINCT f.workspace_id, f.workflow_id FROM runstore.recent_workflow_folded f
      WHERE rebuild_recent_workflows.workspace_id IS NULL OR f.workspace_id = rebuild_recent_workflows.workspace_id) g;
    RETURN groups;
  END IF;
  SELECT count(DISTINCT e.workspace_id) INTO total FROM runstore.executions e
  WHERE rebuild_recent_workflows.workspace_id IS NULL OR e.workspace_id = rebuild_recent_workflows.workspace_id;
  FOR ws IN SELECT DISTINCT e.workspace_id FROM runstore.executions e
            WHERE rebuild_recent_workflows.workspace_id IS NULL OR e.workspace_id = rebuild_recent_workflows.workspace_id
            ORDER BY 1
  LOOP
    WITH written AS (
      INSERT INTO runstore.recent_workflow_folded
        (workspace_id, workflow_id, user_id, last_used_at, last_execution_id)
      SELECT DISTINCT ON (e.workflow_id, e.user_id) e.workspace_id, e.workflow_id, e.user_id, e.created_at, e.id
      FROM runstore.executions e WHERE e.workspace_id = ws AND e.workflow_id IS NOT NULL
      ORDER BY e.workflow_id, e.user_id, e.created_at DESC, e.id DESC
      RETURNING workflow_id)
    SELECT count(DISTINCT w.workflow_id) INTO n FROM written w;
    groups := groups + n;
    done := done + 1;
    IF done % 100 = 0 THEN
      RAISE NOTICE 'rebuild_recent_workflows: % of % workspaces, % workspace groups', done, total, groups;
    END IF;
  END LOOP;
  RETURN groups;
END
$$;
-- What was granted on the user table, and its row-level security and
-- policies (docs/tenants.sql's recipe), carry over: the new table has its
-- columns, so a policy written for it reads the same.
DO $$
DECLARE
  g record;
BEGIN
  FOR g IN SELECT a.grantee, a.privilege_type
           FROM pg_catalog.pg_class c, pg_catalog.aclexplode(c.relacl) a
           WHERE c.oid = 'runstore.user_recent_workflow_folded'::pg_catalog.regclass AND a.grantee <> c.relowner
  LOOP
    EXECUTE pg_catalog.format('GRANT %s ON runstore.recent_workflow_folded TO %s', g.privilege_type,
                              CASE WHEN g.grantee = 0 THEN 'PUBLIC' ELSE pg_catalog.quote_ident(g.grantee::regrole::text) END);
  END LOOP;
  IF (SELECT c.relrowsecurity FROM pg_catalog.pg_class c
      WHERE c.oid = 'runstore.user_recent_workflow_folded'::pg_catalog.regclass) THEN
    ALTER TABLE runstore.recent_workflow_folded ENABLE ROW LEVEL SECURITY;
  END IF;
  FOR g IN SELECT p.policyname, p.permissive, p.roles, p.cmd, p.qual, p.with_check FROM pg_catalog.pg_policies p
           WHERE p.schemaname = 'runstore' AND p.tablename = 'user_recent_workflow_folded'
  LOOP
    EXECUTE pg_catalog.format('CREATE POLICY %I ON runstore.recent_workflow_folded AS %s FOR %s TO %s%s%s',
      g.policyname, g.permissive, g.cmd,
      (SELECT pg_catalog.string_agg(CASE WHEN r = 'public' THEN 'PUBLIC' ELSE pg_catalog.quote_ident(r) END, ', ')
       FROM pg_catalog.unnest(g.roles) r),
      CASE WHEN g.qual IS NOT NULL THEN ' USING (' || g.qual || ')' ELSE '' END,
      CASE WHEN g.with_check IS NOT NULL THEN ' WITH CHECK (' || g.with_check || ')' ELSE '' END);
  END LOOP;
END
$$;
-- Grants made in an extension script are recorded as the extension's own
-- initial privileges, which pg_dump leaves out: forget them, so that pg_dump
-- dumps these grants as the user's, as it did on the old tables.
DELETE FROM pg_catalog.pg_init_privs i
WHERE i.objoid = 'runstore.recent_workflow_folded'::pg_catalog.regclass
  AND i.classoid = 'pg_catalog.pg_class'::pg_catalog.regclass;
DROP TABLE runstore.workspace_recent_workflow_folded, runstore.user_recent_workflow_folded;
COMMENT ON FUNCTION runstore.fold_recent_workflows() IS
  'Folds the committed pending recent-workflow changes into the folded table; returns the number of pending rows folded';
