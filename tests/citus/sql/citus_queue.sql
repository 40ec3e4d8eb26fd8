-- The queue on the cluster (citus_distribute ran first): dequeue claims
-- from every shard without naming a workspace, the batch outcomes run on
-- the nodes holding their executions, leases end and are claimed again
-- across shards, a stale worker is refused on every node, wait_for_work on
-- the coordinator hears of work on the workers; the errors of the
-- functions each node runs for them.  Concurrency, and a worker node killed
-- under load: tests/citus/queue_cluster.sh.
\set VERBOSITY terse
SET client_min_messages = warning;
TRUNCATE runstore.executions;

-- 64 executions, one per workspace: over every shard.
INSERT INTO runstore.executions (id, workspace_id, max_attempts)
SELECT u(1000 + g), g, 2 FROM generate_series(1, 64) g;
SELECT count(DISTINCT get_shard_id_for_distribution_column('runstore.executions', workspace_id)) AS shards
FROM runstore.executions;
-- Which node holds each workspace, to see where claims came from.
CREATE TEMP TABLE node_of AS
SELECT e.workspace_id, n.nodeport
FROM runstore.executions e
JOIN pg_dist_placement p ON p.shardid = get_shard_id_for_distribution_column('runstore.executions', e.workspace_id)
JOIN pg_dist_node n ON n.groupid = p.groupid;

-- dequeue names no workspace: a call fills from one node's shards, then the
-- next node's.  Two calls never hand out the same execution; a third finds
-- nothing due.
CREATE TEMP TABLE first_claim AS SELECT id, attempt, workspace_id FROM runstore.dequeue('w1', 40, '1 second');
CREATE TEMP TABLE second_claim AS SELECT id, attempt, workspace_id FROM runstore.dequeue('w2', 40, '1 hour');
SELECT (SELECT count(*) FROM first_claim) AS first, (SELECT count(*) FROM second_claim) AS second,
       (SELECT count(*) FROM first_claim f JOIN second_claim s USING (id)) AS shared,
       (SELECT count(DISTINCT nodeport) FROM node_of JOIN first_claim USING (workspace_id)) AS first_from_nodes;
SELECT count(*) AS third FROM runstore.dequeue('w3', 10);
SELECT status, lease_owner, attempt, count(*) FROM runstore.executions GROUP BY 1, 2, 3 ORDER BY 2;

-- Outcomes are fenced on every node.  w2's at a stale attempt, and w1
-- naming w2's executions, change nothing, with or without workspaces.
SELECT count(*) AS stale FROM runstore.complete_many('w2', (SELECT array_agg(id) FROM second_claim),
                                                      (SELECT array_agg(attempt - 1) FROM second_claim));
SELECT count(*) AS not_held FROM runstore.complete_many('w1', (SELECT array_agg(id) FROM second_claim),
                                                         (SELECT array_agg(attempt) FROM second_claim), NULL,
                                                         (SELECT array_agg(workspace_id) FROM second_claim));
-- A wrong workspace leaves the execution alone.
SELECT count(*) AS wrong_workspace
FROM runstore.complete_many('w2', (SELECT array_agg(id) FROM second_claim),
                            (SELECT array_agg(attempt) FROM second_claim), NULL,
                            (SELECT array_agg(workspace_id + 1000) FROM second_claim));
-- w2's own: half routed by workspace, half sent to every node; returned in
-- the order given.
CREATE TEMP TABLE halves AS SELECT *, row_number() OVER (ORDER BY id DESC) <= 12 AS routed FROM second_claim;
SELECT array_agg(c) = (SELECT array_agg(id ORDER BY id DESC) FROM halves WHERE routed) AS in_order_routed
FROM runstore.complete_many('w2', (SELECT array_agg(id ORDER BY id DESC) FROM halves WHERE routed),
                            (SELECT array_agg(attempt ORDER BY id DESC) FROM halves WHERE routed),
                            (SELECT array_agg(jsonb_build_object('ws', workspace_id) ORDER BY id DESC) FROM halves WHERE routed),
                            (SELECT array_agg(workspace_id ORDER BY id DESC) FROM halves WHERE routed)) c;
SELECT array_agg(f.id) = (SELECT array_agg(id ORDER BY id DESC) FROM halves WHERE NOT routed) AS in_order_unrouted,
       min(f.status::text) AS status
FROM runstore.fail_many('w2', (SELECT array_agg(id ORDER BY id DESC) FROM halves WHERE NOT routed),
                        (SELECT array_agg(attempt ORDER BY id DESC) FROM halves WHERE NOT routed),
                        (SELECT array_agg('gave up'::text ORDER BY id DESC) FROM halves WHERE NOT routed),
                        (SELECT array_agg(false) FROM halves WHERE NOT routed)) f;
SELECT status, result IS NOT NULL AS has_result, result->>'ws' = workspace_id::text AS own_result, error, count(*)
FROM runstore.executions WHERE lease_owner = 'w2' GROUP BY 1, 2, 3, 4 ORDER BY 1;

-- w1's leases (1 second) end: w4 claims those executions again, at attempt
-- 2, from every node; w1, late, is refused everywhere.
SELECT pg_sleep(1.2);
CREATE TEMP TABLE reclaimed AS SELECT id, attempt, workspace_id FROM runstore.dequeue('w4', 100, '1 second');
SELECT count(*) AS reclaimed, min(attempt), max(attempt),
       count(*) FILTER (WHERE id IN (SELECT id FROM first_claim)) AS of_w1,
       (SELECT count(DISTINCT nodeport) FROM node_of JOIN reclaimed USING (workspace_id)) AS from_nodes
FROM reclaimed;
SELECT count(*) AS late FROM runstore.complete_many('w1', (SELECT array_agg(id) FROM first_claim),
                                                     (SELECT array_agg(attempt) FROM first_claim), NULL,
                                                     (SELECT array_agg(workspace_id) FROM first_claim));
SELECT runstore.complete((SELECT id FROM first_claim ORDER BY id LIMIT 1), 'w1', NULL, 1) AS late_single;
-- heartbeat keeps w4's leases alive on every node, routed by workspace or
-- sent to every node ...
SELECT count(*) AS kept FROM runstore.heartbeat('w4', (SELECT array_agg(id) FROM reclaimed), interval '1 second',
                                                (SELECT array_agg(attempt) FROM reclaimed),
                                                (SELECT array_agg(workspace_id) FROM reclaimed));
SELECT count(*) AS kept FROM runstore.heartbeat('w4', (SELECT array_agg(id) FROM reclaimed), interval '1 second',
                                                (SELECT array_agg(attempt) FROM reclaimed));
-- ... and a wrong workspace extends nothing.
SELECT count(*) AS wrong_workspace FROM runstore.heartbeat('w4', (SELECT array_agg(id) FROM reclaimed),
                                                           interval '1 second',
                                                           (SELECT array_agg(attempt) FROM reclaimed),
                                                           (SELECT array_agg(workspace_id + 1000) FROM reclaimed));
-- ... until they end on the last attempt (max_attempts 2): the next claim
-- fails them with the reason instead of handing them out.
SELECT pg_sleep(1.2);
SELECT count(*) AS delivered FROM runstore.dequeue('w5', 100);
SELECT status, attempt, error, count(*) FROM runstore.executions WHERE id IN (SELECT id FROM first_claim)
GROUP BY 1, 2, 3;

-- release_many hands claims back on their nodes, at no cost in attempts;
-- cancel reaches every node.
INSERT INTO runstore.executions (id, workspace_id) SELECT u(2000 + g), g FROM generate_series(1, 16) g;
CREATE TEMP TABLE to_release AS SELECT id, attempt, workspace_id FROM runstore.dequeue('w6', 16);
SELECT count(*) AS released FROM runstore.release_many('w6', (SELECT array_agg(id) FROM to_release),
                                                        (SELECT array_agg(attempt) FROM to_release),
                                                        (SELECT array_agg(workspace_id) FROM to_release));
SELECT status, attempt, count(*) FROM runstore.executions WHERE id IN (SELECT id FROM to_release) GROUP BY 1, 2;
SELECT count(*) AS cancelled FROM runstore.cancel((SELECT array_agg(id) FROM to_release));

-- wait_for_work on the coordinator, which holds no shard: at once when work
-- is due on a worker, after its timeout when none is.
SELECT count(*) AS nothing_due FROM runstore.executions WHERE status IN ('queued', 'running');
CALL runstore.wait_for_work(300, NULL);
INSERT INTO runstore.executions (id, workspace_id) VALUES (u(3001), 7);
CALL runstore.wait_for_work(10000, NULL);
SELECT count(*) AS claimed FROM runstore.dequeue('w7', 5);

-- The functions each node runs for dequeue and the batch outcomes.  Called
-- where Citus does not delegate them (here, inside a CTE), they refuse
-- rather than claim or change nothing: 0A000.
WITH c AS MATERIALIZED (SELECT * FROM runstore._claim_on_node(1, 'w8', 1, NULL)) SELECT count(*) FROM c;
\echo :LAST_ERROR_SQLSTATE
WITH o AS MATERIALIZED (SELECT * FROM runstore._outcomes_on_node(1, 'complete', 'w8', ARRAY[u(1)], ARRAY[1], NULL,
                                                                NULL, NULL, NULL, NULL) AS o(id uuid))
SELECT count(*) FROM o;
\echo :LAST_ERROR_SQLSTATE
-- An unknown kind: 22023.
SELECT * FROM runstore._outcomes_on_node(1, 'finish', 'w8', ARRAY[u(1)], ARRAY[1], NULL, NULL, NULL, NULL, NULL)
  AS o(id uuid);
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) AS differing FROM runstore.verify_recent_workflows();
TRUNCATE runstore.executions;
