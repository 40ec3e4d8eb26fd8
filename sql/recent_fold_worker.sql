-- The fold worker: a writer whose fold turn comes hands the fold to a
-- background worker it starts on demand (no shared_preload_libraries), which
-- folds what is pending and exits when there is nothing left.  The suite runs
-- with runstore.background_fold off (Makefile); this file turns it on.
SET runstore.background_fold = on;
SHOW runstore.background_fold;

-- Waits until `condition` holds (up to 20 s); says whether it did.
CREATE FUNCTION wait_until(condition text) RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE
  holds boolean;
BEGIN
  FOR i IN 1..400 LOOP
    EXECUTE 'SELECT ' || condition INTO holds;
    IF holds THEN RETURN true; END IF;
    PERFORM pg_sleep(0.05);
  END LOOP;
  RETURN false;
END $$;

-- No worker yet: the suite's writers folded themselves.
SELECT wait_until($$NOT EXISTS (SELECT FROM pg_stat_activity WHERE backend_type = 'runstore fold worker')$$)
  AS no_worker_before;

-- 100 groups in one statement: 100 pending rows, past the writer's fold turn
-- (64), so the writer starts the worker instead of folding.
INSERT INTO runstore.executions (workspace_id, workflow_id, user_id, created_at)
SELECT 900, g, 'u' || g % 3, '2026-01-01'::timestamptz + g * interval '1 minute'
FROM generate_series(1, 100) g;
-- The worker folds them once the INSERT has committed.
SELECT wait_until($$NOT EXISTS (SELECT FROM runstore.recent_workflow_pending WHERE workspace_id = 900)$$)
  AS folded_by_the_worker;
SELECT count(*) AS workspace_900_folded, count(DISTINCT workflow_id) AS workflows
FROM runstore.recent_workflow_folded WHERE workspace_id = 900;
SELECT workflow_id, last_used_at FROM runstore.recent_workflows(900, 2);

-- It runs as its own backend type, and leaves after a second with nothing to fold.
SELECT wait_until($$NOT EXISTS (SELECT FROM pg_stat_activity WHERE backend_type = 'runstore fold worker')$$)
  AS worker_left_when_idle;

-- Reads are exact whoever folds: a run moved and one deleted, then read
-- before any fold.
SET runstore.background_fold = off;
UPDATE runstore.executions SET workflow_id = 1 WHERE workspace_id = 900 AND workflow_id = 100;
DELETE FROM runstore.executions WHERE workspace_id = 900 AND workflow_id = 99;
SELECT workflow_id, last_used_at FROM runstore.recent_workflows(900, 2);
SELECT count(*) AS differences FROM runstore.verify_recent_workflows();

-- With the setting off a writer folds in its own transaction and starts no worker.
INSERT INTO runstore.executions (workspace_id, workflow_id, user_id)
SELECT 901, g, 'u1' FROM generate_series(1, 64) g;
SELECT count(*) AS pending_after_own_fold FROM runstore.recent_workflow_pending;
SELECT count(*) AS workers FROM pg_stat_activity WHERE backend_type = 'runstore fold worker';

-- Under REPEATABLE READ a writer cannot fold itself, but it can start the
-- worker.  (A new session: a backend starts at most one worker a second, and
-- folds itself in between.)
\c -
SET runstore.background_fold = on;
BEGIN ISOLATION LEVEL REPEATABLE READ;
INSERT INTO runstore.executions (workspace_id, workflow_id, user_id)
SELECT 902, g, 'u1' FROM generate_series(1, 64) g;
COMMIT;
SELECT wait_until($$NOT EXISTS (SELECT FROM runstore.recent_workflow_pending WHERE workspace_id = 902)$$)
  AS repeatable_read_rows_folded_by_the_worker;
SELECT count(*) AS differences FROM runstore.verify_recent_workflows();

-- A writer that handed its fold over holds the hand-off key in share mode
-- to its commit, and the worker does not leave before it can take that key:
-- here a transaction holds it for 2 s, twice the worker's idle time.
INSERT INTO runstore.executions (workspace_id, workflow_id, user_id)
SELECT 903, g, 'u1' FROM generate_series(1, 64) g;
SELECT wait_until($$EXISTS (SELECT FROM pg_stat_activity WHERE backend_type = 'runstore fold worker')$$)
  AS worker_started;
BEGIN;
SELECT pg_advisory_xact_lock_shared(1920298611, 1751215716);
SELECT pg_sleep(2);
SELECT pg_stat_clear_snapshot();
SELECT count(*) AS worker_kept FROM pg_stat_activity WHERE backend_type = 'runstore fold worker';
COMMIT;
SELECT wait_until($$NOT EXISTS (SELECT FROM pg_stat_activity WHERE backend_type = 'runstore fold worker')$$)
  AS worker_left_after_the_commit;
-- Cleanup without the worker (it serves the database, not this session: one
-- started here would go on folding the next test files' writes), and none
-- left behind.
RESET runstore.background_fold;
DELETE FROM runstore.executions WHERE workspace_id IN (900, 901, 902, 903);
SELECT runstore.fold_recent_workflows() >= 0 AS folded;
SELECT wait_until($$NOT EXISTS (SELECT FROM pg_stat_activity WHERE backend_type = 'runstore fold worker')$$)
  AS no_worker_left_behind;
DROP FUNCTION wait_until(text);
