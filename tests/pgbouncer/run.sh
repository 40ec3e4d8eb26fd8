#!/usr/bin/env bash
# run.sh [BUILD_DIR]: the C++ client, the CLI and `runstore worker` behind a
# real PgBouncer (Debian's) in transaction pooling mode with a pool smaller
# than the number of clients, in front of the running test cluster:
#   1. the client, worker and install tests (ctest in BUILD_DIR, default
#      build/client) with the PG* environment pointed at the pooler;
#   2. the CLI test (client/cli/tests/cli_test.sh), the same way;
#   3. 4 `runstore worker` processes draining 3,000 executions through the
#      pooler: every execution succeeded once (attempt 1), claimed once, and
#      no worker logged an error.
# Ends with a summary line; exits non-zero if anything failed.
#
# Needs the cluster of tests/scripts/cluster.sh running and its environment
# exported (PGHOST, PGPORT, RUNSTORE_PGPORT, RUNSTORE_CLUSTER_DIR).  PgBouncer
# listens on RUNSTORE_PGBOUNCER_PORT (default: the cluster's port + 1), on
# 127.0.0.1 and a Unix socket in the cluster's directory.  PgBouncer refuses
# to run as root: as root, it runs as `postgres`, like the cluster.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1

build=${1:-build/client}
: "${PGHOST:?export the cluster environment first: eval \"\$(tests/scripts/cluster.sh env)\"}"
: "${PGPORT:?}" "${RUNSTORE_CLUSTER_DIR:?}"
port=${RUNSTORE_PGBOUNCER_PORT:-$((PGPORT + 1))}
dir=$RUNSTORE_CLUSTER_DIR/pgbouncer
runstore=$build/cli/runstore
executions=${RUNSTORE_PGBOUNCER_EXECUTIONS:-3000}
server_host=$PGHOST
server_port=$PGPORT

command -v pgbouncer >/dev/null || { echo "pgbouncer: not installed (scripts/setup.sh installs it)"; exit 1; }
[ -x "$runstore" ] || { echo "pgbouncer: no $runstore (build the client first)"; exit 1; }

as_owner() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

rm -rf "$dir"
mkdir -p "$dir"
# `*`: every database of the cluster (the tests make their own), each with a
# pool of 2 server connections per user.  trust plus auth_user: PgBouncer
# looks every user up in the cluster (auth_query), so the roles the tests
# create log in too.
cat >"$dir/pgbouncer.ini" <<EOF
[databases]
* = host=$server_host port=$server_port
[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $port
unix_socket_dir = $dir
pool_mode = transaction
default_pool_size = 2
max_client_conn = 500
auth_type = trust
auth_file = $dir/userlist.txt
auth_user = postgres
admin_users = postgres
logfile = $dir/pgbouncer.log
pidfile = $dir/pgbouncer.pid
log_connections = 0
log_disconnections = 0
EOF
echo '"postgres" ""' >"$dir/userlist.txt"
[ "$(id -u)" = 0 ] && chown -R postgres: "$dir"

pgbouncer_pid=
worker_pids=()
stop_all() {
  for p in "${worker_pids[@]}"; do kill -KILL "$p" 2>/dev/null; done
  if [ -n "$pgbouncer_pid" ]; then
    kill -TERM "$pgbouncer_pid" 2>/dev/null
    for _ in $(seq 50); do kill -0 "$pgbouncer_pid" 2>/dev/null || break; sleep 0.1; done
  fi
  rm -rf "$dir"
}
trap stop_all EXIT

as_owner pgbouncer -d -q "$dir/pgbouncer.ini" || { echo "pgbouncer: did not start"; exit 1; }
for _ in $(seq 50); do
  [ -s "$dir/pgbouncer.pid" ] && psql -X -q -h "$dir" -p "$port" -d postgres -c "SELECT 1" >/dev/null 2>&1 && break
  sleep 0.1
done
pgbouncer_pid=$(cat "$dir/pgbouncer.pid" 2>/dev/null)
[ -n "$pgbouncer_pid" ] || { echo "pgbouncer: did not start"; cat "$dir/pgbouncer.log"; exit 1; }

# Everything below reaches the server through the pooler, except what
# RUNSTORE_TEST_LISTEN_CONNINFO and --listen-dsn name: the direct
# connections workers may wait for work on.
export PGHOST=$dir PGPORT=$port
export RUNSTORE_TEST_BEHIND_POOLER=1
export RUNSTORE_TEST_LISTEN_CONNINFO="host=$server_host port=$server_port"
unset RUNSTORE_STATEMENT_MODE RUNSTORE_DSN
direct=(-h "$server_host" -p "$server_port")

failed=()

# Tests that need a session of their own, which a transaction pooler does
# not keep, are left out:
excluded=(
  # They find the client's server process by Client::backend_pid() (to
  # terminate it, or watch it in pg_stat_activity); behind a pooler that is
  # a number PgBouncer made up.
  'ClientRetry\.ABackendKilledMidCallIsRetriedToSuccess'
  'ClientRetry\.ALargeEnqueueWhoseBackendDiedIsStoredOnceByTheRetry'
  'ClientRetry\.ACompletionWhoseReplyWasLostIsReadBackAsDone'
  'ClientRetry\.ACompletionFencedOffAfterALostReplyStaysRefused'
  'ClientRetry\.AFailureWhoseReplyWasLostIsReadBack'
  'ClientRetry\.TheRetryBudgetIsBounded'
  'ClientRetry\.MaxElapsedStopsRetryingEarly'
  'ClientTest\.WithoutRetriesATerminatedBackendIsATransientErrorAndTheNextCallReconnects'
  'ClientTest\.ATerminatedBackendIsRetriedOnANewConnection'
  'ClientWaitTest\.ACommittedDueExecutionWakesAWaiterWellBeforeItsTimeout'
  'ClientWaitTest\.AnUncommittedOrRolledBackInsertDoesNotWakeAWaiter'
  'ClientWaitTest\.InsertingRunsThatAreNotDueDoesNotWakeAWaiter'
  'ClientWaitTest\.ACommitBeforeTheWaiterRegistersIsSeenAtOnce'
  'ClientWaitTest\.HoldsNoSnapshotWhileItWaits'
  'ClientWaitTest\.AWaitWhoseBackendIsKilledIsRetried'
  'ClientWaitTest\.InterruptWaitsEndsAWaitInProgressAndEveryLaterOne'
  # LISTEN holds a session.
  'ClientQueueTest\.OneEnqueueWakesAListenerWhenTheEnqueuerTurnsNotifyOn'
  # They set session settings in the startup packet (options=-c ...), which
  # PgBouncer refuses.
  'ClientErrors\.ARacingDeleteUnderSerializableIsASerializationFailureAndIsRetried'
  'Worker\.DoesNotWaitForWorkWhileEverySlotIsBusy'
  'Worker\.DueWorkItCannotClaimDoesNotMakeItSpin'
  # ALTER DATABASE ... SET reaches new sessions only; the pooler's server
  # connections are older.
  'ClientQueueTest\.FailRequeuesUntilMaxAttemptsThenFails'
  # They terminate or restart the worker's server sessions and wait for the
  # worker to see it; the pooler hides a server connection lost between
  # transactions, and turns a restart into errors of its own.
  'Worker\.KeepsGoingWhenCallsFailPastTheRetryPolicy'
  'WorkerRestart\.'
  # Run on its own below.
  '^cli_end_to_end$'
)
pattern=$(IFS='|'; echo "${excluded[*]}")

echo "-- client, worker and install tests through PgBouncer (ctest in $build, ${#excluded[@]} left out)"
if ! (cd "$build" && ctest -j4 --timeout 120 --output-on-failure -E "$pattern" >"$dir/ctest.log" 2>&1); then
  grep -E '\*\*\*|tests passed|Failure|Expected|Which is' "$dir/ctest.log" | head -60
  failed+=("client tests")
fi
grep -E 'tests passed' "$dir/ctest.log"

echo "-- CLI test through PgBouncer (client/cli/tests/cli_test.sh)"
if ! client/cli/tests/cli_test.sh "$runstore" >"$dir/cli.log" 2>&1; then
  grep -v '^ok' "$dir/cli.log"
  failed+=("CLI test")
fi
tail -n 1 "$dir/cli.log"

echo "-- 4 workers draining $executions executions through PgBouncer"
db=runstore_pgbouncer_$$
workers_ok=1
fail_workers() {
  echo "FAIL - $1"
  workers_ok=0
}
psql -X -q "${direct[@]}" -d postgres -c "CREATE DATABASE $db" &&
  psql -X -q "${direct[@]}" -d "$db" -c "CREATE EXTENSION runstore" || fail_workers "could not create $db"
export PGDATABASE=$db
started=$(date +%s)
# Two wait for work on a direct connection, two find they are behind a
# pooler and poll.  Each: 4 commands at once, claims of up to 4.
for i in 1 2 3 4; do
  listen=()
  [ "$i" -le 2 ] && listen=(--listen-dsn "host=$server_host port=$server_port dbname=$db")
  "$runstore" worker --name "pooled-$i" --slots 4 --poll 0.2 --quiet "${listen[@]}" -- true \
    >"$dir/worker-$i.out" 2>"$dir/worker-$i.err" </dev/null &
  worker_pids+=($!)
done
# Enqueued in batches while the workers run, through the pooler too.
batch=$((executions / 6))
for b in $(seq 1 6); do
  n=$batch
  [ "$b" = 6 ] && n=$((executions - 5 * batch))
  python3 -c "import sys; sys.stdout.write(''.join('{\"workspace_id\": %d, \"payload\": {\"n\": %d}}\n' % ($b, i) for i in range($n)))" |
    "$runstore" enqueue --stdin >/dev/null || fail_workers "enqueue batch $b failed"
  sleep 0.3
done
count() { psql -X -q -At "${direct[@]}" -d "$db" -c "$1"; }
for _ in $(seq 1 600); do
  [ "$(count "SELECT count(*) FROM runstore.executions WHERE status <> 'succeeded'")" = 0 ] && break
  sleep 0.2
done
for p in "${worker_pids[@]}"; do kill -TERM "$p" 2>/dev/null; done
for p in "${worker_pids[@]}"; do wait "$p" || fail_workers "a worker exited with status $?"; done
worker_pids=()
took=$(($(date +%s) - started))

total=$(count "SELECT count(*) FROM runstore.executions")
once=$(count "SELECT count(*) FROM runstore.executions WHERE status = 'succeeded' AND attempt = 1 AND error IS NULL")
[ "$total" = "$executions" ] || fail_workers "$total executions stored, not $executions"
[ "$once" = "$executions" ] || fail_workers "$once of $executions succeeded at attempt 1 without an error:
$(count "SELECT status, attempt, left(error, 200), count(*) FROM runstore.executions
         WHERE NOT (status = 'succeeded' AND attempt = 1 AND error IS NULL) GROUP BY 1, 2, 3 LIMIT 20")"
claimed=0
for i in 1 2 3 4; do
  err=$dir/worker-$i.err
  n=$(sed -n 's/.*: stopped: claimed \([0-9]*\), succeeded \([0-9]*\), failed 0, leases lost 0, released 0$/\1 \2/p' "$err")
  read -r c s <<<"$n"
  [ -n "$c" ] && [ "$c" = "$s" ] || fail_workers "worker $i did not stop cleanly, or failed, lost or released executions"
  claimed=$((claimed + ${c:-0}))
  notices=$(grep -c ': connected through a connection pooler: finding new work by polling' "$err")
  expected=1
  [ "$i" -le 2 ] && expected=0
  [ "$notices" = "$expected" ] || fail_workers "worker $i said $notices times that it polls behind the pooler, not $expected"
  # Nothing but its start, its stop and that notice: no error, no retry.
  others=$(grep -v -E ': (started: |stopping: no new claims|stopped: claimed |connected through a connection pooler: )' "$err")
  [ -z "$others" ] || fail_workers "worker $i logged:
$others"
done
[ "$claimed" = "$executions" ] || fail_workers "the workers made $claimed claims of $executions executions, not one each"
psql -X -q "${direct[@]}" -d postgres -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null
if [ "$workers_ok" = 1 ]; then
  echo "ok   - $executions executions, each succeeded once at attempt 1, claimed $claimed times, no worker error ($took s)"
else
  failed+=("workers")
fi

if [ ${#failed[@]} -eq 0 ]; then
  echo "pgbouncer: all passed (client tests, CLI test, $executions executions by 4 workers through a transaction pool of 2)"
  exit 0
fi
echo "pgbouncer: FAILED: ${failed[*]}"
exit 1
