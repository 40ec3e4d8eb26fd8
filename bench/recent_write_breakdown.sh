#!/usr/bin/env bash
# recent_write_breakdown.sh: a diagnostic of what spread inserts (each row a
# new or rarely seen group, recent_write.sh's "spread") pay for the
# recent-workflow summaries, by taking the upkeep apart on one table:
#   plain         the same columns and indexes, no triggers (bench_plain)
#   runstore      as shipped: writers append, the fold worker folds
#   writer-folds  runstore.background_fold = off: writers fold themselves
#   append-only   a session holds the fold key through the run, so nothing
#                 folds: writers append and that is all
#   no-summary    the summaries' INSERT trigger disabled (the queue's stays)
#   no-user-index (not by default) as shipped, with the folded table's user
#                 index dropped for the run: the fold writes two index
#                 entries per new group instead of three (user-scope reads
#                 run their statements meanwhile; nothing else changes)
# BREAKDOWN_CONTENDERS picks them (plain first; default the first five).
# 8 pgbench clients, single-row inserts, BREAKDOWN_SECONDS (10) per run,
# BREAKDOWN_REPS (3) rounds in rotated order, each run after a TRUNCATE and a
# CHECKPOINT, and none while the fold worker is still folding; prints each
# run with the WAL it wrote per insert (from the CHECKPOINT to the end of its
# fold), then each contender's median, lower and upper quartile of its ratio
# to plain within a round (the quartiles show what a median of this many
# rounds can resolve on the machine).
# BREAKDOWN_SYNC_COMMIT=off runs every contender with synchronous_commit off:
# no commit waits for its WAL flush, so the machine's two cores, not the
# disk's flush latency, bound every contender, and the ratios price CPU.
# Expects the PG* environment of a running server with recent_write.sh's
# database $1 (default runstore_write) in place.
set -euo pipefail
db=${1:-runstore_write}
reps=${BREAKDOWN_REPS:-3}
seconds=${BREAKDOWN_SECONDS:-10}
sync_commit=${BREAKDOWN_SYNC_COMMIT:-on}
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=bench/recent_write_workloads.sh
. "$here/recent_write_workloads.sh" # median, pgbench_script
read -r -a names <<<"${BREAKDOWN_CONTENDERS:-plain runstore writer-folds append-only no-summary}"
tmp=$(mktemp -d)
holder_pid=
user_index_def=
cleanup() {
  [ -z "$holder_pid" ] || kill "$holder_pid" 2>/dev/null || true
  psql -qX -d "$db" -c "ALTER TABLE runstore.executions ENABLE TRIGGER executions_recent_workflows_insert" >/dev/null 2>&1 || true
  [ -z "$user_index_def" ] || psql -qX -d "$db" -c "${user_index_def/CREATE INDEX/CREATE INDEX IF NOT EXISTS}" >/dev/null 2>&1 || true
  rm -rf "$tmp"
}
trap cleanup EXIT
q() { psql -qX -At -v ON_ERROR_STOP=1 -d "$db" "$@"; }

worker="(SELECT FROM pg_stat_activity WHERE backend_type = 'runstore fold worker' AND datname = current_database())"
settle() { until [ "$(q -c "SELECT NOT EXISTS $worker")" = t ]; do sleep 0.05; done; }

run() {  # $1 contender name; prints tps
  local table=runstore.executions options="-c synchronous_commit=$sync_commit"
  case "$1" in
    plain) table=bench_plain.executions ;;
    writer-folds) options="$options -c runstore.background_fold=off" ;;
    append-only)
      # The fold key, held as a long transaction that folded would hold it.
      psql -qX -d "$db" -c "BEGIN" -c "SELECT pg_advisory_xact_lock(1920298611, 1718578276)" \
        -c "SELECT pg_sleep($seconds + 5)" -c "COMMIT" >/dev/null 2>&1 &
      holder_pid=$!
      until [ "$(q -c "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND classid = 1920298611 AND objid = 1718578276 AND granted")" = 1 ]; do sleep 0.05; done ;;
    no-summary) q -c "ALTER TABLE runstore.executions DISABLE TRIGGER executions_recent_workflows_insert" ;;
    no-user-index)
      user_index_def=$(q -c "SELECT pg_get_indexdef('runstore.recent_workflow_folded_user_idx'::regclass)")
      q -c "DROP INDEX runstore.recent_workflow_folded_user_idx" ;;
  esac
  pgbench_script spread "$table" >"$tmp/script.sql"
  PGOPTIONS="$options" pgbench -n -d "$db" -f "$tmp/script.sql" -c 8 -j 2 -T "$seconds" 2>/dev/null >"$tmp/pgbench.out"
  case "$1" in
    append-only) kill "$holder_pid" 2>/dev/null || true; wait "$holder_pid" 2>/dev/null || true; holder_pid= ;;
    no-summary) q -c "ALTER TABLE runstore.executions ENABLE TRIGGER executions_recent_workflows_insert" ;;
  esac
  settle
  if [ "$1" = no-user-index ]; then q -c "$user_index_def"; user_index_def=; fi
  awk '/^tps/ {print $3}' "$tmp/pgbench.out"
}

echo "== spread inserts, what the summaries cost: 8 clients, ${seconds}s x $reps rounds, rotated, synchronous_commit $sync_commit"
for rep in $(seq 1 "$reps"); do
  for j in $(seq 0 $((${#names[@]} - 1))); do
    i=$(( (j + rep) % ${#names[@]} ))
    n=${names[$i]}
    t=runstore.executions; [ "$n" = plain ] && t=bench_plain.executions
    q -c "TRUNCATE $t" -c "CHECKPOINT" >/dev/null
    start_lsn=$(q -c "SELECT pg_current_wal_lsn()")
    tps=$(run "$n")
    inserts=$(awk '/number of transactions actually processed/ {split($NF, a, "/"); print a[1]}' "$tmp/pgbench.out")
    wal=$(q -c "SELECT round(pg_wal_lsn_diff(pg_current_wal_lsn(), '$start_lsn') / greatest($inserts, 1))")
    echo "$tps" >>"$tmp/$n"
    printf '  round %d %-13s %8.0f tps %6d WAL bytes/insert\n' "$rep" "$n" "$tps" "$wal"
  done
done
# The k-th smallest of n numbers at fraction $1 (0.25, 0.5, 0.75), interpolated.
quantile() { sort -g | awk -v f="$1" '{v[NR]=$1} END {p = 1 + (NR - 1) * f; i = int(p); print v[i] + (p - i) * (v[i+1] - v[i])}'; }
echo "== each contender's tps / plain's tps in the same round: median (quartiles) over rounds"
for n in "${names[@]:1}"; do
  paste "$tmp/$n" "$tmp/plain" | awk '{ print $1 / $2 }' >"$tmp/ratios"
  printf '  %-13s %.2fx (%.2f-%.2f)\n' "$n" "$(median <"$tmp/ratios")" "$(quantile 0.25 <"$tmp/ratios")" "$(quantile 0.75 <"$tmp/ratios")"
done
