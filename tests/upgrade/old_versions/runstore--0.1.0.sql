-- runstore 0.1.0: the execution store, its id generator and the batch functions.
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
  id               uuid PRIMARY KEY DEFAULT runstore.uuid_v7(),
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
  finished_at      timestamptz
);
COMMENT ON TABLE runstore.executions IS
  'One row per run of a workflow or job; inserting a row enqueues it';

-- delete_by_tag finds tagged executions through this index.
CREATE INDEX executions_tags_idx ON runstore.executions USING gin (tags);

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
-- run, kept exact by C++ statement-level triggers.  A group may hold up to 16
-- rows ("slots"): each backend writes the slot MyBackendId % 16, so
-- concurrent inserters into one hot group write different rows instead of
-- queueing on one row lock until each other's commit.  The group's value is
-- its greatest row; the views below show exactly one row per group.  The
-- value is part of the key, so a write moves a slot's row to a new key (an
-- update of the row that changes its key) instead of rewriting a fixed key:
-- under a held xmin horizon a fixed key's uniqueness check visits every
-- earlier version.
CREATE TABLE runstore.workspace_recent_workflow_slot (
  workspace_id      bigint NOT NULL,
  workflow_id       bigint NOT NULL,
  slot              smallint NOT NULL CHECK (slot BETWEEN 0 AND 15),
  last_used_at      timestamptz NOT NULL,
  last_execution_id uuid NOT NULL,
  PRIMARY KEY (workspace_id, workflow_id, slot, last_used_at, last_execution_id)
);
CREATE INDEX workspace_recent_workflow_slot_recent_idx ON runstore.workspace_recent_workflow_slot
  (workspace_id, last_used_at DESC, workflow_id DESC, last_execution_id DESC);
COMMENT ON TABLE runstore.workspace_recent_workflow_slot IS
  'Storage of runstore.workspace_recent_workflow: rows in up to 16 slots per group, the greatest is the value';

CREATE TABLE runstore.user_recent_workflow_slot (
  workspace_id      bigint NOT NULL,
  user_id           text NOT NULL,
  workflow_id       bigint NOT NULL,
  slot              smallint NOT NULL CHECK (slot BETWEEN 0 AND 15),
  last_used_at      timestamptz NOT NULL,
  last_execution_id uuid NOT NULL,
  PRIMARY KEY (workspace_id, user_id, workflow_id, slot, last_used_at, last_execution_id)
);
CREATE INDEX user_recent_workflow_slot_recent_idx ON runstore.user_recent_workflow_slot
  (workspace_id, user_id, last_used_at DESC, workflow_id DESC, last_execution_id DESC);
COMMENT ON TABLE runstore.user_recent_workflow_slot IS
  'Storage of runstore.user_recent_workflow: rows in up to 16 slots per group, the greatest is the value';

-- security_invoker: a view otherwise reads its tables with its owner's
-- rights, so a role granted the view would see every workspace's rows past
-- the row-level security of the slot tables.
CREATE VIEW runstore.workspace_recent_workflow WITH (security_invoker = true) AS
  SELECT DISTINCT ON (s.workspace_id, s.workflow_id)
         s.workspace_id, s.workflow_id, s.last_used_at, s.last_execution_id
  FROM runstore.workspace_recent_workflow_slot s
  ORDER BY s.workspace_id, s.workflow_id, s.last_used_at DESC, s.last_execution_id DESC;
COMMENT ON VIEW runstore.workspace_recent_workflow IS
  'Per (workspace_id, workflow_id): the latest run (max created_at, ties: greatest id)';

CREATE VIEW runstore.user_recent_workflow WITH (security_invoker = true) AS
  SELECT DISTINCT ON (s.workspace_id, s.user_id, s.workflow_id)
         s.workspace_id, s.user_id, s.workflow_id, s.last_used_at, s.last_execution_id
  FROM runstore.user_recent_workflow_slot s
  ORDER BY s.workspace_id, s.user_id, s.workflow_id, s.last_used_at DESC, s.last_execution_id DESC;
COMMENT ON VIEW runstore.user_recent_workflow IS
  'Per (workspace_id, user_id, workflow_id): the latest run (max created_at, ties: greatest id)';

-- The maintenance finds a group's previous run through these when its latest
-- run is deleted or moved.
CREATE INDEX executions_workflow_recent_idx ON runstore.executions
  (workspace_id, workflow_id, created_at DESC, id DESC) WHERE workflow_id IS NOT NULL;
CREATE INDEX executions_user_workflow_recent_idx ON runstore.executions
  (workspace_id, user_id, workflow_id, created_at DESC, id DESC)
  WHERE workflow_id IS NOT NULL AND user_id IS NOT NULL;

-- One C++ trigger function for every event.  SECURITY DEFINER: the summary
-- must count every run, whoever writes it and whatever row-level security
-- the writer is under; the callers need no privileges on the slot tables.
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
-- group that differs (missing, extra or wrong).  No rows: consistent.
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
  FROM runstore.workspace_recent_workflow s
  FULL JOIN (SELECT DISTINCT ON (e.workspace_id, e.workflow_id) e.workspace_id, e.workflow_id, e.created_at, e.id
             FROM runstore.executions e WHERE e.workflow_id IS NOT NULL
             ORDER BY e.workspace_id, e.workflow_id, e.created_at DESC, e.id DESC) d
    ON s.workspace_id = d.workspace_id AND s.workflow_id = d.workflow_id
  WHERE s.last_used_at IS DISTINCT FROM d.created_at OR s.last_execution_id IS DISTINCT FROM d.id
  UNION ALL
  SELECT 'user', coalesce(s.workspace_id, d.workspace_id), coalesce(s.user_id, d.user_id),
         coalesce(s.workflow_id, d.workflow_id),
         s.last_used_at, s.last_execution_id, d.created_at, d.id
  FROM runstore.user_recent_workflow s
  FULL JOIN (SELECT DISTINCT ON (e.workspace_id, e.user_id, e.workflow_id)
                    e.workspace_id, e.user_id, e.workflow_id, e.created_at, e.id
             FROM runstore.executions e WHERE e.workflow_id IS NOT NULL AND e.user_id IS NOT NULL
             ORDER BY e.workspace_id, e.user_id, e.workflow_id, e.created_at DESC, e.id DESC) d
    ON s.workspace_id = d.workspace_id AND s.user_id = d.user_id AND s.workflow_id = d.workflow_id
  WHERE s.last_used_at IS DISTINCT FROM d.created_at OR s.last_execution_id IS DISTINCT FROM d.id
  ORDER BY 1, 2, 3, 4;
END;
COMMENT ON FUNCTION runstore.verify_recent_workflows() IS
  'Every recent-workflow group whose stored row differs from the definition; no rows means consistent';

-- Rebuilds the summary from executions (one workspace, or all).  Blocks
-- writers of executions (SHARE lock) for its duration so the result is exact;
-- readers go on.  Reports progress with NOTICEs every 100 workspaces.
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
  IF rebuild_recent_workflows.workspace_id IS NULL THEN
    TRUNCATE runstore.workspace_recent_workflow_slot, runstore.user_recent_workflow_slot;
  ELSE
    DELETE FROM runstore.workspace_recent_workflow_slot s WHERE s.workspace_id = rebuild_recent_workflows.workspace_id;
    DELETE FROM runstore.user_recent_workflow_slot s WHERE s.workspace_id = rebuild_recent_workflows.workspace_id;
  END IF;
  SELECT count(DISTINCT e.workspace_id) INTO total FROM runstore.executions e
  WHERE rebuild_recent_workflows.workspace_id IS NULL OR e.workspace_id = rebuild_recent_workflows.workspace_id;
  FOR ws IN SELECT DISTINCT e.workspace_id FROM runstore.executions e
            WHERE rebuild_recent_workflows.workspace_id IS NULL OR e.workspace_id = rebuild_recent_workflows.workspace_id
            ORDER BY 1
  LOOP
    INSERT INTO runstore.workspace_recent_workflow_slot
      (workspace_id, workflow_id, slot, last_used_at, last_execution_id)
    SELECT DISTINCT ON (e.workflow_id) e.workspace_id, e.workflow_id, 0, e.created_at, e.id
    FROM runstore.executions e WHERE e.workspace_id = ws AND e.workflow_id IS NOT NULL
    ORDER BY e.workflow_id, e.created_at DESC, e.id DESC;
    GET DIAGNOSTICS n = ROW_COUNT;
    groups := groups + n;
    INSERT INTO runstore.user_recent_workflow_slot
      (workspace_id, user_id, workflow_id, slot, last_used_at, last_execution_id)
    SELECT DISTINCT ON (e.user_id, e.workflow_id) e.workspace_id, e.user_id, e.workflow_id, 0, e.created_at, e.id
    FROM runstore.executions e WHERE e.workspace_id = ws AND e.workflow_id IS NOT NULL AND e.user_id IS NOT NULL
    ORDER BY e.user_id, e.workflow_id, e.created_at DESC, e.id DESC;
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

CREATE FUNCTION runstore.heartbeat(worker text, ids uuid[], lease interval DEFAULT NULL, attempts integer[] DEFAULT NULL)
  RETURNS SETOF uuid
  AS 'MODULE_PATHNAME', 'runstore_heartbeat'
  LANGUAGE C VOLATILE PARALLEL UNSAFE ROWS 10;
COMMENT ON FUNCTION runstore.heartbeat(text, uuid[], interval, integer[]) IS
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

CREATE FUNCTION runstore.cancel(ids uuid[], workspace_id bigint DEFAULT NULL)
  RETURNS SETOF uuid
  AS 'MODULE_PATHNAME', 'runstore_cancel'
  LANGUAGE C VOLATILE PARALLEL UNSAFE ROWS 100;
COMMENT ON FUNCTION runstore.cancel(uuid[], bigint) IS
  'Cancels those of ids that are queued or running; returns their ids in the order given';

-- Wake-ups: one NOTIFY runstore_enqueued (empty payload) per INSERT or COPY
-- statement, delivered at commit.
CREATE FUNCTION runstore._notify_enqueued() RETURNS trigger
  AS 'MODULE_PATHNAME', 'runstore_notify_enqueued'
  LANGUAGE C;
REVOKE ALL ON FUNCTION runstore._notify_enqueued() FROM PUBLIC;
CREATE TRIGGER executions_notify_enqueued AFTER INSERT ON runstore.executions
  FOR EACH STATEMENT EXECUTE FUNCTION runstore._notify_enqueued();

-- Dumps ----------------------------------------------------------------------
-- pg_dump leaves out the contents of an extension's tables unless they are
-- registered here: register the runs, so pg_dump/pg_restore carry them.  Not
-- the recent-workflow slot tables: they are derived.  A restore runs
-- CREATE EXTENSION (triggers included) before it loads the data, so COPY into
-- runstore.executions rebuilds both summaries as it goes; dumped slots would
-- then collide with the slots that COPY just wrote (duplicate keys: the
-- restoring backend writes its own slot).  A data-only restore with
-- --disable-triggers (or session_replication_role = replica) skips the
-- triggers: run runstore.rebuild_recent_workflows() after it (docs/security.md, "Dumps").
SELECT pg_catalog.pg_extension_config_dump('runstore.executions', '');
