#!/usr/bin/env bash
# demo.sh: set up, start a throwaway PostgreSQL cluster, show runstore's SQL
# functions at work on generated data (scripts/demo.sql), then the same
# store from a terminal with the runstore CLI (enqueue, a worker running a
# command per execution, status, recent, purge).  With --citus: the store
# distributed on a throwaway Citus cluster instead (scripts/demo_citus.sql).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh

# --citus: the same store distributed on a throwaway Citus coordinator with
# two workers (Citus is built from ../shared/citus when it is not installed).
if [ "${1:-}" = --citus ]; then
  tests/citus/cluster.sh start || { echo "demo.sh --citus: no Citus cluster (see above)"; exit 1; }
  trap 'tests/citus/cluster.sh stop' EXIT
  eval "$(tests/citus/cluster.sh env)"
  psql -X -q -v ON_ERROR_STOP=0 -f scripts/demo_citus.sql
  exit 0
fi

tests/scripts/cluster.sh start
trap 'tests/scripts/cluster.sh stop' EXIT
eval "$(tests/scripts/cluster.sh env)"

psql -X -q -v ON_ERROR_STOP=0 -f scripts/demo.sql

echo
echo "== The runstore CLI (build/client/cli/runstore)"
runstore=build/client/cli/runstore
export PGDATABASE=runstore_cli_demo
psql -qX -d postgres -c "CREATE DATABASE runstore_cli_demo"
psql -qX -c "CREATE EXTENSION runstore"
echo "\$ runstore enqueue --stdin   # three JSON lines"
printf '%s\n' '{"workspace_id": 7, "workflow_id": 70, "user_id": "ada", "tags": ["demo"], "payload": {"to": "ada@example.com"}}' \
              '{"workspace_id": 7, "workflow_id": 71, "user_id": "bob", "tags": ["demo"], "payload": {"to": "bob@example.com"}}' \
              '{"workspace_id": 7, "workflow_id": 70, "user_id": "ada", "tags": ["demo"], "payload": {"fail": true}}' \
  | "$runstore" enqueue --stdin >/tmp/runstore_demo_ids
cat /tmp/runstore_demo_ids
echo "\$ runstore worker --slots 2 -- sh -c '...'   # payload on stdin, stdout is the result, exit 1 is a failure"
"$runstore" worker --name demo-worker --slots 2 --poll 0.2 --quiet -- \
  sh -c 'read -r p; case "$p" in *fail*) echo "no such mailbox" >&2; exit 1;; esac; printf "{\"sent\": %s}" "$p"' &
worker=$!
for _ in $(seq 50); do
  left=$(psql -qXAt -c "SELECT count(*) FROM runstore.executions WHERE status IN ('queued', 'running') AND attempt < 1")
  [ "$left" = 0 ] && break
  sleep 0.2
done
sleep 0.5
kill -TERM "$worker"; wait "$worker" || true
echo "\$ runstore status ID..."
xargs "$runstore" status </tmp/runstore_demo_ids || true
echo "\$ runstore recent --workspace 7"
"$runstore" recent --workspace 7
echo "\$ runstore purge --tag demo"
"$runstore" purge --tag demo
echo "\$ runstore status not-a-uuid   # errors are one line, exit code 2 for usage"
"$runstore" status not-a-uuid || echo "(exit code $?)"
psql -qX -d postgres -c "DROP DATABASE runstore_cli_demo"
rm -f /tmp/runstore_demo_ids
