#!/usr/bin/env bash
# stats.sh: what seeing the queue costs on a big table of mostly finished
# runs, runstore's way against the naive way, on the same data in one run.
#
#   bench/stats.sh DB CLI     # DB: a database (re)created here; CLI: the runstore binary
#
# Expects the PG* environment of a running server (bench/run.sh stats sets
# one up).  Data: bench/stats_load.sql, ROWS executions (default 1,000,000)
# with a live queue of 12,820.  Two comparisons, each interleaved (A B, then
# B A, ...) after two warm-up rounds, medians over the rounds:
#   end to end  `runstore stats --json` (process start to exit: connect, one
#               call, print) vs `psql -c` running the naive GROUP BY (the
#               psql program itself: Debian's psql is a Perl wrapper that
#               would add ~40 ms); for reference the floor of any CLI call,
#               `runstore status` of an unknown id (start, connect, one index
#               probe); STATS_ROUNDS rounds (default 21)
#   SQL         in one psql session with \timing: SELECT * FROM
#               runstore.queue_stats() vs the naive SELECT status, priority,
#               count(*) ... GROUP BY status, priority over the table, and,
#               for reference, the same GROUP BY restricted to the live
#               statuses by hand; STATS_SQL_ROUNDS rounds (default 31)
# Before timing, the counts of queued and running executions by priority
# from queue_stats() are checked against the naive query's.
# Target: `runstore stats --json` under 50 ms (median).
set -euo pipefail
db=${1:?usage: stats.sh DB CLI}
cli=${2:?usage: stats.sh DB CLI}
rows=${ROWS:-1000000}
rounds=${STATS_ROUNDS:-21}
sql_rounds=${STATS_SQL_ROUNDS:-31}
here=$(cd "$(dirname "$0")" && pwd)
psql_bin=$(pg_config --bindir)/psql
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

naive="SELECT status, priority, count(*) FROM runstore.executions GROUP BY status, priority"
by_hand="SELECT status, priority, count(*) FROM runstore.executions WHERE status IN ('queued', 'running') GROUP BY status, priority"
runstore_sql="SELECT * FROM runstore.queue_stats()"

median() { sort -n | awk '{ v[NR] = $1 } END { if (NR == 0) exit 1; print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

psql -qX -d postgres -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" >/dev/null
echo "== loading $rows executions (bench/stats_load.sql)"
load_start=$EPOCHREALTIME
psql -qX -d "$db" -v rows="$rows" -f "$here/stats_load.sql"
awk -v a="$load_start" -v b="$EPOCHREALTIME" 'BEGIN { printf "   (loaded and vacuumed in %.0f s)\n", b - a }'

# The same answer: live counts by status and priority.
check_sql="SELECT (SELECT string_agg(status || ':' || priority || ':' || executions, ' ' ORDER BY status, priority)
                     FROM runstore.queue_stats())
                  = (SELECT string_agg(status || ':' || priority || ':' || n, ' ' ORDER BY status, priority)
                     FROM ($naive) AS t(status, priority, n) WHERE status IN ('queued', 'running'))"
if [ "$(psql -qXAt -d "$db" -c "$check_sql")" != t ]; then
  echo "stats.sh: queue_stats() and the naive GROUP BY disagree on the live counts" >&2
  exit 1
fi
if ! "$cli" --dsn "dbname=$db" stats --json | python3 -c 'import json,sys; sys.exit(0 if len(json.load(sys.stdin)) > 0 else 1)'; then
  echo "stats.sh: runstore stats --json printed no rows" >&2
  exit 1
fi

# ---- end to end: one process per call, as an operator or a cron job runs it
ms_since() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.3f\n", (b - a) * 1000 }'; }
e2e() {  # $1: contender
  local t0
  t0=$EPOCHREALTIME
  case $1 in
    runstore) "$cli" --dsn "dbname=$db" stats --json >/dev/null ;;
    naive) "$psql_bin" -qXAt -d "$db" -c "$naive" >/dev/null ;;
    floor) "$cli" --dsn "dbname=$db" status 00000000-0000-7000-8000-000000000000 >/dev/null 2>&1 || true ;;
  esac
  ms_since "$t0"
}
contenders=(runstore naive floor)
for round in $(seq -1 "$rounds"); do  # -1 and 0: warm-up
  for j in 0 1 2; do
    c=${contenders[$(( (j + round + 3) % 3 ))]}
    ms=$(e2e "$c")
    [ "$round" -ge 1 ] && echo "$ms" >>"$tmp/e2e_$c"
  done
done

# ---- SQL: one session, \timing (the round trip as psql sees it)
{
  echo '\o /dev/null'
  echo '\timing on'
  for round in $(seq -1 "$sql_rounds"); do
    for j in 0 1 2; do
      case $(( (j + round + 3) % 3 )) in
        0) echo "\\echo @runstore $round"; echo "$runstore_sql;" ;;
        1) echo "\\echo @naive $round"; echo "$naive;" ;;
        2) echo "\\echo @by_hand $round"; echo "$by_hand;" ;;
      esac
    done
  done
} >"$tmp/sql_rounds.sql"
psql -qX -d "$db" -f "$tmp/sql_rounds.sql" 2>&1 | awk -v dir="$tmp" '
  /^@/ { name = substr($1, 2); round = $2; next }
  /^Time: / { if (round >= 1) print $2 >> (dir "/sql_" name) }'

med() { median <"$tmp/$1"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1fx", a / b }'; }
e2e_r=$(med e2e_runstore); e2e_n=$(med e2e_naive); e2e_f=$(med e2e_floor)
sql_r=$(med sql_runstore); sql_n=$(med sql_naive); sql_h=$(med sql_by_hand)
live=$(psql -qXAt -d "$db" -c "SELECT sum(executions) FROM runstore.queue_stats()")
printf '== queue stats on %s executions (%s live); medians, ms; load average %s\n' "$rows" "$live" \
  "$(cut -d' ' -f1-3 /proc/loadavg)"
printf '  end to end, %s rounds   runstore stats --json %8.2f   psql -c naive GROUP BY %8.2f   naive / runstore %s\n' \
  "$rounds" "$e2e_r" "$e2e_n" "$(ratio "$e2e_n" "$e2e_r")"
printf '    the floor of a CLI call (runstore status of an unknown id: start, connect, one probe) %.2f\n' "$e2e_f"
printf '  SQL, %s rounds          queue_stats()         %8.2f   naive GROUP BY         %8.2f   naive / runstore %s\n' \
  "$sql_rounds" "$sql_r" "$sql_n" "$(ratio "$sql_n" "$sql_r")"
printf '    the same GROUP BY on the live statuses, by hand %.2f (queue_stats() / by hand %s)\n' \
  "$sql_h" "$(ratio "$sql_r" "$sql_h")"
if awk -v v="$e2e_r" 'BEGIN { exit !(v < 50) }'; then
  echo "  target: runstore stats --json under 50 ms end to end: met"
else
  echo "  target: runstore stats --json under 50 ms end to end: NOT met"
fi
