-- The plan shapes the batch functions rely on.  runstore._statement_text
-- returns the very SQL the C++ functions prepare (extension/src/pg/
-- statements.cpp), so these plans cannot drift from what the functions run.
-- On a table large enough for indexes to matter, a lookup or delete by ids
-- must be one primary-key index scan over the whole array (= ANY), and a
-- delete_by_tag round must use the GIN index on tags.
\set VERBOSITY default
INSERT INTO runstore.executions (workspace_id, workflow_id, user_id, tags)
SELECT n % 10, n % 500, 'u' || (n % 7), ARRAY['t' || (n % 100)] FROM generate_series(1, 20000) n;
ANALYZE runstore.executions, runstore.workspace_recent_workflow_slot, runstore.user_recent_workflow_slot;
SET plan_cache_mode = force_generic_plan;

DO $$
BEGIN
  EXECUTE format('PREPARE lookup(uuid[]) AS %s',
                 runstore._statement_text('select_by_ids'));
  EXECUTE format('PREPARE lookup_in_workspace(uuid[], bigint) AS %s',
                 runstore._statement_text('select_by_ids_in_workspace'));
  EXECUTE format('PREPARE remove(uuid[]) AS %s',
                 runstore._statement_text('delete_by_ids'));
  EXECUTE format('PREPARE remove_in_workspace(uuid[], bigint) AS %s',
                 runstore._statement_text('delete_by_ids_in_workspace'));
  EXECUTE format('PREPARE purge(text, integer) AS %s',
                 runstore._statement_text('delete_by_tag'));
  EXECUTE format('PREPARE recent(bigint, bigint) AS %s',
                 runstore._statement_text('recent_in_workspace'));
  EXECUTE format('PREPARE recent_user(bigint, bigint, text) AS %s',
                 runstore._statement_text('recent_for_user'));
  EXECUTE format('PREPARE recompute(bigint[], bigint[]) AS %s',
                 runstore._statement_text('workspace_recompute_groups'));
  EXECUTE format('PREPARE recompute_user(bigint[], text[], bigint[]) AS %s',
                 runstore._statement_text('user_recompute_groups'));
END
$$;

EXPLAIN (COSTS OFF) EXECUTE lookup('{}');
EXPLAIN (COSTS OFF) EXECUTE lookup_in_workspace('{}', 1);
EXPLAIN (COSTS OFF) EXECUTE remove('{}');
EXPLAIN (COSTS OFF) EXECUTE remove_in_workspace('{}', 1);
EXPLAIN (COSTS OFF) EXECUTE purge('t1', 10);
-- recent_workflows reads the slots in result order from an index (no Sort),
-- and a collapsed group's latest remaining run is one index probe.
EXPLAIN (COSTS OFF) EXECUTE recent(1, 64);
EXPLAIN (COSTS OFF) EXECUTE recent_user(1, 64, 'ann');
-- The recompute runs inside the trigger function, which sets enable_seqscan
-- off: its slot rows are deleted by ctid, a TID scan whatever the summary's
-- size when the plan was made.
SET enable_seqscan = off;
EXPLAIN (COSTS OFF) EXECUTE recompute('{1}', '{1}');
EXPLAIN (COSTS OFF) EXECUTE recompute_user('{1}', '{ann}', '{1}');
RESET enable_seqscan;

-- The statements are schema-qualified throughout: none names an unqualified
-- table (a search_path hijack target).
SELECT name, runstore._statement_text(name) ~ '( FROM| JOIN| INTO| UPDATE) (executions|workspace_recent|user_recent|queue_priorities)'
       AS unqualified_table
FROM unnest(ARRAY['select_by_ids', 'select_by_ids_in_workspace',
                  'delete_by_ids', 'delete_by_ids_in_workspace',
                  'delete_by_tag', 'delete_by_tag_in_workspace',
                  'add_inserted', 'add_updated',
                  'workspace_unname_deleted', 'workspace_unname_updated',
                  'user_unname_deleted', 'user_unname_updated', 'update_changes_groups',
                  'workspace_recompute_groups', 'user_recompute_groups',
                  'truncate_recent', 'recent_in_workspace', 'recent_for_user',
                  'dequeue', 'dequeue_from_frontiers', 'queue_priorities', 'register_priorities',
                  'heartbeat', 'heartbeat_attempts', 'complete', 'complete_attempt',
                  'fail', 'fail_attempt', 'cancel', 'cancel_in_workspace']) AS name;
-- Nor an operator looked up by name: every comparison is OPERATOR(pg_catalog.x),
-- no IN (...) and no IS DISTINCT FROM (both resolve "=" through search_path).
SELECT name FROM unnest(ARRAY['add_updated', 'workspace_unname_updated', 'user_unname_updated',
                              'workspace_recompute_groups', 'recent_for_user']) AS name
WHERE replace(runstore._statement_text(name),   -- the one "=" that is an assignment
              'SET last_used_at = w.created_at, last_execution_id = w.id', '')
      ~ '( [<>=] | IN \(| IS (NOT )?DISTINCT FROM )';

-- The queue statements too; their SET assignments ("col = ") are the only bare "=".
SELECT name FROM unnest(ARRAY['dequeue', 'dequeue_from_frontiers', 'queue_priorities', 'register_priorities',
                              'heartbeat', 'heartbeat_attempts', 'complete', 'complete_attempt',
                              'fail', 'fail_attempt', 'cancel', 'cancel_in_workspace']) AS name
WHERE regexp_replace(runstore._statement_text(name), '(SET|,) +[a-z_]+ = ', '', 'g')
      ~ '( [<>=] | IN \(| IS (NOT )?DISTINCT FROM )';
-- dequeue reads the claim index in claim order: no sort, no sequential scan.
DO $$
BEGIN
  EXECUTE format('PREPARE claim(text, integer, interval) AS %s', runstore._statement_text('dequeue'));
END
$$;
EXPLAIN (COSTS OFF) EXECUTE claim('w', 10, '1 min');
-- From the frontiers: the classes sorted highest first, then for each (a
-- nested loop keeps that order) one index range positioned at (priority,
-- frontier), so the first classes fill the LIMIT and no row past it is locked.
DO $$
BEGIN
  EXECUTE format('PREPARE claim_from(text, integer, interval, integer[], timestamptz[]) AS %s',
                 runstore._statement_text('dequeue_from_frontiers'));
END
$$;
EXPLAIN (COSTS OFF) EXECUTE claim_from('w', 10, '1 min', '{5,0}', '{-infinity,2026-01-01}');

-- Unknown names are an error (22023); NULL gives NULL (STRICT).
SELECT runstore._statement_text('no_such_statement');
\echo :LAST_ERROR_SQLSTATE
-- A long name is quoted as its first 64 bytes, cut between characters
-- (here two-byte ones), not echoed whole.
SELECT runstore._statement_text(repeat('é', 500000));
\echo :LAST_ERROR_SQLSTATE
SELECT runstore._statement_text(NULL) IS NULL AS is_null;

-- Internal: PUBLIC cannot call it, even with USAGE on the schema.
CREATE ROLE runstore_plans_probe;
GRANT USAGE ON SCHEMA runstore TO runstore_plans_probe;
SET ROLE runstore_plans_probe;
SELECT runstore._statement_text('select_by_ids');
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
REVOKE USAGE ON SCHEMA runstore FROM runstore_plans_probe;
DROP ROLE runstore_plans_probe;

DEALLOCATE ALL;
RESET plan_cache_mode;
TRUNCATE runstore.executions;
