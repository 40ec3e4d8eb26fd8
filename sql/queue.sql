-- The queue lifecycle: dequeue, heartbeat, complete, fail, cancel,
-- _retry_delay, the runstore.lease_timeout / retry_backoff_* settings, and
-- every refusal and error of each.  Concurrency: tests/isolation/specs/queue_*.
\set VERBOSITY default
-- Error CONTEXT lines would quote the functions' internal SQL: not part of the contract.
\set SHOW_CONTEXT never
-- Leases of whole days must not meet a daylight saving change.
SET TimeZone = 'UTC';

-- The queue, one row per execution, ids as their u(n) number.  Timestamps are
-- shown relative to updated_at, which every queue function sets to the time
-- of its own statement: `lease` is the lease that statement granted, exactly.
CREATE VIEW queue AS
  SELECT right(id::text, 4)::int AS n, status, attempt, max_attempts AS max, lease_owner AS owner,
         lease_expires_at - updated_at AS lease, started_at IS NOT NULL AS started,
         finished_at IS NOT NULL AS finished, error, result
  FROM runstore.executions ORDER BY id;
-- The bookkeeping every state must keep; one row per execution that breaks it.
CREATE VIEW broken AS
  SELECT right(id::text, 4)::int AS n, status FROM runstore.executions
  WHERE CASE status
          WHEN 'queued' THEN lease_expires_at IS NOT NULL OR finished_at IS NOT NULL
          WHEN 'running' THEN lease_owner IS NULL OR lease_expires_at IS DISTINCT FROM run_after
                              OR started_at IS NULL OR finished_at IS NOT NULL OR attempt < 1
          ELSE lease_expires_at IS NOT NULL OR finished_at IS NULL
        END
  ORDER BY id;
CREATE VIEW inconsistencies AS SELECT count(*) AS groups_wrong FROM runstore.verify_recent_workflows();

-- Settings.  They exist from the session's first call of a runstore function
-- on (it loads the library): before, SET keeps any value as a placeholder,
-- and loading drops an invalid one for the default, with a WARNING.
SET runstore.lease_timeout = '0';
SET runstore.retry_backoff_base = '2s';
SELECT runstore._retry_delay(1) IS NOT NULL AS library_loaded;
SHOW runstore.lease_timeout;
SHOW runstore.retry_backoff_base;
RESET runstore.retry_backoff_base;
-- Defaults, and the bounds, enforced by the GUC machinery (22023).
SHOW runstore.lease_timeout;
SHOW runstore.retry_backoff_base;
SHOW runstore.retry_backoff_cap;
SHOW runstore.notify_enqueued;
SET runstore.notify_enqueued = 'sometimes';
\echo :LAST_ERROR_SQLSTATE
SET runstore.lease_timeout = '0';
\echo :LAST_ERROR_SQLSTATE
SET runstore.lease_timeout = '8d';
\echo :LAST_ERROR_SQLSTATE
SET runstore.lease_timeout = '7d';
SET runstore.lease_timeout = '1s';
SHOW runstore.lease_timeout;
RESET runstore.lease_timeout;
SET runstore.retry_backoff_base = -1;
\echo :LAST_ERROR_SQLSTATE
SET runstore.retry_backoff_base = '3601s';
\echo :LAST_ERROR_SQLSTATE
SET runstore.retry_backoff_base = 0;
SET runstore.retry_backoff_base = '1h';
RESET runstore.retry_backoff_base;
SET runstore.retry_backoff_cap = 0;
\echo :LAST_ERROR_SQLSTATE
SET runstore.retry_backoff_cap = '8d';
\echo :LAST_ERROR_SQLSTATE
SET runstore.retry_backoff_cap = '1ms';
SET runstore.retry_backoff_cap = '7d';
RESET runstore.retry_backoff_cap;

-- dequeue: argument errors (checked before anything is read or changed).
INSERT INTO runstore.executions (id, workspace_id, workflow_id, user_id) VALUES (u(1), 1, 1, 'ann');
SELECT * FROM runstore.dequeue(NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM runstore.dequeue('');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM runstore.dequeue(repeat('w', 257));
\echo :LAST_ERROR_SQLSTATE
-- The limit is in bytes: 129 two-byte characters are too many.
SELECT * FROM runstore.dequeue(repeat('é', 129));
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM runstore.dequeue('w', NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM runstore.dequeue('w', 0);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM runstore.dequeue('w', -1);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM runstore.dequeue('w', 501);
\echo :LAST_ERROR_SQLSTATE
SET runstore.max_batch_size = 2;
SELECT * FROM runstore.dequeue('w', 3);
\echo :LAST_ERROR_SQLSTATE
RESET runstore.max_batch_size;
SELECT * FROM runstore.dequeue('w', 1, '0');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM runstore.dequeue('w', 1, '999 microseconds');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM runstore.dequeue('w', 1, '-1 minute');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM runstore.dequeue('w', 1, '7 days 0.000001 seconds');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM runstore.dequeue('w', 1, '1 mon');  -- 30 days
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM runstore.dequeue('w', 1, '178000000 years');  -- must not wrap around into range
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM runstore.dequeue('w', 1, '1 mon -22 days');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM queue;

-- The boundaries themselves are accepted: worker of 256 bytes, max_jobs of
-- runstore.max_batch_size, leases of 1 ms and 7 days (in any spelling).
SELECT n FROM (SELECT right(id::text, 4)::int AS n FROM runstore.dequeue(repeat('é', 128), 500, '7 days')) d;
SELECT octet_length(owner) AS owner_bytes, lease FROM queue;
UPDATE runstore.executions SET status = 'queued', attempt = 0, lease_owner = NULL, lease_expires_at = NULL,
                               started_at = NULL, run_after = '2000-01-01';
SELECT right(id::text, 4)::int AS n FROM runstore.dequeue('w', 1, '1 mon -23 days');
UPDATE runstore.executions SET status = 'queued', attempt = 0, lease_expires_at = NULL, run_after = '2000-01-01';
SELECT n, lease FROM (SELECT right(id::text, 4)::int AS n, lease_expires_at - started_at AS lease
                        FROM runstore.dequeue('w', 1, '1 day -86399.999 seconds')) d;
-- The lease granted is the duration checked (a month as 30 days, a day as
-- 24 hours), never a calendar sum: '12 mons -353 days' is 7 days, not the
-- 12 days that calendar months would make of it from some dates.
UPDATE runstore.executions SET status = 'queued', attempt = 0, lease_expires_at = NULL, run_after = '2000-01-01';
SELECT n, lease FROM (SELECT right(id::text, 4)::int AS n, lease_expires_at - started_at AS lease
                        FROM runstore.dequeue('w', 1, '12 mons -353 days')) d;
UPDATE runstore.executions SET status = 'queued', attempt = 0, lease_expires_at = NULL, run_after = '2000-01-01';
SELECT n, lease FROM (SELECT right(id::text, 4)::int AS n, lease_expires_at - started_at AS lease
                        FROM runstore.dequeue('w', 1, '-1 day 25 hours')) d;
TRUNCATE runstore.executions;

-- dequeue: claim order and what a claim writes.
-- Due now: 2, 3, 4, 5, 7 with priority 0; 6 with priority 5; 8 with priority -1.
-- Not claimable: 10 (due in an hour), 11-13 finished (their lease_owner is
-- set, so only their status keeps them out).
INSERT INTO runstore.executions (id, workspace_id, workflow_id, user_id, priority, run_after, created_at) VALUES
  (u(2), 1, 1, 'ann', 0, '2000-01-01 00:00:01', '2000-01-01 00:00:09'),
  (u(3), 1, 1, 'bob', 0, '2000-01-01 00:00:03', '2000-01-01 00:00:01'),
  (u(4), 1, 2, 'ann', 0, '2000-01-01 00:00:01', '2000-01-01 00:00:02'),
  (u(5), 1, 2, 'bob', 0, '2000-01-01 00:00:01', '2000-01-01 00:00:03'),
  (u(6), 1, 3, 'ann', 5, '2000-01-01 00:00:05', '2000-01-01 00:00:04'),
  (u(7), 2, 1, 'ann', 0, '2000-01-01 00:00:02', '2000-01-01 00:00:05'),
  (u(8), 2, 2, 'cat', -1, '2000-01-01 00:00:00', '2000-01-01 00:00:06'),
  (u(10), 2, 3, 'cat', 10, now() + interval '1 hour', '2000-01-01 00:00:07');
INSERT INTO runstore.executions (id, workspace_id, workflow_id, status, lease_owner, priority, run_after, finished_at) VALUES
  (u(11), 1, 4, 'succeeded', 'w1', 100, '2000-01-01', '2000-01-01'),
  (u(12), 1, 4, 'failed', 'w1', 100, '2000-01-01', '2000-01-01'),
  (u(13), 1, 4, 'cancelled', 'w1', 100, '2000-01-01', '2000-01-01');
SELECT * FROM broken;

-- Highest priority first, even though it is the latest due.  max_jobs
-- defaults to 1; the lease to runstore.lease_timeout.
SELECT right(id::text, 4)::int AS n, status, attempt, lease_owner,
       lease_expires_at = statement_timestamp() + interval '1 minute' AS lease_is_timeout,
       run_after = lease_expires_at AS run_after_is_lease_end,
       started_at = statement_timestamp() AS started_now, updated_at = statement_timestamp() AS updated_now,
       finished_at IS NULL AS unfinished
  FROM runstore.dequeue('w1');
-- Then the earliest run_after, ties by id: 2 and 4 (run_after :01), not 5
-- (:01, greater id) nor 3 (smaller id, run_after :03).  The rows come back by
-- priority, then created_at: 4 before 2.
SELECT right(id::text, 4)::int AS n, attempt, lease_owner,
       lease_expires_at = statement_timestamp() + interval '5 minutes' AS lease_5min
  FROM runstore.dequeue('w1', 2, '5 minutes');
-- Then 5 (:01), then 7 (:02) before 3 (:03) although 3 has the smaller id.
SELECT right(id::text, 4)::int AS n, lease_owner FROM runstore.dequeue('w2', 1, '5 minutes');
SELECT right(id::text, 4)::int AS n, lease_owner FROM runstore.dequeue('w2', 1, '5 minutes');
-- The rest: 3 and then 8, the lowest priority; 10 is not due yet, 11-13 are
-- finished; fewer rows than max_jobs.
SELECT right(id::text, 4)::int AS n, lease_owner FROM runstore.dequeue('w2', 10, '5 minutes');
SELECT count(*) AS nothing_due FROM runstore.dequeue('w3', 10);
SELECT * FROM queue;
SELECT * FROM broken;
-- 10 becomes claimable when its run_after comes.
UPDATE runstore.executions SET run_after = statement_timestamp() WHERE id = u(10);
SELECT right(id::text, 4)::int AS n, lease_owner, attempt FROM runstore.dequeue('w3', 10, '5 minutes');
-- The lease follows runstore.lease_timeout when the call passes none.
UPDATE runstore.executions SET status = 'queued', attempt = 0, lease_owner = NULL, lease_expires_at = NULL,
                               started_at = NULL, run_after = '2000-01-01' WHERE id = u(10);
SET runstore.lease_timeout = '90s';
SELECT right(id::text, 4)::int AS n, lease_expires_at - started_at AS lease FROM runstore.dequeue('w3', 1, NULL);
RESET runstore.lease_timeout;
-- A rolled back dequeue leaves the execution queued, attempt unchanged.
UPDATE runstore.executions SET status = 'queued', attempt = 0, lease_owner = NULL, lease_expires_at = NULL,
                               started_at = NULL, run_after = '2000-01-01' WHERE id = u(10);
BEGIN;
SELECT right(id::text, 4)::int AS n FROM runstore.dequeue('w3');
ROLLBACK;
SELECT * FROM queue WHERE n = 10;
SELECT right(id::text, 4)::int AS n, attempt FROM runstore.dequeue('w3', 1, '5 minutes');
SELECT * FROM inconsistencies;

-- heartbeat: extends the leases the worker holds among ids and returns
-- those ids in the order given: duplicates once; unknown ids, NULLs, other
-- workers' executions (7 is w2's) and finished ones (11-13) left out.
SELECT right(h::text, 4)::int AS n
  FROM runstore.heartbeat('w1', ARRAY[u(4), u(7), u(999), NULL, u(4), u(11), u(12), u(13), u(6), u(2)], '10 minutes') h;
SELECT n, owner, lease FROM queue WHERE status = 'running';
-- Not w3's: nothing.  NULL lease: runstore.lease_timeout.
SELECT count(*) AS not_held FROM runstore.heartbeat('w3', ARRAY[u(4), u(5)]);
SET runstore.lease_timeout = '2min';
SELECT right(h::text, 4)::int AS n FROM runstore.heartbeat('w3', ARRAY[u(10)]) h;
RESET runstore.lease_timeout;
SELECT n, owner, lease FROM queue WHERE n = 10;
-- A queued execution has no lease to extend.
INSERT INTO runstore.executions (id, workspace_id, lease_owner) VALUES (u(14), 3, 'w1');
SELECT count(*) AS queued_not_extended FROM runstore.heartbeat('w1', ARRAY[u(14)]);
-- attempts, aligned with ids, are the fencing tokens: only running
-- executions at that attempt are extended (all are at attempt 1 here).
SELECT right(h::text, 4)::int AS n
  FROM runstore.heartbeat('w2', ARRAY[u(5), u(7), NULL, u(3), u(5)], '3 minutes', ARRAY[1, 1, 7, 2, 1]) h;
SELECT n, owner, lease FROM queue WHERE owner = 'w2';
-- workspace_ids (with attempts, aligned with ids, as dequeue returned them):
-- an execution only in the workspace given (a NULL element: any); on Citus
-- they route each to its node (tests/citus).
SELECT right(h::text, 4)::int AS n
  FROM runstore.heartbeat('w2', ARRAY[u(5), u(7)], '3 minutes', ARRAY[1, 1],
                          ARRAY[(SELECT workspace_id FROM runstore.executions WHERE id = u(5)), -1]) h;
SELECT right(h::text, 4)::int AS n
  FROM runstore.heartbeat('w2', ARRAY[u(7)], '3 minutes', ARRAY[1], ARRAY[NULL]::bigint[]) h;
-- NULL, empty and all-NULL ids: no rows (attempts, if any, as long as ids).
SELECT count(*) AS null_ids FROM runstore.heartbeat('w1', NULL);
SELECT count(*) AS empty_ids FROM runstore.heartbeat('w1', '{}');
SELECT count(*) AS all_nulls FROM runstore.heartbeat('w1', '{NULL,NULL}');
SELECT count(*) AS empty_both FROM runstore.heartbeat('w1', '{}', NULL, '{}');
SELECT count(*) AS all_nulls_fenced FROM runstore.heartbeat('w1', '{NULL}', NULL, '{1}');
-- Errors.
SELECT * FROM runstore.heartbeat(NULL, ARRAY[u(2)]);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM runstore.heartbeat(NULL, NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM runstore.heartbeat('', ARRAY[u(2)]);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM runstore.heartbeat(repeat('w', 257), ARRAY[u(2)]);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM runstore.heartbeat('w1', ARRAY[[u(2), u(4)]]);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM runstore.heartbeat('w1', ARRAY(SELECT u(n) FROM generate_series(1, 501) n));
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM runstore.heartbeat('w1', ARRAY[u(2)], '0');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM runstore.heartbeat('w1', ARRAY[u(2)], '8 days');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM runstore.heartbeat('w1', ARRAY[u(2), u(4)], NULL, ARRAY[1]);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM runstore.heartbeat('w1', ARRAY[u(2)], NULL, ARRAY[1, 1]);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM runstore.heartbeat('w1', ARRAY[u(2), u(4)], NULL, ARRAY[[1, 1]]);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM runstore.heartbeat('w1', ARRAY[u(2), u(4)], NULL, ARRAY[1, NULL]);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM runstore.heartbeat('w1', NULL, NULL, ARRAY[1]);
\echo :LAST_ERROR_SQLSTATE
-- workspace_ids without attempts, or not as long as ids: 22023.
SELECT * FROM runstore.heartbeat('w1', ARRAY[u(2)], NULL, NULL, ARRAY[1]::bigint[]);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM runstore.heartbeat('w1', ARRAY[u(2)], NULL, ARRAY[1], ARRAY[1, 2]::bigint[]);
\echo :LAST_ERROR_SQLSTATE
SELECT n, owner, lease FROM queue WHERE owner = 'w1';
SELECT * FROM broken;
SELECT * FROM inconsistencies;
TRUNCATE runstore.executions;

-- Lease expiry.  20 may run twice, 21 once, 22 three times.
INSERT INTO runstore.executions (id, workspace_id, workflow_id, user_id, max_attempts, created_at) VALUES
  (u(20), 1, 1, 'ann', 2, '2000-01-01 00:00:01'),
  (u(21), 1, 1, 'bob', 1, '2000-01-01 00:00:02'),
  (u(22), 1, 2, 'ann', 3, '2000-01-01 00:00:03');
SELECT right(id::text, 4)::int AS n, attempt, lease_owner FROM runstore.dequeue('wa', 3, '1 millisecond');
SELECT pg_sleep(0.01);
-- The leases ended: another worker claims 20 and 22 again (attempt 2); 21
-- was on its last attempt, so it fails instead and is not handed out.
SELECT right(id::text, 4)::int AS n, attempt, lease_owner FROM runstore.dequeue('wb', 3, '5 minutes');
SELECT * FROM queue;
-- wa no longer holds 20: its heartbeat, complete and fail are refused and
-- change nothing.
SELECT count(*) AS wa_heartbeat FROM runstore.heartbeat('wa', ARRAY[u(20), u(21), u(22)]);
SELECT runstore.complete(u(20), 'wa', '{"by": "wa"}') AS wa_complete;
SELECT runstore.fail(u(20), 'wa', 'wa failed') AS wa_fail;
SELECT runstore.complete(u(21), 'wa') AS wa_complete_failed;
SELECT runstore.fail(u(21), 'wa', 'again') AS wa_fail_failed;
SELECT * FROM queue;
-- 20's lease ends on its last attempt: failed, with the worker named.
UPDATE runstore.executions SET run_after = statement_timestamp() - interval '1 second',
                               lease_expires_at = statement_timestamp() - interval '1 second' WHERE id = u(20);
SELECT count(*) AS claimed FROM runstore.dequeue('wc', 1);
SELECT * FROM queue WHERE n = 20;
SELECT * FROM broken;
SELECT * FROM inconsistencies;
TRUNCATE runstore.executions;

-- Fencing: a worker that restarts under the same name.  30 is claimed by w
-- (attempt 1), its lease ends, and w claims it again (attempt 2).
INSERT INTO runstore.executions (id, workspace_id, workflow_id, user_id) VALUES (u(30), 1, 1, 'ann');
SELECT right(id::text, 4)::int AS n, attempt FROM runstore.dequeue('w', 1, '1 millisecond');
SELECT pg_sleep(0.01);
SELECT right(id::text, 4)::int AS n, attempt FROM runstore.dequeue('w', 1, '5 minutes');
-- Attempt 1's heartbeat, complete and fail are refused; attempt 2's succeed.
SELECT count(*) AS old_attempt_heartbeat FROM runstore.heartbeat('w', ARRAY[u(30)], '1 hour', ARRAY[1]);
SELECT runstore.complete(u(30), 'w', '{"attempt": 1}', 1) AS old_attempt_complete;
SELECT runstore.fail(u(30), 'w', 'attempt 1 failed', true, 1) AS old_attempt_fail;
SELECT runstore.fail(u(30), 'w', 'attempt 1 failed', false, 1) AS old_attempt_fail_final;
SELECT * FROM queue;
SELECT right(h::text, 4)::int AS n FROM runstore.heartbeat('w', ARRAY[u(30)], '1 hour', ARRAY[2]) h;
SELECT runstore.complete(u(30), 'w', '{"attempt": 2}', 2) AS new_attempt_complete;
SELECT * FROM queue;
-- Without the token the name alone decides (an old attempt could not be told apart).
INSERT INTO runstore.executions (id, workspace_id) VALUES (u(31), 1);
SELECT right(id::text, 4)::int AS n, attempt FROM runstore.dequeue('w', 1, '5 minutes');
SELECT runstore.complete(u(31), 'w', NULL, NULL) AS unfenced_complete;
-- An expired lease nobody claimed again is still its holder's: heartbeat
-- extends it, complete and fail are accepted.
INSERT INTO runstore.executions (id, workspace_id, created_at) VALUES
  (u(32), 1, '2000-01-01 00:00:01'), (u(33), 1, '2000-01-01 00:00:02'), (u(34), 1, '2000-01-01 00:00:03');
SELECT right(id::text, 4)::int AS n, attempt FROM runstore.dequeue('w', 3, '1 millisecond');
SELECT pg_sleep(0.01);
SELECT right(h::text, 4)::int AS n FROM runstore.heartbeat('w', ARRAY[u(32)], '5 minutes') h;
SELECT runstore.complete(u(33), 'w', '{"late": true}') AS late_complete;
SELECT runstore.fail(u(34), 'w', 'late failure', false) AS late_fail;
SELECT count(*) AS nothing_to_reclaim FROM runstore.dequeue('x', 10);
SELECT * FROM queue;
SELECT * FROM broken;
TRUNCATE runstore.executions;

-- An exhausted lease counts against max_jobs: dequeue(max_jobs => 1) meets
-- 40 (expired on its last attempt) first, fails it, and returns no row,
-- although 41 is due.  The next call gets 41.
INSERT INTO runstore.executions (id, workspace_id, priority, max_attempts) VALUES (u(40), 1, 1, 1), (u(41), 1, 0, 1);
SELECT right(id::text, 4)::int AS n FROM runstore.dequeue('w', 1, '1 millisecond');
SELECT pg_sleep(0.01);
SELECT count(*) AS first_call FROM runstore.dequeue('w2', 1);
SELECT right(id::text, 4)::int AS n, lease_owner FROM runstore.dequeue('w2', 1);
SELECT n, status, attempt, owner, error FROM queue;
TRUNCATE runstore.executions;

-- A queued row whose attempt is already the largest integer (only written by
-- hand) cannot be claimed without overflowing the counter: dequeue fails it
-- with a reason instead of raising 22003 on every call, and hands out the
-- rest.  Queued and running alike.
INSERT INTO runstore.executions (id, workspace_id, priority, attempt, max_attempts)
VALUES (u(42), 1, 9, 2147483647, 3), (u(43), 1, 0, 0, 3);
INSERT INTO runstore.executions (id, workspace_id, priority, status, attempt, max_attempts, lease_owner,
                                 lease_expires_at, run_after)
VALUES (u(44), 1, 8, 'running', 2147483647, 2147483647, 'gone', now() - interval '1 s', now() - interval '1 s');
SELECT right(id::text, 4)::int AS n, attempt FROM runstore.dequeue('w', 10);
SELECT n, status, attempt, owner, error FROM queue;
TRUNCATE runstore.executions;

-- complete.
INSERT INTO runstore.executions (id, workspace_id, workflow_id, user_id, created_at) VALUES
  (u(50), 1, 1, 'ann', '2000-01-01 00:00:01'), (u(51), 1, 1, 'bob', '2000-01-01 00:00:02'),
  (u(52), 1, 2, 'ann', '2000-01-01 00:00:03'), (u(53), 1, 2, 'bob', '2000-01-01 00:00:04');
SELECT right(id::text, 4)::int AS n FROM runstore.dequeue('w', 2, '5 minutes');
SELECT runstore.complete(u(50), 'w', '{"rows": 3}') AS completed;
SELECT * FROM queue WHERE n = 50;
SELECT finished_at = updated_at AS finished_by_complete FROM runstore.executions WHERE id = u(50);
-- Twice: refused, the first result stays.
SELECT runstore.complete(u(50), 'w', '{"rows": 4}') AS completed_twice;
-- Another worker: refused.
SELECT runstore.complete(u(51), 'other', '{"by": "other"}') AS wrong_worker;
-- A NULL result is stored as NULL.
SELECT runstore.complete(u(51), 'w') AS completed_without_result;
-- Queued (never claimed), cancelled, failed, unknown: refused.
SELECT runstore.complete(u(52), 'w') AS queued;
SELECT count(*) FROM runstore.cancel(ARRAY[u(53)]);
SELECT runstore.complete(u(53), 'w') AS cancelled;
SELECT runstore.complete(u(999), 'w') AS unknown;
SELECT * FROM queue;
-- Errors.
SELECT runstore.complete(NULL, 'w');
\echo :LAST_ERROR_SQLSTATE
SELECT runstore.complete(u(52), NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT runstore.complete(u(52), '');
\echo :LAST_ERROR_SQLSTATE
SELECT runstore.complete(u(52), repeat('w', 257));
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM broken;
SELECT * FROM inconsistencies;
TRUNCATE runstore.executions;

-- fail.  With retry_backoff_base = 0 a retry is due at once (delay 0).
SET runstore.retry_backoff_base = 0;
INSERT INTO runstore.executions (id, workspace_id, workflow_id, user_id, priority) VALUES
  (u(60), 1, 1, 'ann', 2), (u(61), 1, 1, 'bob', 1), (u(62), 1, 2, 'ann', 0);
-- 60 may run 3 times: retried after attempts 1 and 2, failed after 3.
SELECT right(id::text, 4)::int AS n, attempt FROM runstore.dequeue('w', 1, '5 minutes');
SELECT runstore.fail(u(60), 'w', 'boom 1') AS status;
SELECT *, (SELECT run_after = updated_at FROM runstore.executions WHERE id = u(60)) AS due_at_once FROM queue WHERE n = 60;
SELECT right(id::text, 4)::int AS n, attempt, lease_owner FROM runstore.dequeue('w2', 1, '5 minutes');
SELECT runstore.fail(u(60), 'w2', 'boom 2', true) AS status;
SELECT right(id::text, 4)::int AS n, attempt FROM runstore.dequeue('w', 1, '5 minutes');
SELECT runstore.fail(u(60), 'w', 'boom 3') AS status;
SELECT * FROM queue WHERE n = 60;
SELECT finished_at = updated_at AS finished_by_fail FROM runstore.executions WHERE id = u(60);
-- Not retryable: failed on the first attempt (with its fencing token).
SELECT right(id::text, 4)::int AS n, attempt FROM runstore.dequeue('w', 1, '5 minutes');
SELECT runstore.fail(u(61), 'w', 'bad input', false, 1) AS status;
SELECT * FROM queue WHERE n = 61;
-- Refused (NULL, nothing changed): failed already, another worker, queued,
-- cancelled, unknown.
SELECT runstore.fail(u(61), 'w', 'again') IS NULL AS failed_already;
SELECT right(id::text, 4)::int AS n FROM runstore.dequeue('w', 1, '5 minutes');
SELECT runstore.fail(u(62), 'other', 'not mine') IS NULL AS wrong_worker;
SELECT count(*) FROM runstore.cancel(ARRAY[u(62)]);
SELECT runstore.fail(u(62), 'w', 'after cancel') IS NULL AS cancelled;
INSERT INTO runstore.executions (id, workspace_id) VALUES (u(63), 1);
SELECT runstore.fail(u(63), 'w', 'never claimed') IS NULL AS queued;
SELECT runstore.fail(u(999), 'w', 'unknown') IS NULL AS unknown;
SELECT * FROM queue;
-- Errors.
SELECT runstore.fail(NULL, 'w', 'e');
\echo :LAST_ERROR_SQLSTATE
SELECT runstore.fail(u(63), NULL, 'e');
\echo :LAST_ERROR_SQLSTATE
SELECT runstore.fail(u(63), '', 'e');
\echo :LAST_ERROR_SQLSTATE
SELECT runstore.fail(u(63), 'w', NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT runstore.fail(u(63), 'w', 'e', NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM broken;
SELECT * FROM inconsistencies;
TRUNCATE runstore.executions;

-- Backoff: fail() re-queues after runstore._retry_delay(attempt), drawn
-- from [0, min(cap, base * 2^(attempt - 1))).  1000 draws each: all within
-- the bounds, and spread over them (the largest above half the ceiling, the
-- smallest below it).
SET runstore.retry_backoff_base = '1s';
CREATE FUNCTION draws(attempt int, ceiling interval)
  RETURNS TABLE (at_least_zero boolean, below_ceiling boolean, spread boolean) LANGUAGE sql AS $$
  SELECT min(d) >= interval '0', max(d) <= ceiling, max(d) > ceiling / 2 AND min(d) < ceiling / 2
  FROM (SELECT runstore._retry_delay(attempt) AS d FROM generate_series(1, 1000)) s $$;
SELECT * FROM draws(1, '1 second');
SELECT * FROM draws(2, '2 seconds');
SELECT * FROM draws(5, '16 seconds');
-- Attempts below 1 count as 1.
SELECT * FROM draws(0, '1 second');
SELECT * FROM draws(-5, '1 second');
-- The cap bounds the ceiling, also for huge attempts.
SELECT * FROM draws(13, '1 hour');
SELECT * FROM draws(2147483647, '1 hour');
SET runstore.retry_backoff_cap = '10s';
SELECT * FROM draws(5, '10 seconds');
-- A cap below the base.
SET runstore.retry_backoff_cap = '100ms';
SELECT * FROM draws(1, '100 milliseconds');
RESET runstore.retry_backoff_cap;
-- Base 0: no delay at all.
SET runstore.retry_backoff_base = 0;
SELECT count(*) FILTER (WHERE d <> interval '0') AS nonzero
  FROM (SELECT runstore._retry_delay(n) AS d FROM generate_series(1, 100) n) s;
RESET runstore.retry_backoff_base;
-- STRICT.
SELECT runstore._retry_delay(NULL) IS NULL AS null_attempt;
-- Attempts at the bottom of int4 are below the first: the base, not the cap.
SELECT runstore._retry_delay(-2147483648) <= interval '1 s' AS int_min_uses_base,
       runstore._retry_delay(-2147483647) <= interval '1 s' AS int_min_plus_one_uses_base;
-- fail() applies it: with base 1h the retry waits, and is not claimable yet.
SET runstore.retry_backoff_base = '1h';
INSERT INTO runstore.executions (id, workspace_id) VALUES (u(70), 1);
SELECT right(id::text, 4)::int AS n FROM runstore.dequeue('w', 1, '5 minutes');
SELECT runstore.fail(u(70), 'w', 'later') AS status;
SELECT status, run_after > updated_at AND run_after < updated_at + interval '1 hour' AS delayed_within_ceiling
  FROM runstore.executions WHERE id = u(70);
SELECT count(*) AS not_due FROM runstore.dequeue('w', 1);
RESET runstore.retry_backoff_base;
TRUNCATE runstore.executions;
-- fail() computes that delay in its UPDATE from values it binds (the random
-- draw among them), not by calling _retry_delay: Citus refuses VOLATILE
-- functions in an UPDATE of a distributed table, and non-IMMUTABLE ones in
-- its CASEs.  Same bounds: 100 running rows each (written by hand) at
-- attempts 0, 1, 3 and 2147483646, failed alternately with and without
-- their fencing token: every delay within [0, ceiling], spread over it; at
-- the huge attempt the ceiling is the cap (7 days, the largest), no error.
SET runstore.retry_backoff_base = '1s';
SET runstore.retry_backoff_cap = '7d';
INSERT INTO runstore.executions (id, workspace_id, status, attempt, max_attempts, lease_owner,
                                 lease_expires_at, run_after, started_at)
SELECT u(n), 1, 'running', (ARRAY[0, 1, 3, 2147483646])[n / 100 - 1], 2147483647, 'w',
       now() + interval '5 minutes', now() + interval '5 minutes', now()
  FROM generate_series(200, 599) n;
SELECT count(*) AS retried FROM generate_series(200, 599) n
  WHERE runstore.fail(u(n), 'w', 'e', true,
                      CASE WHEN n % 2 = 0 THEN (ARRAY[0, 1, 3, 2147483646])[n / 100 - 1] END) = 'queued';
SELECT attempt, count(*) AS n, min(run_after - updated_at) >= interval '0' AS at_least_zero,
       max(run_after - updated_at) <= ceiling AS within_ceiling,
       max(run_after - updated_at) > ceiling / 2 AND min(run_after - updated_at) < ceiling / 2 AS spread
  FROM runstore.executions
  JOIN (VALUES (0, interval '1 second'), (1, '1 second'), (3, '4 seconds'), (2147483646, '7 days')) c(attempt, ceiling)
    USING (attempt)
  WHERE status = 'queued'
  GROUP BY attempt, ceiling ORDER BY attempt;
SELECT * FROM broken;
-- Neither form names _retry_delay, now() or statement_timestamp().
SELECT name, runstore._statement_text(name) ~ '(_retry_delay|now|statement_timestamp) *\(' AS calls_them
  FROM unnest(ARRAY['fail', 'fail_attempt']) AS name;
RESET runstore.retry_backoff_base;
RESET runstore.retry_backoff_cap;
TRUNCATE runstore.executions;

-- cancel: queued and running executions; returns their ids in the order
-- given, duplicates once, finished, unknown and NULL ones left out.
INSERT INTO runstore.executions (id, workspace_id, workflow_id, user_id, status, finished_at, created_at) VALUES
  (u(80), 1, 1, 'ann', 'queued', NULL, '2000-01-01 00:00:01'),
  (u(81), 1, 1, 'bob', 'queued', NULL, '2000-01-01 00:00:02'),
  (u(82), 1, 2, 'ann', 'succeeded', '2000-01-01', '2000-01-01 00:00:03'),
  (u(83), 1, 2, 'bob', 'failed', '2000-01-01', '2000-01-01 00:00:04'),
  (u(84), 1, 3, 'ann', 'cancelled', '2000-01-01', '2000-01-01 00:00:05'),
  (u(85), 2, 1, 'ann', 'queued', NULL, '2000-01-01 00:00:06'),
  (u(86), 2, 1, 'bob', 'queued', NULL, '2000-01-01 00:00:07');
SELECT right(id::text, 4)::int AS n FROM runstore.dequeue('w', 1, '5 minutes');  -- 80 runs
SELECT right(id::text, 4)::int AS n FROM runstore.dequeue('w2', 1, '5 minutes');  -- 81 runs
SELECT right(c::text, 4)::int AS n
  FROM runstore.cancel(ARRAY[u(82), u(81), NULL, u(999), u(80), u(81), u(83), u(84)]) c;
SELECT * FROM queue;
SELECT (SELECT finished_at = updated_at FROM runstore.executions WHERE id = u(80)) AS finished_by_cancel;
-- The worker of a cancelled execution learns it from heartbeat, complete or fail.
SELECT count(*) AS heartbeat FROM runstore.heartbeat('w', ARRAY[u(80)]);
SELECT runstore.complete(u(80), 'w') AS complete;
SELECT runstore.fail(u(80), 'w', 'e') AS fail;
-- Cancelled executions are not claimable; a second cancel changes nothing.
SELECT right(id::text, 4)::int AS n FROM runstore.dequeue('w', 10, '5 minutes');  -- 85 and 86 only
SELECT count(*) AS cancel_again FROM runstore.cancel(ARRAY[u(80), u(81)]);
-- workspace_id scopes it: 85 and 86 are in workspace 2.
SELECT count(*) AS other_workspace FROM runstore.cancel(ARRAY[u(85), u(86)], 1);
SELECT right(c::text, 4)::int AS n FROM runstore.cancel(ARRAY[u(86), u(85)], 2) c;
SELECT n, status, owner, lease, finished FROM queue WHERE n IN (85, 86);
-- NULL, empty and all-NULL arrays cancel nothing.
SELECT count(*) AS null_ids FROM runstore.cancel(NULL);
SELECT count(*) AS null_ids_in_workspace FROM runstore.cancel(NULL, 1);
SELECT count(*) AS empty_ids FROM runstore.cancel('{}');
SELECT count(*) AS all_nulls FROM runstore.cancel('{NULL,NULL}');
-- Errors.
SELECT * FROM runstore.cancel(ARRAY[[u(80), u(81)]]);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM runstore.cancel(ARRAY(SELECT u(n) FROM generate_series(1, 501) n));
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM broken;
SELECT * FROM inconsistencies;
TRUNCATE runstore.executions;

-- Privileges: the functions run as the caller.  Without UPDATE on the table:
-- 42501 for each, as for a plain UPDATE.  With row-level security, a worker
-- claims and cancels only the rows its policy lets it update.
INSERT INTO runstore.executions (id, workspace_id, created_at) VALUES
  (u(90), 1, '2000-01-01 00:00:01'), (u(91), 2, '2000-01-01 00:00:02'), (u(92), 1, '2000-01-01 00:00:03');
CREATE ROLE rs_queue_reader;
CREATE ROLE rs_queue_tenant1;
GRANT USAGE ON SCHEMA runstore TO rs_queue_reader, rs_queue_tenant1;
GRANT SELECT ON runstore.executions TO rs_queue_reader;
GRANT SELECT, UPDATE ON runstore.executions TO rs_queue_tenant1;
SET ROLE rs_queue_reader;
SELECT count(*) FROM runstore.dequeue('r');
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) FROM runstore.heartbeat('r', ARRAY[u(90)]);
\echo :LAST_ERROR_SQLSTATE
SELECT runstore.complete(u(90), 'r');
\echo :LAST_ERROR_SQLSTATE
SELECT runstore.fail(u(90), 'r', 'e');
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) FROM runstore.cancel(ARRAY[u(90)]);
\echo :LAST_ERROR_SQLSTATE
-- The settings are the worker's own to choose.
SET runstore.lease_timeout = '2min';
SET runstore.retry_backoff_base = '2s';
SET runstore.retry_backoff_cap = '1min';
RESET ROLE;
RESET runstore.lease_timeout;
RESET runstore.retry_backoff_base;
RESET runstore.retry_backoff_cap;
ALTER TABLE runstore.executions ENABLE ROW LEVEL SECURITY;
CREATE POLICY queue_tenant1 ON runstore.executions TO rs_queue_tenant1 USING (workspace_id = 1);
SET ROLE rs_queue_tenant1;
SELECT right(id::text, 4)::int AS n FROM runstore.dequeue('t1', 10, '5 minutes');
SELECT count(*) AS other_tenant FROM runstore.cancel(ARRAY[u(91)]);
SELECT right(c::text, 4)::int AS n FROM runstore.cancel(ARRAY[u(91), u(92)]) c;
RESET ROLE;
SELECT n, status, owner FROM queue;
DROP POLICY queue_tenant1 ON runstore.executions;
ALTER TABLE runstore.executions DISABLE ROW LEVEL SECURITY;
DROP OWNED BY rs_queue_reader, rs_queue_tenant1;
DROP ROLE rs_queue_reader, rs_queue_tenant1;

-- The recent-workflows summary stays exact through every transition above
-- (checked after each section); once more with all of them mixed.
TRUNCATE runstore.executions;
INSERT INTO runstore.executions (id, workspace_id, workflow_id, user_id, created_at)
SELECT u(n), 1 + n % 2, n % 3, 'u' || n % 2, '2000-01-01'::timestamptz + n * interval '1 second'
  FROM generate_series(100, 129) n;
SET runstore.retry_backoff_base = 0;
SELECT count(*) AS claimed FROM runstore.dequeue('w', 20, '5 minutes');
SELECT count(*) AS completed FROM generate_series(100, 104) n WHERE runstore.complete(u(n), 'w', '{}');
SELECT count(*) AS retried FROM generate_series(105, 109) n WHERE runstore.fail(u(n), 'w', 'e') = 'queued';
SELECT count(*) AS failed FROM generate_series(110, 112) n WHERE runstore.fail(u(n), 'w', 'e', false) = 'failed';
SELECT count(*) AS cancelled FROM runstore.cancel(ARRAY(SELECT u(n) FROM generate_series(116, 125) n));
SELECT count(*) AS extended FROM runstore.heartbeat('w', ARRAY(SELECT u(n) FROM generate_series(100, 129) n));
RESET runstore.retry_backoff_base;
SELECT status, count(*) FROM runstore.executions GROUP BY status ORDER BY status;
SELECT * FROM broken;
SELECT * FROM runstore.verify_recent_workflows();

DROP FUNCTION draws(int, interval);
DROP VIEW queue, broken, inconsistencies;
TRUNCATE runstore.executions;
