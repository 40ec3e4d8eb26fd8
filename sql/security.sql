-- The batch functions run as the caller: privileges and row-level security
-- apply exactly as to plain SQL, and search_path cannot redirect them.
\set VERBOSITY default
-- Error CONTEXT lines would quote the functions' internal SQL: not part of the contract.
\set SHOW_CONTEXT never

INSERT INTO runstore.executions (id, workspace_id, tags)
SELECT u(n), CASE WHEN n <= 5 THEN 1 ELSE 2 END, '{sec}' FROM generate_series(1, 10) n;

CREATE ROLE rs_nobody;
CREATE ROLE rs_reader;
CREATE ROLE rs_tenant1;
GRANT USAGE ON SCHEMA runstore TO rs_nobody, rs_reader, rs_tenant1;
GRANT SELECT ON runstore.executions TO rs_reader;
GRANT SELECT, DELETE ON runstore.executions TO rs_tenant1;

-- Without SELECT privilege: the same 42501 as a plain SELECT.
SET ROLE rs_nobody;
SELECT * FROM runstore.get_executions_by_ids(ARRAY[u(1)]);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM runstore.delete_many(ARRAY[u(1)]);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM runstore.delete_by_tag('sec');
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;

-- SELECT but no DELETE privilege: reads work, deletes are refused.
SET ROLE rs_reader;
SELECT count(*) AS reader_sees FROM runstore.get_executions_by_ids(ARRAY[u(1), u(6)]);
SELECT * FROM runstore.delete_many(ARRAY[u(1)]);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM runstore.delete_by_tag('sec');
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
SELECT count(*) AS nothing_deleted FROM runstore.executions;

-- Non-superusers cannot lift the batch cap for themselves.
SET ROLE rs_reader;
SET runstore.max_batch_size = 100000;
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
-- Out-of-range values are refused.
SET runstore.max_batch_size = 0;
\echo :LAST_ERROR_SQLSTATE
SET runstore.max_batch_size = 100001;
\echo :LAST_ERROR_SQLSTATE

-- Row-level security: tenant 1 sees and deletes only workspace 1.
ALTER TABLE runstore.executions ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant1_only ON runstore.executions TO rs_tenant1 USING (workspace_id = 1);
SET ROLE rs_tenant1;
SELECT id FROM runstore.get_executions_by_ids(ARRAY[u(6), u(1), u(7), u(2)]);
SELECT * FROM runstore.delete_many(ARRAY[u(6), u(1), u(7)]);
SELECT * FROM runstore.delete_by_tag('sec', 100);
SELECT count(*) AS tenant1_sees_now FROM runstore.executions;
RESET ROLE;
SELECT id, workspace_id FROM runstore.executions ORDER BY id;
-- Without a policy to apply, get_executions_by_ids reads the primary key
-- directly instead of running its statement; both must give plain SQL's
-- answer.  A role that bypasses row-level security sees every workspace (a
-- role that does not, and that no policy admits, would see nothing).
INSERT INTO runstore.executions (id, workspace_id, tags) VALUES (u(11), 1, '{sec}'), (u(12), 1, '{sec}');
CREATE ROLE rs_bypass BYPASSRLS;
GRANT USAGE ON SCHEMA runstore TO rs_bypass;
GRANT SELECT ON runstore.executions TO rs_bypass;
SET ROLE rs_bypass;
SELECT id, workspace_id FROM runstore.get_executions_by_ids(ARRAY[u(9), u(12), u(2), u(10), u(11)]);
RESET ROLE;
-- With row_security off, a query a policy would filter is refused (42501),
-- by the function as by a plain SELECT, instead of silently filtered.
SET row_security = off;
SET ROLE rs_tenant1;
SELECT id FROM runstore.get_executions_by_ids(ARRAY[u(11)]);
\echo :LAST_ERROR_SQLSTATE
SELECT id FROM runstore.executions WHERE id = u(11);
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
RESET row_security;
-- A policy that admits everything: the statement path gives what the direct
-- path gives, order, duplicates, NULLs and workspace scope included.
CREATE POLICY reader_all ON runstore.executions TO rs_reader USING (true);
SET ROLE rs_reader;
SELECT id, workspace_id FROM runstore.get_executions_by_ids(ARRAY[u(9), NULL, u(12), u(999), u(9), u(10), u(11)]);
SELECT id, workspace_id FROM runstore.get_executions_by_ids(ARRAY[u(9), NULL, u(12), u(999), u(9), u(10), u(11)], 2);
RESET ROLE;
DROP POLICY reader_all ON runstore.executions;
DROP POLICY tenant1_only ON runstore.executions;
ALTER TABLE runstore.executions DISABLE ROW LEVEL SECURITY;
SET ROLE rs_reader;
SELECT id, workspace_id FROM runstore.get_executions_by_ids(ARRAY[u(9), NULL, u(12), u(999), u(9), u(10), u(11)]);
SELECT id, workspace_id FROM runstore.get_executions_by_ids(ARRAY[u(9), NULL, u(12), u(999), u(9), u(10), u(11)], 2);
RESET ROLE;
DROP OWNED BY rs_bypass;
DROP ROLE rs_bypass;
DELETE FROM runstore.executions WHERE id IN (u(11), u(12));

-- Column privileges count as for SELECT *: SELECT granted on every column
-- is enough; on some columns only, the function is refused with 42501 just
-- as SELECT * is.
CREATE ROLE rs_columns;
GRANT USAGE ON SCHEMA runstore TO rs_columns;
DO $$
BEGIN
  EXECUTE (SELECT format('GRANT SELECT (%s) ON runstore.executions TO rs_columns',
                         string_agg(quote_ident(attname), ', '))
             FROM pg_attribute
            WHERE attrelid = 'runstore.executions'::regclass AND attnum > 0 AND NOT attisdropped);
END
$$;
SET ROLE rs_columns;
SELECT id FROM runstore.get_executions_by_ids(ARRAY[u(10), u(9)]);
RESET ROLE;
REVOKE SELECT (payload) ON runstore.executions FROM rs_columns;
SET ROLE rs_columns;
SELECT id FROM runstore.get_executions_by_ids(ARRAY[u(10), u(9)]);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM runstore.executions WHERE id = u(10);
\echo :LAST_ERROR_SQLSTATE
SELECT id, status FROM runstore.executions WHERE id = u(10);
RESET ROLE;
DROP OWNED BY rs_columns;
DROP ROLE rs_columns;

-- search_path hijacks: look-alike tables in the caller's schemas, a temp
-- table (pg_temp is searched first for tables) and a rigged = operator for
-- uuid in a schema searched before pg_catalog.  None of them is used.
CREATE SCHEMA evil;
CREATE TABLE evil.executions (LIKE runstore.executions INCLUDING DEFAULTS);
INSERT INTO evil.executions (id, workspace_id, tags) VALUES (u(100), 666, '{sec}');
CREATE TEMP TABLE executions (LIKE runstore.executions INCLUDING DEFAULTS);
INSERT INTO executions (id, workspace_id, tags) VALUES (u(101), 667, '{sec}');
CREATE FUNCTION evil.uuid_always_eq(uuid, uuid) RETURNS boolean LANGUAGE sql IMMUTABLE RETURN true;
CREATE OPERATOR evil.= (LEFTARG = uuid, RIGHTARG = uuid, FUNCTION = evil.uuid_always_eq);
CREATE FUNCTION evil.arraycontains(text[], text[]) RETURNS boolean LANGUAGE sql IMMUTABLE RETURN true;
CREATE OPERATOR evil.@> (LEFTARG = text[], RIGHTARG = text[], FUNCTION = evil.arraycontains);
SET search_path = evil, pg_temp, public, pg_catalog;
-- A hijacked = would match every row; a hijacked @> would match any tag.
SELECT id, workspace_id FROM runstore.get_executions_by_ids(ARRAY[u(7), u(100), u(101)]);
SELECT * FROM runstore.delete_many(ARRAY[u(100), u(101), u(8)]);
SELECT count(*) AS unknown_tag_deletes_nothing FROM runstore.delete_by_tag('no-such-tag', 1);
SELECT count(*) AS evil_rows_intact FROM evil.executions;
SELECT count(*) AS temp_rows_intact FROM pg_temp.executions;
RESET search_path;
SELECT count(*) AS runstore_rows FROM runstore.executions;
DROP SCHEMA evil CASCADE;
DROP TABLE pg_temp.executions;

DROP OWNED BY rs_nobody, rs_reader, rs_tenant1;
DROP ROLE rs_nobody, rs_reader, rs_tenant1;
TRUNCATE runstore.executions;
