#!/usr/bin/env bash
# tests/citus/queue_cluster.sh: the queue on the three-node Citus cluster,
# from outside (tests/citus/queue_load/queue_load.cpp does the work and the
# checks: no execution delivered twice at the same attempt, every
# acknowledged completion stored, every execution succeeded).
#   1. dequeuers connected to the coordinator and to both workers (two each)
#      drain 3,000 executions in 200 workspaces, spread over every shard;
#   2. two `runstore worker` processes (the CLI over the client's Worker)
#      against the coordinator, with no option of their own, run 2,000;
#   3. the drain of 1. with 20,000, while worker 1's postmaster is killed (kill -9)
#      and restarted; the prepared transactions Citus left are recovered
#      (recover_prepared_transactions() on every node, as its maintenance
#      daemon would do within citus.recover_2pc_interval).
# Needs the cluster of tests/citus/cluster.sh running, with runstore
# distributed (tests/citus/run.sh calls it after citus_distribute).
set -uo pipefail
cd "$(dirname "$0")/../.."
eval "$(tests/citus/cluster.sh env)"
bindir=$(pg_config --bindir)
as_owner() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

cmake -S tests/citus/queue_load -B build/citus-queue-load >/dev/null &&
  cmake --build build/citus-queue-load >/dev/null || { echo "queue_cluster: could not build queue_load"; exit 1; }
load=build/citus-queue-load/queue_load
port=$RUNSTORE_CITUS_PORT
nodes=(--node "host=127.0.0.1 port=$port dbname=$PGDATABASE user=$PGUSER"
       --node "host=127.0.0.1 port=$((port + 1)) dbname=$PGDATABASE user=$PGUSER"
       --node "host=127.0.0.1 port=$((port + 2)) dbname=$PGDATABASE user=$PGUSER")
failed=0

echo "-- queue: 6 dequeuers on 3 nodes, 3,000 executions in 200 workspaces"
"$load" "${nodes[@]}" --threads 2 --executions 3000 --workspaces 200 || failed=1

# The CLI, and through it the client's Worker, against the coordinator with
# no option of its own: 2,000 executions enqueued, run by 2 workers of 4
# slots until nothing is due; each once, at attempt 1, with no error logged.
runstore=${RUNSTORE_CLI:-build/client/cli/runstore}
if [ -x "$runstore" ]; then
  echo "-- queue: 2 \`runstore worker\` processes against the coordinator, 2,000 executions"
  psql -qX -c "TRUNCATE runstore.executions"
  export RUNSTORE_DSN="host=127.0.0.1 port=$port dbname=$PGDATABASE user=$PGUSER"
  python3 -c "import sys; sys.stdout.write(''.join('{\"workspace_id\": %d}\n' % (i % 97) for i in range(2000)))" |
    "$runstore" enqueue --stdin >/dev/null || { echo "FAIL - enqueue through the coordinator"; failed=1; }
  pids=()
  for i in 1 2; do
    "$runstore" worker --name "cli-$i" --slots 4 --quiet --until-empty -- true 2>"build/citus-cli-worker-$i.err" &
    pids+=($!)
  done
  for p in "${pids[@]}"; do wait "$p" || { echo "FAIL - a worker exited with status $?"; failed=1; }; done
  once=$(psql -qXAt -c "SELECT count(*) FROM runstore.executions WHERE status = 'succeeded' AND attempt = 1")
  [ "$once" = 2000 ] || { echo "FAIL - $once of 2000 succeeded at attempt 1"; failed=1; }
  if grep -v -E ': (started: |stopped: claimed )' build/citus-cli-worker-*.err; then
    echo "FAIL - a worker logged the lines above"
    failed=1
  fi
  [ "$once" = 2000 ] && echo "2000 executions run once each at attempt 1 by 2 CLI workers through the coordinator"
else
  echo "-- queue: the CLI worker part skipped: no $runstore (build the client first)"
fi

echo "-- queue: worker 1 killed (kill -9 of its postmaster) and restarted under 20,000 executions"
# Durable for this part: the suites' cluster runs with synchronous_commit
# off, under which a commit acknowledged just before the kill is lost by
# design (its WAL never left the server's buffers).
settings() { # on|reset
  for p in "$port" $((port + 1)) $((port + 2)); do
    for s in synchronous_commit fsync full_page_writes; do
      if [ "$1" = on ]; then
        psql -qXAt -h 127.0.0.1 -p "$p" -c "ALTER SYSTEM SET $s = on"
      else
        psql -qXAt -h 127.0.0.1 -p "$p" -c "ALTER SYSTEM RESET $s"
      fi
    done
    psql -qXAt -h 127.0.0.1 -p "$p" -c "SELECT pg_reload_conf()" >/dev/null
  done
}
settings on
data=$RUNSTORE_CITUS_DIR/worker1/data
ready=$(mktemp -u /tmp/runstore-queue-load.XXXXXX)
"$load" "${nodes[@]}" --threads 2 --executions 20000 --workspaces 200 --lease-seconds 2 --ready-file "$ready" &
loadpid=$!
# Killed while claims and completions are in flight: a second into the drain.
for _ in $(seq 1 600); do
  [ -e "$ready" ] && break
  sleep 0.1
done
rm -f "$ready"
sleep 1
pm=$(head -1 "$data/postmaster.pid")
children=$(ps -o pid= --ppid "$pm" | tr '\n' ' ')
kill -9 "$pm"
echo "   killed worker 1 (postmaster $pm)"
# Its processes notice and exit (those still alive after 30 s are killed);
# then it comes back through crash recovery.
for _ in $(seq 1 300); do
  alive=
  for p in $children; do kill -0 "$p" 2>/dev/null && alive="$alive $p"; done
  [ -z "$alive" ] && break
  sleep 0.1
done
for p in $alive; do kill -9 "$p" 2>/dev/null; done
sleep 0.5
as_owner "$bindir/pg_ctl" -D "$data" -l "$RUNSTORE_CITUS_DIR/worker1/server.log" -w -t 60 start >/dev/null 2>&1 ||
  { echo "queue_cluster: worker 1 did not restart"; failed=1; }
echo "   restarted worker 1"
# Recover the two-phase commits the kill interrupted, while the load goes on.
while kill -0 "$loadpid" 2>/dev/null; do
  for p in "$port" $((port + 1)) $((port + 2)); do
    psql -qXAt -h 127.0.0.1 -p "$p" -c "SELECT recover_prepared_transactions()" >/dev/null 2>&1
  done
  sleep 1
done
wait "$loadpid" || failed=1
settings reset
# The next suites start from an empty table.
psql -qX -c "TRUNCATE runstore.executions" || failed=1
exit "$failed"
