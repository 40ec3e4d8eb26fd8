-- runstore 0.2.0 -> 0.3.0
\echo Use "ALTER EXTENSION runstore UPDATE TO '0.3.0'" to load this file. \quit

-- The key leads with workspace_id, so the same schema shards by workspace on
-- Citus (whose unique keys must include the distribution column); lookups
-- by id alone keep an index of their own.  Rebuilding the key takes an
-- ACCESS EXCLUSIVE lock for one index build; every run stays.
ALTER TABLE runstore.executions DROP CONSTRAINT executions_pkey;
ALTER TABLE runstore.executions ADD PRIMARY KEY (workspace_id, id);
CREATE INDEX executions_id_idx ON runstore.executions (id);

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

-- On Citus: one statement per table, on every shard at once.
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
    TRUNCATE runstore.workspace_recent_workflow_folded, runstore.user_recent_workflow_folded,
             runstore.recent_workflow_pending;
  ELSE
    DELETE FROM runstore.workspace_recent_workflow_folded s WHERE s.workspace_id = rebuild_recent_workflows.workspace_id;
    DELETE FROM runstore.user_recent_workflow_folded s WHERE s.workspace_id = rebuild_recent_workflows.workspace_id;
    DELETE FROM runstore.recent_workflow_pending s WHERE s.workspace_id = rebuild_recent_workflows.workspace_id;
  END IF;
  IF runstore.is_distributed() THEN
    INSERT INTO runstore.workspace_recent_workflow_folded
      (workspace_id, workflow_id, last_used_at, last_execution_id)
    SELECT DISTINCT ON (e.workspace_id, e.workflow_id) e.workspace_id, e.workflow_id, e.created_at, e.id
    FROM runstore.executions e
    WHERE e.workflow_id IS NOT NULL
      AND (rebuild_recent_workflows.workspace_id IS NULL OR e.workspace_id = rebuild_recent_workflows.workspace_id)
    ORDER BY e.workspace_id, e.workflow_id, e.created_at DESC, e.id DESC;
    GET DIAGNOSTICS groups = ROW_COUNT;
    INSERT INTO runstore.user_recent_workflow_folded
      (workspace_id, user_id, workflow_id, last_used_at, last_execution_id)
    SELECT DISTINCT ON (e.workspace_id, e.user_id, e.workflow_id)
           e.workspace_id, e.user_id, e.workflow_id, e.created_at, e.id
    FROM runstore.executions e
    WHERE e.workflow_id IS NOT NULL AND e.user_id IS NOT NULL
      AND (rebuild_recent_workflows.workspace_id IS NULL OR e.workspace_id = rebuild_recent_workflows.workspace_id)
    ORDER BY e.workspace_id, e.user_id, e.workflow_id, e.created_at DESC, e.id DESC;
    RETURN groups;
  END IF;
  SELECT count(DISTINCT e.workspace_id) INTO total FROM runstore.executions e
  WHERE rebuild_recent_workflows.workspace_id IS NULL OR e.workspace_id = rebuild_recent_workflows.workspace_id;
  FOR ws IN SELECT DISTINCT e.workspace_id FROM runstore.executions e
            WHERE rebuild_recent_workflows.workspace_id IS NULL OR e.workspace_id = rebuild_recent_workflows.workspace_id
            ORDER BY 1
  LOOP
    INSERT INTO runstore.workspace_recent_workflow_folded
      (workspace_id, workflow_id, last_used_at, last_execution_id)
    SELECT DISTINCT ON (e.workflow_id) e.workspace_id, e.workflow_id, e.created_at, e.id
    FROM runstore.executions e WHERE e.workspace_id = ws AND e.workflow_id IS NOT NULL
    ORDER BY e.workflow_id, e.created_at DESC, e.id DESC;
    GET DIAGNOSTICS n = ROW_COUNT;
    groups := groups + n;
    INSERT INTO runstore.user_recent_workflow_folded
      (workspace_id, user_id, workflow_id, last_used_at, last_execution_id)
    SELECT DISTINCT ON (e.user_id, e.workflow_id) e.workspace_id, e.user_id, e.workflow_id, e.created_at, e.id
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

-- Without the views, grouped and joined by workspace_id: on Citus it runs on each shard group.
-- The definition, computed from scratch, against what is stored: one row per
-- group that differs (missing, extra or wrong).  No rows: consistent.  What
-- is stored is what the views show: per group the greatest folded or
-- pending row, or, for a group with a recheck mark pending, its latest run
-- read from executions (the definition itself, so such a group never
-- differs).  Written without the views and with every table grouped or
-- joined by workspace_id, so that on Citus it runs on each shard group.
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
              FROM runstore.workspace_recent_workflow_folded f
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
              FROM runstore.user_recent_workflow_folded f
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

-- The views: the marked groups' probe as a LEFT JOIN LATERAL, which Citus pushes down.
CREATE OR REPLACE VIEW runstore.workspace_recent_workflow WITH (security_invoker = true) AS
  SELECT g.workspace_id, g.workflow_id,
         coalesce(g.last_used_at, l.created_at) AS last_used_at, coalesce(g.last_execution_id, l.id) AS last_execution_id
  FROM (SELECT DISTINCT ON (c.workspace_id, c.workflow_id)
               c.workspace_id, c.workflow_id, c.last_used_at, c.last_execution_id
        FROM (SELECT f.workspace_id, f.workflow_id, f.last_used_at, f.last_execution_id
              FROM runstore.workspace_recent_workflow_folded f
              UNION ALL
              SELECT p.workspace_id, p.workflow_id, p.last_used_at, p.last_execution_id
              FROM runstore.recent_workflow_pending p) c
        ORDER BY c.workspace_id, c.workflow_id, c.last_used_at DESC, c.last_execution_id DESC) g
  LEFT JOIN LATERAL (
    SELECT e.created_at, e.id FROM runstore.executions e
    WHERE g.last_used_at IS NULL AND e.workspace_id = g.workspace_id AND e.workflow_id = g.workflow_id
    ORDER BY e.created_at DESC, e.id DESC LIMIT 1) l ON true
  WHERE g.last_used_at IS NOT NULL OR l.id IS NOT NULL;
CREATE OR REPLACE VIEW runstore.user_recent_workflow WITH (security_invoker = true) AS
  SELECT g.workspace_id, g.user_id, g.workflow_id,
         coalesce(g.last_used_at, l.created_at) AS last_used_at, coalesce(g.last_execution_id, l.id) AS last_execution_id
  FROM (SELECT DISTINCT ON (c.workspace_id, c.user_id, c.workflow_id)
               c.workspace_id, c.user_id, c.workflow_id, c.last_used_at, c.last_execution_id
        FROM (SELECT f.workspace_id, f.user_id, f.workflow_id, f.last_used_at, f.last_execution_id
              FROM runstore.user_recent_workflow_folded f
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
