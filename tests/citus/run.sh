#!/usr/bin/env bash
# tests/citus/run.sh: runstore on a real Citus cluster (a coordinator and two
# workers on this machine, tests/citus/cluster.sh), built from source when
# Citus is not installed (tests/citus/install_citus.sh).  Runs:
#   1. pg_regress citus_distribute citus_functions citus_queue: distributing
#      a table that holds runs, every function's answers and errors, every
#      write kind checked against the definition, the queue across shards;
#   2. isolation: concurrent claims through the coordinator
#      (isolation/specs/citus_queue_claims.spec), then the randomized
#      concurrent exactness test (recent_workflows_random.sh);
#   3. a shard group moved under a worker's open session (shard_move.sh);
#   4. dequeuers on every node, also across a worker node's kill -9
#      (queue_cluster.sh);
#   5. pg_regress citus_undistribute citus_drop: every run back, no shard
#      left on any node after DROP EXTENSION.
# Without Citus and without its source it says so and exits 0 (skipped).
# Needs runstore installed (make install).  Ports: RUNSTORE_CITUS_PORT..+2.
set -uo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)

export RUNSTORE_CITUS_PORT=${RUNSTORE_CITUS_PORT:-54361}
export RUNSTORE_CITUS_DIR=${RUNSTORE_CITUS_DIR:-/tmp/runstore-citus-$RUNSTORE_CITUS_PORT}
tests/citus/cluster.sh start
case $? in
  0) ;;
  2) echo "== Citus suite SKIPPED: Citus is not installed and no source to build it (set CITUS_SOURCE)"; exit 0 ;;
  *) echo "== Citus suite FAILED: the cluster did not start"; exit 1 ;;
esac
trap 'tests/citus/cluster.sh stop' EXIT
eval "$(tests/citus/cluster.sh env)"
export PGTZ=UTC PGDATESTYLE='ISO, MDY'

psql -qX -v ON_ERROR_STOP=1 -c "DROP EXTENSION IF EXISTS runstore CASCADE" -c "CREATE EXTENSION runstore" || exit 1

regress="$(dirname "$(pg_config --pgxs)")/../test/regress/pg_regress"
out=build/citus
mkdir -p "$out"
failed=0
run_regress() {
  if ! "$regress" --inputdir=tests/citus --outputdir="$out" --use-existing --dbname=postgres "$@"; then
    failed=1
    [ -f "$out/regression.diffs" ] && cat "$out/regression.diffs"
  fi
}

echo "== Citus: pg_regress (distribute, every function, the queue)"
run_regress citus_distribute citus_functions citus_queue

echo "== Citus: isolation (concurrent claims through the coordinator)"
isolation="$(dirname "$(pg_config --pgxs)")/../test/isolation/pg_isolation_regress"
if ! "$isolation" --inputdir=tests/citus/isolation --outputdir=build/citus-isolation --use-existing \
     --dbname=postgres citus_queue_claims; then
  failed=1
  [ -f build/citus-isolation/regression.diffs ] && cat build/citus-isolation/regression.diffs
fi

echo "== Citus: randomized concurrent writes (tests/citus/recent_workflows_random.sh)"
tests/citus/recent_workflows_random.sh || failed=1

echo "== Citus: a shard group moves under a worker's open session (tests/citus/shard_move.sh)"
tests/citus/shard_move.sh 3 || failed=1

echo "== Citus: the queue under concurrent dequeuers on every node and a worker node's kill -9 (tests/citus/queue_cluster.sh)"
tests/citus/queue_cluster.sh || failed=1

echo "== Citus: pg_regress (undistribute, DROP EXTENSION)"
run_regress citus_undistribute citus_drop

if [ "$failed" != 0 ]; then
  echo "== Citus suite FAILED; server logs:"
  tests/citus/cluster.sh log
fi
exit "$failed"
