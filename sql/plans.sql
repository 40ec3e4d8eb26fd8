-- The plan shapes the batch functions rely on.  runstore._statement_text
-- returns the very SQL the C++ functions prepare (extension/src/pg/
-- statements.cpp), so these plans cannot drift from what the functions run.
-- On a table large enough for indexes to matter, a lookup or delete by ids
-- must be one primary-key index scan over the whole array (= ANY), and a
-- delete_by_tag round must use the GIN index on tags.
\set VERBOSITY default
INSERT INTO runstore.executions (workspace_id, tags)
SELECT n % 10, ARRAY['t' || (n % 100)] FROM generate_series(1, 20000) n;
ANALYZE runstore.executions;
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
END
$$;

EXPLAIN (COSTS OFF) EXECUTE lookup('{}');
EXPLAIN (COSTS OFF) EXECUTE lookup_in_workspace('{}', 1);
EXPLAIN (COSTS OFF) EXECUTE remove('{}');
EXPLAIN (COSTS OFF) EXECUTE remove_in_workspace('{}', 1);
EXPLAIN (COSTS OFF) EXECUTE purge('t1', 10);

-- The statements are schema-qualified throughout: none names an unqualified
-- table (a search_path hijack target).
SELECT name, runstore._statement_text(name) ~ ' FROM executions'
       AS unqualified_table
FROM unnest(ARRAY['select_by_ids', 'select_by_ids_in_workspace',
                  'delete_by_ids', 'delete_by_ids_in_workspace',
                  'delete_by_tag', 'delete_by_tag_in_workspace']) AS name;

-- Unknown names are an error (22023); NULL gives NULL (STRICT).
SELECT runstore._statement_text('no_such_statement');
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
