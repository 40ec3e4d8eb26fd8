-- runstore.get_executions_by_ids(uuid[], bigint)
\set VERBOSITY default

INSERT INTO runstore.executions (id, workspace_id, workflow_id, user_id, status, tags, payload)
SELECT u(n), 1 + n % 2, 100 + n % 3, 'user' || n, 'queued', ARRAY['t' || n], jsonb_build_object('n', n)
  FROM generate_series(1, 20) n;

-- Rows come back in the order of the array, not the index.
SELECT id, workspace_id, payload FROM runstore.get_executions_by_ids(ARRAY[u(5), u(1), u(3)]);

-- Duplicates once (at their first appearance), unknown ids and NULLs omitted.
SELECT id FROM runstore.get_executions_by_ids(ARRAY[u(2), u(999), NULL, u(4), u(2), NULL, u(4), u(1)]);

-- Every column of the row type comes back, and it is the table's row type.
SELECT e = g AS same_row
  FROM runstore.executions e, runstore.get_executions_by_ids(ARRAY[u(7)]) g WHERE e.id = u(7);

-- In the select list as well as in FROM.
SELECT (runstore.get_executions_by_ids(ARRAY[u(9), u(8)])).id;

-- NULL array, empty array, all-NULL array, only unknown ids: no rows.
SELECT count(*) AS null_array FROM runstore.get_executions_by_ids(NULL);
SELECT count(*) AS empty_array FROM runstore.get_executions_by_ids('{}');
SELECT count(*) AS all_nulls FROM runstore.get_executions_by_ids(ARRAY[NULL, NULL]::uuid[]);
SELECT count(*) AS unknown_only FROM runstore.get_executions_by_ids(ARRAY[u(1000), u(1001)]);

-- Arrays with a non-default lower bound are one-dimensional too.
SELECT id FROM runstore.get_executions_by_ids('[5:6]={00000000-0000-7000-8000-000000000006,00000000-0000-7000-8000-000000000005}'::uuid[]);

-- Multidimensional arrays are refused.
SELECT * FROM runstore.get_executions_by_ids(ARRAY[[u(1), u(2)], [u(3), u(4)]]);
\echo :LAST_ERROR_SQLSTATE

-- Malformed uuids never reach the function.
SELECT * FROM runstore.get_executions_by_ids('{not-a-uuid}');
\echo :LAST_ERROR_SQLSTATE

-- The optional workspace_id scopes the lookup: other workspaces' ids are omitted.
SELECT id, workspace_id FROM runstore.get_executions_by_ids(ARRAY[u(1), u(2), u(3), u(4)], 2);
SELECT id, workspace_id FROM runstore.get_executions_by_ids(ARRAY[u(1), u(2), u(3), u(4)], NULL);
SELECT count(*) AS unknown_workspace FROM runstore.get_executions_by_ids(ARRAY[u(1), u(2)], 42);

-- The batch cap: runstore.max_batch_size elements (default 500), counted
-- with duplicates and NULLs, and an ERROR with SQLSTATE 54000 beyond it.
SHOW runstore.max_batch_size;
SELECT count(*) AS at_the_limit
  FROM runstore.get_executions_by_ids(ARRAY(SELECT u(1 + n % 20) FROM generate_series(1, 500) n));
SELECT count(*) FROM runstore.get_executions_by_ids(ARRAY(SELECT u(n) FROM generate_series(1, 501) n));
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) FROM runstore.get_executions_by_ids(ARRAY(SELECT NULL::uuid FROM generate_series(1, 501) n));
\echo :LAST_ERROR_SQLSTATE
SET runstore.max_batch_size = 3;
SELECT count(*) FROM runstore.get_executions_by_ids(ARRAY[u(1), u(2), u(3), u(4)]);
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) AS three_allowed FROM runstore.get_executions_by_ids(ARRAY[u(1), u(2), u(3)]);
RESET runstore.max_batch_size;

-- Reads see the calling statement's snapshot, like any STABLE function.
BEGIN;
UPDATE runstore.executions SET status = 'running' WHERE id = u(1);
SELECT id, status FROM runstore.get_executions_by_ids(ARRAY[u(1)]);
ROLLBACK;
SELECT id, status FROM runstore.get_executions_by_ids(ARRAY[u(1)]);


-- One statement, one snapshot, as for a plain SELECT: a data-modifying CTE's
-- delete is not yet visible to the statement that makes it; the next one sees it.
BEGIN;
WITH gone AS (DELETE FROM runstore.executions WHERE id = u(1) RETURNING id)
SELECT (SELECT count(*) FROM gone) AS deleted,
       (SELECT count(*) FROM runstore.get_executions_by_ids(ARRAY[u(1)])) AS function_sees,
       (SELECT count(*) FROM runstore.executions WHERE id = u(1)) AS plain_select_sees;
SELECT count(*) AS gone_next_statement FROM runstore.get_executions_by_ids(ARRAY[u(1)]);
ROLLBACK;

-- A column added with a DEFAULT after rows were stored: those rows lack it on
-- disk and show the default, as in a plain SELECT.  Dropping it again leaves
-- a dropped column behind in the row type; rows still line up.
ALTER TABLE runstore.executions ADD COLUMN note text DEFAULT 'added later';
INSERT INTO runstore.executions (id, workspace_id, note) VALUES (u(21), 1, 'new row');
SELECT id, note FROM runstore.get_executions_by_ids(ARRAY[u(21), u(2), u(1)]);
SELECT id, note FROM runstore.executions WHERE id = ANY (ARRAY[u(21), u(2), u(1)]) ORDER BY id DESC;
ALTER TABLE runstore.executions DROP COLUMN note;
SELECT id, workspace_id, user_id FROM runstore.get_executions_by_ids(ARRAY[u(21), u(2), u(1)], 1);
DELETE FROM runstore.executions WHERE id = u(21);
TRUNCATE runstore.executions;
