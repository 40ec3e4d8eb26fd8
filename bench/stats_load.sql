-- stats_load.sql: the table of bench/stats.sh.  :rows executions, almost
-- all finished (94% succeeded, 5% failed, 1% cancelled) over 30 days, 200
-- workspaces and 2,000 workflows, and a live queue as a busy system has it:
--   10,000 queued and due (the backlog), 2,000 scheduled for the next day,
--   300 in a retry's backoff, 500 running under live leases, 20 running
--   with leases that ended (their workers died).
-- Priorities 0-3 throughout.  Loaded through the triggers, as an
-- application writes, then vacuumed and analyzed.
\set ON_ERROR_STOP on
DROP EXTENSION IF EXISTS runstore CASCADE;
CREATE EXTENSION runstore;
SELECT :rows - 12820 AS history \gset
INSERT INTO runstore.executions
  (workspace_id, workflow_id, user_id, status, tags, payload, result, priority, attempt, run_after,
   created_at, updated_at, started_at, finished_at)
SELECT 1 + g % 200, 1 + g % 2000, 'user-' || g % 500,
       (CASE WHEN g % 100 < 94 THEN 'succeeded' WHEN g % 100 < 99 THEN 'failed' ELSE 'cancelled' END)::runstore.execution_status,
       ARRAY['nightly'], jsonb_build_object('input', g), jsonb_build_object('ok', g % 100 < 94), g % 4, 1,
       t, t, t + interval '2 seconds', t + interval '1 second', t + interval '2 seconds'
FROM generate_series(1, :history) g,
     LATERAL (SELECT now() - interval '30 days' + g * (interval '30 days' / :history) AS t) x;
-- The live queue: per kind, n rows, run_after = first + g * step.
INSERT INTO runstore.executions
  (workspace_id, workflow_id, user_id, status, tags, payload, priority, attempt, run_after,
   lease_owner, lease_expires_at, started_at)
SELECT 1 + g % 200, 1 + g % 2000, 'user-' || g % 500, q.status, ARRAY['nightly'], jsonb_build_object('input', g),
       g % 4, q.attempt + g % q.attempt_spread, q.first + g * q.step,
       q.owner || '-' || g % 8, CASE WHEN q.owner IS NOT NULL THEN q.first + g * q.step END,
       CASE WHEN q.owner IS NOT NULL THEN now() END
FROM (VALUES ('queued'::runstore.execution_status, 10000, 0, 1, now(), interval '-100 ms', NULL::text),
             ('queued', 2000, 0, 1, now(), interval '40 s', NULL),
             ('queued', 300, 1, 2, now(), interval '1 s', NULL),
             ('running', 500, 1, 1, now() + interval '5 minutes', interval '0', 'worker'),
             ('running', 20, 1, 1, now() - interval '2 minutes', interval '0', 'gone'))
       AS q(status, n, attempt, attempt_spread, first, step, owner),
     generate_series(1, q.n) g;
VACUUM (ANALYZE) runstore.executions;
SELECT count(*) AS executions,
       count(*) FILTER (WHERE status IN ('queued', 'running')) AS live,
       pg_size_pretty(pg_total_relation_size('runstore.executions')) AS size
FROM runstore.executions;
