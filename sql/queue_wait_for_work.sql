-- runstore.wait_for_work (README "Wake-ups"): true at once when work is due,
-- false after its timeout when none is, what counts as due, its refusals,
-- and calls inside a transaction block.  Being woken by another session's
-- commit (and not by an uncommitted or rolled-back one), no lost wake-ups
-- and no snapshot held while waiting: client/tests/client_wait_test.cpp.
\set VERBOSITY default
\set SHOW_CONTEXT never
SET TimeZone = 'UTC';
TRUNCATE runstore.executions;
-- The waiters' advisory lock this session holds (only while it waits).
CREATE VIEW waiter_locks AS
  SELECT count(*) AS waiter_locks FROM pg_catalog.pg_locks
  WHERE locktype = 'advisory' AND pid = pg_catalog.pg_backend_pid()
    AND classid = 1920298611 AND objid = 2002872692 AND objsubid = 2;

-- Nothing due: false after the timeout (0: only look).
CALL runstore.wait_for_work(0, NULL);
CALL runstore.wait_for_work(50, NULL);
-- Runs no worker could claim now do not count: finished, cancelled,
-- scheduled for later.
INSERT INTO runstore.executions (id, workspace_id, status) VALUES (u(1), 1, 'succeeded'), (u(2), 1, 'cancelled');
INSERT INTO runstore.executions (id, workspace_id, run_after) VALUES (u(3), 1, now() + interval '1 hour');
CALL runstore.wait_for_work(0, NULL);
-- A due queued run, in a priority class of its own: true at once, however
-- long the timeout (an hour here).
INSERT INTO runstore.executions (id, workspace_id, priority) VALUES (u(4), 1, 3);
SELECT clock_timestamp() AS before_wait \gset
CALL runstore.wait_for_work(3600000, NULL);
SELECT clock_timestamp() - :'before_wait'::timestamptz < interval '10 s' AS at_once;
SELECT * FROM waiter_locks;
-- Claimed under a live lease: not due.  Once the lease has ended, due again
-- (dequeue would claim it).
SELECT right(id::text, 4)::int AS claimed FROM runstore.dequeue('w', 1, interval '1 hour');
CALL runstore.wait_for_work(0, NULL);
SELECT count(*) AS cancelled FROM runstore.cancel(ARRAY[u(4)]);
INSERT INTO runstore.executions (id, workspace_id) VALUES (u(5), 1);
SELECT right(id::text, 4)::int AS claimed FROM runstore.dequeue('w', 1, interval '1 ms');
SELECT pg_sleep(0.01);
CALL runstore.wait_for_work(0, NULL);
SELECT count(*) AS cancelled FROM runstore.cancel(ARRAY[u(5)]);
CALL runstore.wait_for_work(0, NULL);

-- Inside a transaction block it cannot commit (it holds its snapshot while
-- it waits), but it answers: false, then true for the block's own insert.
BEGIN;
CALL runstore.wait_for_work(20, NULL);
INSERT INTO runstore.executions (id, workspace_id) VALUES (u(6), 1);
CALL runstore.wait_for_work(20, NULL);
COMMIT;
SELECT * FROM waiter_locks;
-- From PL/pgSQL, into a variable.
DO $$
DECLARE due boolean;
BEGIN
  CALL runstore.wait_for_work(0, due);
  RAISE NOTICE 'work_due: %', due;
END $$;
SELECT count(*) AS cancelled FROM runstore.cancel(ARRAY[u(6)]);

-- Refusals: a timeout outside 0 .. 3600000 ms (22023), NULL (22004).
CALL runstore.wait_for_work(-1, NULL);
\echo :LAST_ERROR_SQLSTATE
CALL runstore.wait_for_work(3600001, NULL);
\echo :LAST_ERROR_SQLSTATE
CALL runstore.wait_for_work(NULL, NULL);
\echo :LAST_ERROR_SQLSTATE
-- A wait cancelled midway (here by statement_timeout) leaves no waiter
-- registered.
SET statement_timeout = '100ms';
CALL runstore.wait_for_work(5000, NULL);
\echo :LAST_ERROR_SQLSTATE
RESET statement_timeout;
SELECT * FROM waiter_locks;
-- It reads as its caller: without SELECT on runstore.executions, 42501.
CREATE ROLE runstore_wait_probe;
GRANT USAGE ON SCHEMA runstore TO runstore_wait_probe;
SET ROLE runstore_wait_probe;
CALL runstore.wait_for_work(0, NULL);
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
-- The columns it reads are enough.
GRANT SELECT (status, run_after, priority) ON runstore.executions TO runstore_wait_probe;
SET ROLE runstore_wait_probe;
CALL runstore.wait_for_work(0, NULL);
RESET ROLE;
DROP OWNED BY runstore_wait_probe;
DROP ROLE runstore_wait_probe;

-- runstore._wait_on_node is what wait_for_work on a Citus node sends each
-- other node holding shards; on a single node it is the same wait.
CALL runstore._wait_on_node(0, NULL);
CALL runstore._wait_on_node(-1, NULL);
\echo :LAST_ERROR_SQLSTATE

DROP VIEW waiter_locks;
TRUNCATE runstore.executions;
