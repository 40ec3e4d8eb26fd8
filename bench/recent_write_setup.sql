-- recent_write_setup.sql: three tables with the same columns and indexes,
-- for the write-cost benchmark (bench/recent_write.sh):
--   runstore.executions        runstore's C++ statement-level triggers
--   bench_plain.executions     no tracking at all
--   bench_plpgsql.executions   the usual hand-written tracking: a PL/pgSQL
--                              row trigger upserting both summaries with
--                              ON CONFLICT ... DO UPDATE
\set ON_ERROR_STOP on
DROP EXTENSION IF EXISTS runstore CASCADE;
CREATE EXTENSION runstore;
DROP SCHEMA IF EXISTS bench_plain CASCADE;
DROP SCHEMA IF EXISTS bench_plpgsql CASCADE;
CREATE SCHEMA bench_plain;
CREATE SCHEMA bench_plpgsql;
CREATE TABLE bench_plain.executions (LIKE runstore.executions INCLUDING ALL);
CREATE TABLE bench_plpgsql.executions (LIKE runstore.executions INCLUDING ALL);
CREATE TABLE bench_plpgsql.workspace_recent (
  workspace_id bigint, workflow_id bigint, last_used_at timestamptz NOT NULL, last_execution_id uuid NOT NULL,
  PRIMARY KEY (workspace_id, workflow_id));
CREATE INDEX ON bench_plpgsql.workspace_recent (workspace_id, last_used_at DESC, workflow_id DESC);
CREATE TABLE bench_plpgsql.user_recent (
  workspace_id bigint, user_id text, workflow_id bigint, last_used_at timestamptz NOT NULL,
  last_execution_id uuid NOT NULL, PRIMARY KEY (workspace_id, user_id, workflow_id));
CREATE INDEX ON bench_plpgsql.user_recent (workspace_id, user_id, last_used_at DESC, workflow_id DESC);
CREATE FUNCTION bench_plpgsql.track() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.workflow_id IS NOT NULL THEN
    INSERT INTO bench_plpgsql.workspace_recent AS s
    VALUES (NEW.workspace_id, NEW.workflow_id, NEW.created_at, NEW.id)
    ON CONFLICT (workspace_id, workflow_id) DO UPDATE
      SET last_used_at = excluded.last_used_at, last_execution_id = excluded.last_execution_id
      WHERE (excluded.last_used_at, excluded.last_execution_id) > (s.last_used_at, s.last_execution_id);
    IF NEW.user_id IS NOT NULL THEN
      INSERT INTO bench_plpgsql.user_recent AS s
      VALUES (NEW.workspace_id, NEW.user_id, NEW.workflow_id, NEW.created_at, NEW.id)
      ON CONFLICT (workspace_id, user_id, workflow_id) DO UPDATE
        SET last_used_at = excluded.last_used_at, last_execution_id = excluded.last_execution_id
        WHERE (excluded.last_used_at, excluded.last_execution_id) > (s.last_used_at, s.last_execution_id);
    END IF;
  END IF;
  RETURN NULL;
END
$$;
CREATE TRIGGER track AFTER INSERT ON bench_plpgsql.executions
  FOR EACH ROW EXECUTE FUNCTION bench_plpgsql.track();
