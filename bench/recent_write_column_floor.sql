-- recent_write_column_floor.sql: a floor build for the write benchmark
-- (bench/recent_write_column_floor.sh), not part of runstore. It measures a
-- summary design in which a run records its pending state in the run itself
-- instead of in a side table:
--   * executions gains recorded_xid xid8 DEFAULT pg_current_xact_id() and a
--     btree index on (recorded_xid, workspace_id): what a writer pays;
--   * a fold takes every run with watermark <= recorded_xid < its snapshot's
--     xmax, merges the group maxima into the two folded tables (the same
--     ON CONFLICT upserts as runstore's fold) and moves the watermark to the
--     snapshot's xmin: a run that a fold did not see belongs to a transaction
--     that was running at the fold or began after it, so its xid is at least
--     that xmin and the next read or fold finds it.
-- With one_table, the fold keeps both scopes in one table instead, a row per
-- (workspace, user, workflow) with an index per scope's reading order (the
-- workspace scope would read it skipping a workflow's other users).
-- Nothing here handles deletes, updates or reads; it prices the writes only.
\set ON_ERROR_STOP on
DROP SCHEMA IF EXISTS bench_column_floor CASCADE;
CREATE SCHEMA bench_column_floor;
CREATE TABLE bench_column_floor.executions (LIKE runstore.executions INCLUDING ALL);
ALTER TABLE bench_column_floor.executions ADD COLUMN recorded_xid xid8 DEFAULT pg_current_xact_id();
CREATE INDEX executions_recorded_idx ON bench_column_floor.executions (recorded_xid, workspace_id)
  WHERE recorded_xid IS NOT NULL;
CREATE TABLE bench_column_floor.fold_state (watermark xid8 NOT NULL);
INSERT INTO bench_column_floor.fold_state VALUES (pg_snapshot_xmin(pg_current_snapshot()));
CREATE TABLE bench_column_floor.workspace_folded (
  workspace_id bigint, workflow_id bigint, last_used_at timestamptz NOT NULL,
  last_execution_id uuid NOT NULL, PRIMARY KEY (workspace_id, workflow_id));
CREATE INDEX ON bench_column_floor.workspace_folded (workspace_id, last_used_at DESC, workflow_id DESC, last_execution_id DESC);
CREATE TABLE bench_column_floor.user_folded (
  workspace_id bigint, user_id text, workflow_id bigint, last_used_at timestamptz NOT NULL,
  last_execution_id uuid NOT NULL, PRIMARY KEY (workspace_id, user_id, workflow_id));
CREATE INDEX ON bench_column_floor.user_folded (workspace_id, user_id, last_used_at DESC, workflow_id DESC, last_execution_id DESC);
CREATE TABLE bench_column_floor.group_folded (
  workspace_id bigint, user_id text, workflow_id bigint, last_used_at timestamptz NOT NULL,
  last_execution_id uuid NOT NULL, PRIMARY KEY (workspace_id, user_id, workflow_id));
CREATE INDEX ON bench_column_floor.group_folded (workspace_id, last_used_at DESC, workflow_id DESC, last_execution_id DESC);
CREATE INDEX ON bench_column_floor.group_folded (workspace_id, user_id, last_used_at DESC, workflow_id DESC, last_execution_id DESC);

-- Empties the table and the folded part; the watermark starts now.
CREATE PROCEDURE bench_column_floor.reset() LANGUAGE sql AS $$
  TRUNCATE bench_column_floor.executions, bench_column_floor.workspace_folded, bench_column_floor.user_folded,
    bench_column_floor.group_folded;
  UPDATE bench_column_floor.fold_state SET watermark = pg_snapshot_xmin(pg_current_snapshot());
$$;

-- One fold; returns the upserts it made. Bounds are PL/pgSQL variables so
-- that they are index conditions. Under READ COMMITTED the scan takes a
-- snapshot of its own after snap: it sees at least what snap saw, so moving
-- the watermark to snap's xmin (at most the scan's) keeps every run the scan
-- missed at or past it, and runs past snap's xmax wait for the next fold.
CREATE FUNCTION bench_column_floor.fold(one_table boolean DEFAULT false) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
  snap pg_snapshot := pg_current_snapshot();
  low xid8;
  high xid8 := pg_snapshot_xmax(snap);
  n bigint;
BEGIN
  SELECT watermark INTO low FROM bench_column_floor.fold_state;
  WITH runs AS MATERIALIZED (
    SELECT workspace_id, workflow_id, user_id, created_at, id
    FROM bench_column_floor.executions
    WHERE recorded_xid >= low AND recorded_xid < high AND recorded_xid IS NOT NULL
      AND workflow_id IS NOT NULL),
  workspace_scope AS (
    INSERT INTO bench_column_floor.workspace_folded AS f
    SELECT DISTINCT ON (workspace_id, workflow_id) workspace_id, workflow_id, created_at, id FROM runs
    WHERE NOT one_table
    ORDER BY workspace_id, workflow_id, created_at DESC, id DESC
    ON CONFLICT (workspace_id, workflow_id) DO UPDATE
      SET last_used_at = excluded.last_used_at, last_execution_id = excluded.last_execution_id
      WHERE (excluded.last_used_at, excluded.last_execution_id) > (f.last_used_at, f.last_execution_id)
    RETURNING 1),
  user_scope AS (
    INSERT INTO bench_column_floor.user_folded AS f
    SELECT DISTINCT ON (workspace_id, user_id, workflow_id) workspace_id, user_id, workflow_id, created_at, id
    FROM runs WHERE user_id IS NOT NULL AND NOT one_table
    ORDER BY workspace_id, user_id, workflow_id, created_at DESC, id DESC
    ON CONFLICT (workspace_id, user_id, workflow_id) DO UPDATE
      SET last_used_at = excluded.last_used_at, last_execution_id = excluded.last_execution_id
      WHERE (excluded.last_used_at, excluded.last_execution_id) > (f.last_used_at, f.last_execution_id)
    RETURNING 1),
  group_scope AS (
    INSERT INTO bench_column_floor.group_folded AS f
    SELECT DISTINCT ON (workspace_id, user_id, workflow_id)
           workspace_id, coalesce(user_id, ''), workflow_id, created_at, id
    FROM runs WHERE one_table
    ORDER BY workspace_id, user_id, workflow_id, created_at DESC, id DESC
    ON CONFLICT (workspace_id, user_id, workflow_id) DO UPDATE
      SET last_used_at = excluded.last_used_at, last_execution_id = excluded.last_execution_id
      WHERE (excluded.last_used_at, excluded.last_execution_id) > (f.last_used_at, f.last_execution_id)
    RETURNING 1)
  SELECT (SELECT count(*) FROM workspace_scope) + (SELECT count(*) FROM user_scope)
         + (SELECT count(*) FROM group_scope) INTO n;
  UPDATE bench_column_floor.fold_state SET watermark = pg_snapshot_xmin(snap);
  RETURN n;
END $$;

-- The fold worker's cadence: a fold in its own transaction every 100 ms for
-- $1 seconds, with runstore's planner settings for its fold (no JIT, no
-- sequential scans). Reports the time spent folding.
CREATE PROCEDURE bench_column_floor.fold_for(seconds float8, one_table boolean DEFAULT false) LANGUAGE plpgsql AS $$
DECLARE
  started timestamptz := clock_timestamp();
  t timestamptz;
  busy interval := '0';
  folds int := 0;
  upserts bigint := 0;
BEGIN
  LOOP
    SET LOCAL jit = off;
    SET LOCAL enable_seqscan = off;
    t := clock_timestamp();
    upserts := upserts + bench_column_floor.fold(one_table);
    COMMIT;
    busy := busy + (clock_timestamp() - t);
    folds := folds + 1;
    EXIT WHEN clock_timestamp() - started > seconds * interval '1 second';
    PERFORM pg_sleep(0.1);
  END LOOP;
  RAISE NOTICE 'folds % upserts % busy %', folds, upserts, busy;
END $$;
