-- Recent workflows: the summaries kept by the C++ triggers on every write
-- path (appends to runstore.recent_workflow_pending), the fold into the
-- folded table, recent_workflows() and the views (folded + pending merged,
-- recheck marks read from executions), verify_recent_workflows(),
-- rebuild_recent_workflows(), fold_recent_workflows() and their errors.
\set VERBOSITY default
SET TimeZone = 'UTC';
SET DateStyle = 'ISO';

CREATE FUNCTION t(n int) RETURNS timestamptz LANGUAGE sql IMMUTABLE
  RETURN '2026-01-01 00:00:00+00'::timestamptz + n * interval '1 minute';
-- Both summaries, one row per group; ids shown as their u(n) number.
CREATE VIEW summary AS
  SELECT 'ws' AS scope, workspace_id, NULL AS user_id, workflow_id,
         right(last_execution_id::text, 4)::int AS run, last_used_at
  FROM runstore.workspace_recent_workflow
  UNION ALL
  SELECT 'user', workspace_id, user_id, workflow_id,
         right(last_execution_id::text, 4)::int, last_used_at
  FROM runstore.user_recent_workflow
  ORDER BY 1 DESC, 2, 3, 4;
CREATE VIEW inconsistencies AS SELECT count(*) AS groups_wrong FROM runstore.verify_recent_workflows();
-- What writers recorded since the last fold: per (workspace, workflow, user)
-- group a statement's newest run, or a recheck mark (run and time NULL).
CREATE VIEW pending AS
  SELECT workspace_id, workflow_id, user_id, right(last_execution_id::text, 4)::int AS run, last_used_at
  FROM runstore.recent_workflow_pending
  ORDER BY workspace_id, workflow_id, user_id NULLS FIRST, last_used_at NULLS FIRST, run;
-- The folded rows, one per (workspace, workflow, user) group, user NULL for
-- runs with no user: each group's latest run as of the last fold.
CREATE VIEW folded AS
  SELECT workspace_id, workflow_id, user_id, right(last_execution_id::text, 4)::int AS run, last_used_at
  FROM runstore.recent_workflow_folded
  ORDER BY workspace_id, workflow_id, user_id NULLS FIRST;
-- Rows this transaction wrote to the pending table and to the folded table
-- (pg_stat_xact_user_tables also counts earlier transactions' writes not yet
-- flushed: flush() before the transaction).
CREATE FUNCTION flush() RETURNS void LANGUAGE sql RETURN pg_stat_force_next_flush();
CREATE VIEW recent_writes AS
  SELECT coalesce(sum(n_tup_ins + n_tup_upd + n_tup_del) FILTER (WHERE relname = 'recent_workflow_pending'), 0)
           AS pending_writes,
         coalesce(sum(n_tup_ins + n_tup_upd + n_tup_del) FILTER (WHERE relname LIKE '%recent_workflow_folded'), 0)
           AS folded_writes
  FROM pg_stat_xact_user_tables WHERE schemaname = 'runstore';

-- Multi-row INSERT: one group per (workspace, workflow) and per user; runs
-- without a workflow count nowhere, runs without a user only per workspace.
INSERT INTO runstore.executions (id, workspace_id, workflow_id, user_id, created_at) VALUES
  (u(1), 1, 10, 'ann', t(1)),
  (u(2), 1, 10, 'bob', t(2)),
  (u(3), 1, 20, 'ann', t(3)),
  (u(4), 1, NULL, 'ann', t(9)),
  (u(5), 1, 30, NULL, t(4)),
  (u(6), 2, 10, 'ann', t(5));
SELECT * FROM summary;
SELECT * FROM inconsistencies;
-- The INSERT appended one pending row per (workspace, workflow, user) group:
-- (1, 10) has two, one per user, and the workspace value is their greatest.
SELECT * FROM pending;

-- recent_workflows: newest first, ties by workflow_id descending.
SELECT workflow_id, right(last_execution_id::text, 4)::int AS run FROM runstore.recent_workflows(1);
SELECT workflow_id FROM runstore.recent_workflows(1, 2);
SELECT workflow_id FROM runstore.recent_workflows(1, 10, 'ann');
SELECT workflow_id FROM runstore.recent_workflows(1, 10, 'nobody');
SELECT count(*) FROM runstore.recent_workflows(999);
INSERT INTO runstore.executions (id, workspace_id, workflow_id, created_at) VALUES
  (u(7), 3, 1, t(1)), (u(8), 3, 2, t(1)), (u(9), 3, 3, t(1));
SELECT workflow_id FROM runstore.recent_workflows(3);
-- Equal created_at within a group: the greatest id is the latest run.
INSERT INTO runstore.executions (id, workspace_id, workflow_id, created_at) VALUES (u(11), 3, 1, t(1));
SELECT * FROM summary WHERE workspace_id = 3 AND workflow_id = 1;

-- COPY is an INSERT too.
COPY runstore.executions (id, workspace_id, workflow_id, user_id, created_at) FROM stdin;
00000000-0000-7000-8000-000000000012	1	10	bob	2026-01-01 00:20:00+00
00000000-0000-7000-8000-000000000013	1	40	carl	2026-01-01 00:21:00+00
\.
SELECT * FROM summary WHERE workspace_id = 1;
SELECT * FROM inconsistencies;

-- An older run changes nothing; deleting a run that is not the latest
-- changes nothing.
INSERT INTO runstore.executions (id, workspace_id, workflow_id, user_id, created_at) VALUES (u(14), 1, 10, 'bob', t(0));
DELETE FROM runstore.executions WHERE id = u(14);
SELECT * FROM summary WHERE workspace_id = 1 AND workflow_id = 10;

-- Deleting a group's latest run falls back to its previous run ...
DELETE FROM runstore.executions WHERE id = u(12);
SELECT * FROM summary WHERE workspace_id = 1 AND workflow_id = 10;
-- ... before any fold: the DELETE appended a recheck mark for the group, and
-- every read finds the group's latest run in executions.
SELECT * FROM pending WHERE workspace_id = 1 AND workflow_id = 10;
SELECT workflow_id, right(last_execution_id::text, 4)::int AS run FROM runstore.recent_workflows(1);
SELECT workflow_id, right(last_execution_id::text, 4)::int AS run FROM runstore.recent_workflows(1, 4, 'bob');
SELECT * FROM folded WHERE workspace_id = 1 AND workflow_id = 10;
-- ... and deleting its last run removes the row.
DELETE FROM runstore.executions WHERE id = u(13);
SELECT count(*) AS workflow_40_rows FROM summary WHERE workflow_id = 40;
SELECT * FROM inconsistencies;

-- The fold: one statement deletes every pending row it sees and merges them
-- into the folded table (a recheck mark makes it recompute the group from
-- executions); it returns how many pending rows it folded.  The summaries
-- read the same before and after.
SELECT md5(string_agg(s::text, ',' ORDER BY s::text)) AS summary_before FROM summary s \gset
SELECT count(*) AS pending_rows FROM runstore.recent_workflow_pending \gset
SELECT runstore.fold_recent_workflows() = :pending_rows AS folded_every_pending_row;
SELECT count(*) AS pending_after_fold FROM runstore.recent_workflow_pending;
SELECT md5(string_agg(s::text, ',' ORDER BY s::text)) = :'summary_before' AS summary_unchanged FROM summary s;
SELECT * FROM folded;
SELECT runstore.fold_recent_workflows() AS nothing_left_to_fold;
-- It runs under READ COMMITTED only: its snapshot must be taken once it has
-- the fold key, not before it waited for another fold.
BEGIN ISOLATION LEVEL REPEATABLE READ;
SELECT runstore.fold_recent_workflows();
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;

-- UPDATE of every column the definition reads.
UPDATE runstore.executions SET workflow_id = 50 WHERE id = u(3);          -- another workflow
SELECT * FROM summary WHERE workspace_id = 1 AND workflow_id IN (20, 50);
UPDATE runstore.executions SET workspace_id = 4 WHERE id = u(5);          -- another workspace
SELECT * FROM summary WHERE workflow_id = 30;
UPDATE runstore.executions SET user_id = 'dora' WHERE id = u(2);          -- another user
SELECT * FROM summary WHERE workspace_id = 1 AND workflow_id = 10;
UPDATE runstore.executions SET created_at = t(100) WHERE id = u(1);       -- created_at later ...
SELECT * FROM summary WHERE workspace_id = 1 AND workflow_id = 10;
UPDATE runstore.executions SET created_at = t(0) WHERE id = u(1);         -- ... and earlier again
SELECT * FROM summary WHERE workspace_id = 1 AND workflow_id = 10;
UPDATE runstore.executions SET workflow_id = NULL WHERE id = u(6);        -- out of every group
UPDATE runstore.executions SET id = u(15) WHERE id = u(2);                -- even the id
SELECT * FROM summary WHERE workflow_id = 10;
SELECT * FROM inconsistencies;
-- Back into a group, and a user given and taken (NULL to a value and back),
-- rolled back afterwards so the later tests see the runs as above.
BEGIN;
UPDATE runstore.executions SET workflow_id = 60 WHERE id = u(6);
UPDATE runstore.executions SET user_id = NULL WHERE id = u(15);
SELECT * FROM summary WHERE workflow_id IN (10, 60);
UPDATE runstore.executions SET user_id = 'erin' WHERE id = u(15);
SELECT * FROM summary WHERE workflow_id = 10;
-- A multi-row UPDATE in which only the last row changes a group: every row
-- is compared, not only the first (UPDATE rows come in ctid order here).
SELECT id AS last_row FROM runstore.executions WHERE workspace_id = 1 ORDER BY ctid DESC LIMIT 1 \gset
UPDATE runstore.executions SET workflow_id = CASE WHEN id = :'last_row' THEN 70 ELSE workflow_id END
 WHERE workspace_id = 1;
SELECT count(*) AS workflow_70_rows FROM summary WHERE workflow_id = 70;
SELECT * FROM inconsistencies;
ROLLBACK;
-- An UPDATE that touches none of them writes nothing to the summaries.
SELECT flush();
BEGIN;
UPDATE runstore.executions SET status = 'running', priority = 5;
SELECT * FROM recent_writes;
COMMIT;
SELECT count(*) AS pending_rows FROM runstore.recent_workflow_pending;
-- The moves above (and their rollback) left marks and runs pending; folded,
-- the summaries are unchanged.
SELECT md5(string_agg(s::text, ',' ORDER BY s::text)) AS summary_before FROM summary s \gset
SELECT runstore.fold_recent_workflows() AS folded_rows;
SELECT md5(string_agg(s::text, ',' ORDER BY s::text)) = :'summary_before' AS summary_unchanged FROM summary s;
SELECT * FROM inconsistencies;

-- delete_many and delete_by_tag go through the same triggers.
INSERT INTO runstore.executions (id, workspace_id, workflow_id, user_id, tags, created_at) VALUES
  (u(21), 5, 1, 'ann', '{purge}', t(1)),
  (u(22), 5, 1, 'ann', '{}', t(2)),
  (u(23), 5, 2, 'ann', '{purge}', t(3));
SELECT count(*) FROM runstore.delete_many(ARRAY[u(22)]);
SELECT * FROM summary WHERE workspace_id = 5;
SELECT count(*) FROM runstore.delete_by_tag('purge');
SELECT count(*) AS workspace_5_rows FROM summary WHERE workspace_id = 5;
SELECT * FROM inconsistencies;
-- Pending: the INSERT's newest run per group (22 and 23), then a mark per
-- group each deletion touched (delete_many one, delete_by_tag both).
SELECT * FROM pending WHERE workspace_id = 5;
-- Folded, both groups lost every run: the fold recomputes them from
-- executions and leaves no folded row for either.
SELECT runstore.fold_recent_workflows() AS folded_rows;
SELECT count(*) AS workspace_5_folded_rows FROM folded WHERE workspace_id = 5;

-- ROLLBACK leaves no trace, also of a rolled-back savepoint.
BEGIN;
INSERT INTO runstore.executions (id, workspace_id, workflow_id, user_id, created_at) VALUES (u(31), 6, 1, 'ann', t(1));
SAVEPOINT s;
DELETE FROM runstore.executions WHERE id = u(31);
ROLLBACK TO SAVEPOINT s;
SELECT * FROM summary WHERE workspace_id = 6;
ROLLBACK;
SELECT count(*) AS workspace_6_rows FROM summary WHERE workspace_id = 6;
SELECT count(*) AS workspace_6_pending_rows FROM pending WHERE workspace_id = 6;

-- A bulk INSERT appends one pending row per group touched, whatever the row
-- count: 3000 runs over 3 workflows and 2 users are 6 (workspace, workflow,
-- user) groups, 6 rows, and nothing is folded (a writer folds once it has
-- appended 64 rows since its last fold, below).
SELECT runstore.fold_recent_workflows() AS folded_rows;
SELECT flush();
BEGIN;
INSERT INTO runstore.executions (workspace_id, workflow_id, user_id, created_at)
SELECT 7, g % 3, 'u' || (g % 2), t(g) FROM generate_series(1, 3000) g;
SELECT * FROM recent_writes;
COMMIT;
SELECT workspace_id, workflow_id, user_id, last_used_at FROM runstore.recent_workflow_pending ORDER BY 1, 2, 3;
SELECT workflow_id, last_used_at FROM runstore.recent_workflows(7);
SELECT workflow_id, last_used_at FROM runstore.recent_workflows(7, 4, 'u1');
SELECT * FROM inconsistencies;
-- A DELETE appends one recheck mark per group it touched: 10 runs over the
-- 6 groups, 6 marks.  Reads recompute the marked groups from executions.
SELECT flush();
BEGIN;
DELETE FROM runstore.executions WHERE workspace_id = 7 AND created_at > t(2990);
SELECT * FROM recent_writes;
SELECT workflow_id, user_id, count(*) AS marks FROM runstore.recent_workflow_pending
 WHERE workspace_id = 7 AND last_used_at IS NULL AND last_execution_id IS NULL GROUP BY 1, 2 ORDER BY 1, 2;
SELECT workflow_id, last_used_at FROM runstore.recent_workflows(7);
SELECT workflow_id, last_used_at FROM runstore.recent_workflows(7, 4, 'u0');
SELECT * FROM inconsistencies;
ROLLBACK;
-- The same 3000 runs updated with transition tables spilled to disk (work_mem
-- 64kB): a queue-style UPDATE writes nothing; one whose last row moves a run
-- to another workflow is seen (every pair compared, tuples read from disk)
-- and appends two rows: a mark for the run's old group, the run in its new one.
SELECT runstore.fold_recent_workflows() AS folded_rows;
SELECT flush();
BEGIN;
SET LOCAL work_mem = '64kB';
UPDATE runstore.executions SET payload = '{"padding": "x"}', priority = 3 WHERE workspace_id = 7;
SELECT * FROM recent_writes;
SELECT id AS last_row FROM runstore.executions WHERE workspace_id = 7 ORDER BY ctid DESC LIMIT 1 \gset
UPDATE runstore.executions SET workflow_id = CASE WHEN id = :'last_row' THEN 99 ELSE workflow_id END
 WHERE workspace_id = 7;
SELECT * FROM recent_writes;
SELECT p.workflow_id, p.last_used_at IS NULL AND p.last_execution_id IS NULL AS is_mark,
       p.last_execution_id = :'last_row' AS is_the_moved_run
  FROM runstore.recent_workflow_pending p WHERE p.workspace_id = 7 ORDER BY 1;
SELECT workflow_id FROM runstore.recent_workflows(7, 10) WHERE workflow_id = 99;
SELECT * FROM inconsistencies;
ROLLBACK;

-- A recheck mark and a run of the same group in one fold: the mark wins, the
-- group is recomputed from executions.  Here the latest run is deleted and an
-- older one inserted in one transaction; and a group whose only run is
-- deleted, and one whose run is inserted and deleted before any fold.
INSERT INTO runstore.executions (id, workspace_id, workflow_id, user_id, created_at) VALUES
  (u(71), 13, 1, 'ann', t(1)), (u(72), 13, 1, 'ann', t(2)), (u(73), 13, 2, 'bob', t(3));
SELECT runstore.fold_recent_workflows() AS folded_rows;
BEGIN;
DELETE FROM runstore.executions WHERE id = u(72);
INSERT INTO runstore.executions (id, workspace_id, workflow_id, user_id, created_at) VALUES (u(74), 13, 1, 'ann', t(0));
COMMIT;
DELETE FROM runstore.executions WHERE id = u(73);
INSERT INTO runstore.executions (id, workspace_id, workflow_id, user_id, created_at) VALUES (u(75), 13, 3, 'cy', t(5));
DELETE FROM runstore.executions WHERE id = u(75);
SELECT * FROM pending WHERE workspace_id = 13;
-- Exact before the fold, in both scopes and through the views ...
SELECT workflow_id, right(last_execution_id::text, 4)::int AS run FROM runstore.recent_workflows(13);
SELECT workflow_id, right(last_execution_id::text, 4)::int AS run FROM runstore.recent_workflows(13, 4, 'ann');
SELECT count(*) AS bob_rows FROM runstore.recent_workflows(13, 4, 'bob');
SELECT count(*) AS cy_rows FROM runstore.recent_workflows(13, 4, 'cy');
SELECT * FROM summary WHERE workspace_id = 13;
-- ... and after: workflow 1 names run 71, workflows 2 and 3 have no rows.
SELECT runstore.fold_recent_workflows() AS folded_rows;
SELECT * FROM folded WHERE workspace_id = 13;
SELECT workflow_id, right(last_execution_id::text, 4)::int AS run FROM runstore.recent_workflows(13);
SELECT * FROM inconsistencies;

-- Writers fold as they go: a backend that has appended 64 pending rows since
-- its last fold attempt folds in its own transaction (READ COMMITTED).  The
-- explicit fold above started the count.
INSERT INTO runstore.executions (workspace_id, workflow_id, created_at)
SELECT 14, g, t(g) FROM generate_series(1, 63) g;
SELECT count(*) AS pending_after_63 FROM runstore.recent_workflow_pending;
INSERT INTO runstore.executions (workspace_id, workflow_id, created_at) VALUES (14, 64, t(64));
SELECT count(*) AS pending_after_64 FROM runstore.recent_workflow_pending;
SELECT count(DISTINCT workflow_id) AS workspace_14_folded FROM runstore.recent_workflow_folded WHERE workspace_id = 14;
-- Under REPEATABLE READ a writer does not fold (its snapshot may predate a
-- fold committed since; the rows stay for a later fold) ...
BEGIN ISOLATION LEVEL REPEATABLE READ;
INSERT INTO runstore.executions (workspace_id, workflow_id, created_at)
SELECT 15, g, t(g) FROM generate_series(1, 64) g;
COMMIT;
SELECT count(*) AS pending_after_64_repeatable_read FROM runstore.recent_workflow_pending;
-- ... and the count starts again after each attempt.
INSERT INTO runstore.executions (workspace_id, workflow_id, created_at) VALUES (15, 65, t(65));
SELECT count(*) AS pending_after_one_more FROM runstore.recent_workflow_pending;
SELECT count(*) AS workspace_15_groups FROM runstore.recent_workflows(15, 1000);
SELECT runstore.fold_recent_workflows() AS folded_rows;
SELECT count(*) AS workspace_15_groups FROM runstore.recent_workflows(15, 1000);
SELECT * FROM inconsistencies;
-- A DELETE's marks count too: these 129 groups' marks pass 64, so the
-- deleting statement folds them itself.
DELETE FROM runstore.executions WHERE workspace_id IN (14, 15);
SELECT count(*) AS pending_after_delete FROM runstore.recent_workflow_pending;
SELECT count(*) AS workspace_14_15_folded FROM runstore.recent_workflow_folded WHERE workspace_id IN (14, 15);

-- verify_recent_workflows names what differs; rebuild_recent_workflows
-- repairs, and clears the workspace's pending rows too.  Corrupted by hand:
-- a workflow's folded rows made older, a user's folded rows deleted, a
-- folded row and a pending row for runs that do not exist.
SELECT runstore.fold_recent_workflows() AS folded_rows;
UPDATE runstore.recent_workflow_folded SET last_used_at = t(0) WHERE workspace_id = 7 AND workflow_id = 1;
DELETE FROM runstore.recent_workflow_folded WHERE workspace_id = 7 AND user_id = 'u0';
INSERT INTO runstore.recent_workflow_folded VALUES (8, 1, NULL, t(1), u(99));
INSERT INTO runstore.recent_workflow_pending VALUES (7, 5, 'u0', t(1), u(98)), (8, 2, NULL, t(2), u(97));
SELECT scope, workspace_id, user_id, workflow_id, stored_last_used_at, expected_last_used_at
  FROM runstore.verify_recent_workflows();
SELECT runstore.rebuild_recent_workflows(7) AS groups_rebuilt;
SELECT scope, workspace_id, workflow_id FROM runstore.verify_recent_workflows();
SELECT * FROM pending;
SET client_min_messages = warning;
SELECT runstore.rebuild_recent_workflows() AS groups_rebuilt;
RESET client_min_messages;
SELECT count(*) AS pending_after_rebuild FROM runstore.recent_workflow_pending;
SELECT * FROM inconsistencies;
SELECT * FROM summary WHERE workspace_id = 1;
SELECT * FROM folded WHERE workspace_id = 1;

-- The folded row of a workflow's runs with no user (user NULL) holds a run
-- at least as new as each of them: when the fold recomputes any group of the
-- workflow, it sets that row to the workflow's latest run of any user.
INSERT INTO runstore.executions (id, workspace_id, workflow_id, user_id, created_at) VALUES
  (u(81), 17, 1, NULL, t(1)), (u(82), 17, 1, 'ann', t(3)), (u(83), 17, 1, 'bob', t(2)), (u(84), 17, 2, 'bob', t(4));
SELECT runstore.fold_recent_workflows() > 0 AS folded;
SELECT * FROM folded WHERE workspace_id = 17;
-- bob's run of workflow 1 deleted: bob's group goes, the NULL row takes ann's
-- run (the workflow's latest); workflow 2 has no NULL row and gets none.
DELETE FROM runstore.executions WHERE id = u(83);
SELECT runstore.fold_recent_workflows() AS folded_rows;
SELECT * FROM folded WHERE workspace_id = 17;
-- ann's deleted too: the NULL row is back at the run with no user.
DELETE FROM runstore.executions WHERE id = u(82);
SELECT runstore.fold_recent_workflows() AS folded_rows;
SELECT * FROM folded WHERE workspace_id = 17;
SELECT workflow_id, right(last_execution_id::text, 4)::int AS run FROM runstore.recent_workflows(17);
-- And the last run of the workflow deleted: no row left for it.
DELETE FROM runstore.executions WHERE id = u(81);
SELECT runstore.fold_recent_workflows() AS folded_rows;
SELECT * FROM folded WHERE workspace_id = 17;
SELECT * FROM inconsistencies;

-- TRUNCATE empties both summaries, folded and pending.
INSERT INTO runstore.executions (id, workspace_id, workflow_id, user_id, created_at) VALUES (u(76), 16, 1, 'ann', t(1));
TRUNCATE runstore.executions;
SELECT (SELECT count(*) FROM runstore.recent_workflow_folded) AS folded,
       (SELECT count(*) FROM runstore.recent_workflow_pending) AS pending;

-- A library newer than the extension's objects (installed, ALTER EXTENSION
-- runstore UPDATE not run yet) finds no folded table: writes go on and stay
-- pending, the fold folds nothing, and reads say what to do (55000).
BEGIN;
ALTER TABLE runstore.recent_workflow_folded RENAME TO recent_workflow_folded_elsewhere;
INSERT INTO runstore.executions (workspace_id, workflow_id) SELECT 18, g FROM generate_series(1, 70) g;
SELECT runstore.fold_recent_workflows() AS folded_rows;
SELECT count(*) AS pending_in_workspace_18 FROM runstore.recent_workflow_pending WHERE workspace_id = 18;
SELECT * FROM runstore.recent_workflows(18);
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;

-- Errors.
SELECT * FROM runstore.recent_workflows(NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM runstore.recent_workflows(1, NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM runstore.recent_workflows(1, -1);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM runstore.recent_workflows(1, 1001);
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) AS none FROM runstore.recent_workflows(1, 0);
-- The trigger function refuses to be misused.
SELECT runstore._maintain_recent_workflows();
\echo :LAST_ERROR_SQLSTATE
CREATE TABLE other (id uuid);
CREATE TRIGGER wrong AFTER INSERT ON other FOR EACH ROW EXECUTE FUNCTION runstore._maintain_recent_workflows();
INSERT INTO other VALUES (u(1));
\echo :LAST_ERROR_SQLSTATE
DROP TABLE other;
-- ... and to maintain any table but runstore.executions, even one that
-- declares the transition tables by the same names (its columns would be
-- misread by the plans kept for executions).
INSERT INTO runstore.executions (id, workspace_id, workflow_id) VALUES (u(90), 90, 1);
CREATE TABLE other (id uuid, workspace_id bigint);
CREATE TRIGGER lookalike AFTER INSERT ON other REFERENCING NEW TABLE AS runstore_new
  FOR EACH STATEMENT EXECUTE FUNCTION runstore._maintain_recent_workflows();
INSERT INTO other VALUES (u(91), 90);
\echo :LAST_ERROR_SQLSTATE
CREATE TABLE runstore_like (LIKE runstore.executions);
CREATE TRIGGER lookalike AFTER INSERT ON runstore_like REFERENCING NEW TABLE AS runstore_new
  FOR EACH STATEMENT EXECUTE FUNCTION runstore._maintain_recent_workflows();
INSERT INTO runstore_like (id, workspace_id, workflow_id, status, tags, priority, attempt, max_attempts,
                           run_after, created_at, updated_at)
  VALUES (u(92), 90, 2, 'queued', '{}', 0, 0, 3, now(), now(), now());
\echo :LAST_ERROR_SQLSTATE
SELECT workflow_id FROM runstore.recent_workflows(90);
DROP TABLE other, runstore_like;
DELETE FROM runstore.executions WHERE id = u(90);

-- Writers need no privilege on the summaries, and row-level security on
-- executions does not hide runs from the summary.
CREATE ROLE recent_writer;
GRANT USAGE ON SCHEMA runstore TO recent_writer;
GRANT SELECT, INSERT, DELETE ON runstore.executions TO recent_writer;
SET ROLE recent_writer;
INSERT INTO runstore.executions (id, workspace_id, workflow_id, created_at) VALUES (u(41), 9, 1, t(1));
-- Reading is the caller's business: recent_workflows needs SELECT on the
-- folded and pending tables.  The fold is the operator's (revoked from PUBLIC).
SELECT * FROM runstore.recent_workflows(9);
\echo :LAST_ERROR_SQLSTATE
SELECT runstore.fold_recent_workflows();
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
SELECT workflow_id, right(last_execution_id::text, 4)::int AS run FROM runstore.recent_workflows(9);
ALTER TABLE runstore.executions ENABLE ROW LEVEL SECURITY;
CREATE POLICY only_workspace_10 ON runstore.executions TO recent_writer USING (workspace_id = 10) WITH CHECK (true);
SET ROLE recent_writer;
INSERT INTO runstore.executions (id, workspace_id, workflow_id, created_at) VALUES (u(42), 9, 1, t(2));
DELETE FROM runstore.executions WHERE id = u(42);   -- invisible to this role: deletes nothing
RESET ROLE;
SELECT workflow_id, right(last_execution_id::text, 4)::int AS run FROM runstore.recent_workflows(9);
SELECT * FROM inconsistencies;
DROP POLICY only_workspace_10 ON runstore.executions;
ALTER TABLE runstore.executions DISABLE ROW LEVEL SECURITY;
REVOKE ALL ON runstore.executions FROM recent_writer;
REVOKE ALL ON SCHEMA runstore FROM recent_writer;
DROP ROLE recent_writer;

-- A single-row INSERT appends directly (no SPI statement), under every
-- isolation level: the append reads nothing.  Every insert appends, an older
-- run too (reads and the fold take the greatest); a run without a user is
-- appended with user_id NULL and counts per workspace only.
SELECT runstore.fold_recent_workflows() AS folded_rows;
SELECT flush();
BEGIN;
INSERT INTO runstore.executions (id, workspace_id, workflow_id, user_id, created_at) VALUES (u(51), 11, 1, 'ann', t(1));
INSERT INTO runstore.executions (id, workspace_id, workflow_id, user_id, created_at) VALUES (u(52), 11, 1, 'ann', t(3));
INSERT INTO runstore.executions (id, workspace_id, workflow_id, user_id, created_at) VALUES (u(53), 11, 1, 'ann', t(2));
INSERT INTO runstore.executions (id, workspace_id, workflow_id, created_at) VALUES (u(54), 11, 2, t(4));
INSERT INTO runstore.executions (id, workspace_id, created_at) VALUES (u(55), 11, t(5));
SELECT * FROM recent_writes;
COMMIT;
SELECT * FROM pending WHERE workspace_id = 11;
SELECT * FROM summary WHERE workspace_id = 11;
BEGIN ISOLATION LEVEL REPEATABLE READ;
INSERT INTO runstore.executions (id, workspace_id, workflow_id, user_id, created_at) VALUES (u(56), 11, 1, 'ann', t(0));
INSERT INTO runstore.executions (id, workspace_id, workflow_id, user_id, created_at) VALUES (u(57), 11, 1, 'ann', t(6));
COMMIT;
SELECT * FROM pending WHERE workspace_id = 11 AND workflow_id = 1;
SELECT workflow_id, right(last_execution_id::text, 4)::int AS run FROM runstore.recent_workflows(11, 10, 'ann');
SELECT runstore.fold_recent_workflows() AS folded_rows;
SELECT * FROM folded WHERE workspace_id = 11;
-- A pending table that differs from what the extension created, here by a
-- trigger, which a direct append would not fire, takes the SQL statement:
-- the trigger fires.  It also shows the settings the SPI statements run
-- with: JIT off and sequential scans off (their plans are kept for the
-- backend's life, costed for the first transition table they saw: after a
-- bulk DELETE a single-row write would JIT-compile them again, and a plan
-- made while the summary was small would keep scanning it whole once large;
-- plans.sql shows the plans), and that the session's own settings are back
-- afterwards.
SET jit = on;
CREATE FUNCTION pending_written() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE NOTICE 'pending row for workflow % names run % (jit %, enable_seqscan %)', NEW.workflow_id,
    right(NEW.last_execution_id::text, 4)::int, current_setting('jit'), current_setting('enable_seqscan');
  IF NEW.last_execution_id = u(60) THEN
    RAISE EXCEPTION 'pending_written refuses run 60';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER pending_written AFTER INSERT OR UPDATE ON runstore.recent_workflow_pending
  FOR EACH ROW EXECUTE FUNCTION pending_written();
INSERT INTO runstore.executions (id, workspace_id, workflow_id, user_id, created_at) VALUES (u(58), 11, 1, 'ann', t(7));
DELETE FROM runstore.executions WHERE id = u(58);
SELECT current_setting('jit') AS jit, current_setting('enable_seqscan') AS enable_seqscan;
-- An error inside the upkeep restores them too, with the savepoint's rollback.
BEGIN;
SAVEPOINT before_refused;
\set VERBOSITY terse
INSERT INTO runstore.executions (id, workspace_id, workflow_id, user_id, created_at) VALUES (u(60), 11, 1, 'ann', t(9));
\set VERBOSITY default
ROLLBACK TO before_refused;
SELECT current_setting('jit') AS jit, current_setting('enable_seqscan') AS enable_seqscan;
COMMIT;
SELECT count(*) AS run_60_rows FROM runstore.executions WHERE id = u(60);
RESET jit;
DROP TRIGGER pending_written ON runstore.recent_workflow_pending;
DROP FUNCTION pending_written();
INSERT INTO runstore.executions (id, workspace_id, workflow_id, user_id, created_at) VALUES (u(59), 11, 1, 'ann', t(8));
SELECT * FROM summary WHERE workspace_id = 11;
SELECT * FROM inconsistencies;
-- Indexes an administrator adds to the pending table (plain columns, not
-- unique) are written by the direct path too: every appended row is found
-- through each of them.  (The direct path on for this, whatever the switch
-- the suite runs with.)
SET runstore.direct_paths = on;
CREATE EXTENSION amcheck;
CREATE INDEX pending_brin ON runstore.recent_workflow_pending USING brin (last_execution_id);
CREATE INDEX pending_hash ON runstore.recent_workflow_pending USING hash (workflow_id);
CREATE INDEX pending_btree ON runstore.recent_workflow_pending (user_id, workflow_id);
SELECT path, usable FROM runstore.direct_path_status() WHERE path LIKE 'recent%INSERT%';
CREATE EXTENSION pageinspect;
SELECT blknum, split_part(value, ' .. ', 2) AS greatest
  FROM brin_page_items(get_raw_page('runstore.pending_brin', 2), 'runstore.pending_brin');
INSERT INTO runstore.executions (id, workspace_id, workflow_id, created_at) VALUES (u(61), 12, 1, t(1));
INSERT INTO runstore.executions (id, workspace_id, workflow_id, created_at) VALUES (u(62), 12, 1, t(2));
INSERT INTO runstore.executions (id, workspace_id, workflow_id, created_at)
  VALUES (u(63), 12, 1, t(3)), (u(64), 12, 77, t(4));
SELECT * FROM summary WHERE workspace_id = 12;
SELECT 'every row indexed' AS btree_indexes
  FROM (SELECT bt_index_check('runstore.pending_btree', true),
               bt_index_check('runstore.recent_workflow_pending_group_idx', true)) c;
SET enable_seqscan = off;
SET enable_bitmapscan = off;
EXPLAIN (COSTS OFF) SELECT count(*) FROM runstore.recent_workflow_pending WHERE workflow_id = 77;
SELECT count(*) AS found_by_hash FROM runstore.recent_workflow_pending WHERE workflow_id = 77;
RESET enable_bitmapscan;
RESET enable_seqscan;
-- The BRIN range's summary was widened to the appended ids: its greatest
-- was run 59 when the index was made, it is run 64 now.
SELECT blknum, split_part(value, ' .. ', 2) AS greatest
  FROM brin_page_items(get_raw_page('runstore.pending_brin', 2), 'runstore.pending_brin');
DROP EXTENSION pageinspect;
DROP INDEX runstore.pending_brin, runstore.pending_hash, runstore.pending_btree;
DROP EXTENSION amcheck;
RESET runstore.direct_paths;
SELECT * FROM inconsistencies;

TRUNCATE runstore.executions;
DROP VIEW recent_writes;
DROP FUNCTION flush();
DROP VIEW folded;
DROP VIEW pending;
DROP VIEW inconsistencies;
DROP VIEW summary;
DROP FUNCTION t(int);
RESET TimeZone;
RESET DateStyle;

