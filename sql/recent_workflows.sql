-- Recent workflows: the summaries kept by the C++ triggers on every write
-- path, recent_workflows(), verify_recent_workflows(),
-- rebuild_recent_workflows() and their errors.
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
-- ... and deleting its last run removes the row.
DELETE FROM runstore.executions WHERE id = u(13);
SELECT count(*) AS workflow_40_rows FROM summary WHERE workflow_id = 40;
SELECT * FROM inconsistencies;

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
SELECT n_tup_ins + n_tup_upd + n_tup_del AS writes_before FROM pg_stat_xact_user_tables
 WHERE relname = 'workspace_recent_workflow_slot' \gset
UPDATE runstore.executions SET status = 'running', priority = 5;
SELECT n_tup_ins + n_tup_upd + n_tup_del - :writes_before AS summary_writes FROM pg_stat_xact_user_tables
 WHERE relname = 'workspace_recent_workflow_slot';

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

-- ROLLBACK leaves no trace, also of a rolled-back savepoint.
BEGIN;
INSERT INTO runstore.executions (id, workspace_id, workflow_id, user_id, created_at) VALUES (u(31), 6, 1, 'ann', t(1));
SAVEPOINT s;
DELETE FROM runstore.executions WHERE id = u(31);
ROLLBACK TO SAVEPOINT s;
SELECT * FROM summary WHERE workspace_id = 6;
ROLLBACK;
SELECT count(*) AS workspace_6_rows FROM summary WHERE workspace_id = 6;

-- A bulk INSERT writes about one summary row per group touched.
SELECT n_tup_ins + n_tup_upd AS writes_before FROM pg_stat_xact_user_tables
 WHERE relname = 'workspace_recent_workflow_slot' \gset
INSERT INTO runstore.executions (workspace_id, workflow_id, user_id, created_at)
SELECT 7, g % 3, 'u' || (g % 2), t(g) FROM generate_series(1, 3000) g;
SELECT n_tup_ins + n_tup_upd - :writes_before AS summary_writes_for_3000_runs FROM pg_stat_xact_user_tables
 WHERE relname = 'workspace_recent_workflow_slot';
SELECT workflow_id, last_used_at FROM runstore.recent_workflows(7);
SELECT * FROM inconsistencies;
-- The same 3000 runs updated with transition tables spilled to disk (work_mem
-- 64kB): a queue-style UPDATE writes nothing; one whose last row moves a run
-- to another workflow is seen (every pair compared, tuples read from disk).
BEGIN;
SET LOCAL work_mem = '64kB';
SELECT n_tup_ins + n_tup_upd + n_tup_del AS writes_before FROM pg_stat_xact_user_tables
 WHERE relname = 'workspace_recent_workflow_slot' \gset
UPDATE runstore.executions SET payload = '{"padding": "x"}', priority = 3 WHERE workspace_id = 7;
SELECT n_tup_ins + n_tup_upd + n_tup_del - :writes_before AS summary_writes_spilled FROM pg_stat_xact_user_tables
 WHERE relname = 'workspace_recent_workflow_slot';
SELECT id AS last_row FROM runstore.executions WHERE workspace_id = 7 ORDER BY ctid DESC LIMIT 1 \gset
UPDATE runstore.executions SET workflow_id = CASE WHEN id = :'last_row' THEN 99 ELSE workflow_id END
 WHERE workspace_id = 7;
SELECT workflow_id FROM runstore.recent_workflows(7, 10) WHERE workflow_id = 99;
SELECT * FROM inconsistencies;
ROLLBACK;

-- verify_recent_workflows names what differs; rebuild_recent_workflows repairs.
UPDATE runstore.workspace_recent_workflow_slot SET last_used_at = t(0) WHERE workspace_id = 7 AND workflow_id = 1;
DELETE FROM runstore.user_recent_workflow_slot WHERE workspace_id = 7 AND user_id = 'u0';
INSERT INTO runstore.workspace_recent_workflow_slot VALUES (8, 1, 0, t(1), u(99));
SELECT scope, workspace_id, user_id, workflow_id, stored_last_used_at, expected_last_used_at
  FROM runstore.verify_recent_workflows();
SELECT runstore.rebuild_recent_workflows(7) AS groups_rebuilt;
SELECT scope, workspace_id, workflow_id FROM runstore.verify_recent_workflows();
SET client_min_messages = warning;
SELECT runstore.rebuild_recent_workflows() AS groups_rebuilt;
RESET client_min_messages;
SELECT * FROM inconsistencies;
SELECT * FROM summary WHERE workspace_id = 1;

-- TRUNCATE empties both summaries.
TRUNCATE runstore.executions;
SELECT (SELECT count(*) FROM runstore.workspace_recent_workflow_slot) AS workspace_slots,
       (SELECT count(*) FROM runstore.user_recent_workflow_slot) AS user_slots;

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
-- Reading is the caller's business: recent_workflows needs SELECT on the slots.
SELECT * FROM runstore.recent_workflows(9);
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

-- A single-row INSERT under READ COMMITTED writes the slots directly (no SPI
-- statement).  Inserts in one transaction see each other's slot writes; an
-- older run changes nothing; a run without a user counts per workspace only.
-- Slots are pinned here so the slot rows shown do not depend on the backend.
SET runstore.summary_slot = 0;
BEGIN;
INSERT INTO runstore.executions (id, workspace_id, workflow_id, user_id, created_at) VALUES (u(51), 11, 1, 'ann', t(1));
INSERT INTO runstore.executions (id, workspace_id, workflow_id, user_id, created_at) VALUES (u(52), 11, 1, 'ann', t(3));
INSERT INTO runstore.executions (id, workspace_id, workflow_id, user_id, created_at) VALUES (u(53), 11, 1, 'ann', t(2));
INSERT INTO runstore.executions (id, workspace_id, workflow_id, created_at) VALUES (u(54), 11, 2, t(4));
INSERT INTO runstore.executions (id, workspace_id, created_at) VALUES (u(55), 11, t(5));
COMMIT;
SELECT * FROM summary WHERE workspace_id = 11;
-- Another slot starts empty and takes any run, even an older one; the group's
-- value is its greatest slot.
SET runstore.summary_slot = 4;
INSERT INTO runstore.executions (id, workspace_id, workflow_id, user_id, created_at) VALUES (u(56), 11, 1, 'ann', t(0));
SELECT slot, right(last_execution_id::text, 4)::int AS run FROM runstore.workspace_recent_workflow_slot
  WHERE workspace_id = 11 AND workflow_id = 1 ORDER BY slot;
SELECT workflow_id, right(last_execution_id::text, 4)::int AS run FROM runstore.recent_workflows(11, 10, 'ann');
-- REPEATABLE READ takes the SPI statement (a concurrent change then raises
-- 40001 the executor's way); the result is the same.
BEGIN ISOLATION LEVEL REPEATABLE READ;
INSERT INTO runstore.executions (id, workspace_id, workflow_id, user_id, created_at) VALUES (u(57), 11, 1, 'ann', t(6));
COMMIT;
SELECT slot, right(last_execution_id::text, 4)::int AS run FROM runstore.workspace_recent_workflow_slot
  WHERE workspace_id = 11 AND workflow_id = 1 ORDER BY slot;
-- So do slot tables that differ from what the extension created, here by a
-- trigger, which the direct writes would not fire: it fires.  It also shows
-- the settings the SPI statements run with: JIT off and sequential scans off
-- (their plans are kept for the backend's life, costed for the first
-- transition table they saw: after a bulk DELETE a single-row write would
-- JIT-compile them again, and a plan made while the summary was small would
-- keep scanning it whole once large; plans.sql shows the plans), and that
-- the session's own settings are back afterwards.
SET jit = on;
CREATE FUNCTION slot_written() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE NOTICE 'slot % now names run % (jit %, enable_seqscan %)', NEW.slot,
    right(NEW.last_execution_id::text, 4)::int, current_setting('jit'), current_setting('enable_seqscan');
  IF NEW.last_execution_id = u(60) THEN
    RAISE EXCEPTION 'slot_written refuses run 60';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER slot_written AFTER INSERT OR UPDATE ON runstore.workspace_recent_workflow_slot
  FOR EACH ROW EXECUTE FUNCTION slot_written();
INSERT INTO runstore.executions (id, workspace_id, workflow_id, user_id, created_at) VALUES (u(58), 11, 1, 'ann', t(7));
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
DROP TRIGGER slot_written ON runstore.workspace_recent_workflow_slot;
DROP FUNCTION slot_written();
INSERT INTO runstore.executions (id, workspace_id, workflow_id, user_id, created_at) VALUES (u(59), 11, 1, 'ann', t(8));
SELECT * FROM summary WHERE workspace_id = 11;
-- Indexes an administrator adds to a slot table are written by the direct
-- path too.  Marking a slot's dead versions (slot_dead_versions.cpp) looks
-- them up by exact key only in B-tree indexes; others are left to VACUUM,
-- never an error.  Commits flushed, so the versions count as dead to all.
SET synchronous_commit = on;
CREATE INDEX slot_brin ON runstore.workspace_recent_workflow_slot USING brin (last_used_at);
CREATE INDEX slot_hash ON runstore.workspace_recent_workflow_slot USING hash (workflow_id);
CREATE INDEX slot_btree ON runstore.workspace_recent_workflow_slot (workflow_id, last_used_at);
INSERT INTO runstore.executions (id, workspace_id, workflow_id, created_at) VALUES (u(61), 12, 1, t(1));
INSERT INTO runstore.executions (id, workspace_id, workflow_id, created_at) VALUES (u(62), 12, 1, t(2));
INSERT INTO runstore.executions (id, workspace_id, workflow_id, created_at) VALUES (u(63), 12, 1, t(3));
INSERT INTO runstore.executions (id, workspace_id, workflow_id, created_at) VALUES (u(64), 12, 1, t(4));
SELECT * FROM summary WHERE workspace_id = 12;
SELECT count(*) AS rows_of_workspace_12 FROM runstore.workspace_recent_workflow_slot WHERE workspace_id = 12;
DROP INDEX runstore.slot_brin, runstore.slot_hash, runstore.slot_btree;
RESET synchronous_commit;
SELECT * FROM inconsistencies;
RESET runstore.summary_slot;

TRUNCATE runstore.executions;
DROP VIEW inconsistencies;
DROP VIEW summary;
DROP FUNCTION t(int);
RESET TimeZone;
RESET DateStyle;

