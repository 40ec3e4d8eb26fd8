#!/usr/bin/env bash
# run.sh: build the benchmark programs, start a throwaway cluster tuned for
# benchmarks (its own port), load the data, run every benchmark over the unix
# socket and TCP loopback, print the ratios, stop the cluster.
#
#   bench/run.sh                 # 1,000,000 executions
#   BENCH_ROWS=200000 bench/run.sh
#
# Run nothing else on the machine meanwhile (see bench/README.md).
set -euo pipefail
cd "$(dirname "$0")/.."

rows=${BENCH_ROWS:-1000000}
export RUNSTORE_PGPORT=${RUNSTORE_BENCH_PGPORT:-54339}

cmake -S bench -B build/bench -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build/bench -j"$(nproc)" >/dev/null

tests/scripts/cluster.sh start bench
trap 'tests/scripts/cluster.sh stop' EXIT
eval "$(tests/scripts/cluster.sh env)"

psql -qX -c "CREATE DATABASE runstore_bench" >/dev/null
echo "== loading $rows executions"
psql -qX -d runstore_bench -v rows="$rows" -f bench/load.sql

echo "== batch lookups and deletes (prepared statements, binary parameters and results)"
build/bench/batch_bench --label unix --conninfo "dbname=runstore_bench"
build/bench/batch_bench --label tcp --conninfo "$RUNSTORE_TCP_CONNINFO dbname=runstore_bench"
