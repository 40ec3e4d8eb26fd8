-- search_path hijacks against every runstore function and every path of the
-- recent-workflows trigger (SECURITY DEFINER: it runs as a superuser, so a
-- hijack there would be a privilege escalation).  An unprivileged role plants
-- look-alikes of everything runstore's SQL names, in a schema searched before
-- pg_catalog and in pg_temp, and then uses runstore with that search_path in
-- a fresh session (so runstore prepares its kept plans under it).  Every
-- look-alike records its use in evil.hits and raises a WARNING; none may run.
\set VERBOSITY default
\set SHOW_CONTEXT never

CREATE ROLE rs_evil;
GRANT USAGE ON SCHEMA runstore TO rs_evil;
GRANT SELECT, INSERT, UPDATE, DELETE, TRUNCATE ON runstore.executions TO rs_evil;
GRANT SELECT ON runstore.recent_workflow_folded, runstore.recent_workflow_pending TO rs_evil;
CREATE SCHEMA evil AUTHORIZATION rs_evil;

SET ROLE rs_evil;
CREATE TABLE evil.hits (what text, by_role name, as_superuser boolean);
GRANT INSERT ON evil.hits TO PUBLIC;
CREATE FUNCTION evil.hit(what text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO evil.hits VALUES (what, current_user,
    (SELECT r.rolsuper FROM pg_catalog.pg_roles r WHERE r.rolname OPERATOR(pg_catalog.=) current_user));
  RAISE WARNING 'hijacked: % (as %)', what, current_user;
END $$;

-- Operators: comparisons that match everything, arithmetic that lies.
DO $$
DECLARE
  spec text[];
BEGIN
  FOREACH spec SLICE 1 IN ARRAY ARRAY[
      ['=', 'uuid', 'uuid'], ['=', 'bigint', 'bigint'], ['=', 'text', 'text'], ['=', 'integer', 'integer'],
      ['=', 'timestamptz', 'timestamptz'], ['=', 'runstore.execution_status', 'runstore.execution_status'],
      ['>', 'uuid', 'uuid'], ['>', 'timestamptz', 'timestamptz'], ['<=', 'timestamptz', 'timestamptz'],
      ['>=', 'integer', 'integer'], ['<', 'integer', 'integer'], ['@>', 'text[]', 'text[]']] LOOP
    EXECUTE pg_catalog.format(
      'CREATE FUNCTION evil.%s(%s, %s) RETURNS boolean LANGUAGE plpgsql AS '
      '$f$BEGIN PERFORM evil.hit(%L); RETURN true; END$f$',
      'op_' || pg_catalog.md5(spec[1] || spec[2]), spec[2], spec[3], spec[1] || ' on ' || spec[2]);
    EXECUTE pg_catalog.format('CREATE OPERATOR evil.%s (LEFTARG = %s, RIGHTARG = %s, FUNCTION = evil.%s)',
      spec[1], spec[2], spec[3], 'op_' || pg_catalog.md5(spec[1] || spec[2]));
  END LOOP;
END $$;
CREATE FUNCTION evil.plus_ts(timestamptz, interval) RETURNS timestamptz LANGUAGE plpgsql AS
  $$BEGIN PERFORM evil.hit('+ on timestamptz'); RETURN 'infinity'; END$$;
CREATE OPERATOR evil.+ (LEFTARG = timestamptz, RIGHTARG = interval, FUNCTION = evil.plus_ts);
CREATE FUNCTION evil.plus_int(integer, integer) RETURNS integer LANGUAGE plpgsql AS
  $$BEGIN PERFORM evil.hit('+ on integer'); RETURN 1000; END$$;
CREATE OPERATOR evil.+ (LEFTARG = integer, RIGHTARG = integer, FUNCTION = evil.plus_int);

-- Functions runstore calls (qualified) or that SQL could call unqualified.
CREATE FUNCTION evil.now() RETURNS timestamptz LANGUAGE plpgsql AS
  $$BEGIN PERFORM evil.hit('now()'); RETURN '1999-01-01'; END$$;
CREATE FUNCTION evil.statement_timestamp() RETURNS timestamptz LANGUAGE plpgsql AS
  $$BEGIN PERFORM evil.hit('statement_timestamp()'); RETURN '1999-01-01'; END$$;
CREATE FUNCTION evil.uuid_v7() RETURNS uuid LANGUAGE plpgsql AS
  $$BEGIN PERFORM evil.hit('uuid_v7()'); RETURN '00000000-0000-0000-0000-000000000666'; END$$;
CREATE FUNCTION evil._retry_delay(integer) RETURNS interval LANGUAGE plpgsql AS
  $$BEGIN PERFORM evil.hit('_retry_delay()'); RETURN '0'; END$$;
CREATE FUNCTION evil.unnest(anyarray) RETURNS SETOF anyelement LANGUAGE plpgsql AS
  $$BEGIN PERFORM evil.hit('unnest()'); RETURN QUERY SELECT * FROM pg_catalog.unnest($1); END$$;
CREATE FUNCTION evil.format(text, text, integer, integer) RETURNS text LANGUAGE plpgsql AS
  $$BEGIN PERFORM evil.hit('format()'); RETURN 'hijacked'; END$$;
CREATE FUNCTION evil.current_setting(text, boolean) RETURNS text LANGUAGE plpgsql AS
  $$BEGIN PERFORM evil.hit('current_setting()'); RETURN NULL; END$$;
CREATE FUNCTION evil.count_step(bigint) RETURNS bigint LANGUAGE plpgsql AS
  $$BEGIN PERFORM evil.hit('count(*)'); RETURN 0; END$$;
CREATE AGGREGATE evil.count(*) (SFUNC = evil.count_step, STYPE = bigint, INITCOND = '0');

-- Look-alike tables: runstore's names in evil, and in pg_temp (searched
-- first for tables) the names of runstore's transition tables and CTEs too.
CREATE TABLE evil.executions (LIKE runstore.executions);
CREATE TABLE evil.recent_workflow_folded (LIKE runstore.recent_workflow_folded);
CREATE TABLE evil.recent_workflow_pending (LIKE runstore.recent_workflow_pending);
INSERT INTO evil.executions (id, workspace_id, status, tags, priority, attempt, max_attempts, run_after,
                             created_at, updated_at)
VALUES ('00000000-0000-0000-0000-000000000666', 1, 'queued', '{p}', 1000, 0, 3, '2000-01-01', '2000-01-01', '2000-01-01');
-- Summary look-alikes with a workflow 666 that no read may show.
INSERT INTO evil.recent_workflow_folded
VALUES (1, 666, NULL, '2100-01-01', '00000000-0000-0000-0000-000000000666'),
       (1, 666, 'ada', '2100-01-01', '00000000-0000-0000-0000-000000000666');
INSERT INTO evil.recent_workflow_pending
VALUES (1, 666, 'ada', '2100-01-01', '00000000-0000-0000-0000-000000000666');
RESET ROLE;
SELECT count(*) AS evil_objects FROM pg_class c WHERE c.relnamespace = 'evil'::regnamespace;

-- A fresh session: runstore's kept plans are prepared under the hijacked path.
\c
SET ROLE rs_evil;
CREATE TEMP TABLE executions AS SELECT * FROM evil.executions;
CREATE TEMP TABLE runstore_new AS SELECT * FROM evil.executions;
CREATE TEMP TABLE runstore_old AS SELECT * FROM evil.executions;
CREATE TEMP TABLE recent_workflow_folded AS SELECT * FROM evil.recent_workflow_folded;
CREATE TEMP TABLE recent_workflow_pending AS SELECT * FROM evil.recent_workflow_pending;
CREATE TEMP TABLE candidates AS SELECT id FROM evil.executions;
CREATE TEMP TABLE chosen AS SELECT id FROM evil.executions;
CREATE TEMP TABLE taken AS SELECT * FROM evil.recent_workflow_pending;
CREATE TEMP TABLE marked AS SELECT * FROM evil.recent_workflow_pending;
SET search_path = evil, pg_temp, pg_catalog, public;

-- The trigger's insert path (and the defaults: uuid_v7(), now()).
INSERT INTO runstore.executions (id, workspace_id, workflow_id, user_id, tags, priority, created_at, run_after)
VALUES (u(1), 1, 10, 'ada', '{p}', 1, '2024-01-01 01:00', '2024-01-01'),
       (u(2), 1, 10, 'ada', '{p}', 2, '2024-01-01 02:00', '2024-01-01'),
       (u(3), 1, 20, 'ada', '{p}', 3, '2024-01-01 03:00', '2024-01-01'),
       (u(4), 1, 20, 'bob', '{p}', 4, '2024-01-01 04:00', '2024-01-01'),
       (u(5), 2, 20, 'bob', '{q}', 5, '2024-01-01 05:00', '2024-01-01'),
       (u(6), 2, 30, 'bob', '{q}', 6, '2024-01-01 06:00', '2024-01-01');
INSERT INTO runstore.executions (workspace_id, workflow_id, run_after) VALUES (3, 40, 'infinity');
-- get_executions_by_ids: a hijacked = would return every row, or the evil one.
SELECT id, workspace_id FROM runstore.get_executions_by_ids(ARRAY[u(2), '00000000-0000-0000-0000-000000000666', u(99)]);
SELECT id FROM runstore.get_executions_by_ids(ARRAY[u(2), u(5)], workspace_id => 2);
-- recent_workflows, both scopes.
SELECT * FROM runstore.recent_workflows(1);
SELECT * FROM runstore.recent_workflows(1, 4, 'ada');
-- The trigger's update path: a run moved between groups, a created_at changed.
UPDATE runstore.executions SET workflow_id = 10 WHERE id OPERATOR(pg_catalog.=) u(3);
UPDATE runstore.executions SET created_at = '2024-01-01 00:30' WHERE id OPERATOR(pg_catalog.=) u(2);
-- The trigger's delete path, removing a group's latest run: before any
-- fold, the read looks the group's latest run up in executions.
DELETE FROM runstore.executions WHERE id OPERATOR(pg_catalog.=) u(4);
SELECT * FROM runstore.recent_workflows(1);
SELECT * FROM runstore.recent_workflows(1, 4, 'bob');
-- The fold, run by writers every 64 appended rows: an insert into 64 groups
-- folds (merging runs), and deleting them appends 64 recheck marks and folds
-- again (each group recomputed from executions).
INSERT INTO runstore.executions (workspace_id, workflow_id, user_id) SELECT 4, g, 'ada' FROM generate_series(1, 64) g;
SELECT pg_catalog.count(*) AS workspace_4_groups FROM runstore.recent_workflows(4, 100);
SELECT pg_catalog.count(*) AS pending_after_fold FROM runstore.recent_workflow_pending;
DELETE FROM runstore.executions WHERE workspace_id OPERATOR(pg_catalog.=) 4;
SELECT pg_catalog.count(*) AS pending_after_fold FROM runstore.recent_workflow_pending;
SELECT pg_catalog.count(*) AS workspace_4_groups FROM runstore.recent_workflows(4, 100);
-- dequeue (by priority: a hijacked comparison or clock would change the
-- choice or the lease), heartbeat, complete, fail in both forms.
SELECT id, status, attempt, lease_owner FROM runstore.dequeue('w', 3, '1 hour');
SELECT * FROM runstore.heartbeat('w', ARRAY[u(6), u(5)]);
SELECT * FROM runstore.heartbeat('w', ARRAY[u(6), u(5), u(3)], '1 hour', ARRAY[1, 2, 1]);
SELECT runstore.complete(u(6), 'w', '{"r": 1}', 2) AS wrong_attempt,
       runstore.complete(u(6), 'w', '{"r": 1}', 1) AS completed;
SELECT runstore.complete(u(3), 'someone-else') AS not_holder;
SELECT runstore.fail(u(5), 'w', 'again', true, 1) AS retried;
SELECT runstore.fail(u(3), 'w', 'final', false) AS failed;
-- u(5)'s retry backoff is drawn with full jitter from [0, 1 s), so on a slow
-- machine it may already have run out; keep it waiting so the claim below is
-- deterministic (a literal: now() is one of the look-alikes here).
UPDATE runstore.executions SET run_after = 'infinity' WHERE id OPERATOR(pg_catalog.=) u(5);
-- dequeue's other branch: a lease that ended on the last attempt (format()).
UPDATE runstore.executions SET status = 'running', lease_owner = 'gone', attempt = 3, max_attempts = 3,
       lease_expires_at = '2000-01-01', run_after = '2000-01-01'
 WHERE id OPERATOR(pg_catalog.=) u(1);
SELECT id FROM runstore.dequeue('w', 5);
-- queue_stats: a hijacked comparison, clock or count(*) would change the counts.
SELECT status, priority, executions, due_now, due_later, expired_leases, retrying,
       oldest_due_age IS NOT NULL AS has_due
  FROM runstore.queue_stats();
-- cancel, delete_many, delete_by_tag, each in both forms.
SELECT * FROM runstore.cancel(ARRAY[u(5), u(2), u(6)]);
SELECT * FROM runstore.cancel(ARRAY[u(2)], workspace_id => 2);
SELECT * FROM runstore.delete_many(ARRAY['00000000-0000-0000-0000-000000000666', u(6)]);
SELECT * FROM runstore.delete_many(ARRAY[u(1)], workspace_id => 2);
SELECT * FROM runstore.delete_by_tag('no-such-tag', 10);
SELECT * FROM runstore.delete_by_tag('p', 10, workspace_id => 2);
SELECT * FROM runstore.delete_by_tag('q', 1);
-- Controls: the traps work.  Unqualified names in the caller's own SQL do
-- reach them (these two are the only hits expected below).
SELECT u(1) = u(2) AS rigged_equals;
SELECT now() AS rigged_now;
RESET ROLE;
-- The operator's functions, as a superuser under the same search_path
-- (the deletions above left recheck marks for the fold).
SELECT runstore.fold_recent_workflows() > 0 AS folded;
SELECT runstore.rebuild_recent_workflows();
SELECT runstore.rebuild_recent_workflows(1);
SELECT * FROM runstore.verify_recent_workflows();
SELECT runstore.uuid_v7() IS NULL AS no_uuid;

RESET search_path;
-- The defaults were runstore.uuid_v7() and pg_catalog.now().
SELECT substr(id::text, 15, 1) = '7' AS v7_default, created_at > '2020-01-01' AS now_default
  FROM runstore.executions WHERE workspace_id = 3;
DELETE FROM runstore.executions WHERE workspace_id = 3;
SELECT id, workspace_id, workflow_id, status, attempt, lease_owner, error, result
  FROM runstore.executions ORDER BY workspace_id, id;
SELECT * FROM runstore.workspace_recent_workflow ORDER BY 1, 2;
SELECT * FROM runstore.verify_recent_workflows();
-- The trigger's truncate path, under the hijacked path again.
SET ROLE rs_evil;
SET search_path = evil, pg_temp, pg_catalog, public;
TRUNCATE runstore.executions;
RESET search_path;
RESET ROLE;
SELECT (SELECT count(*) FROM runstore.recent_workflow_folded)
     + (SELECT count(*) FROM runstore.recent_workflow_pending) AS summary_rows_after_truncate;

-- Nothing planted ran but the two controls, and the look-alike tables are intact.
SELECT * FROM evil.hits;
SELECT count(*) AS evil_rows, min(priority) FROM evil.executions;
SELECT (SELECT count(*) FROM evil.recent_workflow_folded) AS evil_folded,
       (SELECT count(*) FROM evil.recent_workflow_pending) AS evil_pending;
SELECT (SELECT count(*) FROM pg_temp.executions) AS temp_executions,
       (SELECT count(*) FROM pg_temp.runstore_new) AS temp_new,
       (SELECT count(*) FROM pg_temp.runstore_old) AS temp_old,
       (SELECT count(*) FROM pg_temp.recent_workflow_pending) AS temp_pending,
       (SELECT count(*) FROM pg_temp.taken) AS temp_taken;

\set VERBOSITY terse
DROP SCHEMA evil CASCADE;
DROP OWNED BY rs_evil;
DROP ROLE rs_evil;
