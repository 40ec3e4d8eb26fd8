#!/usr/bin/env bash
# tests/memory/run.sh: many calls of every runstore function in ONE backend;
# that backend's memory must stay flat.
#
# Builds tests/memory/memory_calls.cpp (g++, libpq) and runs it against a
# fresh database on the cluster named by the PG* environment variables (start
# one with tests/scripts/cluster.sh start && eval "$(tests/scripts/cluster.sh env)").
# For each case it prints calls, errors, the backend's memory-context total
# (pg_backend_memory_contexts) and RssAnon (/proc/<backend>/status) before and
# after, and the growth; a case fails on more than 1 MiB of context growth or
# 8 MiB of RssAnon growth.  The server log is checked for crashes afterwards.
#
# Settings:
#   RUNSTORE_MEMORY_CALLS        calls per case (default 100000)
#   RUNSTORE_MEMORY_ERROR_CALLS  calls per error-path case (default 20000)
#   RUNSTORE_MEMORY_HEAVY_CALLS  calls per case for the cases that cost ~1 ms
#                                a call or more (writes that fire the
#                                recent-workflow triggers, verify/rebuild,
#                                100-id lookups); default 5000 to stay near
#                                two minutes; set it to 100000 for the full
#                                count (tens of minutes on a busy 2-core
#                                machine: delete_by_tag slows down as dead
#                                tagged rows pile up between autovacuums)
#   RUNSTORE_MEMORY_ONLY         run only the cases whose name contains this
# Exit status 0 only if every case stayed flat and the server did not crash.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD

calls=${RUNSTORE_MEMORY_CALLS:-100000}
heavy=${RUNSTORE_MEMORY_HEAVY_CALLS:-5000}
errors=${RUNSTORE_MEMORY_ERROR_CALLS:-20000}
db=runstore_memory_$$
build=$root/build/memory
work=$(mktemp -d /tmp/runstore-memory.XXXXXX)

psql_q() { psql -X -v ON_ERROR_STOP=1 -q -At "$@"; }
server_log() {
  if [ -n "${RUNSTORE_SERVER_LOG:-}" ]; then cat "$RUNSTORE_SERVER_LOG"; else tests/scripts/cluster.sh log; fi
}
cleanup() {
  psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

if ! psql_q -d postgres -c "SELECT 1" >/dev/null; then
  echo "memory: cannot connect (PGHOST=${PGHOST:-} PGPORT=${PGPORT:-}); start a cluster first" >&2
  exit 2
fi
log_offset=$( (server_log 2>/dev/null || true) | wc -c)

echo "== building tests/memory/memory_calls.cpp"
mkdir -p "$build"
g++ -std=c++17 -O1 -g -Wall -Wextra -isystem "$(pg_config --includedir)" tests/memory/memory_calls.cpp \
  -o "$build/memory_calls" -L"$(pg_config --libdir)" -lpq

psql_q -d postgres -c "CREATE DATABASE $db"
psql_q -d "$db" -c "CREATE EXTENSION runstore"

echo "== $calls calls per case ($heavy for the ~1 ms cases, $errors for error paths), one backend"
args=(--calls "$calls" --heavy-calls "$heavy" --error-calls "$errors")
[ -n "${RUNSTORE_MEMORY_ONLY:-}" ] && args+=(--only "$RUNSTORE_MEMORY_ONLY")
rc=0
PGDATABASE=$db "$build/memory_calls" "${args[@]}" | tee "$work/memory.out" || rc=$?

crashes=0
if server_log >"$work/full.log" 2>/dev/null; then
  tail -c +"$((log_offset + 1))" "$work/full.log" \
    | grep -E "terminated by signal|TRAP:|PANIC|server process .* was terminated" >"$work/crashes.txt" || true
  crashes=$(wc -l <"$work/crashes.txt")
  if [ "$crashes" -gt 0 ]; then
    echo "server log shows crashes:"
    head -10 "$work/crashes.txt"
    rc=1
  fi
else
  echo "note: server log not readable (set RUNSTORE_PGPORT/RUNSTORE_CLUSTER_DIR or RUNSTORE_SERVER_LOG); crash check skipped"
fi

cases=$(grep -cE '^[a-z_].* +[0-9]+ +[0-9]+ .* kB' "$work/memory.out" || true)
failed=$(grep -c '  FAIL$' "$work/memory.out" || true)
total=$(sed -n 's/.*; \([0-9]*\) calls in \([0-9.]*\) s$/\1 calls in \2 s/p' "$work/memory.out")
if [ "$rc" = 0 ]; then
  echo "memory: OK: $cases cases flat (${total:-?}), server log clean"
else
  echo "memory: FAILED: $failed of $cases cases grew or broke, $crashes crash lines in the server log (${total:-?})"
  exit 1
fi
