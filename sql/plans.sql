-- The plan shapes the batch functions rely on.  runstore._statement_text
-- returns the very SQL the C++ functions prepare (extension/src/pg/
-- statements.cpp), so these plans cannot drift from what the functions run.
-- On a table large enough for indexes to matter, a lookup or delete by ids
-- must be one index scan over the whole array (= ANY): of executions_id_idx
-- by id alone, of the primary key (workspace_id, id) in a workspace.  A
-- delete_by_tag round must use the GIN index on tags, and the
-- recent-workflow statements must read their indexes in order.
\set VERBOSITY default
INSERT INTO runstore.executions (workspace_id, workflow_id, user_id, tags)
SELECT n % 10, n % 500, 'u' || (n % 7), ARRAY['t' || (n % 100)] FROM generate_series(1, 20000) n;
-- Some runs left pending (the insert above folded as it went), so the
-- recent-workflow reads have rows in both parts.
INSERT INTO runstore.executions (workspace_id, workflow_id, user_id, tags)
SELECT n % 10, n % 500, 'u' || (n % 7), ARRAY['t' || (n % 100)] FROM generate_series(1, 20) n;
ANALYZE runstore.executions, runstore.recent_workflow_folded, runstore.recent_workflow_pending;
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
  EXECUTE format('PREPARE latest(bigint, bigint) AS %s',
                 runstore._statement_text('latest_in_workflow'));
  EXECUTE format('PREPARE latest_user(bigint, bigint, text) AS %s',
                 runstore._statement_text('latest_for_user'));
  EXECUTE format('PREPARE fold AS %s',
                 runstore._statement_text('fold_recent'));
END
$$;

EXPLAIN (COSTS OFF) EXECUTE lookup('{}');
EXPLAIN (COSTS OFF) EXECUTE lookup_in_workspace('{}', 1);
EXPLAIN (COSTS OFF) EXECUTE remove('{}');
EXPLAIN (COSTS OFF) EXECUTE remove_in_workspace('{}', 1);
EXPLAIN (COSTS OFF) EXECUTE purge('t1', 10);

-- recent_workflows reads a scope's folded rows in result order through a
-- cursor (fn_recent_workflows.cpp), which stops after max_results
-- workflows: with the cursor's fast-start planning the plan must be a scan
-- of the folded table's recent index, with no Sort (a Sort reads and sorts
-- every group of the workspace before the first row).  Planned as a cursor
-- (EXPLAIN DECLARE, the parameters as literals): the plan's top node, how
-- many nodes sort, and the indexes it scans.
CREATE FUNCTION plan_shape(query text) RETURNS TABLE (top_node text, sorts bigint, indexes text)
LANGUAGE plpgsql AS $$
DECLARE
  plan jsonb;
BEGIN
  EXECUTE 'EXPLAIN (FORMAT JSON, COSTS OFF) ' || query INTO plan;
  top_node := plan -> 0 -> 'Plan' ->> 'Node Type';
  SELECT count(*) INTO sorts
    FROM jsonb_path_query(plan, 'strict $.**."Node Type"') n WHERE n #>> '{}' IN ('Sort', 'Incremental Sort');
  SELECT string_agg(i #>> '{}', ', ' ORDER BY i #>> '{}') INTO indexes
    FROM jsonb_path_query(plan, 'strict $.**."Index Name"') i;
  RETURN NEXT;
END $$;
SELECT * FROM plan_shape(format('DECLARE recent CURSOR FOR %s',
  replace(runstore._statement_text('recent_in_workspace'), '$1', '1::bigint')));
SELECT * FROM plan_shape(format('DECLARE recent CURSOR FOR %s',
  replace(replace(runstore._statement_text('recent_for_user'), '$1', '1::bigint'), '$2', '''u1''::text')));
-- Before that it reads each workflow's greatest pending row: for a workspace,
-- a loose scan (a recursive union of one-row probes of the pending table's
-- (workspace_id, workflow_id, ...) index, one per workflow pending, however
-- many rows a hot workflow has), with no Sort.  Shown with a hot workflow's
-- worth of pending rows in workspace 1 (rolled back with their statistics).
BEGIN;
INSERT INTO runstore.recent_workflow_pending
SELECT 1, n % 3, 'u1', now() + n * interval '1 ms', gen_random_uuid() FROM generate_series(1, 5000) n;
ANALYZE runstore.recent_workflow_pending;
SELECT * FROM plan_shape(replace(runstore._statement_text('pending_in_workspace'), '$1', '1::bigint'));
ROLLBACK;
-- A group whose latest run was deleted since the last fold is read from
-- executions: one probe of a recent index.
EXPLAIN (COSTS OFF) EXECUTE latest(1, 1);
EXPLAIN (COSTS OFF) EXECUTE latest_user(1, 1, 'u1');

-- The fold runs with enable_seqscan off wherever it runs (the trigger, the
-- fold worker, fold_recent_workflows()): its plan is kept for the backend's
-- life, and a sequential scan of the folded table chosen while it is
-- small would stay as it grows.  It deletes the pending rows (all of them:
-- a scan of the table), probes executions for the groups with a recheck
-- mark through the recent indexes, and reaches the folded rows through
-- their group key (ON CONFLICT, and the deletes of groups left without
-- runs).  Its table scans and modified tables:
CREATE FUNCTION plan_lines(query text, pattern text) RETURNS SETOF text LANGUAGE plpgsql AS $$
DECLARE
  line text;
BEGIN
  FOR line IN EXECUTE 'EXPLAIN (COSTS OFF) ' || query LOOP
    IF line ~ pattern THEN
      RETURN NEXT regexp_replace(line, '^ *(->)? *', '');
    END IF;
  END LOOP;
END $$;
SET enable_seqscan = off;
SELECT plan_lines('EXECUTE fold', '(Seq Scan|Index Scan|Index Only Scan|Bitmap|Insert on|Delete on|Arbiter) ')
       AS fold_plan;
RESET enable_seqscan;

-- The statements are schema-qualified throughout: none names an unqualified
-- table (a search_path hijack target).
SELECT name, runstore._statement_text(name)
              ~ '( FROM| JOIN| INTO| UPDATE| USING) (executions|workspace_recent|user_recent|recent_workflow_pending|queue_priorities)'
       AS unqualified_table
FROM unnest(ARRAY['select_by_ids', 'select_by_ids_in_workspace',
                  'delete_by_ids', 'delete_by_ids_in_workspace',
                  'delete_by_tag', 'delete_by_tag_in_workspace',
                  'update_changes_groups', 'append_inserted', 'mark_deleted', 'change_updated',
                  'fold_recent', 'truncate_recent', 'recent_in_workspace', 'recent_for_user',
                  'pending_in_workspace', 'pending_for_user', 'latest_in_workflow', 'latest_for_user',
                  'dequeue', 'dequeue_from_frontiers', 'queue_priorities', 'register_priorities',
                  'heartbeat', 'heartbeat_attempts', 'complete', 'complete_attempt',
                  'fail', 'fail_attempt', 'complete_many', 'fail_many', 'release_many',
                  'cancel', 'cancel_in_workspace']) AS name;
-- Nor an operator looked up by name: every comparison is OPERATOR(pg_catalog.x),
-- no IN (...) and no IS DISTINCT FROM (both resolve "=" through search_path).
-- The fold's ON CONFLICT assignments ("SET col = ", ", col = ") are the only bare "=".
SELECT name FROM unnest(ARRAY['update_changes_groups', 'append_inserted', 'mark_deleted', 'change_updated',
                              'fold_recent', 'recent_in_workspace', 'recent_for_user',
                              'pending_in_workspace', 'pending_for_user', 'latest_in_workflow', 'latest_for_user']) AS name
WHERE regexp_replace(runstore._statement_text(name), '(SET|,) +[a-z_]+ = ', '', 'g')
      ~ '( [<>=] | IN \(| IS (NOT )?DISTINCT FROM )';

-- The queue statements too; their SET assignments ("col = ") are the only bare "=".
SELECT name FROM unnest(ARRAY['dequeue', 'dequeue_from_frontiers', 'queue_priorities', 'register_priorities',
                              'heartbeat', 'heartbeat_attempts', 'complete', 'complete_attempt',
                              'fail', 'fail_attempt', 'complete_many', 'fail_many', 'release_many',
                              'cancel', 'cancel_in_workspace']) AS name
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
-- A batch of outcomes reads only the batch's rows, by executions_id_idx
-- (= ANY), and joins them to the arrays by hashing: never the table, nor the
-- claim index, nor a rescan of the arrays per row.  The functions build
-- these generic plans with sequential scans and nested loops off
-- (queue_statements.cpp, kBatchJoin).
SET enable_seqscan = off;
SET enable_nestloop = off;
DO $$
BEGIN
  EXECUTE format('PREPARE settle_ok(text, uuid[], integer[], jsonb[], bigint[]) AS %s',
                 runstore._statement_text('complete_many'));
  EXECUTE format('PREPARE settle_failed(text, uuid[], integer[], text[], boolean[], timestamptz, float8[],'
                 ' float8, float8, bigint[]) AS %s', runstore._statement_text('fail_many'));
END
$$;
EXPLAIN (COSTS OFF) EXECUTE settle_ok('w', '{}', '{}', NULL, NULL);
EXPLAIN (COSTS OFF) EXECUTE settle_failed('w', '{}', '{}', '{}', NULL, now(), '{}', 1000, 60000, NULL);
RESET enable_seqscan;
RESET enable_nestloop;

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
DROP FUNCTION plan_shape(text), plan_lines(text, text);
RESET plan_cache_mode;
TRUNCATE runstore.executions;
