-- complete_many and fail_many: a worker's batch of outcomes in one statement
-- each, fenced per execution by its attempt, and every argument error with
-- its SQLSTATE (checked before anything changes).  Concurrency:
-- tests/isolation/specs/queue_batch_outcomes.spec.
\set VERBOSITY default
\set SHOW_CONTEXT never
SET TimeZone = 'UTC';
TRUNCATE runstore.executions;
-- u(n) comes from sql/schema.sql.
CREATE VIEW outcomes AS
  SELECT right(id::text, 4)::int AS n, status, attempt, lease_owner AS owner,
         lease_expires_at IS NOT NULL AS leased, finished_at IS NOT NULL AS finished,
         CASE WHEN status = 'queued' THEN run_after > updated_at END AS backing_off, error, result
  FROM runstore.executions ORDER BY id;

INSERT INTO runstore.executions (id, workspace_id, max_attempts)
SELECT u(n), 1, CASE WHEN n = 8 THEN 1 ELSE 3 END FROM generate_series(1, 9) n;
SELECT count(*) AS claimed FROM runstore.dequeue('w1', 6);
SELECT count(*) AS claimed FROM runstore.dequeue('w2', 3);

-- Completes what w1 holds at the attempts given, with each its own result
-- (a NULL element: no result); returns those ids in the order given.  u(7)
-- is held by w2 and u(2) is named at a stale attempt: both refused, absent
-- from the result, unchanged.  An id given twice completes once; a NULL id
-- matches nothing.
SELECT right(c::text, 4)::int AS completed
FROM runstore.complete_many('w1', ARRAY[u(3), u(1), u(7), u(2), u(3), NULL],
                            ARRAY[1, 1, 1, 2, 1, 1],
                            ARRAY['{"ok":3}', NULL, '{"ok":7}', '{"ok":2}', '{"ok":3}', '{}']::jsonb[]) c;
-- results may be left out altogether: no result for any.
SELECT right(c::text, 4)::int AS completed FROM runstore.complete_many('w1', ARRAY[u(4)], ARRAY[1]) c;
SELECT * FROM outcomes WHERE n <= 4 OR n = 7;

-- fail_many: retryable and attempts left -> queued again after a backoff;
-- not retryable -> failed; retryable NULL means all retryable.  Each row
-- returns its new status.  u(9) is w2's, so refused.
SELECT right(id::text, 4)::int AS n, status
FROM runstore.fail_many('w1', ARRAY[u(5), u(6), u(9)], ARRAY[1, 1, 1], ARRAY['boom', 'fatal', 'not mine'],
                        ARRAY[true, false, true]);
SELECT right(id::text, 4)::int AS n, status
FROM runstore.fail_many('w2', ARRAY[u(8), u(9)], ARRAY[1, 1], ARRAY['last attempt', 'again']);
SELECT * FROM outcomes WHERE n >= 5;
-- A backoff drawn per execution, within [0, base * 2^(attempt-1)), as fail's.
SELECT bool_and(run_after - updated_at < interval '1 second') AS within_backoff
FROM runstore.executions WHERE id IN (u(5), u(9));

-- release_many hands back claims that never started: queued again, due at
-- once, the claim's attempt given back (a claimed-ahead execution released
-- at shutdown loses none of its attempts).  Only the holder at that attempt
-- may: u(7) is w2's and u(4) already finished.
SELECT right(r::text, 4)::int AS released FROM runstore.release_many('w2', ARRAY[u(7), u(4)], ARRAY[1, 1]) r;
SELECT right(r::text, 4)::int AS released FROM runstore.release_many('w1', ARRAY[u(7)], ARRAY[1]) r;
SELECT n, status, attempt, owner, leased, started, backing_off FROM (
  SELECT *, (SELECT started_at IS NOT NULL FROM runstore.executions WHERE id = u(o.n)) AS started FROM outcomes o) s
WHERE n = 7;
SELECT run_after <= statement_timestamp() AS due FROM runstore.executions WHERE id = u(7);
-- Claimed again, it runs at attempt 1 once more.
SELECT right(id::text, 4)::int AS n, attempt FROM runstore.dequeue('w2', 1);
SELECT * FROM runstore.release_many('w2', ARRAY[u(7)], NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM runstore.release_many('w2', ARRAY[u(7)], ARRAY[1, 2]);
\echo :LAST_ERROR_SQLSTATE

-- Nothing to do: NULL or empty ids return no rows (the arrays must still match).
SELECT count(*) FROM runstore.complete_many('w1', NULL, '{}');
SELECT count(*) FROM runstore.complete_many('w1', '{}', '{}', '{}');
SELECT count(*) FROM runstore.fail_many('w1', '{}', '{}', '{}');
SELECT count(*) FROM runstore.release_many('w1', NULL, '{}');

-- Argument errors, none of which changes anything.
SELECT * FROM runstore.complete_many(NULL, ARRAY[u(7)], ARRAY[1]);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM runstore.complete_many('', ARRAY[u(7)], ARRAY[1]);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM runstore.complete_many('w2', ARRAY[u(7)], NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM runstore.complete_many('w2', ARRAY[u(7)], ARRAY[1, 1]);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM runstore.complete_many('w2', ARRAY[u(7)], ARRAY[[1]]);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM runstore.complete_many('w2', ARRAY[u(7)], ARRAY[NULL::int]);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM runstore.complete_many('w2', ARRAY[u(7)], ARRAY[1], ARRAY['{}', '{}']::jsonb[]);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM runstore.complete_many('w2', ARRAY[[u(7)]], ARRAY[1]);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM runstore.fail_many('w2', ARRAY[u(7)], ARRAY[1], NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM runstore.fail_many('w2', ARRAY[u(7)], ARRAY[1], ARRAY[NULL::text]);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM runstore.fail_many('w2', ARRAY[u(7)], ARRAY[1], ARRAY['e', 'f']);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM runstore.fail_many('w2', ARRAY[u(7)], ARRAY[1], ARRAY['e'], ARRAY[NULL::boolean]);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM runstore.fail_many('w2', ARRAY[u(7)], ARRAY[1], ARRAY['e'], ARRAY[true, false]);
\echo :LAST_ERROR_SQLSTATE
-- More ids than runstore.max_batch_size (54000).
SET runstore.max_batch_size = 2;
SELECT * FROM runstore.complete_many('w2', ARRAY[u(7), u(7), u(7)], ARRAY[1, 1, 1]);
\echo :LAST_ERROR_SQLSTATE
RESET runstore.max_batch_size;
-- A result that is not JSON fails the whole call, before anything changes.
SELECT * FROM runstore.complete_many('w2', ARRAY[u(7)], ARRAY[1], ARRAY['{not json']::jsonb[]);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM outcomes WHERE n = 7;

-- workspace_ids (last, optional, aligned with the ids): each execution's
-- workspace as dequeue returned it.  An execution is changed only in the
-- workspace given for it; a NULL element means any.  (On a Citus cluster
-- they route each outcome to the node holding it: tests/citus.)
-- Starts from an empty table: the retries above fall due within a second,
-- and on a slow machine this claim of 3 would take them.
TRUNCATE runstore.executions;
INSERT INTO runstore.executions (id, workspace_id) VALUES (u(21), 1), (u(22), 2), (u(23), 2);
SELECT count(*) AS claimed FROM runstore.dequeue('w3', 3);
SELECT right(c::text, 4)::int AS completed
FROM runstore.complete_many('w3', ARRAY[u(21), u(22), u(23)], ARRAY[1, 1, 1], NULL, ARRAY[2, 2, NULL]::bigint[]) c;
SELECT right(f.id::text, 4)::int AS failed, f.status
FROM runstore.fail_many('w3', ARRAY[u(21)], ARRAY[1], ARRAY['e'], ARRAY[false], ARRAY[3]::bigint[]) f;
SELECT right(r::text, 4)::int AS released
FROM runstore.release_many('w3', ARRAY[u(21)], ARRAY[1], ARRAY[1]::bigint[]) r;
SELECT * FROM outcomes WHERE n > 20;
-- Misaligned: 22023, nothing changed.
SELECT * FROM runstore.complete_many('w3', ARRAY[u(21)], ARRAY[1], NULL, ARRAY[1, 1]::bigint[]);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM runstore.release_many('w3', ARRAY[u(21)], ARRAY[1], ARRAY[[1]]::bigint[]);
\echo :LAST_ERROR_SQLSTATE

-- The functions each node of a Citus cluster runs for dequeue and the
-- batch outcomes (tests/citus) refuse on a single node: 55000.  A NULL
-- anchor or kind: 22004.
SELECT * FROM runstore._claim_on_node(1, 'w1', 1, NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM runstore._outcomes_on_node(1, 'complete', 'w1', ARRAY[u(1)], ARRAY[1], NULL, NULL, NULL, NULL)
  AS o(id uuid);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM runstore._outcomes_on_node(NULL, 'complete', 'w1', ARRAY[u(1)], ARRAY[1], NULL, NULL, NULL, NULL)
  AS o(id uuid);
\echo :LAST_ERROR_SQLSTATE

-- The batch runs as one statement: the summaries' triggers and the queue's
-- bookkeeping stay exact.
SELECT count(*) AS groups_wrong FROM runstore.verify_recent_workflows();
DROP VIEW outcomes;
TRUNCATE runstore.executions;
