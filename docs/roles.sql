-- docs/roles.sql: three roles for runstore (docs/security.md explains them).
--
--   runstore_dashboard  reads runs and the recent-workflow summaries; changes nothing
--   runstore_worker     changes runs only through dequeue/heartbeat/complete/fail
--   runstore_admin      everything, including rebuild/fold/verify of the summaries
--
-- Run once per database, as a superuser, after CREATE EXTENSION runstore:
--   psql -v ON_ERROR_STOP=1 -d yourdb -f docs/roles.sql
-- The four roles are group roles (NOLOGIN); give them to login roles with
-- GRANT runstore_worker TO some_login.  Roles are cluster-wide: in a second
-- database of the same cluster, leave out the CREATE ROLE lines.
-- sql/roles.sql runs this file unchanged, so what it proves is this recipe.
--
-- Why a worker needs wrappers: runstore's functions run as their caller
-- (SECURITY INVOKER), with the privileges the equivalent plain SQL needs.
-- runstore.dequeue is an UPDATE, so a role that can call it successfully can
-- also UPDATE runstore.executions itself.  "Only through runstore's
-- functions" therefore needs a privilege the worker does not hold: the
-- worker gets no table privilege at all, and EXECUTE on four SECURITY DEFINER
-- wrappers (schema runstore_worker) owned by runstore_queue_definer, a
-- NOLOGIN role nobody is a member of, which holds just what the four
-- functions need (SELECT, and UPDATE of the queue columns).  The wrappers
-- pass their arguments on unchanged, and row-level security still applies
-- (to runstore_queue_definer: see docs/tenants.sql).

BEGIN;

CREATE ROLE runstore_dashboard NOLOGIN;
CREATE ROLE runstore_worker NOLOGIN;
CREATE ROLE runstore_admin NOLOGIN;
CREATE ROLE runstore_queue_definer NOLOGIN;  -- owns the worker wrappers; never a login, never granted

-- The extension grants nothing to PUBLIC except EXECUTE on its functions
-- (PostgreSQL's default; the functions are guarded by the table privileges
-- they need).  verify_recent_workflows() reads every run: an operator's check.
REVOKE EXECUTE ON FUNCTION runstore.verify_recent_workflows() FROM PUBLIC;

-- 1. Dashboard: SELECT only.  get_executions_by_ids needs SELECT on
--    executions; recent_workflows needs SELECT on the folded table and
--    the pending table (and on executions, where a group's latest run must
--    be read again after a deletion).
GRANT USAGE ON SCHEMA runstore TO runstore_dashboard;
GRANT SELECT ON runstore.executions,
                runstore.recent_workflow_folded, runstore.recent_workflow_pending,
                runstore.workspace_recent_workflow, runstore.user_recent_workflow
  TO runstore_dashboard;

-- 2. Worker.  The definer may read runs and change only the columns the
--    queue functions write: never payload, workspace, workflow, user, tags,
--    ids or times of creation, and it may not INSERT or DELETE.
GRANT USAGE ON SCHEMA runstore TO runstore_queue_definer;
GRANT SELECT ON runstore.executions TO runstore_queue_definer;
GRANT UPDATE (status, attempt, lease_owner, lease_expires_at, run_after,
              started_at, finished_at, error, result, updated_at)
  ON runstore.executions TO runstore_queue_definer;

CREATE SCHEMA runstore_worker;  -- owned by the superuser running this: nobody else may create in it
GRANT USAGE ON SCHEMA runstore_worker TO runstore_worker;
-- USAGE on runstore lets workers name its types (runstore.execution_status);
-- it grants no access to any table.
GRANT USAGE ON SCHEMA runstore TO runstore_worker;

-- Same signatures as the runstore functions they wrap.  Hardened as the
-- PostgreSQL manual asks of SECURITY DEFINER functions: a fixed search_path
-- with pg_temp last, every name schema-qualified, EXECUTE revoked from PUBLIC
-- before anyone can call them (this file is one transaction).  Bodies are
-- strings, not BEGIN ATOMIC, so they record no dependency that would block
-- ALTER EXTENSION runstore UPDATE from replacing the wrapped functions.
CREATE FUNCTION runstore_worker.dequeue(worker text, max_jobs integer DEFAULT 1, lease interval DEFAULT NULL)
  RETURNS SETOF runstore.executions
  LANGUAGE sql VOLATILE SECURITY DEFINER ROWS 10
  SET search_path = pg_catalog, pg_temp
  AS $$ SELECT d FROM runstore.dequeue($1, $2, $3) AS d $$;

CREATE FUNCTION runstore_worker.heartbeat(worker text, ids uuid[], lease interval DEFAULT NULL,
                                          attempts integer[] DEFAULT NULL, workspace_ids bigint[] DEFAULT NULL)
  RETURNS SETOF uuid
  LANGUAGE sql VOLATILE SECURITY DEFINER ROWS 10
  SET search_path = pg_catalog, pg_temp
  AS $$ SELECT h FROM runstore.heartbeat($1, $2, $3, $4, $5) AS h $$;

CREATE FUNCTION runstore_worker.complete(id uuid, worker text, result jsonb DEFAULT NULL,
                                         attempt integer DEFAULT NULL)
  RETURNS boolean
  LANGUAGE sql VOLATILE SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp
  AS $$ SELECT runstore.complete($1, $2, $3, $4) $$;

CREATE FUNCTION runstore_worker.fail(id uuid, worker text, error text, retryable boolean DEFAULT true,
                                     attempt integer DEFAULT NULL)
  RETURNS runstore.execution_status
  LANGUAGE sql VOLATILE SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp
  AS $$ SELECT runstore.fail($1, $2, $3, $4, $5) $$;

CREATE FUNCTION runstore_worker.complete_many(worker text, ids uuid[], attempts integer[],
                                              results jsonb[] DEFAULT NULL, workspace_ids bigint[] DEFAULT NULL)
  RETURNS SETOF uuid
  LANGUAGE sql VOLATILE SECURITY DEFINER ROWS 100
  SET search_path = pg_catalog, pg_temp
  AS $$ SELECT c FROM runstore.complete_many($1, $2, $3, $4, $5) AS c $$;

CREATE FUNCTION runstore_worker.fail_many(worker text, ids uuid[], attempts integer[], errors text[],
                                          retryable boolean[] DEFAULT NULL, workspace_ids bigint[] DEFAULT NULL)
  RETURNS TABLE (id uuid, status runstore.execution_status)
  LANGUAGE sql VOLATILE SECURITY DEFINER ROWS 100
  SET search_path = pg_catalog, pg_temp
  AS $$ SELECT f.id, f.status FROM runstore.fail_many($1, $2, $3, $4, $5, $6) AS f $$;

CREATE FUNCTION runstore_worker.release_many(worker text, ids uuid[], attempts integer[],
                                             workspace_ids bigint[] DEFAULT NULL)
  RETURNS SETOF uuid
  LANGUAGE sql VOLATILE SECURITY DEFINER ROWS 100
  SET search_path = pg_catalog, pg_temp
  AS $$ SELECT r FROM runstore.release_many($1, $2, $3, $4) AS r $$;

REVOKE ALL ON FUNCTION runstore_worker.dequeue(text, integer, interval),
                       runstore_worker.heartbeat(text, uuid[], interval, integer[], bigint[]),
                       runstore_worker.complete(uuid, text, jsonb, integer),
                       runstore_worker.fail(uuid, text, text, boolean, integer),
                       runstore_worker.complete_many(text, uuid[], integer[], jsonb[], bigint[]),
                       runstore_worker.fail_many(text, uuid[], integer[], text[], boolean[], bigint[]),
                       runstore_worker.release_many(text, uuid[], integer[], bigint[])
  FROM PUBLIC;
GRANT EXECUTE ON FUNCTION runstore_worker.dequeue(text, integer, interval),
                          runstore_worker.heartbeat(text, uuid[], interval, integer[], bigint[]),
                          runstore_worker.complete(uuid, text, jsonb, integer),
                          runstore_worker.fail(uuid, text, text, boolean, integer),
                          runstore_worker.complete_many(text, uuid[], integer[], jsonb[], bigint[]),
                          runstore_worker.fail_many(text, uuid[], integer[], text[], boolean[], bigint[]),
                          runstore_worker.release_many(text, uuid[], integer[], bigint[])
  TO runstore_worker;
ALTER FUNCTION runstore_worker.dequeue(text, integer, interval) OWNER TO runstore_queue_definer;
ALTER FUNCTION runstore_worker.heartbeat(text, uuid[], interval, integer[], bigint[]) OWNER TO runstore_queue_definer;
ALTER FUNCTION runstore_worker.complete(uuid, text, jsonb, integer) OWNER TO runstore_queue_definer;
ALTER FUNCTION runstore_worker.fail(uuid, text, text, boolean, integer) OWNER TO runstore_queue_definer;
ALTER FUNCTION runstore_worker.complete_many(text, uuid[], integer[], jsonb[], bigint[]) OWNER TO runstore_queue_definer;
ALTER FUNCTION runstore_worker.fail_many(text, uuid[], integer[], text[], boolean[], bigint[]) OWNER TO runstore_queue_definer;
ALTER FUNCTION runstore_worker.release_many(text, uuid[], integer[], bigint[]) OWNER TO runstore_queue_definer;

-- 3. Admin: every table privilege on the runs (enqueue, cancel, delete,
--    TRUNCATE), reads of the summaries, the operator's functions, and the
--    other two roles.  The summaries are written only by runstore's own
--    trigger and its fold and rebuild functions (all SECURITY DEFINER):
--    nobody, the admin included, needs to write the pending or folded tables.
GRANT USAGE ON SCHEMA runstore TO runstore_admin;
GRANT SELECT, INSERT, UPDATE, DELETE, TRUNCATE ON runstore.executions TO runstore_admin;
GRANT SELECT ON runstore.recent_workflow_folded, runstore.recent_workflow_pending,
                runstore.workspace_recent_workflow, runstore.user_recent_workflow
  TO runstore_admin;
GRANT EXECUTE ON FUNCTION runstore.rebuild_recent_workflows(bigint),
                          runstore.fold_recent_workflows(),
                          runstore.verify_recent_workflows()
  TO runstore_admin;
GRANT runstore_dashboard, runstore_worker TO runstore_admin;

COMMIT;
