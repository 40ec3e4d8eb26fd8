-- load.sql: the benchmark table.  :rows executions spread over 1,000
-- workspaces and 20,000 workflows, with tags and a small payload, as a
-- dashboard's table looks.  Loaded in one statement, then vacuumed and
-- analyzed so every contender reads the same all-visible, cached table.
\set ON_ERROR_STOP on
DROP EXTENSION IF EXISTS runstore CASCADE;
CREATE EXTENSION runstore;
INSERT INTO runstore.executions
  (workspace_id, workflow_id, user_id, status, tags, payload, created_at, updated_at)
SELECT 1 + (g % 1000),
       1 + (g % 20000),
       'user-' || (g % 5000),
       (ARRAY['queued','running','succeeded','failed','cancelled']::runstore.execution_status[])[1 + g % 5],
       ARRAY['nightly', 'batch-' || (g % 100)],
       jsonb_build_object('input', g, 'note', 'benchmark row'),
       now() - make_interval(secs => :rows - g),
       now() - make_interval(secs => :rows - g)
FROM generate_series(1, :rows) AS g;
VACUUM (ANALYZE) runstore.executions;
SELECT count(*) AS executions, pg_size_pretty(pg_total_relation_size('runstore.executions')) AS size
FROM runstore.executions;
