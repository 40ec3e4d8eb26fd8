-- Direct paths (README "Direct paths"): heap and index access standing in
-- for an SQL statement.  Each proves the table shape it relies on, and on
-- any other shape the statement runs; runstore.direct_paths = off runs the
-- statements always.  The shapes below are ones users make (the index on id
-- dropped, the key before 0.3.0 on id alone, columns added and dropped,
-- indexes of every kind, a type changed, triggers disabled, DDL rolled
-- back); each gives the right answer both ways and crashes nothing.
-- Another session changing the table under a cached verdict:
-- tests/isolation/specs/direct_path_shapes.spec.
\set VERBOSITY default
\set SHOW_CONTEXT never
SET TimeZone = 'UTC';
-- This file compares the two ways itself, so it does not follow the
-- switch the suite runs with.
SET runstore.direct_paths = on;
TRUNCATE runstore.executions;

CREATE FUNCTION t(n int) RETURNS timestamptz LANGUAGE sql IMMUTABLE
  RETURN '2026-01-01 00:00+00'::timestamptz + n * interval '1 minute';
CREATE VIEW paths AS SELECT path, relation, usable, reason FROM runstore.direct_path_status();

-- The definition of get_executions_by_ids: the rows with these ids (in the
-- workspace, if one is given), each id once, at its first appearance.
CREATE FUNCTION by_definition(ids uuid[], ws bigint) RETURNS TABLE (n bigint, row_text text)
LANGUAGE sql STABLE AS $$
  SELECT a.n, e::text
  FROM (SELECT x.id, min(x.n) AS n FROM unnest(ids) WITH ORDINALITY AS x(id, n) WHERE x.id IS NOT NULL GROUP BY x.id) a
  JOIN runstore.executions e ON e.id = a.id AND (ws IS NULL OR e.workspace_id = ws)
$$;
-- get_executions_by_ids with the switch on and off: how many rows, and
-- whether they are the definition's rows, column for column, in its order.
CREATE FUNCTION lookup_check(ids uuid[], ws bigint DEFAULT NULL)
RETURNS TABLE (direct_paths text, rows bigint, as_defined boolean) LANGUAGE plpgsql AS $$
DECLARE
  saved text := current_setting('runstore.direct_paths');
  got text[];
  want text[];
BEGIN
  SELECT coalesce(array_agg(d.row_text ORDER BY d.n), '{}') INTO want FROM by_definition(ids, ws) d;
  FOREACH direct_paths IN ARRAY ARRAY['on', 'off'] LOOP
    PERFORM set_config('runstore.direct_paths', direct_paths, false);
    got := ARRAY(SELECT g::text FROM runstore.get_executions_by_ids(ids, ws) g);
    rows := cardinality(got);
    as_defined := got = want;
    RETURN NEXT;
  END LOOP;
  PERFORM set_config('runstore.direct_paths', saved, false);
END $$;
-- Both summaries against the definition, as runstore.verify_recent_workflows()
-- computes it, but read through recent_workflows() for every workspace and
-- user the tables name, so without depending on the columns' types (a table
-- changed below detaches that function and the views): how many rows differ.
CREATE FUNCTION differences() RETURNS bigint LANGUAGE sql STABLE AS $$
  WITH scopes AS (
    SELECT DISTINCT s.workspace_id, s.user_id FROM (
      SELECT e.workspace_id, NULL::text AS user_id FROM runstore.executions e
      UNION ALL SELECT e.workspace_id, e.user_id::text FROM runstore.executions e WHERE e.user_id IS NOT NULL
      UNION ALL SELECT f.workspace_id, NULL FROM runstore.recent_workflow_folded f
      UNION ALL SELECT f.workspace_id, f.user_id FROM runstore.recent_workflow_folded f WHERE f.user_id IS NOT NULL
      UNION ALL SELECT p.workspace_id, NULL FROM runstore.recent_workflow_pending p
      UNION ALL SELECT p.workspace_id, p.user_id FROM runstore.recent_workflow_pending p WHERE p.user_id IS NOT NULL) s),
  stored AS (
    SELECT s.workspace_id, s.user_id, r.workflow_id, r.last_used_at, r.last_execution_id
    FROM scopes s, runstore.recent_workflows(s.workspace_id, 1000, s.user_id) r),
  defined AS (
    (SELECT DISTINCT ON (e.workspace_id, e.workflow_id) e.workspace_id, NULL::text, e.workflow_id::bigint, e.created_at, e.id
     FROM runstore.executions e WHERE e.workflow_id IS NOT NULL
     ORDER BY e.workspace_id, e.workflow_id, e.created_at DESC, e.id DESC)
    UNION ALL
    (SELECT DISTINCT ON (e.workspace_id, e.user_id, e.workflow_id)
            e.workspace_id, e.user_id::text, e.workflow_id::bigint, e.created_at, e.id
     FROM runstore.executions e WHERE e.workflow_id IS NOT NULL AND e.user_id IS NOT NULL
     ORDER BY e.workspace_id, e.user_id, e.workflow_id, e.created_at DESC, e.id DESC))
  SELECT (SELECT count(*) FROM (SELECT * FROM stored EXCEPT ALL SELECT * FROM defined) missing_or_wrong)
       + (SELECT count(*) FROM (SELECT * FROM defined EXCEPT ALL SELECT * FROM stored) extra)
$$;
-- Inserts, a move between groups and deletes, through the direct path and
-- through the statements; the summaries must equal the definition after,
-- before the writes are folded and after.
CREATE FUNCTION write_runs(base int) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
  saved text := current_setting('runstore.direct_paths');
  way text;
  k int := base;
  wrong bigint;
BEGIN
  FOREACH way IN ARRAY ARRAY['on', 'off'] LOOP
    PERFORM set_config('runstore.direct_paths', way, false);
    INSERT INTO runstore.executions (id, workspace_id, workflow_id, user_id, created_at)
      VALUES (u(k), 7, 1, 'ann', t(k));
    INSERT INTO runstore.executions (id, workspace_id, workflow_id, user_id, created_at)
      SELECT u(k + i), 7, 1 + i % 3, 'u' || i % 2, t(k + i) FROM generate_series(1, 6) i;
    UPDATE runstore.executions SET workflow_id = 9 WHERE id = u(k + 6);
    UPDATE runstore.executions SET status = 'cancelled' WHERE id = u(k + 5);
    DELETE FROM runstore.executions WHERE id = u(k + 4);
    k := k + 10;
  END LOOP;
  PERFORM set_config('runstore.direct_paths', saved, false);
  wrong := differences();
  PERFORM runstore.fold_recent_workflows();
  RETURN wrong + differences();
END $$;

-- As shipped, every direct path applies.
SELECT * FROM paths;

-- The switch: a boolean, USERSET; off, every path runs its statement.
SET runstore.direct_paths = off;
SELECT path, usable, reason FROM paths;
SET runstore.direct_paths = sometimes;
\echo :LAST_ERROR_SQLSTATE
SET runstore.direct_paths = on;
SHOW runstore.direct_paths;

-- As shipped, the primary key is (workspace_id, id), the key Citus needs,
-- and executions_id_idx serves lookups by id alone.  Without that index the
-- lookup used to probe the primary key's first column with a uuid: no rows,
-- or a SIGSEGV once a workspace id was large.  Now a call without a
-- workspace has no index led by id and runs the statement; a call with one
-- probes the key.  (The verdicts this session holds from above are
-- forgotten when the index goes.)
DROP INDEX runstore.executions_id_idx;
INSERT INTO runstore.executions (id, workspace_id, workflow_id, user_id, created_at) VALUES
  (u(1), 2, 1, 'ann', t(1)),
  (u(2), 1152921504606846976, 1, 'bob', t(2)),
  (u(3), 9223372036854775807, 2, 'ann', t(3)),
  (u(4), -9223372036854775808, 2, NULL, t(4)),
  (u(5), -1, NULL, 'cy', t(5));
SELECT path, usable, reason FROM paths WHERE path LIKE 'get%';
SELECT right(id::text, 2) AS id, workspace_id
FROM runstore.get_executions_by_ids(ARRAY[u(5), u(3), NULL, u(1), u(4), u(3), u(2), u(99)]);
SELECT * FROM lookup_check(ARRAY[u(5), u(3), NULL, u(1), u(4), u(3), u(2), u(99)]);
SELECT * FROM lookup_check(ARRAY[u(5), u(3), u(1), u(4), u(2)], 9223372036854775807);
SELECT * FROM lookup_check(ARRAY[u(5), u(3), u(1), u(4), u(2)], -9223372036854775808);
SELECT * FROM lookup_check(ARRAY[u(5), u(3), u(1), u(4), u(2)], 1152921504606846976);
SELECT * FROM lookup_check(ARRAY[u(5), u(3), u(1), u(4), u(2)], 3);
SELECT write_runs(100) AS summary_differences;
-- An index on id alone (the shipped one, made again): the lookup without a
-- workspace probes it.
CREATE INDEX executions_id_idx ON runstore.executions (id);
SELECT path, usable, reason FROM paths WHERE path LIKE 'get%';
SELECT * FROM lookup_check(ARRAY[u(5), u(3), NULL, u(1), u(4), u(3), u(2), u(99)]);
SELECT * FROM lookup_check(ARRAY[u(5), u(3), u(1), u(4), u(2)], -1);

-- Indexes of other kinds or shapes are never probed: hash, BRIN, an index
-- in descending order, a partial one (it would miss rows), an expression,
-- id as a second column.  None leads with id as a plain ascending column.
DROP INDEX runstore.executions_id_idx;
CREATE INDEX executions_id_hash ON runstore.executions USING hash (id);
CREATE INDEX executions_created_brin ON runstore.executions USING brin (created_at);
CREATE INDEX executions_id_desc ON runstore.executions (id DESC);
CREATE UNIQUE INDEX executions_id_positive ON runstore.executions (id) WHERE workspace_id > 0;
CREATE INDEX executions_id_text ON runstore.executions ((id::text));
CREATE INDEX executions_created_id ON runstore.executions (created_at, id);
SELECT path, usable, reason FROM paths WHERE path = 'get_executions_by_ids';
SELECT * FROM lookup_check(ARRAY[u(5), u(3), NULL, u(1), u(4), u(3), u(2), u(99)]);
SELECT write_runs(200) AS summary_differences;
DROP INDEX runstore.executions_id_hash, runstore.executions_created_brin, runstore.executions_id_desc,
           runstore.executions_id_positive, runstore.executions_id_text, runstore.executions_created_id;

-- A verdict this session holds is forgotten when the table changes: the
-- key becomes (id), runstore's key before 0.3.0, and the lookup probes it.
ALTER TABLE runstore.executions DROP CONSTRAINT executions_pkey, ADD PRIMARY KEY (id);
SELECT path, usable, reason FROM paths WHERE path LIKE 'get%';
SELECT * FROM lookup_check(ARRAY[u(5), u(3), NULL, u(1), u(4), u(3), u(2), u(99)]);

-- The key changed to the shipped (workspace_id, id), with no index led by
-- id, inside a transaction that rolls back: inside, the statement runs;
-- after the rollback, the primary key on id is probed.
BEGIN;
ALTER TABLE runstore.executions DROP CONSTRAINT executions_pkey, ADD PRIMARY KEY (workspace_id, id);
SELECT path, usable FROM paths WHERE path = 'get_executions_by_ids';
SELECT * FROM lookup_check(ARRAY[u(4), u(2), u(1)]);
ROLLBACK;
SELECT path, usable FROM paths WHERE path = 'get_executions_by_ids';
SELECT * FROM lookup_check(ARRAY[u(4), u(2), u(1)]);
-- The same with a savepoint.
BEGIN;
SAVEPOINT rekey;
ALTER TABLE runstore.executions DROP CONSTRAINT executions_pkey, ADD PRIMARY KEY (workspace_id, id);
SELECT path, usable FROM paths WHERE path = 'get_executions_by_ids';
ROLLBACK TO SAVEPOINT rekey;
SELECT path, usable FROM paths WHERE path = 'get_executions_by_ids';
SELECT * FROM lookup_check(ARRAY[u(4), u(2), u(1)]);
COMMIT;

-- A column added (rows written before it lack it: the lookup supplies its
-- default) and one dropped (a hole in the row type).
ALTER TABLE runstore.executions ADD COLUMN note text DEFAULT 'added later', ADD COLUMN scratch int;
INSERT INTO runstore.executions (id, workspace_id, workflow_id, created_at, note, scratch) VALUES (u(6), 2, 1, t(6), 'new', 1);
ALTER TABLE runstore.executions DROP COLUMN scratch;
SELECT path, usable, reason FROM paths;
SELECT right(id::text, 2) AS id, note FROM runstore.get_executions_by_ids(ARRAY[u(6), u(1)]);
SELECT * FROM lookup_check(ARRAY[u(6), u(5), u(1), u(4)]);
SELECT write_runs(300) AS summary_differences;

-- A column the summaries read changed to another type.  The extension's
-- own SQL depends on those columns, so PostgreSQL refuses (0A000) ...
ALTER TABLE runstore.executions ALTER COLUMN workflow_id TYPE integer;
\echo :LAST_ERROR_SQLSTATE
-- ... unless an administrator detaches the views and the function that
-- reads them.  Then the transition tables are no longer read directly
-- (their values would be misread).
ALTER EXTENSION runstore DROP FUNCTION runstore.verify_recent_workflows();
DROP FUNCTION runstore.verify_recent_workflows();
ALTER EXTENSION runstore DROP VIEW runstore.workspace_recent_workflow;
ALTER EXTENSION runstore DROP VIEW runstore.user_recent_workflow;
DROP VIEW runstore.workspace_recent_workflow, runstore.user_recent_workflow;
-- workflow_id as integer: the statements compare it with the summaries'
-- bigint and stay exact.
ALTER TABLE runstore.executions ALTER COLUMN workflow_id TYPE integer;
SELECT path, usable, reason FROM paths WHERE path LIKE 'recent%';
SELECT write_runs(400) AS summary_differences;
ALTER TABLE runstore.executions ALTER COLUMN workflow_id TYPE bigint;
-- user_id as integer (the direct path used to read it as text: a crash):
-- the append statement stores it as the pending table's text; the fold and
-- a user's read of a rechecked group, which compare it with text, refuse
-- (42883) until the column is text again.
ALTER TABLE runstore.executions ALTER COLUMN user_id TYPE integer USING length(user_id);
SELECT path, usable, reason FROM paths WHERE path LIKE 'recent%';
INSERT INTO runstore.executions (id, workspace_id, workflow_id, user_id, created_at) VALUES (u(7), 2, 1, 3, t(7));
SELECT count(*) AS inserted FROM runstore.executions WHERE id = u(7);
SELECT workspace_id, workflow_id, user_id FROM runstore.recent_workflow_pending WHERE last_execution_id = u(7);
\set VERBOSITY terse
SELECT runstore.fold_recent_workflows();
\echo :LAST_ERROR_SQLSTATE
DELETE FROM runstore.executions WHERE id = u(7);
SELECT * FROM runstore.recent_workflows(2, 4, '3');
\echo :LAST_ERROR_SQLSTATE
\set VERBOSITY default
SELECT * FROM lookup_check(ARRAY[u(6), u(1)]);
-- Changing a column's values with ALTER ... USING fires no trigger: the
-- user summaries still name the old user ids until they are rebuilt.
ALTER TABLE runstore.executions ALTER COLUMN user_id TYPE text;
SELECT differences() > 0 AS stale_after_using;
SELECT runstore.rebuild_recent_workflows() > 0 AS rebuilt;
SELECT path, usable FROM paths WHERE path LIKE 'recent%';
SELECT write_runs(500) AS summary_differences;

-- The claim frontier relies on the trigger that announces rows arriving
-- below it: with that trigger disabled, dequeue reads from the head.
ALTER TABLE runstore.executions DISABLE TRIGGER executions_register_priorities_insert;
SELECT path, usable, reason FROM paths WHERE path LIKE 'dequeue%';
ALTER TABLE runstore.executions ENABLE TRIGGER executions_register_priorities_insert;
SELECT path, usable FROM paths WHERE path LIKE 'dequeue%';

-- The INSERT upkeep appends to runstore.recent_workflow_pending directly
-- only while that table is as the extension made it: a direct append fires
-- no trigger, checks no constraint and evaluates no index expression,
-- predicate or uniqueness.  On every other shape the SQL statement appends,
-- and the summaries stay exact.
-- A trigger on the pending table: the statement appends, the trigger sees it.
CREATE TABLE pending_writes (n int);
CREATE FUNCTION count_pending_write() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN INSERT INTO pending_writes VALUES (1); RETURN NULL; END $$;
CREATE TRIGGER count_writes AFTER INSERT ON runstore.recent_workflow_pending
  FOR EACH ROW EXECUTE FUNCTION count_pending_write();
SELECT path, relation, usable, reason FROM paths WHERE path LIKE 'recent%INSERT%';
INSERT INTO runstore.executions (id, workspace_id, workflow_id, created_at) VALUES (u(8), 2, 1, t(8));
SELECT count(*) AS pending_writes_seen FROM pending_writes;
SELECT write_runs(600) AS summary_differences;
DROP TRIGGER count_writes ON runstore.recent_workflow_pending;
SELECT path, usable FROM paths WHERE path LIKE 'recent%INSERT%';
-- A CHECK constraint: the statement's appends are checked.
ALTER TABLE runstore.recent_workflow_pending ADD CONSTRAINT known_workflow CHECK (workflow_id >= 0);
SELECT path, relation, usable, reason FROM paths WHERE path LIKE 'recent%INSERT%';
SELECT write_runs(700) AS summary_differences;
INSERT INTO runstore.executions (id, workspace_id, workflow_id, created_at) VALUES (u(9), 2, -1, t(9));
\echo :LAST_ERROR_SQLSTATE
ALTER TABLE runstore.recent_workflow_pending DROP CONSTRAINT known_workflow;
-- NOT NULL on user_id, which an append leaves null for a run without a user.
SELECT runstore.fold_recent_workflows() >= 0 AS folded;
ALTER TABLE runstore.recent_workflow_pending ALTER COLUMN user_id SET NOT NULL;
SELECT path, relation, usable, reason FROM paths WHERE path LIKE 'recent%INSERT%';
SELECT write_runs(800) AS summary_differences;
INSERT INTO runstore.executions (id, workspace_id, workflow_id, created_at) VALUES (u(9), 2, 1, t(9));
\echo :LAST_ERROR_SQLSTATE
ALTER TABLE runstore.recent_workflow_pending ALTER COLUMN user_id DROP NOT NULL;
SELECT path, usable FROM paths WHERE path LIKE 'recent%INSERT%';
-- A unique index, and an index on an expression: the statement's appends
-- are checked and indexed (amcheck finds every row in the expression index).
CREATE UNIQUE INDEX pending_unique ON runstore.recent_workflow_pending
  (workspace_id, workflow_id, user_id, last_used_at, last_execution_id);
SELECT path, relation, usable, reason FROM paths WHERE path LIKE 'recent%INSERT%';
SELECT write_runs(900) AS summary_differences;
DROP INDEX runstore.pending_unique;
CREATE INDEX pending_expression ON runstore.recent_workflow_pending ((workflow_id + 1));
SELECT path, relation, usable, reason FROM paths WHERE path LIKE 'recent%INSERT%';
SELECT write_runs(1000) AS summary_differences;
INSERT INTO runstore.executions (id, workspace_id, workflow_id, user_id, created_at)
  VALUES (u(10), 2, 1, 'ann', t(10)), (u(11), 2, 2, NULL, t(11));
CREATE EXTENSION amcheck;
SELECT 'every row indexed' AS amcheck FROM (SELECT bt_index_check('runstore.pending_expression', true)) c;
DROP EXTENSION amcheck;
DROP INDEX runstore.pending_expression;
-- More than 8 indexes (the direct path keeps at most 8 open).
DO $$
BEGIN
  FOR i IN 1..8 LOOP
    EXECUTE format('CREATE INDEX pending_extra_%s ON runstore.recent_workflow_pending (workflow_id)', i);
  END LOOP;
END $$;
SELECT path, relation, usable, reason FROM paths WHERE path LIKE 'recent%INSERT%';
SELECT write_runs(1100) AS summary_differences;
DO $$
BEGIN
  FOR i IN 1..8 LOOP
    EXECUTE format('DROP INDEX runstore.pending_extra_%s', i);
  END LOOP;
END $$;
SELECT path, usable FROM paths WHERE path LIKE 'recent%INSERT%';
-- A column added, in a transaction that rolls back: inside, the statement
-- appends (the new column takes its default); after, the direct path again.
BEGIN;
ALTER TABLE runstore.recent_workflow_pending ADD COLUMN note text DEFAULT 'by the statement';
SELECT path, relation, usable, reason FROM paths WHERE path LIKE 'recent%INSERT%';
INSERT INTO runstore.executions (id, workspace_id, workflow_id, created_at) VALUES (u(12), 2, 1, t(12));
SELECT note FROM runstore.recent_workflow_pending WHERE last_execution_id = u(12);
SELECT write_runs(1200) AS summary_differences;
ROLLBACK;
SELECT path, usable FROM paths WHERE path LIKE 'recent%INSERT%';
-- Appends read nothing, so the isolation level does not matter to them
-- (the claim frontier's does).
BEGIN ISOLATION LEVEL REPEATABLE READ;
SELECT path, usable, reason FROM paths WHERE path LIKE 'recent%INSERT%' OR path LIKE 'dequeue%';
COMMIT;
-- A column added and dropped leaves its place in the row: not the shape the
-- extension made, for good (until the extension is installed again).
ALTER TABLE runstore.recent_workflow_pending ADD COLUMN scratch int;
ALTER TABLE runstore.recent_workflow_pending DROP COLUMN scratch;
SELECT path, relation, usable, reason FROM paths WHERE path LIKE 'recent%INSERT%';
SELECT write_runs(1300) AS summary_differences;
SELECT differences() AS summary_differences;

-- recent_workflows() reads the summary tables by index scans in its
-- statements' orders: the folded table's workspace index (workspace_id,
-- last_used_at DESC, workflow_id DESC, last_execution_id DESC) and user index
-- (workspace_id, user_id, ...), the pending table's (workspace_id,
-- workflow_id, last_used_at DESC, last_execution_id DESC).  On any other
-- shape, or where row-level security applies, the statements read them.
-- read_ways(): both ways, how many rows differ from the definition (every
-- workflow of every workspace and user), and whether the first two
-- workflows of each scope are the same both ways (the read stops early).
CREATE FUNCTION read_ways() RETURNS TABLE (differences_direct bigint, differences_statements bigint,
                                           first_two_same boolean) LANGUAGE plpgsql AS $$
DECLARE
  saved text := current_setting('runstore.direct_paths');
  way text;
  firsts text[];
BEGIN
  FOREACH way IN ARRAY ARRAY['on', 'off'] LOOP
    PERFORM set_config('runstore.direct_paths', way, false);
    firsts := firsts || (
      SELECT string_agg(format('%s/%s:%s', s.workspace_id, s.user_id, r.workflow_id), ','
                        ORDER BY s.workspace_id, s.user_id NULLS FIRST, r.n)
      FROM (SELECT DISTINCT e.workspace_id, e.user_id FROM runstore.executions e
            UNION SELECT DISTINCT e.workspace_id, NULL FROM runstore.executions e) s,
           LATERAL runstore.recent_workflows(s.workspace_id, 2, s.user_id)
             WITH ORDINALITY AS r(workflow_id, last_used_at, last_execution_id, n));
    IF way = 'on' THEN
      differences_direct := differences();
    ELSE
      differences_statements := differences();
    END IF;
  END LOOP;
  PERFORM set_config('runstore.direct_paths', saved, false);
  first_two_same := firsts[1] = firsts[2];
  RETURN NEXT;
END $$;
-- Runs left pending (inserts, a move, a delete: values and recheck marks),
-- the switch on.
INSERT INTO runstore.executions (id, workspace_id, workflow_id, user_id, created_at)
  SELECT u(2000 + i), 3, 1 + i % 5, 'u' || i % 3, t(2000 + i) FROM generate_series(1, 30) i;
SELECT runstore.fold_recent_workflows() > 0 AS folded;
INSERT INTO runstore.executions (id, workspace_id, workflow_id, user_id, created_at)
  SELECT u(2100 + i), 3, 1 + i % 7, CASE WHEN i % 4 > 0 THEN 'u' || i % 3 END, t(2100 + i) FROM generate_series(1, 12) i;
UPDATE runstore.executions SET workflow_id = 5 WHERE id = u(2112);
DELETE FROM runstore.executions WHERE id IN (u(2030), u(2111));
SELECT count(*) > 0 AS pending, count(*) FILTER (WHERE last_used_at IS NULL) > 0 AS marks
FROM runstore.recent_workflow_pending;
SELECT path, relation, usable, reason FROM paths WHERE path ~ '^recent_workflows';
SELECT * FROM read_ways();
-- Without the folded table's workspace index the workspace read runs its
-- statements; a user's read still scans the user index.
BEGIN;
DROP INDEX runstore.recent_workflow_folded_workspace_idx;
SELECT path, relation::regclass, usable, reason FROM paths WHERE path ~ '^recent_workflows';
SELECT * FROM read_ways();
ROLLBACK;
-- An index in another order (ascending) is not the read's.
BEGIN;
DROP INDEX runstore.recent_workflow_folded_workspace_idx;
CREATE INDEX folded_ascending ON runstore.recent_workflow_folded
  (workspace_id, last_used_at, workflow_id, last_execution_id);
SELECT path, usable, reason FROM paths WHERE path = 'recent_workflows';
SELECT * FROM read_ways();
ROLLBACK;
-- A user index with another predicate would miss rows: not the read's.
BEGIN;
DROP INDEX runstore.recent_workflow_folded_user_idx;
CREATE INDEX folded_user_some ON runstore.recent_workflow_folded
  (workspace_id, user_id, last_used_at DESC, workflow_id DESC, last_execution_id DESC) WHERE workflow_id > 2;
SELECT path, usable, reason FROM paths WHERE path = 'recent_workflows for a user';
SELECT * FROM read_ways();
ROLLBACK;
-- Without the pending table's index both reads run their statements.
BEGIN;
DROP INDEX runstore.recent_workflow_pending_group_idx;
SELECT path, relation::regclass, usable, reason FROM paths WHERE path ~ '^recent_workflows';
SELECT * FROM read_ways();
ROLLBACK;
-- Row-level security on the summary tables, for a role it applies to (not
-- a superuser): the statements read them under the policies, which here
-- hide every row, so the role sees no workflow either way.
BEGIN;
CREATE ROLE direct_paths_reader;
GRANT USAGE ON SCHEMA runstore TO direct_paths_reader;
GRANT SELECT ON runstore.recent_workflow_folded, runstore.recent_workflow_pending, runstore.executions
  TO direct_paths_reader;
GRANT EXECUTE ON FUNCTION runstore.recent_workflows(bigint, int, text) TO direct_paths_reader;
GRANT SELECT ON paths TO direct_paths_reader;
ALTER TABLE runstore.recent_workflow_folded ENABLE ROW LEVEL SECURITY;
ALTER TABLE runstore.recent_workflow_pending ENABLE ROW LEVEL SECURITY;
CREATE POLICY no_row ON runstore.recent_workflow_folded USING (false);
CREATE POLICY no_row ON runstore.recent_workflow_pending USING (false);
SELECT count(*) AS workflows_for_a_superuser FROM runstore.recent_workflows(3, 10);
SET ROLE direct_paths_reader;
SELECT path, relation::regclass, usable, reason FROM paths WHERE path ~ '^recent_workflows';
SELECT count(*) AS workflows_under_the_policies FROM runstore.recent_workflows(3, 10);
SELECT count(*) AS a_users_under_the_policies FROM runstore.recent_workflows(3, 10, 'u1');
RESET ROLE;
ROLLBACK;
SELECT path, usable FROM paths WHERE path ~ '^recent_workflows';
SELECT * FROM read_ways();

-- Put the extension back as installed for the tests after this one.
DROP VIEW paths;
DROP FUNCTION by_definition(uuid[], bigint), lookup_check(uuid[], bigint), write_runs(int), differences(),
              read_ways(), count_pending_write(), t(int);
DROP TABLE pending_writes;
DROP EXTENSION runstore;
CREATE EXTENSION runstore;
