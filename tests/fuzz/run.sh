#!/usr/bin/env bash
# tests/fuzz/run.sh: hostile input against a server with runstore installed.
#
#   1. the targeted generator (tests/fuzz/fuzz_calls.cpp and the fuzz_*.cpp
#      beside it, built here with g++ and libpq): thousands of calls of every
#      runstore function with hostile arguments, GUCs, rows and trigger
#      attachments, in one session; fails on a lost connection, an
#      XX000/58xxx SQLSTATE or a violated oracle;
#   2. Debian's sqlsmith: random SQL for a bounded number of queries (or
#      seconds) against the same database, as an ordinary role, with scalar
#      wrappers so that it can reach runstore's set-returning functions too
#      (it only calls scalar functions); half the queries over the whole
#      catalog, half with its routine list narrowed to runstore's; its own
#      errors are expected, only crashes count;
#   3. reshaped tables (fuzz_calls --reshape): runstore.executions and the
#      summary tables changed as users change them (the index on id
#      dropped, the key before 0.3.0 on id alone, extra indexes, columns
#      added, dropped or retyped, triggers disabled, some of it rolled
#      back), the extension recreated
#      before each case; the generator's calls fired between, with
#      runstore.direct_paths on and off; oracles compare get_executions_by_ids
#      and dequeue with plain SQL and check verify_recent_workflows().  Last,
#      because recreating the extension takes the rows and grants the steps
#      above rely on with it;
#   4. the server log, from where it stood before step 1: no "terminated by
#      signal", "TRAP:", "PANIC" or "server process ... was terminated"; the
#      postmaster is the same process, and a sentinel session opened before
#      step 1 is still connected.
#
# Works against the cluster named by the PG* environment variables (start one
# with tests/scripts/cluster.sh start && eval "$(tests/scripts/cluster.sh env)").
# The server log is read with `tests/scripts/cluster.sh log` (which honours
# RUNSTORE_PGPORT / RUNSTORE_CLUSTER_DIR), or from RUNSTORE_SERVER_LOG if set.
#
# Settings: RUNSTORE_FUZZ_SEED (1), RUNSTORE_FUZZ_CALLS (10000),
# RUNSTORE_FUZZ_SECONDS (45, the generator's time bound),
# RUNSTORE_SQLSMITH_QUERIES (3000), RUNSTORE_SQLSMITH_SECONDS (60) (split
# between a broad and a focused phase),
# RUNSTORE_FUZZ_RESHAPE_CALLS (250 per reshape case), RUNSTORE_FUZZ_RESHAPE_SECONDS
# (60, after which the remaining cases are skipped and counted),
# RUNSTORE_FUZZ_ORACLES=warn (report oracle violations without failing),
# RUNSTORE_FUZZ_SKIP_SQLSMITH=1.  Exit status 0 only if everything held.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD

seed=${RUNSTORE_FUZZ_SEED:-1}
calls=${RUNSTORE_FUZZ_CALLS:-10000}
seconds=${RUNSTORE_FUZZ_SECONDS:-45}
smith_queries=${RUNSTORE_SQLSMITH_QUERIES:-3000}
smith_seconds=${RUNSTORE_SQLSMITH_SECONDS:-60}
reshape_calls=${RUNSTORE_FUZZ_RESHAPE_CALLS:-250}
reshape_seconds=${RUNSTORE_FUZZ_RESHAPE_SECONDS:-60}
db=runstore_fuzz_$$
build=$root/build/fuzz
work=$(mktemp -d /tmp/runstore-fuzz.XXXXXX)
failures=()

psql_q() { psql -X -v ON_ERROR_STOP=1 -q -At "$@"; }

server_log() {
  if [ -n "${RUNSTORE_SERVER_LOG:-}" ]; then cat "$RUNSTORE_SERVER_LOG"; else tests/scripts/cluster.sh log; fi
}

sentinel_pid=
cleanup() {
  [ -n "$sentinel_pid" ] && kill "$sentinel_pid" 2>/dev/null || true
  psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true
  for r in runstore_fuzz_noprivs runstore_fuzz_smith; do
    psql -X -q -d postgres -c "DROP ROLE IF EXISTS $r" >/dev/null 2>&1 || true
  done
  rm -rf "$work"
}
trap cleanup EXIT

if ! psql_q -d postgres -c "SELECT 1" >/dev/null; then
  echo "fuzz: cannot connect (PGHOST=${PGHOST:-} PGPORT=${PGPORT:-}); start a cluster first" >&2
  exit 2
fi
if ! server_log >/dev/null 2>&1; then
  echo "fuzz: cannot read the server log (set RUNSTORE_PGPORT/RUNSTORE_CLUSTER_DIR or RUNSTORE_SERVER_LOG)" >&2
  exit 2
fi

echo "== building the targeted generator"
mkdir -p "$build"
g++ -std=c++17 -O1 -g -Wall -Wextra -isystem "$(pg_config --includedir)" tests/fuzz/fuzz_calls.cpp \
  tests/fuzz/fuzz_harness.cpp tests/fuzz/fuzz_statements.cpp tests/fuzz/fuzz_reshape.cpp \
  tests/fuzz/fuzz_reshape_cases.cpp -o "$build/fuzz_calls" -L"$(pg_config --libdir)" -lpq

echo "== database $db with runstore"
psql_q -d postgres -c "CREATE DATABASE $db"
psql_q -d postgres <<SQL
DO \$\$ BEGIN CREATE ROLE runstore_fuzz_noprivs; EXCEPTION WHEN duplicate_object THEN NULL; END \$\$;
DO \$\$ BEGIN CREATE ROLE runstore_fuzz_smith LOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END \$\$;
ALTER DATABASE $db SET track_functions = 'all';
SQL
psql_q -d "$db" <<'SQL'
CREATE EXTENSION runstore;
-- Look-alikes for a hostile search_path: runstore must never use them.
CREATE SCHEMA runstore_fuzz_evil;
CREATE TABLE runstore_fuzz_evil.executions (id uuid, workspace_id bigint);
CREATE TABLE runstore_fuzz_evil.recent_workflow_pending (workspace_id bigint);
CREATE TABLE runstore_fuzz_evil.recent_workflow_folded (workspace_id bigint);
CREATE FUNCTION runstore_fuzz_evil.uuid_eq(uuid, uuid) RETURNS boolean LANGUAGE sql IMMUTABLE AS 'SELECT true';
CREATE OPERATOR runstore_fuzz_evil.= (LEFTARG = uuid, RIGHTARG = uuid, FUNCTION = runstore_fuzz_evil.uuid_eq);
GRANT USAGE ON SCHEMA runstore_fuzz_evil TO PUBLIC;
GRANT SELECT ON ALL TABLES IN SCHEMA runstore_fuzz_evil TO PUBLIC;

-- sqlsmith only calls scalar functions: give it one per set-returning
-- runstore function, taking every argument, so its random expressions reach
-- them.  It runs as an ordinary role (no pg_terminate_backend of others, no
-- SET of superuser-only settings), with the rights an application has.
CREATE SCHEMA runstore_fuzz_smith;
CREATE FUNCTION runstore_fuzz_smith.get_executions_by_ids_count(ids uuid[], workspace_id bigint) RETURNS bigint
  LANGUAGE sql AS 'SELECT count(*) FROM runstore.get_executions_by_ids(ids, workspace_id)';
CREATE FUNCTION runstore_fuzz_smith.delete_many_count(ids uuid[], workspace_id bigint) RETURNS bigint
  LANGUAGE sql AS 'SELECT count(*) FROM runstore.delete_many(ids, workspace_id)';
CREATE FUNCTION runstore_fuzz_smith.delete_by_tag_count(tag text, max_rows integer, workspace_id bigint) RETURNS bigint
  LANGUAGE sql AS 'SELECT count(*) FROM runstore.delete_by_tag(tag, max_rows, workspace_id)';
CREATE FUNCTION runstore_fuzz_smith.recent_workflows_first(workspace_id bigint, max_results integer, user_id text) RETURNS uuid
  LANGUAGE sql AS 'SELECT last_execution_id FROM runstore.recent_workflows(workspace_id, max_results, user_id) LIMIT 1';
CREATE FUNCTION runstore_fuzz_smith.verify_count() RETURNS bigint
  LANGUAGE sql AS 'SELECT count(*) FROM runstore.verify_recent_workflows()';
CREATE FUNCTION runstore_fuzz_smith.dequeue_count(worker text, max_jobs integer, lease interval) RETURNS bigint
  LANGUAGE sql AS 'SELECT count(*) FROM runstore.dequeue(worker, max_jobs, lease)';
CREATE FUNCTION runstore_fuzz_smith.heartbeat_count(worker text, ids uuid[], lease interval, attempts integer[]) RETURNS bigint
  LANGUAGE sql AS 'SELECT count(*) FROM runstore.heartbeat(worker, ids, lease, attempts)';
CREATE FUNCTION runstore_fuzz_smith.cancel_count(ids uuid[], workspace_id bigint) RETURNS bigint
  LANGUAGE sql AS 'SELECT count(*) FROM runstore.cancel(ids, workspace_id)';
-- Producers of the argument types sqlsmith has no columns of.
CREATE FUNCTION runstore_fuzz_smith.some_ids(n integer) RETURNS uuid[]
  LANGUAGE sql AS 'SELECT ARRAY(SELECT e.id FROM runstore.executions e ORDER BY e.id LIMIT n)';
CREATE FUNCTION runstore_fuzz_smith.uuid_pair(a uuid, b uuid) RETURNS uuid[] LANGUAGE sql AS 'SELECT ARRAY[a, b]';
CREATE FUNCTION runstore_fuzz_smith.int_pair(a integer, b integer) RETURNS integer[] LANGUAGE sql AS 'SELECT ARRAY[a, b]';
CREATE FUNCTION runstore_fuzz_smith.attempts_of(ids uuid[]) RETURNS integer[]
  LANGUAGE sql AS 'SELECT ARRAY(SELECT e.attempt FROM unnest(ids) i JOIN runstore.executions e ON e.id = i)';
CREATE FUNCTION runstore_fuzz_smith.seconds(n double precision) RETURNS interval
  LANGUAGE sql AS 'SELECT make_interval(secs => n)';
-- sqlsmith reads its routine list from an unqualified pg_proc: with
-- search_path = runstore_fuzz_focus, pg_catalog it reads this view instead,
-- which keeps runstore's routines, the wrappers and a few value makers.
CREATE SCHEMA runstore_fuzz_focus;
CREATE VIEW runstore_fuzz_focus.pg_proc AS
  SELECT * FROM pg_catalog.pg_proc p
  WHERE p.pronamespace IN ('runstore'::regnamespace, 'runstore_fuzz_smith'::regnamespace)
     OR (p.pronamespace = 'pg_catalog'::regnamespace
         AND p.proname IN ('gen_random_uuid', 'now', 'repeat', 'chr', 'int4', 'int8', 'jsonb_build_object',
                           'to_jsonb', 'count', 'max', 'min', 'string_agg', 'textcat', 'justify_interval',
                           'upper', 'lpad', 'length'));
GRANT USAGE ON SCHEMA runstore, runstore_fuzz_smith, runstore_fuzz_focus TO runstore_fuzz_smith;
GRANT SELECT ON runstore_fuzz_focus.pg_proc TO runstore_fuzz_smith;
-- sqlsmith's errors are expected by the thousand: keep them out of the log
-- (crashes are logged by the postmaster, whatever these say).
ALTER ROLE runstore_fuzz_smith SET log_min_messages = fatal;
ALTER ROLE runstore_fuzz_smith SET log_min_error_statement = panic;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA runstore TO runstore_fuzz_smith;
GRANT EXECUTE ON FUNCTION runstore._retry_delay(integer), runstore._statement_text(text),
  runstore.rebuild_recent_workflows(bigint) TO runstore_fuzz_smith;
-- Some rows for both fuzzers to find.
INSERT INTO runstore.executions (workspace_id, workflow_id, user_id, tags, payload, priority, created_at)
SELECT g % 5 + 1, g % 7 + 1, 'user' || (g % 3), ARRAY['fz', 'tag' || (g % 4)], jsonb_build_object('g', g), g % 3,
       now() - g * interval '1 s'
FROM generate_series(1, 200) g;
SQL

postmaster_pid() { psql_q -d "$db" -c "SELECT split_part(pg_read_file('postmaster.pid'), E'\n', 1)"; }
pm_before=$(postmaster_pid)
log_offset=$(server_log | wc -c)

# A sentinel session: a backend crash takes every session down with it.
psql -X -q -d "$db" -c "SET application_name = 'runstore_fuzz_sentinel'" -c "SELECT pg_sleep(3600)" \
  >/dev/null 2>&1 &
sentinel_pid=$!
sentinel_backend=
for _ in $(seq 1 50); do
  sentinel_backend=$(psql_q -d "$db" -c "SELECT pid FROM pg_stat_activity WHERE application_name = 'runstore_fuzz_sentinel' AND datname = current_database()")
  [ -n "$sentinel_backend" ] && break
  sleep 0.1
done

echo "== targeted generator (seed $seed, up to $calls calls / ${seconds}s)"
oracle_flag=
[ "${RUNSTORE_FUZZ_ORACLES:-}" = warn ] && oracle_flag=--oracles-warn
gen_rc=0
PGDATABASE=$db "$build/fuzz_calls" --seed "$seed" --calls "$calls" --seconds "$seconds" $oracle_flag \
  >"$work/generator.out" 2>"$work/generator.err" || gen_rc=$?
cat "$work/generator.out"
if [ -s "$work/generator.err" ]; then head -20 "$work/generator.err" | sed 's/^/  generator: /'; fi
gen_calls=$(sed -n 's/^targeted generator: seed [0-9]*, \([0-9]*\) calls.*/\1/p' "$work/generator.out")
[ "$gen_rc" = 0 ] || failures+=("targeted generator: exit $gen_rc (see FAILURES / ORACLE VIOLATIONS above)")

# One sqlsmith phase: $1 label, $2 queries, $3 seconds, $4 extra conninfo.
smith_total=0
run_smith() {
  local label=$1 queries=$2 secs=$3 extra=$4 rc=0 n rate last
  echo "-- sqlsmith, $label (seed $seed, up to $queries queries / ${secs}s, role runstore_fuzz_smith)"
  psql_q -d "$db" -c "SELECT pg_stat_reset()" >/dev/null
  # From $work: sqlsmith may leave files in its working directory.
  (cd "$work" && timeout --signal=INT --kill-after=10 "$secs" \
     sqlsmith --target="dbname=$db user=runstore_fuzz_smith $extra" --seed="$seed" --max-queries="$queries" \
       --exclude-catalog --verbose >"$work/sqlsmith-$label.out" 2>"$work/sqlsmith-$label.err") || rc=$?
  n=$(sed -n 's/^queries: \([0-9]*\).*/\1/p' "$work/sqlsmith-$label.err" | tail -1)
  rate=$(sed -n 's/^error rate: \(.*\)/\1/p' "$work/sqlsmith-$label.err" "$work/sqlsmith-$label.out" | tail -1)
  echo "sqlsmith exit $rc (124: stopped by the time bound), queries: ${n:-?}, error rate: ${rate:-?}"
  smith_total=$((smith_total + ${n:-0}))
  if [ -z "$n" ] && [ "$rc" != 124 ]; then
    failures+=("sqlsmith ($label) did not run (exit $rc): $(head -c 300 "$work/sqlsmith-$label.err")")
  fi
  # --verbose repeats its report every so often: show the last one.
  last=$(grep -n '^queries: ' "$work/sqlsmith-$label.err" | tail -1 | cut -d: -f1 || true)
  if [ -n "$last" ]; then
    echo "most frequent sqlsmith errors (expected: it writes semantically random SQL):"
    tail -n +"$last" "$work/sqlsmith-$label.err" | grep -E '^[0-9]+	' >"$work/smith-errors.txt" || true
    head -6 "$work/smith-errors.txt" | cut -c1-110 | sed 's/^/  /'
  fi
  if grep -iE 'connection|broken|terminat|crash' "$work/sqlsmith-$label.err" >"$work/smith-lost.txt"; then
    echo "sqlsmith reported lost connections (the server-log check below decides):"
    sort "$work/smith-lost.txt" | uniq -c | sort -rn | head -5 | sed 's/^/  /' || true
  fi
  sleep 0.5 # the backend flushes its function statistics as it exits
  echo "calls of runstore functions in this phase (pg_stat_user_functions):"
  psql_q -d "$db" -c "SELECT coalesce(string_agg(funcname || '=' || calls, ' ' ORDER BY funcname), '(none)')
                      FROM pg_stat_user_functions
                      WHERE schemaname IN ('runstore', 'runstore_fuzz_smith') AND calls > 0" | fold -s -w 110 | sed 's/^/  /'
}

smith_summary="sqlsmith skipped"
if [ "${RUNSTORE_FUZZ_SKIP_SQLSMITH:-}" = 1 ]; then
  echo "== sqlsmith: skipped (RUNSTORE_FUZZ_SKIP_SQLSMITH=1)"
elif ! command -v sqlsmith >/dev/null; then
  echo "== sqlsmith: not installed (Debian package sqlsmith; scripts/setup.sh installs it)"
  failures+=("sqlsmith is not installed")
else
  echo "== sqlsmith"
  # Broad: the whole catalog, as sqlsmith sees it by default.  Focused: the
  # same, but its routine list is the runstore_fuzz_focus.pg_proc view (see
  # the set-up above), so most function calls it writes are runstore's.
  half_q=$(( (smith_queries + 1) / 2 )); half_s=$(( (smith_seconds + 1) / 2 ))
  run_smith broad "$half_q" "$half_s" ""
  run_smith focused "$half_q" "$half_s" "options='-c search_path=runstore_fuzz_focus,pg_catalog'"
  smith_summary="sqlsmith $smith_total queries"
fi

echo "== reshaped tables (seed $seed, $reshape_calls calls per case, up to ${reshape_seconds}s)"
reshape_rc=0
PGDATABASE=$db "$build/fuzz_calls" --reshape --seed "$seed" --calls-per-case "$reshape_calls" \
  --seconds "$reshape_seconds" $oracle_flag >"$work/reshape.out" 2>"$work/reshape.err" || reshape_rc=$?
cat "$work/reshape.out"
if [ -s "$work/reshape.err" ]; then head -20 "$work/reshape.err" | sed 's/^/  reshape: /'; fi
reshape_summary=$(sed -n 's/^reshape phase: seed [0-9]*, \([0-9]*\) cases, \([0-9]*\) calls.*/\1 reshape cases (\2 calls)/p' \
  "$work/reshape.out")
[ "$reshape_rc" = 0 ] || failures+=("reshaped tables: exit $reshape_rc (see FAILURES / ORACLE VIOLATIONS above)")
# A phase that silently did nothing would pass every check below.
case "$reshape_summary" in
  ''|'0 '*) failures+=("reshaped tables: no case ran") ;;
esac
[ -n "$reshape_summary" ] || reshape_summary="no reshape cases"

echo "== server log and processes"
server_log >"$work/server-full.log"
tail -c +"$((log_offset + 1))" "$work/server-full.log" >"$work/server.log"
if grep -nE "terminated by signal|TRAP:|PANIC|server process .* was terminated|was terminated by exception" \
     "$work/server.log" >"$work/crashes.txt"; then
  failures+=("server log shows crashes:")
  while IFS= read -r line; do failures+=("  ${line:0:300}"); done < <(head -20 "$work/crashes.txt")
fi
echo "server log: $(wc -l <"$work/server.log") new lines, $(wc -l <"$work/crashes.txt") crash lines"
pm_after=$(postmaster_pid || echo gone)
if [ "$pm_before" != "$pm_after" ]; then
  failures+=("postmaster pid changed: $pm_before -> $pm_after")
fi
if [ -n "$sentinel_backend" ]; then
  alive=$(psql_q -d "$db" -c "SELECT count(*) FROM pg_stat_activity WHERE pid = $sentinel_backend")
  [ "$alive" = 1 ] || failures+=("the sentinel session (backend $sentinel_backend) was killed: a backend crashed and the server reset")
else
  failures+=("the sentinel session never connected")
fi
echo "postmaster pid $pm_before -> $pm_after; sentinel backend ${sentinel_backend:-none} $([ "${alive:-0}" = 1 ] && echo alive || echo GONE)"

if [ ${#failures[@]} -gt 0 ]; then
  echo "== FAILED"
  printf '  %s\n' "${failures[@]}"
  echo "fuzz: FAILED: ${gen_calls:-?} targeted calls, $smith_summary, $reshape_summary, ${#failures[@]} problem(s)"
  exit 1
fi
echo "fuzz: OK: ${gen_calls:-?} targeted calls, $smith_summary, $reshape_summary, no crash, no XX000/58xxx," \
  "server log clean"
