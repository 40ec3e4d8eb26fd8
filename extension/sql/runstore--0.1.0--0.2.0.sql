-- runstore 0.1.0 -> 0.2.0
\echo Use "ALTER EXTENSION runstore UPDATE TO '0.2.0'" to load this file. \quit

-- Wake-ups without NOTIFY: idle workers wait in runstore.wait_for_work and
-- writers set their latches after commit.  runstore.notify_enqueued (now off
-- by default) still NOTIFYs for applications that LISTEN themselves.
DROP TRIGGER executions_notify_enqueued ON runstore.executions;
DROP FUNCTION runstore._notify_enqueued();
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

-- Recent workflows: the 16-slot tables, written by every insert, become a
-- pending table writers append to and folded tables a fold merges it into
-- (docs/architecture.md, "Recent workflows").  The folded tables start as
-- each group's greatest slot row, which is the group's value: no run is
-- read again.
DROP FUNCTION runstore.verify_recent_workflows();
DROP VIEW runstore.workspace_recent_workflow;
DROP VIEW runstore.user_recent_workflow;
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

CREATE TABLE runstore.workspace_recent_workflow_folded (
  workspace_id      bigint NOT NULL,
  workflow_id       bigint NOT NULL,
  last_used_at      timestamptz NOT NULL,
  last_execution_id uuid NOT NULL,
  PRIMARY KEY (workspace_id, workflow_id)
);
CREATE INDEX workspace_recent_workflow_folded_recent_idx ON runstore.workspace_recent_workflow_folded
  (workspace_id, last_used_at DESC, workflow_id DESC, last_execution_id DESC);
COMMENT ON TABLE runstore.workspace_recent_workflow_folded IS
  'Per (workspace_id, workflow_id): the latest run as of the last fold; runstore.workspace_recent_workflow adds what is pending';

CREATE TABLE runstore.user_recent_workflow_folded (
  workspace_id      bigint NOT NULL,
  user_id           text NOT NULL,
  workflow_id       bigint NOT NULL,
  last_used_at      timestamptz NOT NULL,
  last_execution_id uuid NOT NULL,
  PRIMARY KEY (workspace_id, user_id, workflow_id)
);
CREATE INDEX user_recent_workflow_folded_recent_idx ON runstore.user_recent_workflow_folded
  (workspace_id, user_id, last_used_at DESC, workflow_id DESC, last_execution_id DESC);
COMMENT ON TABLE runstore.user_recent_workflow_folded IS
  'Per (workspace_id, user_id, workflow_id): the latest run as of the last fold; runstore.user_recent_workflow adds what is pending';

-- The views merge the two parts: per group, its greatest folded or pending
-- row, unless a recheck mark is pending, in which case the group's latest
-- run is read from executions (one index probe).  security_invoker: a view
-- otherwise reads its tables with its owner's rights, past the row-level
-- security of the tables.
CREATE VIEW runstore.workspace_recent_workflow WITH (security_invoker = true) AS
  SELECT g.workspace_id, g.workflow_id, v.last_used_at, v.last_execution_id
  FROM (SELECT DISTINCT ON (c.workspace_id, c.workflow_id)
               c.workspace_id, c.workflow_id, c.last_used_at, c.last_execution_id
        FROM (SELECT f.workspace_id, f.workflow_id, f.last_used_at, f.last_execution_id
              FROM runstore.workspace_recent_workflow_folded f
              UNION ALL
              SELECT p.workspace_id, p.workflow_id, p.last_used_at, p.last_execution_id
              FROM runstore.recent_workflow_pending p) c
        ORDER BY c.workspace_id, c.workflow_id, c.last_used_at DESC, c.last_execution_id DESC) g
  CROSS JOIN LATERAL (
    SELECT g.last_used_at, g.last_execution_id WHERE g.last_used_at IS NOT NULL
    UNION ALL
    (SELECT e.created_at, e.id FROM runstore.executions e
     WHERE g.last_used_at IS NULL AND e.workspace_id = g.workspace_id AND e.workflow_id = g.workflow_id
     ORDER BY e.created_at DESC, e.id DESC LIMIT 1)) v(last_used_at, last_execution_id);
COMMENT ON VIEW runstore.workspace_recent_workflow IS
  'Per (workspace_id, workflow_id): the latest run (max created_at, ties: greatest id)';

CREATE VIEW runstore.user_recent_workflow WITH (security_invoker = true) AS
  SELECT g.workspace_id, g.user_id, g.workflow_id, v.last_used_at, v.last_execution_id
  FROM (SELECT DISTINCT ON (c.workspace_id, c.user_id, c.workflow_id)
               c.workspace_id, c.user_id, c.workflow_id, c.last_used_at, c.last_execution_id
        FROM (SELECT f.workspace_id, f.user_id, f.workflow_id, f.last_used_at, f.last_execution_id
              FROM runstore.user_recent_workflow_folded f
              UNION ALL
              SELECT p.workspace_id, p.user_id, p.workflow_id, p.last_used_at, p.last_execution_id
              FROM runstore.recent_workflow_pending p WHERE p.user_id IS NOT NULL) c
        ORDER BY c.workspace_id, c.user_id, c.workflow_id, c.last_used_at DESC, c.last_execution_id DESC) g
  CROSS JOIN LATERAL (
    SELECT g.last_used_at, g.last_execution_id WHERE g.last_used_at IS NOT NULL
    UNION ALL
    (SELECT e.created_at, e.id FROM runstore.executions e
     WHERE g.last_used_at IS NULL AND e.workspace_id = g.workspace_id AND e.user_id = g.user_id
       AND e.workflow_id = g.workflow_id
     ORDER BY e.created_at DESC, e.id DESC LIMIT 1)) v(last_used_at, last_execution_id);
COMMENT ON VIEW runstore.user_recent_workflow IS
  'Per (workspace_id, user_id, workflow_id): the latest run (max created_at, ties: greatest id)';

INSERT INTO runstore.workspace_recent_workflow_folded (workspace_id, workflow_id, last_used_at, last_execution_id)
  SELECT DISTINCT ON (s.workspace_id, s.workflow_id) s.workspace_id, s.workflow_id, s.last_used_at, s.last_execution_id
  FROM runstore.workspace_recent_workflow_slot s
  ORDER BY s.workspace_id, s.workflow_id, s.last_used_at DESC, s.last_execution_id DESC;
INSERT INTO runstore.user_recent_workflow_folded (workspace_id, user_id, workflow_id, last_used_at, last_execution_id)
  SELECT DISTINCT ON (s.workspace_id, s.user_id, s.workflow_id)
         s.workspace_id, s.user_id, s.workflow_id, s.last_used_at, s.last_execution_id
  FROM runstore.user_recent_workflow_slot s
  ORDER BY s.workspace_id, s.user_id, s.workflow_id, s.last_used_at DESC, s.last_execution_id DESC;
DROP TABLE runstore.workspace_recent_workflow_slot;
DROP TABLE runstore.user_recent_workflow_slot;

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

DROP FUNCTION runstore.rebuild_recent_workflows(bigint);
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
    TRUNCATE runstore.workspace_recent_workflow_folded, runstore.user_recent_workflow_folded,
             runstore.recent_workflow_pending;
  ELSE
    DELETE FROM runstore.workspace_recent_workflow_folded s WHERE s.workspace_id = rebuild_recent_workflows.workspace_id;
    DELETE FROM runstore.user_recent_workflow_folded s WHERE s.workspace_id = rebuild_recent_workflows.workspace_id;
    DELETE FROM runstore.recent_workflow_pending s WHERE s.workspace_id = rebuild_recent_workflows.workspace_id;
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
REVOKE ALL ON FUNCTION runstore.rebuild_recent_workflows(bigint) FROM PUBLIC;
COMMENT ON FUNCTION runstore.rebuild_recent_workflows(bigint) IS
  'Rebuilds the recent-workflows summary from executions; returns the number of workspace groups written';

CREATE FUNCTION runstore.fold_recent_workflows() RETURNS bigint
  AS 'MODULE_PATHNAME', 'runstore_fold_recent_workflows'
  LANGUAGE C VOLATILE SECURITY DEFINER;
REVOKE ALL ON FUNCTION runstore.fold_recent_workflows() FROM PUBLIC;
COMMENT ON FUNCTION runstore.fold_recent_workflows() IS
  'Folds the committed pending recent-workflow changes into the folded tables; returns the number of pending rows folded';
