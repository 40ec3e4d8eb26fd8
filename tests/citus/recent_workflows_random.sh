#!/usr/bin/env bash
# recent_workflows_random.sh: tests/random/recent_workflows_random.sh on a
# Citus cluster.  Random writes of every kind from several connections at
# once (multi-row INSERT into one workspace and over many, single INSERT into
# a hot group, COPY from concurrent psql loops, UPDATEs that move runs
# between workflows and users and change created_at, moves between
# workspaces as DELETE + INSERT, DELETE, delete_many, delete_by_tag, a rare
# TRUNCATE, ROLLBACK, REPEATABLE READ, explicit folds), routed to one shard
# or spanning shards on both workers; a concurrent check that the summaries
# equal the definition in every snapshot; then the summaries and every
# recent_workflows() list compared with the definition computed from scratch,
# before and after a final fold.
#
# Runs against an existing database (the PG* environment says where) in
# which runstore is installed and distributed (runstore.distribute()); it
# refuses otherwise.  Runs already there stay during the run and are checked
# with the rest; at the end it truncates runstore.executions, whatever it
# held, and drops the table it created (random_check_failures).
#
# RANDOM_SEED reproduces the random choices (not the interleaving); CLIENTS
# and TRANSACTIONS size the pgbench run, COPY_LOOPS the psql COPY loops
# beside it.  STATEMENT_TIMEOUT (default 30s) bounds every statement of the
# run, so that a statement that waits forever fails the run rather than
# hanging it.  VERBOSE_ERRORS=1 shows every error pgbench retried.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
seed=${RANDOM_SEED:-$RANDOM}
clients=${CLIENTS:-4}
transactions=${TRANSACTIONS:-250}
copy_loops=${COPY_LOOPS:-2}
timeout=${STATEMENT_TIMEOUT:-30s}
work=$(mktemp -d "${TMPDIR:-/tmp}/recent_random_citus.XXXXXX")
copy_pids=()
created_table=0

sql() { psql -X -q -v ON_ERROR_STOP=1 -At "$@"; }

if ! distributed=$(sql -c "SELECT runstore.is_distributed()" 2>"$work/err"); then
  echo "recent_workflows_random.sh: cannot ask the database whether runstore is distributed:" >&2
  cat "$work/err" >&2
  rm -rf "$work"
  exit 1
fi
if [ "$distributed" != t ]; then
  echo "recent_workflows_random.sh: runstore.executions is not distributed in database" \
    "\"$(sql -c 'SELECT current_database()')\"; run SELECT runstore.distribute() on the Citus coordinator first" >&2
  rm -rf "$work"
  exit 1
fi

cleanup() {
  local pid
  touch "$work/stop"
  for pid in "${copy_pids[@]}"; do
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  sql -c "TRUNCATE runstore.executions" >/dev/null 2>&1 ||
    echo "recent_workflows_random.sh: cleaning up failed (TRUNCATE runstore.executions)" >&2
  if [ "$created_table" = 1 ]; then
    sql -c "DROP TABLE random_check_failures" >/dev/null 2>&1 ||
      echo "recent_workflows_random.sh: cleaning up failed (DROP TABLE random_check_failures)" >&2
  fi
  rm -rf "$work"
}
trap cleanup EXIT

# A local table on the coordinator: where the concurrent check records what differed.
sql -c "CREATE TABLE random_check_failures (detail text)"
created_table=1

# The shards of the workspaces written, and the nodes holding them.
placement=$(sql -F ' ' <<'SQL'
SELECT count(DISTINCT s.shardid) || ' shards on ' || count(DISTINCT n.nodeport) || ' nodes'
FROM generate_series(1, 8) ws
JOIN pg_catalog.pg_dist_shard s ON s.shardid = pg_catalog.get_shard_id_for_distribution_column('runstore.executions', ws)
JOIN pg_catalog.pg_dist_placement p ON p.shardid = s.shardid
JOIN pg_catalog.pg_dist_node n ON n.groupid = p.groupid;
SQL
)
echo "seed $seed: $clients clients x $transactions random transactions and $copy_loops COPY loops;" \
  "workspaces 1-8 on $placement; $(sql -c "SELECT count(*) FROM runstore.executions") runs at the start"

# Every session of the run: a statement that waits longer fails the run.
export PGOPTIONS="${PGOPTIONS:-} -c statement_timeout=$timeout"

# copy_loop n: COPY into runstore.executions from psql until $work/stop
# appears.  Each round, at random: a COPY over every workspace (all shards)
# on its own; a COPY into one workspace's hot groups in a transaction that
# commits or rolls back; a COPY over every workspace in a transaction,
# followed once committed by an explicit fold; a \copy from a file.  Deadlocks and
# serialization failures are retried (the next round); any other error is
# written to $work/copy_error and ends the loop.
copy_loop() {
  local n=$1 rounds=0 retried=0 kind rows r ws wf usr m tag
  RANDOM=$((seed * 7 + n))
  while [ ! -e "$work/stop" ]; do
    rounds=$((rounds + 1))
    kind=$((RANDOM % 4))
    rows=$((1 + RANDOM % 12))
    ws=$((1 + RANDOM % 8))
    : >"$work/copy_data.$n"
    for ((r = 0; r < rows; r++)); do
      if [ "$kind" = 1 ]; then
        wf=$((1 + RANDOM % 2)) usr=u$((1 + RANDOM % 2))
      else
        ws=$((1 + RANDOM % 8)) wf=$((1 + RANDOM % 5)) usr=u$((1 + RANDOM % 3))
        [ $((RANDOM % 7)) = 0 ] && wf='\N'
        [ $((RANDOM % 5)) = 0 ] && usr='\N'
      fi
      m=$((1 + RANDOM % 60)) tag=t$((RANDOM % 3))
      printf '%s\t%s\t%s\t{%s}\t2026-01-01 %02d:%02d:00+00\n' "$ws" "$wf" "$usr" "$tag" $((m / 60)) $((m % 60)) \
        >>"$work/copy_data.$n"
    done
    {
      echo '\set VERBOSITY verbose'
      case $kind in
        0)
          echo 'COPY runstore.executions (workspace_id, workflow_id, user_id, tags, created_at) FROM STDIN;'
          cat "$work/copy_data.$n"
          echo '\.'
          ;;
        1)
          echo 'BEGIN;'
          echo 'COPY runstore.executions (workspace_id, workflow_id, user_id, tags, created_at) FROM STDIN;'
          cat "$work/copy_data.$n"
          echo '\.'
          if [ $((RANDOM % 3)) = 0 ]; then echo 'ROLLBACK;'; else echo 'COMMIT;'; fi
          ;;
        2)
          echo 'BEGIN;'
          echo 'COPY runstore.executions (workspace_id, workflow_id, user_id, tags, created_at) FROM STDIN;'
          cat "$work/copy_data.$n"
          echo '\.'
          echo 'COMMIT;'
          echo 'SELECT runstore.fold_recent_workflows();'
          ;;
        3)
          echo "\\copy runstore.executions (workspace_id, workflow_id, user_id, tags, created_at) FROM '$work/copy_data.$n'"
          ;;
      esac
    } >"$work/copy_script.$n"
    if ! psql -X -q -v ON_ERROR_STOP=1 -f "$work/copy_script.$n" >/dev/null 2>"$work/copy_err.$n"; then
      if grep -qE 'ERROR:  (40P01|40001):' "$work/copy_err.$n"; then
        retried=$((retried + 1))
      else
        {
          echo "COPY loop $n, round $rounds (kind $kind), failed:"
          cat "$work/copy_err.$n"
          echo "its script:"
          cat "$work/copy_script.$n"
        } >>"$work/copy_error"
        break
      fi
    fi
  done
  echo "COPY loop $n: $rounds rounds, $retried retried after a deadlock or serialization failure" >"$work/copy_stats.$n"
}

for ((i = 1; i <= copy_loops; i++)); do
  copy_loop "$i" &
  copy_pids+=($!)
done

# --max-tries: deadlocks (40P01, Citus's distributed deadlock detection
# included) and serialization failures (40001) are legitimate outcomes of
# concurrent writers; any other error aborts the client and fails the run.
# One transaction in 20 checks the summaries against the definition in its
# snapshot while the others write (tests/random/recent_workflows_check.pgbench;
# verify_recent_workflows() compares each shard group in one statement on the
# node holding it).
verbose_errors=()
[ "${VERBOSE_ERRORS:-0}" = 1 ] && verbose_errors=(--verbose-errors)
pgbench_rc=0
pgbench -n -f "$here/recent_workflows_writes.pgbench@19" -f "$here/../random/recent_workflows_check.pgbench@1" \
  -c "$clients" -j 2 -t "$transactions" --random-seed="$seed" --max-tries=20 --failures-detailed \
  "${verbose_errors[@]}" >"$work/pgbench.out" 2>&1 || pgbench_rc=$?

touch "$work/stop"
for pid in "${copy_pids[@]}"; do wait "$pid" || true; done
copy_pids=()

failed=0
grep -E "^(number of (transactions|failed|serialization|deadlock|transactions retried)|latency average)" "$work/pgbench.out" || true
cat "$work"/copy_stats.* 2>/dev/null || true
if [ "$pgbench_rc" != 0 ] || grep -q "aborted" "$work/pgbench.out"; then
  echo "pgbench failed (exit status $pgbench_rc):"
  grep -E "aborted|^pgbench: error" "$work/pgbench.out" | head -40
  failed=1
fi
if [ -s "$work/copy_error" ]; then
  cat "$work/copy_error"
  failed=1
fi
if [ "${VERBOSE_ERRORS:-0}" = 1 ]; then
  echo "errors, retried or not:"
  grep -oE "ERROR: .*" "$work/pgbench.out" | sort | uniq -c | sort -rn | head -20 || true
fi

# The summaries and every list against the definition, then the same after a
# fold of every shard group.
check_sql=$(
  cat <<'SQL'
SELECT :'stage' || 'inconsistent ' || count(*) FROM runstore.verify_recent_workflows();
SELECT :'stage' || 'differs: ' || v::text FROM runstore.verify_recent_workflows() v LIMIT 20;
-- Every workspace's and every user's list from recent_workflows() against the
-- definition computed from scratch, in order.
CREATE TEMP TABLE differing AS
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
  SELECT ws AS workspace_id, u AS user_id FROM generate_series(1, 8) ws,
         unnest(ARRAY[NULL, 'u1', 'u2', 'u3']) u
  UNION
  SELECT workspace_id, user_id FROM definition),
actual AS (
  SELECT s.workspace_id, s.user_id,
         (SELECT array_agg(r.workflow_id ORDER BY ord)
          FROM runstore.recent_workflows(s.workspace_id, 1000, s.user_id) WITH ORDINALITY r(workflow_id, a, b, ord)) AS list
  FROM scopes s)
SELECT a.workspace_id, a.user_id, a.list AS actual, e.list AS expected
FROM actual a LEFT JOIN expected e
  ON e.workspace_id = a.workspace_id AND e.user_id IS NOT DISTINCT FROM a.user_id
WHERE a.list IS DISTINCT FROM e.list;
SELECT :'stage' || 'lists_differing ' || count(*) FROM differing;
SELECT :'stage' || 'list differs: workspace ' || workspace_id || ' user ' || coalesce(user_id, '(all)')
       || ': recent_workflows ' || coalesce(actual::text, '{}') || ', definition ' || coalesce(expected::text, '{}')
FROM differing ORDER BY workspace_id, user_id LIMIT 10;
DROP TABLE differing;
SQL
)
if ! sql -v stage= >"$work/check.out" 2>&1 <<SQL
SELECT 'executions ' || count(*) || ' in ' || count(DISTINCT workspace_id) || ' workspaces' FROM runstore.executions;
-- (Not through the views runstore.workspace_recent_workflow and
-- user_recent_workflow: Citus cannot plan them.)
SELECT 'folded groups ' || (SELECT count(*) FROM runstore.recent_workflow_folded)
       || ', pending rows ' || (SELECT count(*) FROM runstore.recent_workflow_pending);
SELECT 'inconsistent_during_run ' || count(*) FROM random_check_failures;
SELECT 'differed during the run: ' || detail FROM random_check_failures LIMIT 10;
$check_sql
-- The fold commits on the shards on its own connections: count what it left
-- in the next statement (Citus runs a statement's subqueries first).
SELECT 'folded ' || runstore.fold_recent_workflows() || ' pending rows';
SELECT 'pending rows left ' || count(*) FROM runstore.recent_workflow_pending;
\set stage 'after the fold: '
$check_sql
SQL
then
  echo "the final check failed:"
  failed=1
fi
cat "$work/check.out"
for line in "inconsistent_during_run 0" "inconsistent 0" "lists_differing 0" \
  "after the fold: inconsistent 0" "after the fold: lists_differing 0"; do
  grep -qxF "$line" "$work/check.out" || failed=1
done

if [ "$failed" = 0 ]; then
  echo "recent workflows exact after random writes on Citus (seed $seed)"
else
  echo "recent workflows NOT exact, or the run failed, on Citus (seed $seed)"
  exit 1
fi
