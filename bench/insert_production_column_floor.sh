#!/usr/bin/env bash
# insert_production_column_floor.sh: the floor build of
# recent_write_column_floor.sql (pending state kept in the run: recorded_xid,
# one more index entry, a fold every 100 ms past an xid watermark) at
# production size, next to insert_production.sh's plain copy and runstore.
# A diagnostic, not part of runstore.
#
#   bench/insert_production.sh [DATABASE]                  # first: the load
#   bench/insert_production_column_floor.sh [DATABASE]     # default runstore_insert_production
#
# Expects the PG* environment of the running server insert_production.sh used
# (shared_buffers = 512MB, see bench/README.md) and its database, which it
# keeps.  Copies the load into bench_column_floor.executions (same columns,
# indexes and rows, plus recorded_xid and its index) and folds it once, into
# two folded tables and into one.  Then runs each workload of
# insert_production.sh (pgbench -M prepared, 8 clients, one row per
# transaction, no consumer) for FLOOR_REPS (5) rounds of the contenders in
# rotated order, DURATION (8) s each after a CHECKPOINT.  FLOOR_CONTENDERS
# picks them (default "plain column-floor runstore", plain first;
# one-table-floor folds both scopes into one table).  After a workload the
# rows it inserted are deleted from the three tables and they are vacuumed.
# Prints each run and the median over rounds of each contender's tps /
# plain's tps in the same round.
set -euo pipefail
db=${1:-runstore_insert_production}
reps=${FLOOR_REPS:-5}
seconds=${DURATION:-8}
workloads=${WORKLOADS:-hot new-group existing-group}
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
plain_table=public.plain_executions
q() { psql -qX -At -v ON_ERROR_STOP=1 -d "$db" "$@"; }
# shellcheck source=bench/column_floor_common.sh
. "$here/column_floor_common.sh" # table_of, settle, start_fold, finish_fold
# shellcheck source=bench/insert_production_workloads.sh
. "$here/insert_production_workloads.sh" # write_script
trap floor_cleanup EXIT
median() { sort -g | awk '{v[NR]=$1} END {print (NR % 2) ? v[(NR+1)/2] : (v[NR/2] + v[NR/2+1]) / 2}'; }

if ! q -c "SELECT 1 FROM public.insert_production_meta" >/dev/null 2>&1; then
  echo "no load in database $db: run bench/insert_production.sh $db first" >&2
  exit 1
fi
read -r rows max_id max_created <<<"$(q -F ' ' -c "SELECT rows, max_id, replace(max_created_at::text, ' ', 'T') FROM public.insert_production_meta")"
copied=no
if [ "$(q -c "SELECT to_regclass('bench_column_floor.group_folded') IS NOT NULL")" = t ] &&
  [ "$(q -c "SELECT count(*) FROM bench_column_floor.executions")" = "$rows" ]; then
  copied=yes
fi
if [ "$copied" = no ]; then
  echo "== copying the load ($rows runs) into the floor build's table"
  PGOPTIONS="-c client_min_messages=warning" psql -qX -v ON_ERROR_STOP=1 -d "$db" -f "$here/recent_write_column_floor.sql"
  q -c "INSERT INTO bench_column_floor.executions SELECT * FROM public.plain_executions" \
    -c "UPDATE bench_column_floor.fold_state SET watermark = '0'"
  q -c "SET jit = off" -c "SET enable_seqscan = off" -c "SELECT 'folded the load: ' || bench_column_floor.fold() || ' upserts'" \
    -c "UPDATE bench_column_floor.fold_state SET watermark = '0'" \
    -c "SELECT 'folded the load into one table: ' || bench_column_floor.fold(true) || ' upserts'"
  q -c "VACUUM ANALYZE bench_column_floor.executions" -c "VACUUM ANALYZE bench_column_floor.workspace_folded" \
    -c "VACUUM ANALYZE bench_column_floor.user_folded" -c "VACUUM ANALYZE bench_column_floor.group_folded"
fi
q -c "UPDATE bench_column_floor.fold_state SET watermark = pg_snapshot_xmin(pg_current_snapshot())"

read -r -a names <<<"${FLOOR_CONTENDERS:-plain column-floor runstore}"
vacuum_all() {
  q -c "SELECT format('VACUUM %s;', c.oid::regclass) FROM pg_class c
        WHERE c.relnamespace IN ('runstore'::regnamespace, 'bench_column_floor'::regnamespace) AND c.relkind = 'r'
        UNION ALL SELECT 'VACUUM public.plain_executions;'" | q >/dev/null
}

for w in $workloads; do
  echo "== $w: $reps rounds, rotated, pgbench -M prepared -c 8 -j 2 -T $seconds"
  for rep in $(seq 1 "$reps"); do
    for j in $(seq 0 $((${#names[@]} - 1))); do
      n=${names[$(( (j + rep) % ${#names[@]} ))]}
      write_script "$w" "$(table_of "$n")" >"$tmp/script.sql"
      settle
      q -c "CHECKPOINT" >/dev/null
      start_fold "$n" "$seconds"
      tps=$(pgbench -n -M prepared -c 8 -j 2 -T "$seconds" -f "$tmp/script.sql" "$db" 2>/dev/null | awk '/^tps/ {print $3}')
      finish_fold
      echo "$tps" >>"$tmp/$w.$n"
      printf '  round %d %-15s %8.0f tps  %s\n' "$rep" "$n" "$tps" "$fold_report"
    done
  done
  settle
  for n in "${names[@]}"; do
    q -c "DELETE FROM $(table_of "$n") WHERE id > '$max_id' AND created_at > '$max_created'"
  done
  vacuum_all
  q -c "UPDATE bench_column_floor.fold_state SET watermark = pg_snapshot_xmin(pg_current_snapshot())"
  echo "  cleanup: tables now $(q -c "SELECT (SELECT count(*) FROM public.plain_executions) || ' / ' || (SELECT count(*) FROM bench_column_floor.executions) || ' / ' || (SELECT count(*) FROM runstore.executions)") runs (plain / floor / runstore)"
done
echo "== median over rounds of each contender's tps / plain's tps in the same round"
for w in $workloads; do
  for n in "${names[@]:1}"; do
    printf '  %-15s %-15s %.2fx\n' "$w" "$n" "$(paste "$tmp/$w.$n" "$tmp/$w.plain" | awk '{ print $1 / $2 }' | median)"
  done
done
