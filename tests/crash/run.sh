#!/usr/bin/env bash
# run.sh: crash recovery test.  On a cluster of its own with durability on
# (fsync, synchronous_commit, full_page_writes), repeatedly:
#   1. run a mixed load (tests/crash/load.cpp): multi-row INSERT, COPY,
#      transactions that insert and delete_many together, rollbacks,
#      delete_many, delete_by_tag, cancel; workers that dequeue with 2 s
#      leases, heartbeat, complete, fail, abandon claims and complete them
#      late; CHECKPOINTs.  Each client journals an operation only once the
#      server acknowledged it;
#   2. kill -9 the postmaster at a random moment 2-6 s in (in some cycles
#      every server process at once, like a power cut without the page cache
#      loss);
#   3. restart it (crash recovery) and check every journal so far against
#      the table (tests/crash/check.cpp): acknowledged inserts present,
#      deletes absent, completes succeeded with their result, fails in the
#      acknowledged status, claims never lost; operations whose
#      acknowledgement never came all-or-nothing; verify_recent_workflows()
#      empty; every btree index passes amcheck;
#   4. let workers resume: the dead workers' claims are reclaimed once their
#      leases end, new claims and completes succeed, and when they stop no
#      execution is left running past its lease.
# Prints a summary line and exits non-zero on any violation.
#
#   tests/crash/run.sh                      5 cycles, random seed
#   CRASH_CYCLES=10 CRASH_SEED=42 tests/crash/run.sh
#   CRASH_KILL=postmaster|all|mixed (default mixed)   what is killed
#   CRASH_KEEP=1                            keep the cluster and journal afterwards
#   CRASH_PROFILE=test                      run on the non-durable profile instead
#                                           (synchronous_commit off): the test must fail,
#                                           which shows it can see lost commits
#
# The cluster: CRASH_PGPORT (default 54341), CRASH_CLUSTER_DIR (default
# /tmp/runstore-crash-$CRASH_PGPORT), created and removed by
# tests/scripts/cluster.sh (profile `durable`).  The seed fixes the choices
# (kill times, operation mix), not the interleaving.
set -uo pipefail
cd "$(dirname "$0")/../.."

cycles=${CRASH_CYCLES:-5}
seed=${CRASH_SEED:-$((RANDOM * 32768 + RANDOM))}
kill_mode=${CRASH_KILL:-mixed}
profile=${CRASH_PROFILE:-durable}
# Never the shared test cluster that RUNSTORE_PGPORT may name (scripts/test.sh
# exports it): this one is killed, and removed at the end.
export RUNSTORE_PGPORT=${CRASH_PGPORT:-54341}
export RUNSTORE_CLUSTER_DIR=${CRASH_CLUSTER_DIR:-/tmp/runstore-crash-$RUNSTORE_PGPORT}
data=$RUNSTORE_CLUSTER_DIR/data
bindir=$(pg_config --bindir)
RANDOM=$seed

as_owner() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
say() { echo "crash: $*"; }

cmake -S tests/crash -B build/crash >/dev/null && cmake --build build/crash -j"$(nproc)" >/dev/null || {
  say "could not build the load generator"
  exit 1
}
load=build/crash/crash_load

# One run per cluster directory at a time (the server does not inherit the lock).
exec 9>"/tmp/runstore-crash-$RUNSTORE_PGPORT.lock"
flock -n 9 || { say "another crash test is running on port $RUNSTORE_PGPORT"; exit 1; }

journal=$(mktemp -d /tmp/runstore-crash-journal.XXXXXX)
violations=0
cleanup() {
  if [ "${CRASH_KEEP:-0}" = 1 ] || [ "$violations" != 0 ]; then
    say "journal kept in $journal; server log in $RUNSTORE_CLUSTER_DIR/server.log"
    [ "${CRASH_KEEP:-0}" = 1 ] || { cp "$RUNSTORE_CLUSTER_DIR/server.log" "$journal/" 2>/dev/null; tests/scripts/cluster.sh stop; }
  else
    tests/scripts/cluster.sh stop
    rm -rf "$journal"
  fi
}

tests/scripts/cluster.sh stop
tests/scripts/cluster.sh start "$profile" 9>&- || { say "could not start the cluster"; exit 1; }
trap cleanup EXIT
eval "$(tests/scripts/cluster.sh env)"
psql -qX -v ON_ERROR_STOP=1 -c "CREATE EXTENSION runstore" -c "CREATE EXTENSION IF NOT EXISTS amcheck" || exit 1
say "seed $seed, $cycles cycles, kill mode $kill_mode, cluster $RUNSTORE_CLUSTER_DIR" \
  "($(psql -AtX -c "SELECT string_agg(name || '=' || setting, ', ' ORDER BY name) FROM pg_settings
                    WHERE name IN ('fsync', 'synchronous_commit', 'full_page_writes')"))"

# Waits until none of the given processes is alive (up to $2 s); then kills
# what is left of them (they were started by this cluster).
wait_gone() {
  local pids=$1 limit=$2 i p alive
  for ((i = 0; i < limit * 10; i++)); do
    alive=
    for p in $pids; do kill -0 "$p" 2>/dev/null && alive="$alive $p"; done
    [ -z "$alive" ] && return 0
    sleep 0.1
  done
  say "server processes$alive still alive ${limit}s after the postmaster died: killing them"
  for p in $alive; do kill -9 "$p" 2>/dev/null; done
  sleep 0.5
}

survived=0
for ((cycle = 1; cycle <= cycles; cycle++)); do
  delay_ms=$((2000 + RANDOM % 4001))
  case $kill_mode in
    postmaster|all) what=$kill_mode ;;
    *) what=$([ $((RANDOM % 2)) = 0 ] && echo postmaster || echo all) ;;
  esac
  "$load" load --dir "$journal" --tag "c$cycle" --seed "$((seed + cycle))" --seconds 30 >"$journal/load-$cycle.out" 2>&1 &
  loadpid=$!
  sleep "$(printf '%d.%03d' $((delay_ms / 1000)) $((delay_ms % 1000)))"
  pm=$(head -1 "$data/postmaster.pid")
  children=$(ps -o pid= --ppid "$pm" | tr '\n' ' ')
  if [ "$what" = all ]; then
    kill -9 "$pm" $children
  else
    kill -9 "$pm"
  fi
  wait "$loadpid"
  load_rc=$?
  sed 's/^/  /' "$journal/load-$cycle.out"
  if [ "$load_rc" != 0 ]; then
    say "cycle $cycle: VIOLATION: the load saw unexpected errors"
    violations=$((violations + 1))
  fi
  wait_gone "$pm $children" 30
  start=$(date +%s.%N)
  if ! as_owner "$bindir/pg_ctl" -D "$data" -l "$RUNSTORE_CLUSTER_DIR/server.log" -w -t 120 start >"$journal/pg_ctl-$cycle.out" 2>&1 9>&-; then
    sed "s/^/  /" "$journal/pg_ctl-$cycle.out"
    say "cycle $cycle: VIOLATION: the server did not come back after the crash"
    violations=$((violations + 1))
    break
  fi
  recovery=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
  say "cycle $cycle: killed $what ($pm) after ${delay_ms} ms; restarted in ${recovery} s"
  "$load" check --dir "$journal" >"$journal/check-$cycle.out" 2>&1
  check_rc=$?
  sed 's/^/  /' "$journal/check-$cycle.out" | grep -v '^  checked_ops='
  "$load" resume --dir "$journal" --tag "r$cycle" --seed "$((seed + 1000 + cycle))" --seconds 30 --workers 3 \
    >"$journal/resume-$cycle.out" 2>&1
  resume_rc=$?
  sed 's/^/  /' "$journal/resume-$cycle.out"
  if [ "$check_rc" = 0 ] && [ "$resume_rc" = 0 ] && [ "$load_rc" = 0 ]; then
    survived=$((survived + 1))
  else
    violations=$((violations + 1))
  fi
done

# The work of the last resume phase, checked once more.
"$load" check --dir "$journal" >"$journal/check-final.out" 2>&1 || violations=$((violations + 1))
sed 's/^/  /' "$journal/check-final.out" | grep -v '^  checked_ops='
checked=$(sed -n 's/^checked_ops=\([0-9]*\) unknown_ops=\([0-9]*\)$/\1/p' "$journal/check-final.out")
unknown=$(sed -n 's/^checked_ops=\([0-9]*\) unknown_ops=\([0-9]*\)$/\2/p' "$journal/check-final.out")

# Nothing in the server log that a crash and recovery should not produce.
if grep -E "PANIC|TRAP:|terminated by signal (6|11)|invalid (page|record)|corrupt" "$RUNSTORE_CLUSTER_DIR/server.log" |
   grep -v "invalid record length at" | sed 's/^/  server log: /' | grep .; then
  say "VIOLATION: the server log reports errors beyond the crashes"
  violations=$((violations + 1))
fi

echo "crash test summary: $survived of $cycles crashes survived; ${checked:-0} acknowledged operations verified," \
  "${unknown:-0} of unknown outcome checked all-or-nothing; $violations failed checks (seed $seed)"
[ "$violations" = 0 ] && [ "$survived" = "$cycles" ]
