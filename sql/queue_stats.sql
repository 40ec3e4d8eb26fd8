-- runstore.queue_stats(): the live queue per status and priority, read from
-- the claim index alone; privileges and row-level security as for a SELECT.
\set VERBOSITY default
\set SHOW_CONTEXT never

-- An empty queue: no rows.
SELECT * FROM runstore.queue_stats();

-- A crafted queue, times relative to this statement (the ages below are
-- shown to the minute: the call runs a moment later).
--   queued, priority 10: due 10 and 5 minutes ago; due in an hour; in
--     backoff after a failed attempt; a retry whose backoff has ended
--   queued, priority 0: due 2 hours ago; never due ('infinity'); in backoff
--   queued, priority -1: due in an hour (nothing due: no age)
--   running, priority 10: a live lease; a lease that ended 3 minutes ago
--   running, priority 0: a lease that ended 30 minutes ago; two live leases
--   finished (succeeded, failed, cancelled), with run_after in the past and
--   priorities of their own: never counted
INSERT INTO runstore.executions (id, workspace_id, status, priority, attempt, run_after, lease_owner, lease_expires_at)
VALUES (u(1), 1, 'queued', 10, 0, now() - interval '10 minutes', NULL, NULL),
       (u(2), 2, 'queued', 10, 0, now() - interval '5 minutes', NULL, NULL),
       (u(3), 1, 'queued', 10, 0, now() + interval '1 hour', NULL, NULL),
       (u(4), 1, 'queued', 10, 1, now() + interval '1 hour', NULL, NULL),
       (u(5), 2, 'queued', 10, 2, now() - interval '1 minute', NULL, NULL),
       (u(6), 2, 'queued', 0, 0, now() - interval '2 hours', NULL, NULL),
       (u(7), 1, 'queued', 0, 0, 'infinity', NULL, NULL),
       (u(8), 1, 'queued', 0, 1, now() + interval '1 day', NULL, NULL),
       (u(9), 1, 'queued', -1, 0, now() + interval '1 hour', NULL, NULL),
       (u(10), 1, 'running', 10, 1, now() + interval '5 minutes', 'w1', now() + interval '5 minutes'),
       (u(11), 2, 'running', 10, 1, now() - interval '3 minutes', 'w2', now() - interval '3 minutes'),
       (u(12), 1, 'running', 0, 2, now() - interval '30 minutes', 'w3', now() - interval '30 minutes'),
       (u(13), 1, 'running', 0, 1, now() + interval '5 minutes', 'w1', now() + interval '5 minutes'),
       (u(14), 2, 'running', 0, 1, now() + interval '1 hour', 'w2', now() + interval '1 hour'),
       (u(15), 1, 'succeeded', 10, 1, now() - interval '1 day', 'w1', NULL),
       (u(16), 1, 'failed', 5, 3, now() - interval '1 day', 'w1', NULL),
       (u(17), 2, 'cancelled', 0, 0, now() - interval '1 day', NULL, NULL),
       (u(18), 1, 'succeeded', 99, 1, now() - interval '1 day', 'w1', NULL);

-- Queued first, then running; higher priorities first.  due_now +
-- due_later = executions; for running rows due_now counts the leases that
-- ended (dequeue claims those again), so it equals expired_leases; retrying
-- is part of due_later; oldest_due_age is how long the oldest due row has
-- been due.
SELECT status, priority, executions, due_now, due_later, expired_leases, retrying,
       date_trunc('minute', oldest_due_age) AS oldest_due_age
  FROM runstore.queue_stats();
-- Summed, as a dashboard's totals: 14 live executions of 18.
SELECT sum(executions) AS executions, sum(due_now) AS due_now, sum(due_later) AS due_later,
       sum(expired_leases) AS expired_leases, sum(retrying) AS retrying,
       date_trunc('minute', max(oldest_due_age)) AS oldest_due_age
  FROM runstore.queue_stats();

-- A run_after of '-infinity' is due but has no age (an interval cannot be
-- infinite): alone it leaves the age empty, beside others it is skipped.
BEGIN;
INSERT INTO runstore.executions (id, workspace_id, priority, run_after)
VALUES (u(31), 1, 7, '-infinity'), (u(32), 1, 8, '-infinity'), (u(33), 1, 8, now() - interval '1 hour');
SELECT status, priority, executions, due_now, due_later, date_trunc('minute', oldest_due_age) AS oldest_due_age
  FROM runstore.queue_stats() WHERE priority IN (7, 8);
-- queue_stats() is runstore._queue_stats_at(statement_timestamp()); at the
-- transaction's start, the instant these rows were written at, the age is
-- exact.  NULL: no rows (STRICT).
SELECT status, priority, executions, due_now, due_later, oldest_due_age
  FROM runstore._queue_stats_at(now()) WHERE priority IN (7, 8);
SELECT count(*) AS rows_at_null FROM runstore._queue_stats_at(NULL);
ROLLBACK;

-- What the queue functions do shows at once: claim the two due queued rows
-- of priority 10 and the expired lease of u(11) (dequeue takes the head of
-- the claim index: priority 10, oldest run_after first), complete one, fail
-- one for a retry, cancel a live lease.
SELECT id FROM runstore.dequeue('stats', 3, '1 hour') ORDER BY id;
SELECT runstore.complete(u(1), 'stats');
SELECT runstore.fail(u(2), 'stats', 'again', true);
UPDATE runstore.executions SET run_after = now() + interval '1 hour' WHERE id = u(2);  -- its backoff, made certain
SELECT * FROM runstore.cancel(ARRAY[u(13)]);
SELECT status, priority, executions, due_now, due_later, expired_leases, retrying,
       date_trunc('minute', oldest_due_age) AS oldest_due_age
  FROM runstore.queue_stats();

-- It reads the claim index and the live rows it points to: no sequential
-- scan of executions and no other index, whatever the table's statistics
-- say: this table is small enough that the same query, run plainly, reads
-- it whole.  Counted within one transaction (the counters are this
-- backend's, kept until the transaction ends), before and after the call.
ANALYZE runstore.executions;
EXPLAIN (COSTS OFF)
SELECT e.status, e.priority, count(*) FROM runstore.executions e
 WHERE e.status IN ('queued', 'running') GROUP BY e.status, e.priority;
BEGIN;
SELECT t.seq_scan AS seq0,
       pg_stat_get_xact_numscans('runstore.executions_claimable_idx'::regclass) AS claim0,
       (SELECT sum(pg_stat_get_xact_numscans(i.indexrelid)) FROM pg_index i
         WHERE i.indrelid = 'runstore.executions'::regclass
           AND i.indexrelid <> 'runstore.executions_claimable_idx'::regclass) AS other0
  FROM pg_stat_xact_user_tables t WHERE t.relid = 'runstore.executions'::regclass \gset
SELECT count(*) AS rows FROM runstore.queue_stats();
SELECT t.seq_scan - :seq0 AS executions_seq_scans,
       pg_stat_get_xact_numscans('runstore.executions_claimable_idx'::regclass) - :claim0 AS claim_index_scans,
       (SELECT sum(pg_stat_get_xact_numscans(i.indexrelid)) FROM pg_index i
         WHERE i.indrelid = 'runstore.executions'::regclass
           AND i.indexrelid <> 'runstore.executions_claimable_idx'::regclass) - :other0 AS other_index_scans
  FROM pg_stat_xact_user_tables t WHERE t.relid = 'runstore.executions'::regclass;
COMMIT;
-- The planner still may read the table itself outside the function.
SHOW enable_seqscan;

-- The signatures: one row per (status, priority); STABLE, SECURITY INVOKER,
-- callable by PUBLIC; the query's search_path fixed.  queue_stats() is
-- inlined into the calling query, leaving one call of _queue_stats_at with
-- the instant as its argument.
SELECT p.oid::regprocedure, pg_get_function_result(p.oid) AS result, p.provolatile, p.proisstrict,
       p.prosecdef, p.proconfig, p.proacl
  FROM pg_proc p
 WHERE p.oid IN ('runstore.queue_stats()'::regprocedure, 'runstore._queue_stats_at(timestamptz)'::regprocedure)
 ORDER BY p.proname;
EXPLAIN (VERBOSE, COSTS OFF) SELECT * FROM runstore.queue_stats();

-- Privileges: SELECT on the four columns it reads is enough; without one
-- of them, or without any, the same 42501 as a plain SELECT.
CREATE ROLE rs_stats_none;
CREATE ROLE rs_stats_columns;
GRANT USAGE ON SCHEMA runstore TO rs_stats_none, rs_stats_columns;
GRANT SELECT (status, priority, run_after, attempt) ON runstore.executions TO rs_stats_columns;
SET ROLE rs_stats_columns;
SELECT status, priority, executions FROM runstore.queue_stats();
RESET ROLE;
REVOKE SELECT (attempt) ON runstore.executions FROM rs_stats_columns;
SET ROLE rs_stats_columns;
SELECT status, priority, executions FROM runstore.queue_stats();
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
SET ROLE rs_stats_none;
SELECT status, priority, executions FROM runstore.queue_stats();
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) FROM runstore.executions;
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;

-- Row-level security: a role restricted to workspace 2 gets workspace 2's
-- queue only (u(2), u(5), u(6), u(11), u(14)); with row_security off where
-- the policy applies, 42501, as for a plain SELECT.
ALTER TABLE runstore.executions ENABLE ROW LEVEL SECURITY;
CREATE ROLE rs_stats_tenant2;
GRANT USAGE ON SCHEMA runstore TO rs_stats_tenant2;
GRANT SELECT ON runstore.executions TO rs_stats_tenant2;
CREATE POLICY stats_tenant2 ON runstore.executions TO rs_stats_tenant2 USING (workspace_id = 2);
SET ROLE rs_stats_tenant2;
SELECT status, priority, executions, due_now, due_later, expired_leases, retrying,
       date_trunc('minute', oldest_due_age) AS oldest_due_age
  FROM runstore.queue_stats();
SELECT status, priority, count(*) FROM runstore.executions
 WHERE status IN ('queued', 'running') GROUP BY 1, 2 ORDER BY 1, 2 DESC;
SET row_security = off;
SELECT status, priority, executions FROM runstore.queue_stats();
\echo :LAST_ERROR_SQLSTATE
RESET row_security;
RESET ROLE;
-- A role no policy admits sees an empty queue.
GRANT SELECT (status, priority, run_after, attempt) ON runstore.executions TO rs_stats_columns;
SET ROLE rs_stats_columns;
SELECT * FROM runstore.queue_stats();
RESET ROLE;
DROP POLICY stats_tenant2 ON runstore.executions;
ALTER TABLE runstore.executions DISABLE ROW LEVEL SECURITY;

DROP OWNED BY rs_stats_none, rs_stats_columns, rs_stats_tenant2;
DROP ROLE rs_stats_none, rs_stats_columns, rs_stats_tenant2;
TRUNCATE runstore.executions;
