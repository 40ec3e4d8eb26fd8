#!/usr/bin/env bash
# recent_write_column_floor.sh: a floor build, not part of runstore. What the
# writes of recent_write.sh would cost if a run recorded its pending state in
# its own row (recorded_xid and one more index entry, see
# recent_write_column_floor.sql) and a fold every 100 ms merged the runs past
# a watermark into both folded tables, next to the untracked table and to
# runstore as shipped, on the same database.
#   plain          bench_plain.executions: same columns and indexes, no triggers
#   column-floor   the floor build's writers, with its fold running beside them
#   runstore       runstore.executions as shipped
#   one-table-floor  (not by default) the floor build folding both scopes into
#                  one table
# FLOOR_CONTENDERS (default "plain column-floor runstore", plain first) picks them.
# Workloads: spread and hot (8 pgbench clients, single-row inserts,
# FLOOR_SECONDS (10) per run) and bulk (one INSERT ... SELECT of FLOOR_BULK_ROWS
# (500,000) runs, timed by psql); FLOOR_REPS (5) rounds in rotated order, each
# run after a TRUNCATE and a CHECKPOINT, none while runstore's fold worker or
# the floor's fold is still folding. Prints each run and the median over rounds
# of each contender's ratio to plain within its round (bulk: plain ms / ms).
# The time the floor's fold takes for a bulk load, after the statement, is
# printed beside it (runstore's fold worker takes about as long).
# Expects the PG* environment of a running server with recent_write.sh's
# database $1 (default runstore_write) in place.
set -euo pipefail
db=${1:-runstore_write}
reps=${FLOOR_REPS:-5}
seconds=${FLOOR_SECONDS:-10}
bulk_rows=${FLOOR_BULK_ROWS:-500000}
workloads=${FLOOR_WORKLOADS:-spread hot bulk}
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=bench/recent_write_workloads.sh
. "$here/recent_write_workloads.sh" # median, pgbench_script, bulk_insert_sql
read -r -a names <<<"${FLOOR_CONTENDERS:-plain column-floor runstore}"
tmp=$(mktemp -d)
plain_table=bench_plain.executions
q() { psql -qX -At -v ON_ERROR_STOP=1 -d "$db" "$@"; }
# shellcheck source=bench/column_floor_common.sh
. "$here/column_floor_common.sh" # table_of, one_table_of, settle, start_fold, finish_fold
trap floor_cleanup EXIT

PGOPTIONS="-c client_min_messages=warning" psql -qX -v ON_ERROR_STOP=1 -d "$db" -f "$here/recent_write_column_floor.sql"

run() {  # $1 workload, $2 contender; prints tps (bulk: ms)
  local table note=
  table=$(table_of "$2")
  if [ "$1" = bulk ]; then
    q -c '\timing on' -c "$(bulk_insert_sql "$table" "$bulk_rows")" | awk '/^Time/ {print $2}'
    if [ "$2" != plain ] && [ "$2" != runstore ]; then
      note=$(q -c 'SET jit = off' -c 'SET enable_seqscan = off' -c '\timing on' \
        -c "SELECT bench_column_floor.fold($(one_table_of "$2"))" | awk '/^Time/ {print $2}')
      echo "fold of the load: $note ms" >&2
    fi
    return
  fi
  pgbench_script "$1" "$table" >"$tmp/script.sql"
  start_fold "$2" "$seconds"
  pgbench -n -d "$db" -f "$tmp/script.sql" -c 8 -j 2 -T "$seconds" 2>/dev/null | awk '/^tps/ {print $3}'
  finish_fold
  [ -z "$fold_report" ] || echo "$fold_report" >&2
}

for w in $workloads; do
  echo "== $w: ${reps} rounds, rotated$([ "$w" = bulk ] && echo ", $bulk_rows runs" || echo ", 8 clients, ${seconds}s")"
  for rep in $(seq 1 "$reps"); do
    for j in $(seq 0 $((${#names[@]} - 1))); do
      n=${names[$(( (j + rep) % ${#names[@]} ))]}
      q -c "TRUNCATE runstore.executions, bench_plain.executions" -c "CALL bench_column_floor.reset()" -c "CHECKPOINT" >/dev/null
      settle
      v=$(run "$w" "$n" 2>"$tmp/note")
      settle
      echo "$v" >>"$tmp/$w.$n"
      printf '  round %d %-15s %10.1f %s  %s\n' "$rep" "$n" "$v" "$([ "$w" = bulk ] && echo ms || echo tps)" "$(tr '\n' ' ' <"$tmp/note")"
    done
  done
done
echo "== median over rounds of each contender's throughput / plain's in the same round"
for w in $workloads; do
  for n in "${names[@]:1}"; do
    if [ "$w" = bulk ]; then
      r=$(paste "$tmp/$w.plain" "$tmp/$w.$n" | awk '{ print $1 / $2 }' | median)
    else
      r=$(paste "$tmp/$w.$n" "$tmp/$w.plain" | awk '{ print $1 / $2 }' | median)
    fi
    printf '  %-7s %-15s %.2fx\n' "$w" "$n" "$r"
  done
done
