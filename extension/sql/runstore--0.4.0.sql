-- runstore 0.4.0: the execution store, its id generator and the batch functions.
\echo Use "CREATE EXTENSION runstore" to load this file. \quit

-- Every object below is schema-qualified: the extension's SQL and C++ never
-- depend on the caller's search_path.

CREATE TYPE runstore.execution_status AS ENUM ('queued', 'running', 'succeeded', 'failed', 'cancelled');
COMMENT ON TYPE runstore.execution_status IS
  'Lifecycle of an execution: queued -> running -> succeeded | failed | cancelled';

CREATE FUNCTION runstore.uuid_v7() RETURNS uuid
  AS 'MODULE_PATHNAME', 'runstore_uuid_v7'
  LANGUAGE C VOLATILE PARALLEL SAFE;
COMMENT ON FUNCTION runstore.uuid_v7() IS
  'A time-ordered UUID (RFC 9562 version 7); strictly increasing within a session';

CREATE TABLE runstore.executions (
  id               uuid NOT NULL DEFAULT runstore.uuid_v7(),
  workspace_id     bigint NOT NULL,
  workflow_id      bigint,
  user_id          text,
  status           runstore.execution_status NOT NULL DEFAULT 'queued',
  tags             text[] NOT NULL DEFAULT '{}',
  payload          jsonb,
  result           jsonb,
  error            text,
  priority         integer NOT NULL DEFAULT 0,
  attempt          integer NOT NULL DEFAULT 0 CHECK (attempt >= 0),
  max_attempts     integer NOT NULL DEFAULT 3 CHECK (max_attempts >= 1),
  run_after        timestamptz NOT NULL DEFAULT statement_timestamp(),
  lease_owner      text,
  lease_expires_at timestamptz,
  created_at       timestamptz NOT NULL DEFAULT now(),
  updated_at       timestamptz NOT NULL DEFAULT now(),
  started_at       timestamptz,
  finished_at      timestamptz,
  -- The key leads with workspace_id so the same schema shards by workspace
  -- on Citus, whose unique keys must include the distribution column.  ids
  -- from uuid_v7() (the default) are unique everywhere; the key only
  -- promises an id once per workspace.
  PRIMARY KEY (workspace_id, id)
);
COMMENT ON TABLE runstore.executions IS
  'One row per run of a workflow or job; inserting a row enqueues it';

-- Lookups by id alone (the queue's calls, the batch functions without a
-- workspace_id): one probe, on a single node and on every shard.
CREATE INDEX executions_id_idx ON runstore.executions (id);

-- delete_by_tag finds tagged executions through this index.  Partial:
-- an untagged run (most queue jobs) has no entry, so its claim and its
-- completion, each a new row version, write nothing here.
CREATE INDEX executions_tags_idx ON runstore.executions USING gin (tags) WHERE tags <> '{}'::text[];

-- Batch functions (C++).  Non-STRICT so the optional workspace_id may be NULL;
-- a NULL or empty ids array returns no rows.
CREATE FUNCTION runstore.get_executions_by_ids(ids uuid[], workspace_id bigint DEFAULT NULL)
  RETURNS SETOF runstore.executions
  AS 'MODULE_PATHNAME', 'runstore_get_executions_by_ids'
  LANGUAGE C STABLE PARALLEL RESTRICTED ROWS 100;
COMMENT ON FUNCTION runstore.get_executions_by_ids(uuid[], bigint) IS
  'Executions with these ids, in the order of first appearance; duplicates once, unknown ids and NULLs omitted';

CREATE FUNCTION runstore.delete_many(ids uuid[], workspace_id bigint DEFAULT NULL)
  RETURNS SETOF uuid
  AS 'MODULE_PATHNAME', 'runstore_delete_many'
  LANGUAGE C VOLATILE PARALLEL UNSAFE ROWS 100;
COMMENT ON FUNCTION runstore.delete_many(uuid[], bigint) IS
  'Deletes the executions with these ids in one statement; returns the ids deleted, in the order given';

CREATE FUNCTION runstore.delete_by_tag(tag text, max_rows integer DEFAULT 1000, workspace_id bigint DEFAULT NULL)
  RETURNS SETOF uuid
  AS 'MODULE_PATHNAME', 'runstore_delete_by_tag'
  LANGUAGE C VOLATILE PARALLEL UNSAFE ROWS 1000;
COMMENT ON FUNCTION runstore.delete_by_tag(text, integer, bigint) IS
  'Deletes up to max_rows executions carrying tag, oldest first; call until it returns no rows';

-- For each direct path (heap and index access standing in for an SQL
-- statement, README "Direct paths"): whether this session's next call takes
-- it, and why not.  The switch is runstore.direct_paths.
CREATE FUNCTION runstore.direct_path_status()
  RETURNS TABLE (path text, relation regclass, usable boolean, reason text)
  AS 'MODULE_PATHNAME', 'runstore_direct_path_status'
  LANGUAGE C STABLE PARALLEL RESTRICTED ROWS 5;
COMMENT ON FUNCTION runstore.direct_path_status() IS
  'Whether each direct path applies to this session and the tables as they are, and if not, why';

-- Internal: proves the C++/PostgreSQL error boundary from the regression suite.
CREATE FUNCTION runstore._boundary_selftest(mode text) RETURNS bigint
  AS 'MODULE_PATHNAME', 'runstore_boundary_selftest'
  LANGUAGE C VOLATILE STRICT PARALLEL UNSAFE;
REVOKE ALL ON FUNCTION runstore._boundary_selftest(text) FROM PUBLIC;

-- Internal: the text of a statement the C++ functions run, for sql/plans.sql.
CREATE FUNCTION runstore._statement_text(name text) RETURNS text
  AS 'MODULE_PATHNAME', 'runstore_statement_text'
  LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
REVOKE ALL ON FUNCTION runstore._statement_text(text) FROM PUBLIC;

-- Recent workflows ---------------------------------------------------------
-- Per (workspace, workflow) and per (workspace, user, workflow): the latest
-- run.  Kept in two parts that every read merges (docs/architecture.md,
-- "Recent workflows" has the invariants and the proof of exactness):
--   * recent_workflow_pending: what writes recorded since the last fold.  An
--     INSERT, COPY or UPDATE that adds runs appends, per group it touched,
--     the statement's newest run of the group; a DELETE or an UPDATE that
--     takes runs out of a group appends a recheck mark for the group
--     (last_used_at NULL).  Writers only append, so writers of one hot group
--     never wait for each other.
--   * recent_workflow_folded: one row per (workspace, workflow, user) group,
--     its latest run as of the last fold.  It serves both scopes: a user's
--     rows are that user's groups, and a workflow's rows together give the
--     workspace group (the greatest of them).  Only the fold writes it: one
--     statement that deletes the committed pending rows and merges them in,
--     run by the fold worker or every few dozen writes by a writer (or by
--     runstore.fold_recent_workflows()).
CREATE TABLE runstore.recent_workflow_pending (
  workspace_id      bigint NOT NULL,
  workflow_id       bigint NOT NULL,
  user_id           text,
  last_used_at      timestamptz,
  last_execution_id uuid
);
-- Reads take each workflow's greatest pending row of a workspace (a recheck
-- mark first: DESC puts NULLs first), skipping from workflow to workflow, so
-- a read costs the workflows pending in the workspace, not their rows.
CREATE INDEX recent_workflow_pending_group_idx ON runstore.recent_workflow_pending
  (workspace_id, workflow_id, last_used_at DESC, last_execution_id DESC);
COMMENT ON TABLE runstore.recent_workflow_pending IS
  'Recent-workflow changes since the last fold: a statement''s newest run per group, or a recheck mark (last_used_at NULL)';

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

-- The views merge the two parts: per group, its greatest folded or pending
-- row, unless a recheck mark is pending, in which case the group's latest
-- run is read from executions (one index probe; a join rather than a UNION
-- with a FROM-less branch, which Citus's planner cannot push down).
-- security_invoker: a view otherwise reads its tables with its owner's
-- rights, past the row-level security of the tables.
CREATE VIEW runstore.workspace_recent_workflow WITH (security_invoker = true) AS
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

CREATE VIEW runstore.user_recent_workflow WITH (security_invoker = true) AS
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

-- The fold and the reads find a group's latest run through these when a
-- recheck mark says it may have lost it.
CREATE INDEX executions_workflow_recent_idx ON runstore.executions
  (workspace_id, workflow_id, created_at DESC, id DESC) WHERE workflow_id IS NOT NULL;
CREATE INDEX executions_user_workflow_recent_idx ON runstore.executions
  (workspace_id, user_id, workflow_id, created_at DESC, id DESC)
  WHERE workflow_id IS NOT NULL AND user_id IS NOT NULL;

-- One C++ trigger function for every event.  SECURITY DEFINER: the summary
-- must count every run, whoever writes it and whatever row-level security
-- the writer is under; the callers need no privileges on the summary tables.
-- Every name in its SQL is schema-qualified.
-- Its SPI statements run with jit = off and enable_seqscan = off, set in C++
-- (fn_maintain_recent_workflows.cpp says why) rather than as SET clauses
-- here, which would be applied on every call, direct INSERTs included.
CREATE FUNCTION runstore._maintain_recent_workflows() RETURNS trigger
  AS 'MODULE_PATHNAME', 'runstore_maintain_recent_workflows'
  LANGUAGE C SECURITY DEFINER;
REVOKE ALL ON FUNCTION runstore._maintain_recent_workflows() FROM PUBLIC;

CREATE TRIGGER executions_recent_workflows_insert AFTER INSERT ON runstore.executions
  REFERENCING NEW TABLE AS runstore_new
  FOR EACH STATEMENT EXECUTE FUNCTION runstore._maintain_recent_workflows();
CREATE TRIGGER executions_recent_workflows_update AFTER UPDATE ON runstore.executions
  REFERENCING OLD TABLE AS runstore_old NEW TABLE AS runstore_new
  FOR EACH STATEMENT EXECUTE FUNCTION runstore._maintain_recent_workflows();
CREATE TRIGGER executions_recent_workflows_delete AFTER DELETE ON runstore.executions
  REFERENCING OLD TABLE AS runstore_old
  FOR EACH STATEMENT EXECUTE FUNCTION runstore._maintain_recent_workflows();
CREATE TRIGGER executions_recent_workflows_truncate AFTER TRUNCATE ON runstore.executions
  FOR EACH STATEMENT EXECUTE FUNCTION runstore._maintain_recent_workflows();

CREATE FUNCTION runstore.recent_workflows(workspace_id bigint, max_results integer DEFAULT 4,
                                          user_id text DEFAULT NULL)
  RETURNS TABLE (workflow_id bigint, last_used_at timestamptz, last_execution_id uuid)
  AS 'MODULE_PATHNAME', 'runstore_recent_workflows'
  LANGUAGE C STABLE PARALLEL RESTRICTED ROWS 4;
COMMENT ON FUNCTION runstore.recent_workflows(bigint, integer, text) IS
  'The max_results workflows of a workspace (or of one user in it) used most recently, newest first';

-- The definition, computed from scratch, against what is stored: one row per
-- group that differs (missing, extra or wrong).  No rows: consistent.  What
-- is stored is what the views show: per group the greatest folded or
-- pending row, or, for a group with a recheck mark pending, its latest run
-- read from executions (the definition itself, so such a group never
-- differs).  Written without the views and with every table grouped or
-- joined by workspace_id, so that on Citus it runs on each shard group.
CREATE FUNCTION runstore.verify_recent_workflows()
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
COMMENT ON FUNCTION runstore.verify_recent_workflows() IS
  'Every recent-workflow group whose stored row differs from the definition; no rows means consistent';

-- Rebuilds the summary from executions (one workspace, or all).  Blocks
-- writers of executions (SHARE lock) for its duration so the result is exact;
-- readers go on.  Reports progress with NOTICEs every 100 workspaces; on
-- Citus it runs as one statement per table, on every shard at once.
CREATE FUNCTION runstore.rebuild_recent_workflows(workspace_id bigint DEFAULT NULL)
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
REVOKE ALL ON FUNCTION runstore.rebuild_recent_workflows(bigint) FROM PUBLIC;
COMMENT ON FUNCTION runstore.rebuild_recent_workflows(bigint) IS
  'Rebuilds the recent-workflows summary from executions; returns the number of workspace groups written';

-- Folds the committed pending rows into the folded table now (writers do it
-- every few dozen writes; see the comment on recent_workflow_pending).
-- Returns the number of pending rows folded.  Waits for a fold in progress.
CREATE FUNCTION runstore.fold_recent_workflows() RETURNS bigint
  AS 'MODULE_PATHNAME', 'runstore_fold_recent_workflows'
  LANGUAGE C VOLATILE SECURITY DEFINER;
REVOKE ALL ON FUNCTION runstore.fold_recent_workflows() FROM PUBLIC;
COMMENT ON FUNCTION runstore.fold_recent_workflows() IS
  'Folds the committed pending recent-workflow changes into the folded table; returns the number of pending rows folded';

-- Queue lifecycle ----------------------------------------------------------
-- The functions below are the only path for state changes (README "Queue lifecycle").
-- A queued execution is claimable from run_after on, a running one from the
-- end of its lease on; the lease end is kept in run_after too, so both are
-- one range of this partial index, read in claim order by dequeue.  Finished
-- executions leave it: it holds the live queue, never the history.
CREATE INDEX executions_claimable_idx ON runstore.executions (priority DESC, run_after, id)
  WHERE status IN ('queued', 'running');

-- The priority classes executions have had: dequeue reads each class from
-- where this backend last found its head (docs/architecture.md "Claim frontier"), so it
-- must know every class without scanning executions.  Kept by the trigger
-- below; a class is never removed (a stale one costs one index probe).
-- No unique key on purpose: two transactions adding the same new class
-- must not wait for each other (INSERT ... ON CONFLICT would make the
-- second wait until the first ends, however long it runs).  A class is
-- listed twice only when two backends add it at the same time.
CREATE TABLE runstore.queue_priorities (
  priority integer NOT NULL
);
COMMENT ON TABLE runstore.queue_priorities IS
  'Every priority an execution has been inserted or updated with; read by dequeue';
GRANT SELECT ON runstore.queue_priorities TO PUBLIC;

-- Bumped (outside MVCC, so every backend sees it at once) when a row is
-- made claimable with a run_after already in the past: dequeue then reads
-- from the head once the writer's transaction has ended (docs/architecture.md "Claim
-- frontier").  Its value means nothing else.
CREATE SEQUENCE runstore.claim_epoch;
GRANT SELECT ON SEQUENCE runstore.claim_epoch TO PUBLIC;

-- SECURITY DEFINER: a writer of executions needs no privilege on the list
-- or the sequence.
CREATE FUNCTION runstore._register_priorities() RETURNS trigger
  AS 'MODULE_PATHNAME', 'runstore_register_priorities'
  LANGUAGE C SECURITY DEFINER;
REVOKE ALL ON FUNCTION runstore._register_priorities() FROM PUBLIC;
CREATE TRIGGER executions_register_priorities_insert AFTER INSERT ON runstore.executions
  REFERENCING NEW TABLE AS runstore_new
  FOR EACH STATEMENT EXECUTE FUNCTION runstore._register_priorities();
CREATE TRIGGER executions_register_priorities_update AFTER UPDATE ON runstore.executions
  REFERENCING NEW TABLE AS runstore_new
  FOR EACH STATEMENT EXECUTE FUNCTION runstore._register_priorities();

-- The wait before retrying after attempt n failed: uniform in
-- [0, min(runstore.retry_backoff_cap, runstore.retry_backoff_base * 2^(n-1))).
CREATE FUNCTION runstore._retry_delay(attempt integer) RETURNS interval
  AS 'MODULE_PATHNAME', 'runstore_retry_delay'
  LANGUAGE C VOLATILE STRICT PARALLEL RESTRICTED;

-- All run as the caller (UPDATE privilege and row-level security apply), one
-- statement each, with no session state: safe behind a transaction pooler.
CREATE FUNCTION runstore.dequeue(worker text, max_jobs integer DEFAULT 1, lease interval DEFAULT NULL)
  RETURNS SETOF runstore.executions
  AS 'MODULE_PATHNAME', 'runstore_dequeue'
  LANGUAGE C VOLATILE PARALLEL UNSAFE ROWS 10;
COMMENT ON FUNCTION runstore.dequeue(text, integer, interval) IS
  'Claims up to max_jobs due executions (queued, or running with an expired lease) by priority then age, skipping locked ones';

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

CREATE FUNCTION runstore.heartbeat(worker text, ids uuid[], lease interval DEFAULT NULL, attempts integer[] DEFAULT NULL,
                                   workspace_ids bigint[] DEFAULT NULL)
  RETURNS SETOF uuid
  AS 'MODULE_PATHNAME', 'runstore_heartbeat'
  LANGUAGE C VOLATILE PARALLEL UNSAFE ROWS 10;
COMMENT ON FUNCTION runstore.heartbeat(text, uuid[], interval, integer[], bigint[]) IS
  'Extends the leases worker still holds among ids (with attempts: only those attempts); returns those ids';

CREATE FUNCTION runstore.complete(id uuid, worker text, result jsonb DEFAULT NULL, attempt integer DEFAULT NULL)
  RETURNS boolean
  AS 'MODULE_PATHNAME', 'runstore_complete'
  LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION runstore.complete(uuid, text, jsonb, integer) IS
  'Marks an execution the worker holds succeeded; false (and nothing changed) if it no longer holds it';

CREATE FUNCTION runstore.fail(id uuid, worker text, error text, retryable boolean DEFAULT true, attempt integer DEFAULT NULL)
  RETURNS runstore.execution_status
  AS 'MODULE_PATHNAME', 'runstore_fail'
  LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION runstore.fail(uuid, text, text, boolean, integer) IS
  'Records a failure: queued again with backoff while retryable and attempts remain, else failed; NULL if the worker no longer holds it';

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

CREATE FUNCTION runstore.cancel(ids uuid[], workspace_id bigint DEFAULT NULL)
  RETURNS SETOF uuid
  AS 'MODULE_PATHNAME', 'runstore_cancel'
  LANGUAGE C VOLATILE PARALLEL UNSAFE ROWS 100;
COMMENT ON FUNCTION runstore.cancel(uuid[], bigint) IS
  'Cancels those of ids that are queued or running; returns their ids in the order given';

-- Wake-ups.  An idle worker CALLs wait_for_work; a transaction that makes
-- work due (_register_priorities sees it) sets the waiters' latches once its
-- commit is visible.  Nothing is sent or locked at commit, so inserting
-- transactions keep group commit.  Outside a transaction block the procedure
-- commits before it sleeps and holds no snapshot.
CREATE PROCEDURE runstore.wait_for_work(timeout_ms integer, OUT work_due boolean)
  AS 'MODULE_PATHNAME', 'runstore_wait_for_work'
  LANGUAGE C;
COMMENT ON PROCEDURE runstore.wait_for_work(integer) IS
  'Returns once an execution is due (work_due true) or after timeout_ms (false); CALL runstore.wait_for_work(1000, NULL)';

-- On a Citus cluster, what wait_for_work on one node sends to each other
-- node holding executions shards: the same wait, for that node's shards only.
CREATE PROCEDURE runstore._wait_on_node(timeout_ms integer, OUT work_due boolean)
  AS 'MODULE_PATHNAME', 'runstore_wait_on_node'
  LANGUAGE C;
COMMENT ON PROCEDURE runstore._wait_on_node(integer) IS
  'Internal: wait_for_work for this node''s executions shards only (Citus)';

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

-- Dumps ----------------------------------------------------------------------
-- pg_dump leaves out the contents of an extension's tables unless they are
-- registered here: register the runs, so pg_dump/pg_restore carry them.  Not
-- the recent-workflow tables: they are derived.  A restore runs
-- CREATE EXTENSION (triggers included) before it loads the data, so COPY into
-- runstore.executions records both summaries as it goes; dumped summary rows
-- would then collide with the ones COPY just wrote.  A data-only restore with
-- --disable-triggers (or session_replication_role = replica) skips the
-- triggers: run runstore.rebuild_recent_workflows() after it (docs/security.md, "Dumps").
SELECT pg_catalog.pg_extension_config_dump('runstore.executions', '');

-- Distributed with Citus -----------------------------------------------------
-- runstore.distribute() shards executions and the recent-workflow tables by
-- workspace_id in one colocation group.  The executions triggers then fire
-- on each shard, on the node holding it, and keep the co-located summary
-- shards there (citus_shards.hpp).  runstore.queue_priorities and the
-- sequence runstore.claim_epoch stay local to each node: they describe the
-- writes that node's shards received.

-- Folds one shard group on the node holding it; fold_recent_workflows() on
-- the coordinator runs it on every shard.
CREATE FUNCTION runstore._fold_recent_workflows_on(executions_shard regclass) RETURNS bigint
  AS 'MODULE_PATHNAME', 'runstore_fold_recent_workflows_on'
  LANGUAGE C VOLATILE STRICT SECURITY DEFINER;
REVOKE ALL ON FUNCTION runstore._fold_recent_workflows_on(regclass) FROM PUBLIC;

-- Whether runstore.executions is distributed by Citus (false where Citus is absent).
CREATE FUNCTION runstore.is_distributed() RETURNS boolean
  LANGUAGE plpgsql STABLE
  SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  IF to_regclass('pg_catalog.pg_dist_partition') IS NULL THEN
    RETURN false;
  END IF;
  RETURN EXISTS (SELECT FROM pg_catalog.pg_dist_partition p
                 WHERE p.logicalrelid = 'runstore.executions'::regclass);
END
$$;
COMMENT ON FUNCTION runstore.is_distributed() IS
  'Whether runstore.executions is distributed by Citus';

-- The caller must be able to act as the tables' owner (Citus requires it).
CREATE FUNCTION runstore._require_distribution_rights(action text) RETURNS void
  LANGUAGE plpgsql
  SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_catalog.pg_extension WHERE extname = 'citus') THEN
    RAISE EXCEPTION 'runstore.%() needs the citus extension in this database', action
      USING ERRCODE = 'object_not_in_prerequisite_state',
            HINT = 'Add citus to shared_preload_libraries, restart, and CREATE EXTENSION citus on every node.';
  END IF;
  IF NOT pg_catalog.pg_has_role(current_user,
       (SELECT c.relowner FROM pg_catalog.pg_class c WHERE c.oid = 'runstore.executions'::regclass), 'USAGE') THEN
    RAISE EXCEPTION 'permission denied: runstore.%() needs the rights of the owner of runstore.executions', action
      USING ERRCODE = 'insufficient_privilege';
  END IF;
END
$$;

CREATE FUNCTION runstore.distribute(shard_count integer DEFAULT NULL) RETURNS void
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
REVOKE ALL ON FUNCTION runstore.distribute(integer) FROM PUBLIC;
COMMENT ON FUNCTION runstore.distribute(integer) IS
  'On a Citus coordinator: shards runstore.executions and the recent-workflow tables by workspace_id, co-located';

CREATE FUNCTION runstore.undistribute() RETURNS bigint
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
