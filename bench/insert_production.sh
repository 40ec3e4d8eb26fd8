#!/usr/bin/env bash
# insert_production.sh: what an INSERT into runstore.executions costs next to
# a plain copy of the table (same columns, defaults, constraints and indexes,
# no triggers), at production size.  bench/README.md ("Inserts at production
# size") describes the method.
#
#   bench/insert_production.sh [DATABASE]      # default runstore_insert_production
#
# Expects the PG* environment of a running server (bench/run.sh
# insert-production starts one with shared_buffers = 512MB).  Settings:
#   ROWS=1850000      runs loaded (20 of every 37 into one group)
#   DURATION=8        seconds per pgbench run
#   BULK_ROWS=500000  runs per bulk INSERT ... SELECT (0: no bulk variant)
#   WAITERS="0 1"     consumer variants to run: none, or one per table (runstore's an
#                     idle worker woken by wait_for_work, plain's a SKIP LOCKED poller)
#   WORKLOADS="hot new-group existing-group"
# The load is kept in DATABASE: a re-run with the same ROWS against the same
# installed extension (library, control and SQL files) reuses it, after
# deleting the rows a run left behind; otherwise it loads again.  If the
# installed extension changes during a run, the script stops.
set -euo pipefail
db=${1:-runstore_insert_production}
rows=${ROWS:-1850000}
seconds=${DURATION:-8}
bulk_rows=${BULK_ROWS:-500000}
waiter_variants=${WAITERS:-0 1}
workloads=${WORKLOADS:-hot new-group existing-group}
clients=8
threads=2

tmp=$(mktemp -d)
consumer_pids=()
cleanup_exit() {
  [ "${#consumer_pids[@]}" -eq 0 ] || stop_waiter || true
  rm -rf "$tmp"
}
trap cleanup_exit EXIT

q() { psql -qX -At -v ON_ERROR_STOP=1 -d "$db" "$@"; }
median() { sort -g | awk '{v[NR]=$1} END {print (NR % 2) ? v[(NR+1)/2] : (v[NR/2] + v[NR/2+1]) / 2}'; }
now_s() { date +%s; }
start_all=$(now_s)

# --- the database and its data -------------------------------------------
default_version=$(psql -qX -At -d postgres -c "SELECT default_version FROM pg_available_extensions WHERE name = 'runstore'")
if [ -z "$default_version" ]; then echo "runstore is not installed" >&2; exit 1; fi
# The installed extension (library, control and SQL files): a load made
# under another one is not reused, and a change during the run stops it (new
# connections would load the new library against the old schema).
fingerprint() {
  cat "$(pg_config --pkglibdir)/runstore.so" "$(pg_config --sharedir)"/extension/runstore.control \
    "$(pg_config --sharedir)"/extension/runstore--*.sql | md5sum | cut -c1-12
}
installed=$(fingerprint)
check_installed() {
  if [ "$(fingerprint)" != "$installed" ]; then
    echo "the installed runstore changed during the run ($(stat -c '%y' "$(pg_config --pkglibdir)/runstore.so")): stopping; figures so far are not comparable" >&2
    exit 1
  fi
}
# VACUUM runstore.executions, runstore's other tables (the summaries) and the plain copy.
vacuum_all() {
  q -c "SELECT format('VACUUM %s;', c.oid::regclass) FROM pg_class c
        WHERE c.relnamespace = 'runstore'::regnamespace AND c.relkind = 'r'
        UNION ALL SELECT 'VACUUM public.plain_executions;'" | q >/dev/null
}

reuse=no
if [ "$(psql -qX -At -d postgres -c "SELECT count(*) FROM pg_database WHERE datname = '$db'")" = 1 ]; then
  meta=$(q -c "SELECT m.rows || ' ' || m.extversion || ' ' || m.installed FROM public.insert_production_meta m" 2>/dev/null || true)
  ext=$(q -c "SELECT extversion FROM pg_extension WHERE extname = 'runstore'" 2>/dev/null || true)
  if [ "$meta" = "$rows $default_version $installed" ] && [ "$ext" = "$default_version" ]; then
    # Rows a previous (perhaps interrupted) run inserted: every one has an id
    # and a created_at after the load's (UUIDv7 ids grow with time).
    q -c "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name IN ('bench-waiter', 'bench-poller')" >/dev/null
    q -c "DELETE FROM runstore.executions e USING public.insert_production_meta m WHERE e.id > m.max_id AND e.created_at > m.max_created_at" \
      -c "DELETE FROM public.plain_executions e USING public.insert_production_meta m WHERE e.id > m.max_id AND e.created_at > m.max_created_at" >/dev/null
    counts=$(q -c "SELECT (SELECT count(*) FROM runstore.executions) || ' ' || (SELECT count(*) FROM public.plain_executions)")
    if [ "$counts" = "$rows $rows" ]; then
      reuse=yes
      vacuum_all
    fi
  fi
fi

if [ "$reuse" = yes ]; then
  echo "== reusing the load in database $db ($rows runs in each table)"
else
  echo "== loading $rows runs into database $db (minutes at full size)"
  psql -qX -d postgres -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" >/dev/null
  q -c "CREATE EXTENSION runstore" >/dev/null
  t0=$(now_s)
  # 20 of every 37 runs into one group (workspace 5, workflow 1: ~1M runs at
  # full size); the rest over 3,000 workspaces x 30 workflows (workflow_id
  # = g % 90000 is congruent to workspace_id - 100 modulo 3,000), 40 users.
  q -v rows="$rows" <<'SQL'
INSERT INTO runstore.executions (workspace_id, workflow_id, user_id, status, created_at)
SELECT CASE WHEN g % 37 < 20 THEN 5 ELSE 100 + g % 3000 END,
       CASE WHEN g % 37 < 20 THEN 1 ELSE g % 90000 END,
       'u' || g % 40, 'succeeded', now() - (:rows - g) * interval '10 ms'
FROM generate_series(1, :rows) g;
SQL
  t1=$(now_s)
  echo "   runstore.executions loaded in $((t1 - t0)) s"
  # The plain copy: same columns, defaults and constraints, the same indexes
  # (every index of runstore.executions, the primary key as a primary key),
  # no triggers; created before it is filled, as runstore's were.
  q <<'SQL'
CREATE TABLE public.plain_executions (LIKE runstore.executions INCLUDING DEFAULTS INCLUDING CONSTRAINTS);
DO $$
DECLARE
  r record;
  def text;
BEGIN
  FOR r IN SELECT x.indexname, x.indexdef, i.indisprimary
           FROM pg_indexes x
           JOIN pg_index i ON i.indexrelid = format('%I.%I', x.schemaname, x.indexname)::regclass
           WHERE x.schemaname = 'runstore' AND x.tablename = 'executions'
           ORDER BY x.indexname
  LOOP
    def := replace(r.indexdef, ' ON runstore.executions ', ' ON public.plain_executions ');
    def := replace(def, 'INDEX ' || r.indexname || ' ON ', 'INDEX plain_' || r.indexname || ' ON ');
    IF def NOT LIKE '% ON public.plain_executions %' THEN
      RAISE EXCEPTION 'cannot copy index definition: %', r.indexdef;
    END IF;
    EXECUTE def;
    IF r.indisprimary THEN
      EXECUTE format('ALTER TABLE public.plain_executions ADD CONSTRAINT plain_executions_pkey PRIMARY KEY USING INDEX %I',
                     'plain_' || r.indexname);
    END IF;
  END LOOP;
END
$$;
INSERT INTO public.plain_executions SELECT * FROM runstore.executions;
SQL
  t2=$(now_s)
  echo "   plain_executions filled in $((t2 - t1)) s"
  q -c "VACUUM ANALYZE" >/dev/null
  q -v v="$default_version" -v f="$installed" <<'SQL'
CREATE TABLE public.insert_production_meta AS
SELECT count(*) AS rows,
       (SELECT id FROM runstore.executions ORDER BY id DESC LIMIT 1) AS max_id,
       max(created_at) AS max_created_at, :'v'::text AS extversion, :'f'::text AS installed
FROM runstore.executions;
SQL
  echo "   VACUUM ANALYZE in $(($(now_s) - t2)) s"
fi

n_idx_r=$(q -c "SELECT count(*) FROM pg_index WHERE indrelid = 'runstore.executions'::regclass")
n_idx_p=$(q -c "SELECT count(*) FROM pg_index WHERE indrelid = 'public.plain_executions'::regclass")
if [ "$n_idx_r" != "$n_idx_p" ]; then
  echo "plain_executions has $n_idx_p indexes, runstore.executions $n_idx_r: reload (drop database $db)" >&2
  exit 1
fi
echo "== setup"
q -c "SELECT 'server ' || current_setting('server_version') || ', runstore ' || extversion
             || ', shared_buffers ' || current_setting('shared_buffers')
             || ', synchronous_commit ' || current_setting('synchronous_commit')
             || ', max_wal_size ' || current_setting('max_wal_size')
      FROM pg_extension WHERE extname = 'runstore'"
q -c "SELECT format('  %-42s %8s heap %8s indexes %10s rows', c.oid::regclass,
                    pg_size_pretty(pg_relation_size(c.oid)), pg_size_pretty(pg_indexes_size(c.oid)), c.reltuples::bigint)
      FROM pg_class c
      WHERE (c.relnamespace = 'runstore'::regnamespace OR c.oid = 'public.plain_executions'::regclass) AND c.relkind = 'r'
      ORDER BY c.relnamespace <> 'runstore'::regnamespace, c.relname <> 'executions', c.relname"
q -c "SELECT '  index ' || indexdef FROM pg_indexes WHERE schemaname = 'public' AND tablename = 'plain_executions' ORDER BY indexname"
q -c "SELECT '  runstore trigger ' || tgname FROM pg_trigger WHERE tgrelid = 'runstore.executions'::regclass AND NOT tgisinternal ORDER BY tgname"
echo "  plain_executions triggers: $(q -c "SELECT count(*) FROM pg_trigger WHERE tgrelid = 'public.plain_executions'::regclass")"
echo "  installed runstore.so: $(stat -c '%y' "$(pg_config --pkglibdir)/runstore.so"), fingerprint $installed"
read -r max_id max_created <<<"$(q -F ' ' -c "SELECT max_id, replace(max_created_at::text, ' ', 'T') FROM public.insert_production_meta")"

has_wait=$(q -c "SELECT count(*) FROM pg_proc WHERE proname = 'wait_for_work' AND pronamespace = 'runstore'::regnamespace AND prokind = 'p'")
if [ "$has_wait" = 0 ]; then
  echo "== runstore.wait_for_work does not exist in the installed extension ($default_version): running the 0-waiter variant only"
  waiter_variants=0
fi

# --- the workloads --------------------------------------------------------
# shellcheck source=bench/insert_production_workloads.sh
. "$(cd "$(dirname "$0")" && pwd)/insert_production_workloads.sh" # write_script

# runstore's consumer, an idle worker: one psql session that CALLs
# runstore.wait_for_work(1000) and then claims what is due with
# runstore.dequeue, 100 at a time, under a 1-hour lease, so claimed rows stay
# out of the due range (no completion writes: the least a consumer that keeps
# the queue drained can do), and waits again.  Its output is one line per
# CALL (t: woken with work due, f: timed out) and one per dequeue (rows
# claimed).
# The plain table's consumer, so that both sides of a 1-waiter run pay for
# one: a psql session polling plain_executions every 10 ms with the naive
# SKIP LOCKED claim (the same claim-order index range, 100 rows, the same
# columns set as runstore.dequeue sets, a 1-hour lease), claiming what is due
# without pausing while it finds some.  One line per poll (t: found nothing).
plain_claim="WITH c AS (SELECT id FROM public.plain_executions
    WHERE status IN ('queued', 'running') AND run_after <= now()
    ORDER BY priority DESC, run_after, id LIMIT 100 FOR UPDATE SKIP LOCKED),
  u AS (UPDATE public.plain_executions x SET status = 'running', attempt = x.attempt + 1,
    lease_owner = 'bench-poller', run_after = now() + interval '1 hour',
    lease_expires_at = now() + interval '1 hour', started_at = now(), updated_at = now()
    FROM c WHERE x.id = c.id RETURNING 1)
SELECT count(*) = 0 AS nothing FROM u \\gset
\\echo :nothing
\\if :nothing
SELECT pg_sleep(0.01) \\g /dev/null
\\endif"

start_consumer() {  # $1 application name, $2 the loop's statements, $3 log
  yes "$2" | PGAPPNAME=$1 psql -qX -At -v ON_ERROR_STOP=1 -d "$db" >"$3" 2>"$3.err" &
  consumer_pids+=("$!")
  for _ in $(seq 100); do
    [ "$(q -c "SELECT count(*) FROM pg_stat_activity WHERE application_name = '$1'")" = 1 ] && return 0
    sleep 0.1
  done
  echo "$1 did not connect: $(cat "$3.err")" >&2
  exit 1
}
start_waiter() {
  consumer_pids=()
  start_consumer bench-waiter "CALL runstore.wait_for_work(1000, NULL); SELECT count(*) FROM runstore.dequeue('bench-waiter', 100, interval '1 hour');" "$tmp/waiter.log"
  start_consumer bench-poller "$plain_claim" "$tmp/poller.log"
}
stop_waiter() {  # ends both consumers' backends; psql then exits (flushing its output)
  q -c "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name IN ('bench-waiter', 'bench-poller')" >/dev/null
  for pid in "${consumer_pids[@]}"; do
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  consumer_pids=()
}
waiter_summary() {
  awk 'NR % 2 == 1 { if ($1 == "t") woke++; else if ($1 == "f") idle++ }
       NR % 2 == 0 { claimed += $1; if ($1 > 0) nonempty++ }
       END { printf "waiter: %d waits woken by due work, %d timed out (1 s), %d dequeues claimed %d rows (%d non-empty)\n",
                    woke, idle, int(NR / 2), claimed, nonempty }' "$tmp/waiter.log"
  awk '{ if ($1 == "t") empty++; else busy++ }
       END { printf "  plain poller: %d polls, %d found rows to claim\n", empty + busy, busy }' "$tmp/poller.log"
  echo "  plain poller: $(q -c "SELECT count(*) FROM public.plain_executions WHERE lease_owner = 'bench-poller'") rows claimed"
}

tables=(runstore.executions public.plain_executions)
names=(runstore plain)
order=(0 1 1 0 0 1)  # ABBAAB: runstore, plain, plain, runstore, runstore, plain

# runstore's fold worker folds what a runstore run (or a cleanup) left
# pending after it ends; no run may share the machine with it.  settle waits
# until the pending rows are folded or the worker has left, prints how long
# that took (ms), then waits for it to leave.
settle() {
  local start worker="(SELECT FROM pg_stat_activity WHERE backend_type = 'runstore fold worker' AND datname = current_database())"
  start=$(date +%s%N)
  until [ "$(q -c "SELECT NOT EXISTS (SELECT FROM runstore.recent_workflow_pending) OR NOT EXISTS $worker")" = t ]; do
    sleep 0.02
  done
  echo $(( ($(date +%s%N) - start) / 1000000 ))
  until [ "$(q -c "SELECT NOT EXISTS $worker")" = t ]; do sleep 0.05; done
}

run_pgbench() {  # $1 workload, $2 contender index; prints tps, appends processed transactions
  local out tps failed
  write_script "$1" "${tables[$2]}" >"$tmp/script.sql"
  settle >/dev/null
  q -c "CHECKPOINT" >/dev/null
  if ! out=$(pgbench -n -M prepared -c "$clients" -j "$threads" -T "$seconds" -f "$tmp/script.sql" "$db" 2>&1); then
    echo "$out" >&2; exit 1
  fi
  tps=$(awk '/^tps/ {print $3; exit}' <<<"$out")
  failed=$(awk -F': ' '/number of failed transactions/ {split($2, a, " "); print a[1]}' <<<"$out")
  if [ -z "$tps" ] || [ "${failed:-0}" != 0 ]; then echo "$out" >&2; exit 1; fi
  awk -F': ' '/number of transactions actually processed/ {split($2, a, "/"); print a[1]}' <<<"$out" >>"$tmp/processed_${names[$2]}"
  echo "$tps"
}

# After each workload: delete what it inserted from both tables, VACUUM both
# (and runstore's summary tables), check both are back to the load.
reset_tables() {  # $1 label
  local dr dp er ep
  dr=$(q -c "WITH d AS (DELETE FROM runstore.executions WHERE id > '$max_id' AND created_at > '$max_created' RETURNING 1) SELECT count(*) FROM d")
  dp=$(q -c "WITH d AS (DELETE FROM public.plain_executions WHERE id > '$max_id' AND created_at > '$max_created' RETURNING 1) SELECT count(*) FROM d")
  vacuum_all
  touch "$tmp/processed_runstore" "$tmp/processed_plain"
  er=$(awk '{s += $1} END {print s + 0}' "$tmp/processed_runstore")
  ep=$(awk '{s += $1} END {print s + 0}' "$tmp/processed_plain")
  rm -f "$tmp/processed_runstore" "$tmp/processed_plain"
  local counts
  counts=$(q -c "SELECT (SELECT count(*) FROM runstore.executions) || ' ' || (SELECT count(*) FROM public.plain_executions)")
  echo "  cleanup: deleted $dr (runstore) and $dp (plain) rows, expected $er and $ep; tables now $counts"
  if [ "$dr" != "$er" ] || [ "$dp" != "$ep" ] || [ "$counts" != "$rows $rows" ]; then
    echo "$1: the rows deleted do not match the rows inserted" >&2; exit 1
  fi
}

printf '%s\n' "workload waiters median pair1 pair2 pair3 r1 r2 r3 p1 p2 p3" >"$tmp/summary"
for w in $workloads; do
  for nw in $waiter_variants; do
    label="$w, $([ "$nw" = 1 ] && echo "one consumer per table (runstore: an idle worker in wait_for_work; plain: a 10 ms SKIP LOCKED poller)" || echo "no consumer")"
    check_installed
    echo "== $label: pgbench -M prepared -c $clients -j $threads -T $seconds, one row per transaction, ABBAAB"
    [ "$nw" = 1 ] && start_waiter
    rts=(); pts=()
    for k in 0 1 2 3 4 5; do
      i=${order[$k]}
      tps=$(run_pgbench "$w" "$i")
      printf '  run %d %-9s %9.1f tps\n' "$((k + 1))" "${names[$i]}" "$tps"
      if [ "$i" = 0 ]; then rts+=("$tps"); else pts+=("$tps"); fi
    done
    if [ "$nw" = 1 ]; then stop_waiter; echo "  $(waiter_summary)"; fi
    check_installed
    ratios=()
    for p in 0 1 2; do ratios+=("$(awk -v a="${rts[$p]}" -v b="${pts[$p]}" 'BEGIN {printf "%.3f", a / b}')"); done
    med=$(printf '%s\n' "${ratios[@]}" | median)
    printf '  pair ratios runstore/plain: %.2fx %.2fx %.2fx   median %.2fx\n' "${ratios[@]}" "$med"
    echo "$w $nw $med ${ratios[*]} ${rts[*]} ${pts[*]}" >>"$tmp/summary"
    reset_tables "$label"
  done
done

# --- bulk: one INSERT ... SELECT -------------------------------------------
# Rows over 3,000 workspaces x 30 workflows (the load's spread groups), the
# other columns from their defaults.  After each run the rows are deleted and
# both tables vacuumed (VACUUM cuts the emptied pages off the heap's end), so
# every run, on either side, starts from the load.
if [ "$bulk_rows" -gt 0 ]; then
  echo "== bulk: one INSERT ... SELECT of $bulk_rows runs (3,000 workspaces x 30 workflows), ABBAAB, ms by psql \\timing"
  check_installed
  bms=(); bmp=(); bmf=()
  for k in 0 1 2 3 4 5; do
    i=${order[$k]}
    t=${tables[$i]}
    settle >/dev/null
    q -c "CHECKPOINT" >/dev/null
    ms=$(psql -qX -v ON_ERROR_STOP=1 -d "$db" -c '\timing on' \
      -c "INSERT INTO $t (workspace_id, workflow_id, user_id)
          SELECT 100 + g % 3000, g % 90000, 'u' || g % 40 FROM generate_series(1, $bulk_rows) g" | awk '/^Time:/ {print $2}')
    if [ "$i" = 0 ]; then
      fold_ms=$(settle)
      printf '  run %d %-9s %9.0f ms, then folded by the fold worker in %s ms\n' "$((k + 1))" "${names[$i]}" "$ms" "$fold_ms"
      bms+=("$ms"); bmf+=("$(awk -v a="$ms" -v b="$fold_ms" 'BEGIN {print a + b}')")
    else
      printf '  run %d %-9s %9.0f ms\n' "$((k + 1))" "${names[$i]}" "$ms"
      bmp+=("$ms")
    fi
    echo "$bulk_rows" >>"$tmp/processed_${names[$i]}"
    reset_tables "bulk run $((k + 1))" | sed 's/^  cleanup:/       cleanup:/'
  done
  ratios=()  # throughput ratio: plain time / runstore time
  for p in 0 1 2; do ratios+=("$(awk -v a="${bms[$p]}" -v b="${bmp[$p]}" 'BEGIN {printf "%.3f", b / a}')"); done
  med=$(printf '%s\n' "${ratios[@]}" | median)
  printf '  pair ratios runstore/plain (throughput, = plain ms / runstore ms): %.2fx %.2fx %.2fx   median %.2fx\n' "${ratios[@]}" "$med"
  fratios=()
  for p in 0 1 2; do fratios+=("$(awk -v a="${bmf[$p]}" -v b="${bmp[$p]}" 'BEGIN {printf "%.3f", b / a}')"); done
  printf '  diagnostic, until the fold worker has folded the load: %.2fx %.2fx %.2fx   median %.2fx\n' "${fratios[@]}" \
    "$(printf '%s\n' "${fratios[@]}" | median)"
  rts=(); pts=()
  for p in 0 1 2; do
    rts+=("$(awk -v m="${bms[$p]}" -v n="$bulk_rows" 'BEGIN {printf "%.1f", n / m * 1000}')")
    pts+=("$(awk -v m="${bmp[$p]}" -v n="$bulk_rows" 'BEGIN {printf "%.1f", n / m * 1000}')")
  done
  echo "bulk 0 $med ${ratios[*]} ${rts[*]} ${pts[*]}" >>"$tmp/summary"
fi

# --- the summaries' consistency, once ---------------------------------------
echo "== runstore.verify_recent_workflows() over the whole table (once, at the end)"
t0=$(now_s)
bad=$(q -c "SELECT count(*) FROM runstore.verify_recent_workflows()")
check_installed
echo "  groups that differ from the definition: $bad ($(($(now_s) - t0)) s)"

echo "== summary: runstore/plain throughput (higher is better for runstore); rows/s for bulk"
awk 'NR > 1 {
  printf "%-15s %7s  %6.2fx   %5.2fx %5.2fx %5.2fx   %8.0f %8.0f %8.0f   %8.0f %8.0f %8.0f\n",
         $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12 }
  NR == 1 { printf "%-15s %7s  %7s   %-17s   %-26s   %s\n", "workload", "waiters", "median", "pair ratios",
                   "runstore tps (runs 1,4,5)", "plain tps (runs 2,3,6)" }' "$tmp/summary"
echo "  verify_recent_workflows(): $bad differing groups; total time $(($(now_s) - start_all)) s"
