-- The schema: runstore.executions, runstore.execution_status and uuid_v7().
\set VERBOSITY default

-- Deterministic ids for the tests after this one: u(n) is the n-th test id.
CREATE FUNCTION u(n int) RETURNS uuid LANGUAGE sql IMMUTABLE
  RETURN ('00000000-0000-7000-8000-' || lpad(n::text, 12, '0'))::uuid;

SELECT enum_range(NULL::runstore.execution_status);

SELECT column_name, data_type, is_nullable, column_default
  FROM information_schema.columns
 WHERE table_schema = 'runstore' AND table_name = 'executions'
 ORDER BY ordinal_position;

SELECT indexdef FROM pg_indexes WHERE schemaname = 'runstore' AND tablename = 'executions' ORDER BY indexname;

-- Inserting is enqueueing: multi-row INSERT fills every default.
BEGIN;
INSERT INTO runstore.executions (workspace_id) VALUES (1), (1), (2);
SELECT status, tags, priority, attempt, max_attempts, run_after BETWEEN now() AND statement_timestamp() AS run_now,
       created_at = now() AS created_now, updated_at = now() AS updated_now
  FROM runstore.executions ORDER BY id;
COMMIT;

-- uuid_v7: version 7, RFC variant, the current millisecond, strictly increasing.
CREATE TEMP TABLE v7 AS SELECT n, runstore.uuid_v7() AS id FROM generate_series(1, 10000) n;
SELECT count(*) FILTER (WHERE substr(id::text, 15, 1) <> '7') AS wrong_version,
       count(*) FILTER (WHERE substr(id::text, 20, 1) NOT IN ('8', '9', 'a', 'b')) AS wrong_variant,
       count(DISTINCT id) AS distinct_ids,
       -- the last 48 random bits alone: the random bytes (drawn 4 KiB at a
       -- time, 409 ids per draw) are fresh for every id, not only the counter
       count(DISTINCT right(id::text, 12)) AS distinct_random_tails
  FROM v7;
SELECT count(*) AS not_increasing
  FROM (SELECT id, lag(id) OVER (ORDER BY n) AS prev FROM v7) s
 WHERE prev IS NOT NULL AND id <= prev;
-- The first 48 bits are Unix milliseconds: within a minute of the clock.
SELECT abs(('x' || lpad(replace(substr(id::text, 1, 13), '-', ''), 16, '0'))::bit(64)::bigint
           - (extract(epoch FROM clock_timestamp()) * 1000)::bigint) < 60000 AS close_to_now
  FROM v7 WHERE n = 1;
-- Ids from the table default are v7 too.
SELECT count(*) FILTER (WHERE substr(id::text, 15, 1) = '7') AS v7_defaults FROM runstore.executions;

-- Constraints refuse impossible bookkeeping (terse: the failing row holds
-- generated ids and timestamps).
\set VERBOSITY terse
INSERT INTO runstore.executions (workspace_id, max_attempts) VALUES (1, 0);
\echo :LAST_ERROR_SQLSTATE
INSERT INTO runstore.executions (workspace_id, attempt) VALUES (1, -1);
\echo :LAST_ERROR_SQLSTATE
INSERT INTO runstore.executions (workspace_id) VALUES (NULL);
\echo :LAST_ERROR_SQLSTATE
INSERT INTO runstore.executions (workspace_id, status) VALUES (1, 'paused');
\echo :LAST_ERROR_SQLSTATE

TRUNCATE runstore.executions;
