#!/usr/bin/env bash
# recent_fold_stall.sh DB: recent_workflows() while folds are held up.
#
# The summaries are a folded part plus what writers appended since the last
# fold, merged by every read (docs/architecture.md, "Recent workflows"); a
# read pays the pending rows of its workspace.  Folds are held up when a
# transaction that folded stays open (it keeps the fold key to its end).
# This script holds the key (and a snapshot) for the whole run while pgbench
# inserts STALL_RATE runs/s for STALL_SECONDS (half into workspace 1's one
# hot workflow, half over the tail's 1,000 workspaces), then times the read
# benchmark (recent_workflows vs DISTINCT ON, every shape) with the pending
# rows in place, releases the key, folds, and times it again.
#
# Expects the PG* environment of a server with DB loaded by recent_load.sql
# and the read benchmark built (bench/run.sh recent runs it).
set -euo pipefail
db=${1:?usage: recent_fold_stall.sh DB}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
rate=${STALL_RATE:-2000}
seconds=${STALL_SECONDS:-60}
reader=${RECENT_READ_BENCH:-$root/build/bench/recent_read_bench}
tmp=$(mktemp -d)
holder=
cleanup() {
  [ -n "$holder" ] && kill "$holder" 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT

pending() {
  psql -XAtq -d "$db" -c "SELECT count(*) || ' pending rows (' || count(*) FILTER (WHERE workspace_id = 1) || ' of workspace 1), '
                                || pg_size_pretty(pg_total_relation_size('runstore.recent_workflow_pending'))
                           FROM runstore.recent_workflow_pending"
}

cat >"$tmp/insert.sql" <<'SQL'
\set hot random(1, 2)
\set ws random(100, 1099)
\set wf random(1, 10)
\set usr random(0, 6)
\if :hot = 1
INSERT INTO runstore.executions (workspace_id, workflow_id, user_id, status) VALUES (1, 1, 'user-1', 'succeeded');
\else
INSERT INTO runstore.executions (workspace_id, workflow_id, user_id, status) VALUES (:ws, :wf, 'user-' || :usr, 'succeeded');
\endif
SQL

echo "== reads with everything folded: $(pending)"
"$reader" --conninfo "dbname=$db"

# The holder: takes the fold key in a transaction and keeps it (and its
# snapshot) until killed, as a long transaction that folded would.
psql -XAtq -d "$db" -c "BEGIN" -c "SELECT pg_advisory_xact_lock(1920298611, 1718578276)" \
  -c "SELECT pg_sleep(3600)" >/dev/null 2>&1 &
holder=$!
sleep 1
echo "== folds held up; inserting $rate runs/s for $seconds s (pgbench -R)"
pgbench -n -d "$db" -f "$tmp/insert.sql" -c 4 -j 2 -R "$rate" -T "$seconds" 2>&1 |
  grep -E "^(number of transactions actually processed|latency average|tps)" || true
echo "== reads with folds held up $seconds s: $(pending)"
"$reader" --conninfo "dbname=$db"

psql -XAtq -d "$db" -c "SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep(3600)%' AND pid <> pg_backend_pid()" >/dev/null
wait "$holder" 2>/dev/null || true
holder=
echo "== folding: $(psql -XAtq -d "$db" -c "SELECT runstore.fold_recent_workflows()") pending rows folded"
psql -XAtq -d "$db" -c "VACUUM runstore.recent_workflow_pending" >/dev/null
echo "== reads after the fold and a VACUUM of the pending table: $(pending)"
"$reader" --conninfo "dbname=$db"
echo "== verify_recent_workflows(): $(psql -XAtq -d "$db" -c "SELECT count(*) FROM runstore.verify_recent_workflows()") groups differ"
