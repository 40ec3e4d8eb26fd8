-- recent_load.sql: the skewed shape of production run history,
-- scaled to this machine: 3.23M runs.
--   workspace 1: 1,000,000 runs of 1 workflow        (prod: 1,780,569 / 1)
--   workspace 2:   130,000 runs of ~129,000 workflows (prod:   232,791 / 231,343)
--   workspace 3:   700,000 runs of 15,000 workflows   (prod: 3,206,451 / 69,119)
--   workspace 4:   700,000 runs of 12,000 workflows   (prod: 3,764,345 / 53,981)
--   workspace 5:   600,000 runs of 11,000 workflows   (prod: 3,466,675 / 52,471)
--   a tail of 1,000 workspaces: 100,000 runs, 10 workflows each
-- Loaded through runstore.executions, so the C++ triggers build the summary
-- as they would in production (one statement per workspace; each appends a
-- pending row per group, and the writer folds them as it goes).
-- psql -v scale=0.05 loads every workspace with 5% of its runs, for a quick
-- check of a script (default 1: the shape above).
\set ON_ERROR_STOP on
\if :{?scale}
\else
\set scale 1
\endif
DROP EXTENSION IF EXISTS runstore CASCADE;
CREATE EXTENSION runstore;
\timing on
INSERT INTO runstore.executions (workspace_id, workflow_id, user_id, status, created_at, updated_at)
SELECT 1, 1, 'user-' || (g % 50), 'succeeded', t, t
FROM generate_series(1, (1000000 * :scale)::int) g, LATERAL (SELECT '2025-01-01'::timestamptz + g * interval '30 seconds' AS t) x;
INSERT INTO runstore.executions (workspace_id, workflow_id, user_id, status, created_at, updated_at)
SELECT 2, CASE WHEN g % 130 = 0 THEN 1 + g % 1000 ELSE g END, 'user-' || (g % 200), 'succeeded', t, t
FROM generate_series(1, (130000 * :scale)::int) g, LATERAL (SELECT '2025-01-01'::timestamptz + g * interval '4 minutes' AS t) x;
INSERT INTO runstore.executions (workspace_id, workflow_id, user_id, status, created_at, updated_at)
SELECT w, 1 + (g::bigint * 7919) % (CASE w WHEN 3 THEN 15000 WHEN 4 THEN 12000 ELSE 11000 END),
       'user-' || (g % 300), 'succeeded', t, t
FROM (VALUES (3, (700000 * :scale)::int), (4, (700000 * :scale)::int), (5, (600000 * :scale)::int)) AS s(w, n),
     LATERAL generate_series(1, n) g,
     LATERAL (SELECT '2025-01-01'::timestamptz + g * interval '40 seconds' AS t) x;
INSERT INTO runstore.executions (workspace_id, workflow_id, user_id, status, created_at, updated_at)
SELECT 100 + g % 1000, 1 + g % 10, 'user-' || (g % 7), 'succeeded', t, t
FROM generate_series(1, (100000 * :scale)::int) g, LATERAL (SELECT '2025-01-01'::timestamptz + g * interval '5 minutes' AS t) x;
\timing off
-- Whatever the last writes left pending, folded, as a writer would have by
-- the time anyone reads.
SELECT runstore.fold_recent_workflows() AS pending_rows_folded;
VACUUM (ANALYZE) runstore.executions, runstore.recent_workflow_folded,
                 runstore.recent_workflow_pending;
SELECT workspace_id, count(*) AS runs, count(DISTINCT workflow_id) AS workflows
FROM runstore.executions WHERE workspace_id <= 5 GROUP BY 1 ORDER BY 1;
SELECT count(*) AS executions, pg_size_pretty(pg_total_relation_size('runstore.executions')) AS size,
       (SELECT count(*) FROM runstore.workspace_recent_workflow) AS workspace_groups
FROM runstore.executions;
SELECT count(*) AS inconsistent_groups FROM runstore.verify_recent_workflows();
