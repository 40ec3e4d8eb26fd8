-- Where dequeue starts reading (README "Claim frontier"): the list of
-- priority classes, the announcement of rows arriving in the past, the
-- periodic full read and its setting, and the trigger's refusals.
-- Concurrency (a writer still open while a frontier moves, a late row
-- committed after a read, a rolled-back claim): tests/isolation/specs/
-- queue_claim_frontier.spec.
\set VERBOSITY default
\set SHOW_CONTEXT never
SET TimeZone = 'UTC';
TRUNCATE runstore.executions;
-- Start the list afresh (safe here: this session has not written a class yet,
-- so it remembers none as listed).
TRUNCATE runstore.queue_priorities;

-- Every priority inserted or updated is listed, once; rows of any status.
INSERT INTO runstore.executions (id, workspace_id, priority) VALUES (u(1), 1, 0), (u(2), 1, 5), (u(3), 1, 5);
INSERT INTO runstore.executions (id, workspace_id, priority, status) VALUES (u(4), 1, -3, 'succeeded');
COPY runstore.executions (id, workspace_id, priority) FROM STDIN;
00000000-0000-0000-0000-000000000005	1	9
\.
UPDATE runstore.executions SET priority = 7 WHERE id = u(1);
SELECT priority FROM runstore.queue_priorities ORDER BY priority;
-- A class added by a rolled-back statement is not listed, and is added by
-- the next statement that uses it (the backend does not remember it).
BEGIN;
INSERT INTO runstore.executions (id, workspace_id, priority) VALUES (u(6), 1, 42);
ROLLBACK;
SELECT count(*) AS rolled_back_class FROM runstore.queue_priorities WHERE priority = 42;
BEGIN;
SAVEPOINT s;
INSERT INTO runstore.executions (id, workspace_id, priority) VALUES (u(6), 1, 42);
ROLLBACK TO SAVEPOINT s;
COMMIT;
SELECT count(*) AS rolled_back_subtransaction_class FROM runstore.queue_priorities WHERE priority = 42;
INSERT INTO runstore.executions (id, workspace_id, priority) VALUES (u(6), 1, 42);
SELECT count(*) AS listed_at_last FROM runstore.queue_priorities WHERE priority = 42;

-- Claim order across classes holds when every call reads from frontiers:
-- with a full read only every hour, a first call sets this backend's
-- frontiers, and classes inserted afterwards are still read highest first.
SET runstore.claim_rescan_interval = '1h';
SELECT right(id::text, 4)::int AS n, priority FROM runstore.dequeue('w', 10);
INSERT INTO runstore.executions (id, workspace_id, priority) VALUES (u(10), 1, 0), (u(11), 1, 100), (u(12), 1, 5);
SELECT right(id::text, 4)::int AS n, priority FROM runstore.dequeue('w', 2);
SELECT right(id::text, 4)::int AS n, priority FROM runstore.dequeue('w', 2);

-- A row given a run_after in the past lies below the frontiers; the trigger
-- announces it (runstore.claim_epoch moves), so the next call reads from
-- the head and claims it before younger rows.  A row with the default
-- run_after is not announced.
SELECT last_value AS epoch FROM runstore.claim_epoch \gset
INSERT INTO runstore.executions (id, workspace_id) VALUES (u(20), 1);
SELECT last_value = :epoch AS default_run_after_not_announced FROM runstore.claim_epoch;
INSERT INTO runstore.executions (id, workspace_id, run_after) VALUES (u(21), 1, '2000-01-01');
SELECT last_value > :epoch AS past_run_after_announced FROM runstore.claim_epoch;
SELECT right(id::text, 4)::int AS n FROM runstore.dequeue('w', 1);
-- The same for a row an UPDATE moves into the past (here: re-queued by hand).
SELECT last_value AS epoch FROM runstore.claim_epoch \gset
UPDATE runstore.executions SET status = 'queued', attempt = 0, lease_owner = NULL, lease_expires_at = NULL,
                               started_at = NULL, run_after = '2001-01-01' WHERE id = u(11);
SELECT last_value > :epoch AS requeued_in_the_past_announced FROM runstore.claim_epoch;
SELECT right(id::text, 4)::int AS n FROM runstore.dequeue('w', 1);
SELECT right(id::text, 4)::int AS n FROM runstore.dequeue('w', 1);
-- Finished rows in the past are not claimable: no announcement.
SELECT last_value AS epoch FROM runstore.claim_epoch \gset
INSERT INTO runstore.executions (id, workspace_id, status, run_after) VALUES (u(22), 1, 'succeeded', '2000-01-01');
SELECT last_value = :epoch AS finished_not_announced FROM runstore.claim_epoch;
SELECT count(*) AS nothing_left FROM runstore.dequeue('w', 10);
RESET runstore.claim_rescan_interval;

-- The setting: 0..1h, in milliseconds by default; outside: 22023.
SET runstore.claim_rescan_interval = 0;
SHOW runstore.claim_rescan_interval;
SET runstore.claim_rescan_interval = '90s';
SHOW runstore.claim_rescan_interval;
SET runstore.claim_rescan_interval = -1;
\echo :LAST_ERROR_SQLSTATE
SET runstore.claim_rescan_interval = '2h';
\echo :LAST_ERROR_SQLSTATE
RESET runstore.claim_rescan_interval;
SHOW runstore.claim_rescan_interval;

-- The trigger function refuses to be misused (39P01).
SELECT runstore._register_priorities();
\echo :LAST_ERROR_SQLSTATE
CREATE TABLE other (id uuid, priority integer);
CREATE TRIGGER wrong AFTER INSERT ON other FOR EACH ROW EXECUTE FUNCTION runstore._register_priorities();
INSERT INTO other VALUES (u(1), 1);
\echo :LAST_ERROR_SQLSTATE
CREATE TRIGGER lookalike AFTER INSERT ON other REFERENCING NEW TABLE AS runstore_new
  FOR EACH STATEMENT EXECUTE FUNCTION runstore._register_priorities();
DROP TRIGGER wrong ON other;
INSERT INTO other VALUES (u(1), 1234);
\echo :LAST_ERROR_SQLSTATE
DROP TABLE other;
SELECT count(*) AS lookalike_not_listed FROM runstore.queue_priorities WHERE priority = 1234;
TRUNCATE runstore.executions;
