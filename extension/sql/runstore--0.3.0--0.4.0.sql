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
               WHERE c.object_name OPERATOR(pg_catalog.~) ('^runstore\.(executions|recent_workflow_pending|'
                 'workspace_recent_workflow_folded|user_recent_workflow_folded)_[0-9]+$')) THEN
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
                           'runstore.workspace_recent_workflow_folded',
                           'runstore.user_recent_workflow_folded']::regclass[]
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
  TRUNCATE runstore.recent_workflow_pending, runstore.workspace_recent_workflow_folded,
           runstore.user_recent_workflow_folded;
  -- Citus creates the executions triggers on every shard only with this on.
  PERFORM pg_catalog.set_config('citus.enable_unsafe_triggers', 'on', true);
  -- The summary tables first: copying runs into the executions shards fires
  -- the shards' triggers, which write the co-located summary shards.
  FOREACH t IN ARRAY ARRAY['runstore.recent_workflow_pending', 'runstore.workspace_recent_workflow_folded',
                           'runstore.user_recent_workflow_folded', 'runstore.executions']::regclass[]
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
