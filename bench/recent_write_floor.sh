#!/usr/bin/env bash
# recent_write_floor.sh: how much of what tracking costs writers is
# runstore's own work, and how much is the summary rows themselves.
#
# Four contenders on the tables of recent_write_setup.sql, same workloads as
# recent_write.sh (bulk, spread, hot):
#   plain         no tracking
#   runstore      runstore's triggers, the installed library
#   floor         the same triggers built with recent_write_floor.patch and
#                 RUNSTORE_BENCH_WRITE_FLOOR=1:
#                 each group's newest run becomes a new slot row with its
#                 index entries, with no probe, no lock, no update (and so no
#                 exact summary: it is a yardstick, not a design).  It is the
#                 least any summary stored in these tables writes per group
#                 touched; everything else is what the floor shares with
#                 runstore (statement triggers, transition tables, the
#                 per-group hash).
#   floor_reader  RUNSTORE_BENCH_WRITE_FLOOR=2: the same without the primary
#                 key's entry, only the readers' index entry, as a summary
#                 with no index to find a group's row by would write.
# If runstore/floor is ~1, runstore adds nothing above writing the rows.
#
# Each floor library is swapped in for its runs by replacing the installed
# runstore.so (new connections load it), and the installed one is put back
# on exit.  So: a throwaway cluster, nothing else running (bench/run.sh
# recent-floor does both).  Expects the PG* environment of that server; uses
# database $1.
set -euo pipefail
db=${1:-runstore_write_floor}
reps=${RECENT_WRITE_REPS:-7}
seconds=${RECENT_WRITE_SECONDS:-10}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
lib="$(pg_config --pkglibdir)/runstore.so"

tmp=$(mktemp -d)
cp "$lib" "$tmp/installed.so"
install_lib() { cp "$1" "$lib.floor-swap" && mv "$lib.floor-swap" "$lib"; }
trap 'install_lib "$tmp/installed.so"; rm -rf "$tmp"' EXIT

# The floor is a patch to a copy of the sources (the shipped code has no
# benchmark branches); it fails loudly when the slot writer has moved on.
echo "== building the floor libraries"
for level in 1 2; do
  rm -rf "$tmp/build" && mkdir "$tmp/build"
  cp -r "$root/Makefile" "$root/extension" "$tmp/build/"
  patch -s -p1 -d "$tmp/build" <"$here/recent_write_floor.patch" ||
    { echo "recent_write_floor.patch no longer applies to extension/src/recent/slot_table_writer.cpp: update it" >&2; exit 1; }
  make -C "$tmp/build" -s -j"$(nproc)" with_llvm=no \
    PG_CPPFLAGS="-Iextension/include -isystem $(pg_config --includedir-server) -DRUNSTORE_BENCH_WRITE_FLOOR=$level" >/dev/null
  if [ "$level" = 1 ]; then cp "$tmp/build/runstore.so" "$tmp/floor.so"; else cp "$tmp/build/runstore.so" "$tmp/floor_reader.so"; fi
done

psql -qX -d postgres -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" >/dev/null
psql -qX -d "$db" -f "$here/recent_write_setup.sql" >/dev/null

names=(plain runstore floor floor_reader)
table_of() { if [ "$1" = plain ]; then echo bench_plain.executions; else echo runstore.executions; fi; }
use_lib_of() { case "$1" in floor | floor_reader) install_lib "$tmp/$1.so" ;; *) install_lib "$tmp/installed.so" ;; esac; }
quiet="-c runstore.notify_enqueued=off" # wake-ups are the queue's cost, as in recent_write.sh

# shellcheck source=bench/recent_write_workloads.sh
. "$here/recent_write_workloads.sh" # median, bulk_insert_sql, pgbench_script
paired() { # $1 scenario, $2 $3 contenders: median over repetitions of $2 / $3 (throughput)
  paste "$tmp/${1}_$2" "$tmp/${1}_$3" | awk '{ print $1 / $2 }' | median
}

# One run of a scenario; prints its throughput (runs/s for bulk, tps otherwise).
measure() { # $1 scenario, $2 contender, $3 seconds (pgbench) or rows (bulk)
  local t
  t=$(table_of "$2")
  use_lib_of "$2"
  psql -qX -d "$db" -c "TRUNCATE $t" -c "CHECKPOINT" >/dev/null
  if [ "$1" = bulk ]; then
    PGOPTIONS="$quiet" psql -qX -d "$db" -c '\timing on' -c "$(bulk_insert_sql "$t" "$3")" |
      awk -v rows="$3" '/^Time:/ { printf "%.0f\n", rows * 1000 / $2 }'
  else
    pgbench_script "$1" "$t" >"$tmp/script.sql"
    PGOPTIONS="$quiet" pgbench -n -d "$db" -f "$tmp/script.sql" -c 8 -j 2 -T "$3" 2>/dev/null | awk '/^tps/ { printf "%.0f\n", $3 }'
  fi
}

for scenario in bulk spread hot; do
  case "$scenario" in
  bulk) echo "== bulk: INSERT ... SELECT of 500,000 runs (runs/s; $reps repetitions after a warm-up)" ;;
  spread) echo "== spread: single-row inserts over 100,000 groups, 8 clients (tps; ${seconds}s x $reps after a warm-up)" ;;
  hot) echo "== hot: single-row inserts into one group, 8 clients (tps; ${seconds}s x $reps after a warm-up)" ;;
  esac
  for rep in $(seq 0 "$reps"); do # 0: a short warm-up round, not counted
    for j in 0 1 2 3; do
      c=${names[$(((j + rep) % 4))]}
      if [ "$scenario" = bulk ]; then size=500000; [ "$rep" = 0 ] && size=50000; else size=$seconds; [ "$rep" = 0 ] && size=2; fi
      v=$(measure "$scenario" "$c" "$size")
      if [ "$rep" = 0 ]; then
        printf '  %-12s %10s (warm-up)\n' "$c" "$v"
      else
        echo "$v" >>"$tmp/${scenario}_$c"
        printf '  %-12s %10s\n' "$c" "$v"
      fi
    done
  done
done

echo "== throughput ratios, per repetition, median"
for s in bulk spread hot; do
  printf '%-7s runstore/plain %.2fx   floor/plain %.2fx   floor_reader/plain %.2fx   runstore/floor %.2fx\n' \
    "$s" "$(paired "$s" runstore plain)" "$(paired "$s" floor plain)" "$(paired "$s" floor_reader plain)" \
    "$(paired "$s" runstore floor)"
done
