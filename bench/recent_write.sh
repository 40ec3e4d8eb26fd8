#!/usr/bin/env bash
# recent_write.sh: what keeping recent workflows exact costs writers, on
# three tables with the same columns and indexes (recent_write_setup.sql):
# no tracking, runstore's C++ triggers, a PL/pgSQL ON CONFLICT row trigger.
#   bulk     one INSERT ... SELECT of 500,000 runs (50,000 workflow groups;
#            the user is fixed by the workspace, so 50,000 user groups too),
#            psql \timing
#   spread   single-row inserts over 100,000 groups, 8 pgbench clients
#   hot      single-row inserts into one group, 8 pgbench clients
# Contenders interleave (rotated order) and repeat; ratios of medians.
# Expects the PG* environment of a running server; uses database $1.
set -euo pipefail
db=${1:-runstore_write}
reps=${RECENT_WRITE_REPS:-3}
seconds=${RECENT_WRITE_SECONDS:-15}
here=$(cd "$(dirname "$0")" && pwd)
tables=(bench_plain.executions runstore.executions bench_plpgsql.executions runstore.executions)
names=(plain runstore plpgsql notify)
# runstore runs as shipped (its wake-ups cost writers no NOTIFY).  The fourth
# contender, "notify", is runstore's table with runstore.notify_enqueued = on
# (a NOTIFY per insert, for applications that LISTEN themselves), to show
# what that costs writers.
options_for() { if [ "${names[$1]}" = notify ]; then echo "-c runstore.notify_enqueued=on"; else echo ""; fi; }

psql -qX -d postgres -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" >/dev/null
psql -qX -d "$db" -f "$here/recent_write_setup.sql" >/dev/null

# shellcheck source=bench/recent_write_workloads.sh
. "$here/recent_write_workloads.sh" # median, bulk_insert_sql, pgbench_script
# Median over repetitions of runstore's ratio to a contender within the same
# repetition (line k of each file is repetition k).  The machine's speed
# drifts by more than the effect measured; a repetition runs every contender
# within about a minute, so its ratio cancels most of the drift.
paired() {  # $1 scenario, $2 contender: median of runstore / contender
  paste "$tmp/${1}_runstore" "$tmp/${1}_$2" | awk '{ print $1 / $2 }' | median
}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# runstore's fold worker folds after a runstore run what the run left
# pending (a bulk load's groups: all of them).  The next contender must not
# share the machine with it: wait until the pending rows are folded or the
# worker has left, print how long that took (ms), then wait for it to leave.
settle() {
  local start worker="(SELECT FROM pg_stat_activity WHERE backend_type = 'runstore fold worker' AND datname = current_database())"
  start=$(date +%s%N)
  until [ "$(psql -XAtq -d "$db" -c "SELECT NOT EXISTS (SELECT FROM runstore.recent_workflow_pending) OR NOT EXISTS $worker")" = t ]; do
    sleep 0.02
  done
  echo $(( ($(date +%s%N) - start) / 1000000 ))
  until [ "$(psql -XAtq -d "$db" -c "SELECT NOT EXISTS $worker")" = t ]; do sleep 0.05; done
}

# Repetition 0 is a warm-up, shorter and not counted: without it the first
# contender of repetition 1, always runstore (the rotation starts there),
# met cold caches and a new pgbench, and its spread and hot figures there
# came out ~30% and ~15% below its later ones.
echo "== bulk: INSERT ... SELECT of 500,000 runs (ms; $reps repetitions after a 50,000-run warm-up)"
for rep in $(seq 0 "$reps"); do
  rows=500000; [ "$rep" = 0 ] && rows=50000
  for j in 0 1 2; do
    i=$(( (j + rep) % 3 ))
    t=${tables[$i]}
    psql -qX -d "$db" -c "TRUNCATE $t" -c "CHECKPOINT" >/dev/null
    ms=$(psql -qX -d "$db" -c '\timing on' -c "$(bulk_insert_sql "$t" "$rows")" | awk '/^Time:/ {print $2}')
    fold=""
    if [ "$t" = runstore.executions ]; then
      fold_ms=$(settle)
      fold=" (then folded by the fold worker in $fold_ms ms)"
      [ "$rep" = 0 ] || echo "$ms $fold_ms" | awk '{ print $1 + $2 }' >>"$tmp/bulkfold_${names[$i]}"
    fi
    if [ "$rep" = 0 ]; then
      printf '  %-9s %10.0f ms%s (warm-up)\n' "${names[$i]}" "$ms" "$fold"
    else
      echo "$ms" >>"$tmp/bulk_${names[$i]}"
      printf '  %-9s %10.0f ms%s\n' "${names[$i]}" "$ms" "$fold"
    fi
  done
done

pgbench_tps() {  # $1 contender index, $2 script body, $3 seconds
  printf '%s\n' "$2" >"$tmp/script.sql"
  PGOPTIONS="$(options_for "$1")" pgbench -n -d "$db" -f "$tmp/script.sql" -c 8 -j 2 -T "$3" 2>/dev/null | awk '/^tps/ {print $3}'
}
for scenario in spread hot; do
  if [ "$scenario" = spread ]; then
    echo "== spread: single-row inserts over 100,000 groups, 8 clients (tps; ${seconds}s x $reps)"
  else
    echo "== hot: single-row inserts into one group, 8 clients (tps; ${seconds}s x $reps)"
  fi
  for rep in $(seq 0 "$reps"); do  # 0: a 2 s warm-up round, not counted
    for j in 0 1 2 3; do
      i=$(( (j + rep) % 4 ))
      t=${tables[$i]}
      # A checkpoint before each contender, as before each bulk run: else a
      # checkpoint requested by the WAL of earlier runs falls into whichever
      # contender is running then, which pays its full-page writes.
      psql -qX -d "$db" -c "TRUNCATE $t" -c "CHECKPOINT" >/dev/null
      body=$(pgbench_script "$scenario" "$t")
      if [ "$rep" = 0 ]; then
        tps=$(pgbench_tps "$i" "$body" 2)
        printf '  %-9s %10.0f tps (warm-up)\n' "${names[$i]}" "$tps"
      else
        tps=$(pgbench_tps "$i" "$body" "$seconds")
        echo "$tps" >>"$tmp/${scenario}_${names[$i]}"
        printf '  %-9s %10.0f tps\n' "${names[$i]}" "$tps"
      fi
      [ "$t" != runstore.executions ] || settle >/dev/null
    done
  done
done

echo "== write cost, medians (runstore relative to each; higher is better for runstore)"
for s in bulk spread hot; do
  p=$(median <"$tmp/${s}_plain"); r=$(median <"$tmp/${s}_runstore"); q=$(median <"$tmp/${s}_plpgsql")
  if [ "$s" = bulk ]; then
    awk -v s="$s" -v p="$p" -v r="$r" -v q="$q" 'BEGIN {
      printf "%-7s plain %8.0f ms  runstore %8.0f ms  plpgsql %8.0f ms   runstore/plain %.2fx time   plpgsql/runstore %.1fx time\n", s, p, r, q, r / p, q / r }'
    awk -v s="$s" -v a="$(paired "$s" plain)" -v b="$(paired "$s" plpgsql)" 'BEGIN {
      printf "%-7s per repetition, median: runstore/plain %.2fx time (%.2fx throughput)   plpgsql/runstore %.1fx time\n", s, a, 1 / a, 1 / b }'
    f=$(paste "$tmp/bulkfold_runstore" "$tmp/bulk_plain" | awk '{ print $1 / $2 }' | median)
    awk -v f="$f" 'BEGIN { printf "%-7s diagnostic, until the fold worker has folded the load: runstore/plain %.2fx time (%.2fx throughput)\n", "bulk", f, 1 / f }'
  else
    n=$(median <"$tmp/${s}_notify")
    awk -v s="$s" -v p="$p" -v r="$r" -v q="$q" -v n="$n" 'BEGIN {
      printf "%-7s plain %8.0f tps runstore %8.0f tps plpgsql %8.0f tps  runstore/plain %.2fx tps   runstore/plpgsql %.1fx tps\n", s, p, r, q, r / p, r / q
      printf "%-7s with NOTIFY per insert (runstore.notify_enqueued = on): %8.0f tps, %.2fx of runstore as shipped, %.2fx of plain\n", s, n, n / r, n / p }'
    awk -v s="$s" -v a="$(paired "$s" plain)" -v b="$(paired "$s" plpgsql)" 'BEGIN {
      printf "%-7s per repetition, median: runstore/plain %.2fx tps   runstore/plpgsql %.1fx tps\n", s, a, b }'
  fi
done
