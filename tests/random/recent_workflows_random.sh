#!/usr/bin/env bash
# recent_workflows_random.sh: thousands of random writes of every kind
# (INSERT, multi-row INSERT, UPDATE of every column the summaries read,
# DELETE, delete_many, delete_by_tag, TRUNCATE, ROLLBACK, REPEATABLE READ)
# from several connections at once, then the summaries and every
# recent_workflows() list compared with the definition computed from scratch.
#
# Needs a running server with runstore installed (the PG* environment says
# where).  RANDOM_SEED reproduces a run; CLIENTS and TRANSACTIONS size it.
# PGOPTIONS="-c runstore.direct_paths=off" runs every write through the SQL
# statements.  runstore.executions ships with the primary key
# (workspace_id, id) and an index on id (the shape a sharded deployment
# uses); ID_KEY=1 first gives it runstore's key before 0.3.0, the primary
# key (id) alone, without that index.
set -euo pipefail
here=$(dirname "$0")
db=runstore_random_$$
seed=${RANDOM_SEED:-$RANDOM}
clients=${CLIENTS:-6}
transactions=${TRANSACTIONS:-500}

psql -qX -v ON_ERROR_STOP=1 -d postgres -c "CREATE DATABASE $db"
trap 'psql -qX -d postgres -c "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1 || true' EXIT
psql -qX -v ON_ERROR_STOP=1 -d "$db" -c "CREATE EXTENSION runstore" \
  -c "CREATE TABLE random_check_failures (detail text)"
shape="primary key (workspace_id, id), index on id"
if [ "${ID_KEY:-0}" = 1 ]; then
  psql -qX -v ON_ERROR_STOP=1 -d "$db" \
    -c "ALTER TABLE runstore.executions DROP CONSTRAINT executions_pkey, ADD PRIMARY KEY (id)" \
    -c "DROP INDEX runstore.executions_id_idx"
  shape="primary key (id)"
fi

echo "seed $seed: $clients clients x $transactions random transactions;" \
  "runstore.direct_paths = $(psql -XAtq -d "$db" -c "LOAD 'runstore'" -c "SHOW runstore.direct_paths"); $shape"
# --max-tries: deadlocks (40P01) and serialization failures (40001) are
# legitimate outcomes of concurrent writers; any other error fails the run.
# One transaction in 20 checks the summaries against the definition in its
# snapshot while the others write (recent_workflows_check.pgbench).
pgbench_log=$(mktemp)
pgbench_rc=0
pgbench -n -d "$db" -f "$here/recent_workflows_writes.pgbench@19" -f "$here/recent_workflows_check.pgbench@1" \
  -c "$clients" -j 2 \
  -t "$transactions" --random-seed="$seed" --max-tries=20 >"$pgbench_log" 2>&1 || pgbench_rc=$?
grep -E "^(number of (transactions|failed|transactions retried)|latency average)" "$pgbench_log" || true
# A client aborted by an error that is not retried (anything but 40P01 and
# 40001) makes pgbench exit non-zero: that fails the run too.
if [ "$pgbench_rc" != 0 ]; then
  echo "pgbench exited with $pgbench_rc (seed $seed):"
  grep -E "ERROR|aborted|error" "$pgbench_log" | head -n 20
  rm -f "$pgbench_log"
  exit 1
fi
rm -f "$pgbench_log"

psql -X -v ON_ERROR_STOP=1 -d "$db" -At <<'SQL' | tee /tmp/recent_random_$$.out
SELECT 'executions ' || count(*) FROM runstore.executions;
SELECT 'groups ' || (SELECT count(*) FROM runstore.workspace_recent_workflow)
       || ' user groups ' || (SELECT count(*) FROM runstore.user_recent_workflow);
SELECT 'inconsistent ' || count(*) FROM runstore.verify_recent_workflows();
SELECT 'inconsistent_during_run ' || count(*) FROM random_check_failures;
SELECT 'differed during the run: ' || detail FROM random_check_failures LIMIT 10;
SELECT 'differs: ' || v::text FROM runstore.verify_recent_workflows() v;
-- Every workspace's and every user's list from recent_workflows() against the
-- definition computed from scratch, in order.
WITH definition AS (
  SELECT workspace_id, NULL::text AS user_id, workflow_id, max(created_at) AS at FROM runstore.executions
  WHERE workflow_id IS NOT NULL GROUP BY 1, 2, 3
  UNION ALL
  SELECT workspace_id, user_id, workflow_id, max(created_at) FROM runstore.executions
  WHERE workflow_id IS NOT NULL AND user_id IS NOT NULL GROUP BY 1, 2, 3),
expected AS (
  SELECT workspace_id, user_id, array_agg(workflow_id ORDER BY at DESC, workflow_id DESC) AS list
  FROM definition GROUP BY 1, 2),
scopes AS (
  SELECT ws AS workspace_id, u AS user_id FROM generate_series(1, 3) ws,
         unnest(ARRAY[NULL, 'u1', 'u2', 'u3']) u),
actual AS (
  SELECT s.workspace_id, s.user_id,
         (SELECT array_agg(r.workflow_id ORDER BY ord)
          FROM runstore.recent_workflows(s.workspace_id, 1000, s.user_id) WITH ORDINALITY r(workflow_id, a, b, ord)) AS list
  FROM scopes s)
SELECT 'lists_differing ' || count(*) FROM actual a LEFT JOIN expected e
  ON e.workspace_id = a.workspace_id AND e.user_id IS NOT DISTINCT FROM a.user_id
WHERE a.list IS DISTINCT FROM e.list;
SQL
if grep -qx "inconsistent 0" /tmp/recent_random_$$.out && grep -qx "inconsistent_during_run 0" /tmp/recent_random_$$.out &&
   grep -qx "lists_differing 0" /tmp/recent_random_$$.out; then
  rm -f /tmp/recent_random_$$.out
  echo "recent workflows exact after random writes (seed $seed)"
else
  rm -f /tmp/recent_random_$$.out
  echo "recent workflows NOT exact (seed $seed)"
  exit 1
fi
