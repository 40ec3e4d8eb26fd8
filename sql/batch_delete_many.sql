-- runstore.delete_many(uuid[], bigint)
\set VERBOSITY default

INSERT INTO runstore.executions (id, workspace_id, tags)
SELECT u(n), 1 + n % 2, '{}' FROM generate_series(1, 20) n;

-- Returns the ids it deleted, in the order given, duplicates once, unknown
-- ids and NULLs omitted.
SELECT * FROM runstore.delete_many(ARRAY[u(3), u(1), NULL, u(999), u(3), u(2)]);
SELECT count(*) AS left_after_first FROM runstore.executions;
SELECT count(*) AS deleted_still_there FROM runstore.executions WHERE id IN (u(1), u(2), u(3));

-- Deleting again deletes nothing.
SELECT count(*) AS second_delete FROM runstore.delete_many(ARRAY[u(3), u(1), u(2)]);

-- NULL, empty and all-NULL arrays delete nothing.
SELECT count(*) AS null_array FROM runstore.delete_many(NULL);
SELECT count(*) AS empty_array FROM runstore.delete_many('{}');
SELECT count(*) AS all_nulls FROM runstore.delete_many('{NULL,NULL}');
SELECT count(*) AS still_seventeen FROM runstore.executions;

-- workspace_id scopes the delete: other workspaces' rows are untouched.
SELECT * FROM runstore.delete_many(ARRAY[u(4), u(5), u(6), u(7)], 2);
SELECT id, workspace_id FROM runstore.executions WHERE id IN (u(4), u(5), u(6), u(7)) ORDER BY id;

-- Errors change nothing: multidimensional and oversized arrays.
SELECT * FROM runstore.delete_many(ARRAY[[u(8), u(9)]]);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM runstore.delete_many(ARRAY(SELECT u(n) FROM generate_series(1, 501) n));
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) AS unchanged_after_errors FROM runstore.executions;

-- All or nothing with the caller's transaction: a rollback restores the rows,
-- and an error later in the transaction undoes the delete.
BEGIN;
SELECT count(*) AS deleted_in_tx FROM runstore.delete_many(ARRAY[u(8), u(9), u(10)]);
ROLLBACK;
BEGIN;
SELECT count(*) AS deleted_in_tx FROM runstore.delete_many(ARRAY[u(8), u(9), u(10)]);
SELECT 1 / 0;
COMMIT;
SELECT count(*) AS restored FROM runstore.executions WHERE id IN (u(8), u(9), u(10));

-- Triggers on the table fire for deletes made through delete_many.
CREATE TABLE deleted_log (id uuid);
CREATE FUNCTION log_delete() RETURNS trigger LANGUAGE plpgsql AS
  $$BEGIN INSERT INTO deleted_log VALUES (OLD.id); RETURN OLD; END$$;
CREATE TRIGGER log_delete AFTER DELETE ON runstore.executions FOR EACH ROW EXECUTE FUNCTION log_delete();
SELECT * FROM runstore.delete_many(ARRAY[u(11), u(12)]);
SELECT id FROM deleted_log ORDER BY id;
DROP TRIGGER log_delete ON runstore.executions;
DROP FUNCTION log_delete();
DROP TABLE deleted_log;

TRUNCATE runstore.executions;
