-- The plan shapes the batch functions rely on, for the statements in
-- extension/src/fn_get_executions_by_ids.cpp and fn_delete_many.cpp (same
-- text).  On a table large enough for indexes to matter, the lookup must be
-- primary-key probes in the array's order with no Sort: the planner knows
-- unnest WITH ORDINALITY yields ordinality order.
INSERT INTO runstore.executions (workspace_id)
SELECT n % 10 FROM generate_series(1, 20000) n;
ANALYZE runstore.executions;
SET plan_cache_mode = force_generic_plan;

PREPARE lookup(uuid[]) AS
  SELECT x.* FROM pg_catalog.unnest($1::pg_catalog.uuid[]) WITH ORDINALITY AS r(id, ord)
  JOIN runstore.executions x ON x.id OPERATOR(pg_catalog.=) r.id ORDER BY r.ord;
EXPLAIN (COSTS OFF) EXECUTE lookup('{}');

PREPARE lookup_in_workspace(uuid[], bigint) AS
  SELECT x.* FROM pg_catalog.unnest($1::pg_catalog.uuid[]) WITH ORDINALITY AS r(id, ord)
  JOIN runstore.executions x ON x.id OPERATOR(pg_catalog.=) r.id
   AND x.workspace_id OPERATOR(pg_catalog.=) $2 ORDER BY r.ord;
EXPLAIN (COSTS OFF) EXECUTE lookup_in_workspace('{}', 1);

PREPARE remove(uuid[]) AS
  WITH deleted AS (
    DELETE FROM runstore.executions x
    USING pg_catalog.unnest($1::pg_catalog.uuid[]) WITH ORDINALITY AS r(id, ord)
    WHERE x.id OPERATOR(pg_catalog.=) r.id
    RETURNING x.id, r.ord)
  SELECT d.id FROM deleted d ORDER BY d.ord;
EXPLAIN (COSTS OFF) EXECUTE remove('{}');

RESET plan_cache_mode;
TRUNCATE runstore.executions;
