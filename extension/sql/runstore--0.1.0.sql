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
  run_after        timestamptz NOT NULL DEFAULT now(),
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
