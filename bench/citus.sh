#!/usr/bin/env bash
# citus.sh: runstore on a Citus coordinator with two workers against the
# same data on a single node, all on this machine (so it shows the cost of
# going through the coordinator, not the scale a cluster buys).
#
#   bench/run.sh citus        (or bench/citus.sh; RUNS, WORKSPACES, ROUNDS, SECONDS size it)
#
# Three comparisons, each interleaved (A B A B ...) and repeated ROUNDS times:
#   1. recent_workflows(ws, 4) latency: median of every call, coordinator
#      and single node (target on the coordinator: <= 0.3 ms);
#   2. get_executions_by_ids of 100 ids with workspace_id, against the
#      hand-written routed SELECT ... WHERE workspace_id = $2 AND id = ANY($1)
#      on the same cluster, both prepared with the ids bound
#      (scoped_batch_bench): ratio of median call times (target >= 0.9);
#   3. a bulk load of BULK_ROWS runs through the coordinator with the
#      summaries kept, against the same load with runstore's triggers
#      disabled on every shard (Citus refuses ALTER TABLE ... DISABLE TRIGGER
#      on a distributed table, so it is done shard by shard): ratio of load
#      times (target >= 0.8).
# PARTS=13 runs parts 1 and 3 only, and so on.
# Run nothing else on the machine meanwhile.
set -euo pipefail
cd "$(dirname "$0")/.."

runs=${RUNS:-500000}
workspaces=${WORKSPACES:-1000}
rounds=${ROUNDS:-3}
seconds=${SECONDS_PER_RUN:-8}
bulk=${BULK_ROWS:-500000}
parts=${PARTS:-123}
work=$(mktemp -d /tmp/runstore-citus-bench.XXXXXX)
chmod 777 "$work"

cmake -S bench -B build/bench -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build/bench --target scoped_batch_bench -j"$(nproc)" >/dev/null

. bench/citus_clusters.sh
start_citus_and_single 'rm -rf "$work"'

# The data: RUNS runs over WORKSPACES workspaces, 30 workflows and 20 users
# each; ids computable from (workspace, n), so a benchmark names 100 ids of a
# workspace without a query (bench_ids).
setup_sql=$(cat <<SQL
CREATE EXTENSION IF NOT EXISTS runstore;
CREATE FUNCTION bench_id(ws bigint, n int) RETURNS uuid LANGUAGE sql IMMUTABLE PARALLEL SAFE
  RETURN ('00000000-0000-7000-8000-' || lpad((ws * 100000 + n)::text, 12, '0'))::uuid;
CREATE FUNCTION bench_ids(ws bigint) RETURNS uuid[] LANGUAGE sql IMMUTABLE PARALLEL SAFE
  RETURN ARRAY(SELECT bench_id(ws, n * 3) FROM generate_series(1, 100) n);
SQL
)
load_sql="INSERT INTO runstore.executions (id, workspace_id, workflow_id, user_id, status, created_at)
SELECT bench_id(g % $workspaces, g / $workspaces), g % $workspaces, (g / $workspaces) % 30, 'u' || g % 20,
       'succeeded', now() - (g || ' ms')::interval
FROM generate_series(1, $runs) g;"

echo "== loading $runs runs over $workspaces workspaces on the coordinator (distributed, 32 shards) and on a single node"
on_citus psql -qX -v ON_ERROR_STOP=1 -c "$setup_sql" -c "SELECT runstore.distribute(shard_count := 32)" \
  -c "$load_sql" -c "VACUUM ANALYZE runstore.executions" >/dev/null
on_single psql -qX -v ON_ERROR_STOP=1 -c "$setup_sql" -c "$load_sql" -c "VACUUM ANALYZE runstore.executions" >/dev/null
count_sql="SELECT count(*) || ' runs' FROM runstore.executions"
verify_sql="SELECT count(*) || ' summary groups differing from the definition' FROM runstore.verify_recent_workflows()"
echo "coordinator: $(on_citus psql -XAtc "$count_sql"), $(on_citus psql -XAtc "$verify_sql")"
echo "single node: $(on_single psql -XAtc "$count_sql"), $(on_single psql -XAtc "$verify_sql")"

cat >"$work/recent.sql" <<SQL
\set ws random(0, $((workspaces - 1)))
SELECT * FROM runstore.recent_workflows(:ws, 4);
SQL
chmod 644 "$work"/*.sql

# One pgbench run: prints "tps median_ms".
bench() {
  local script=$1 log=$work/log.$RANDOM
  local tps
  tps=$(pgbench -n -M prepared -c 1 -T "$seconds" -f "$script" -l --log-prefix="$log" 2>/dev/null |
        sed -n 's/^tps = \([0-9.]*\).*/\1/p')
  local median
  median=$(cat "$log".* | awk '{print $3}' | sort -n | awk '{v[NR]=$1} END {printf "%.3f", v[int((NR+1)/2)]/1000}')
  rm -f "$log".*
  echo "$tps $median"
}

if [[ $parts == *1* ]]; then
echo "== 1. recent_workflows(ws, 4): median latency, coordinator vs single node ($rounds rounds of ${seconds} s each)"
for r in $(seq "$rounds"); do
  read -r _ c_med < <(on_citus bench "$work/recent.sql")
  read -r _ s_med < <(on_single bench "$work/recent.sql")
  echo "round $r: coordinator $c_med ms, single node $s_med ms"
done

fi
if [[ $parts == *2* ]]; then
# A C++ program (bench/src/scoped_batch_bench.cpp), not pgbench: the ids go
# as a bound uuid[] as an application sends them (pgbench can only compute
# them in SQL, which each contender would evaluate differently), and the
# contenders alternate call by call.
echo "== 2. get_executions_by_ids(100 ids, ws) vs the routed SELECT ... id = ANY (\$1) AND workspace_id = \$2"
echo "   coordinator:"
on_citus sh -c 'build/bench/scoped_batch_bench --conninfo "host=$PGHOST port=$PGPORT dbname=$PGDATABASE" --rounds '"$rounds"
echo "   single node, for scale:"
on_single sh -c 'build/bench/scoped_batch_bench --conninfo "host=$PGHOST port=$PGPORT dbname=$PGDATABASE" --rounds 1'

fi
if [[ $parts == *3* ]]; then
echo "== 3. bulk load of $bulk runs through the coordinator: summaries kept vs the upkeep trigger disabled"
bulk_sql="INSERT INTO runstore.executions (workspace_id, workflow_id, user_id, status)
SELECT 100000 + g % $workspaces, g % 30, 'u' || g % 20, 'succeeded' FROM generate_series(1, $bulk) g"
triggers() { # $1: ENABLE|DISABLE, on every shard of executions
  on_citus psql -qXAt -v ON_ERROR_STOP=1 -c "SELECT bool_and(success) FROM run_command_on_shards('runstore.executions', \$\$ALTER TABLE %s $1 TRIGGER USER\$\$)" |
    grep -qx t || { echo "could not $1 the triggers on the shards" >&2; exit 1; }
}
load_once() { # $1: on|off; prints seconds
  if [ "$1" = off ]; then triggers DISABLE; fi
  on_citus psql -qX -c "CHECKPOINT" >/dev/null
  local t0 t1
  t0=$(date +%s.%N)
  on_citus psql -qX -v ON_ERROR_STOP=1 -c "$bulk_sql" >/dev/null
  t1=$(date +%s.%N)
  triggers ENABLE
  on_citus psql -qX -v ON_ERROR_STOP=1 \
    -c "DELETE FROM runstore.executions WHERE workspace_id >= 100000" -c "VACUUM runstore.executions" \
    -c "SELECT runstore.rebuild_recent_workflows()" >/dev/null
  echo "$t1 - $t0" | bc -l | cut -c1-6
}
for r in $(seq "$rounds"); do
  k1=$(load_once on); o1=$(load_once off); o2=$(load_once off); k2=$(load_once on)
  echo "round $r: kept $k1 s, $k2 s; triggers off $o1 s, $o2 s; ratio (off time / kept time) $(echo "($o1 + $o2) / ($k1 + $k2)" | bc -l | cut -c1-4)"
done
fi
echo "coordinator at the end: $(on_citus psql -XAtc "$verify_sql")"
