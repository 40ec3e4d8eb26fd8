-- runstore.delete_by_tag(text, integer, bigint)
\set VERBOSITY default

-- Tagged 'nightly': u(1)..u(10), created in reverse id order, so oldest
-- first is u(10), u(9), ... and differs from id order.
INSERT INTO runstore.executions (id, workspace_id, tags, created_at)
SELECT u(n), 1 + n % 2, ARRAY['nightly', 'n' || n], '2026-01-01'::timestamptz - n * interval '1 minute'
  FROM generate_series(1, 10) n;
INSERT INTO runstore.executions (id, workspace_id, tags)
SELECT u(n), 1, ARRAY['keep'] FROM generate_series(11, 15) n;

-- Oldest first, at most max_rows.
SELECT * FROM runstore.delete_by_tag('nightly', 3);
-- The default max_rows is 1000.
SELECT * FROM runstore.delete_by_tag('n4');

-- Scoped to a workspace.
SELECT * FROM runstore.delete_by_tag('nightly', 100, 2);

-- Callers loop until nothing is returned.
SELECT * FROM runstore.delete_by_tag('nightly', 2);
SELECT * FROM runstore.delete_by_tag('nightly', 2);
SELECT count(*) AS nothing_left FROM runstore.delete_by_tag('nightly', 2);
SELECT count(*) AS kept FROM runstore.executions WHERE tags @> '{keep}';

-- No execution carries the NULL tag; an unknown tag deletes nothing.
SELECT count(*) AS null_tag FROM runstore.delete_by_tag(NULL);
SELECT count(*) AS unknown_tag FROM runstore.delete_by_tag('no-such-tag');

-- max_rows must be a positive number.
SELECT * FROM runstore.delete_by_tag('keep', 0);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM runstore.delete_by_tag('keep', -5);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM runstore.delete_by_tag('keep', NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) AS kept_after_errors FROM runstore.executions WHERE tags @> '{keep}';

-- Tags are matched exactly: no pattern matching, no case folding.
SELECT count(*) AS no_wildcards FROM runstore.delete_by_tag('kee%');
SELECT count(*) AS no_case_folding FROM runstore.delete_by_tag('KEEP');
SELECT count(*) AS all_kept FROM runstore.delete_by_tag('keep', 100);

TRUNCATE runstore.executions;
