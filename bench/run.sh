#!/usr/bin/env bash
# run.sh: build the benchmark programs, start a throwaway cluster tuned for
# benchmarks (its own port), load the data, run every benchmark over the unix
# socket and TCP loopback, print the ratios, stop the cluster.
#
#   bench/run.sh                 # every benchmark
#   bench/run.sh batch           # batch lookups and deletes (BENCH_ROWS, default 1,000,000)
#   bench/run.sh recent          # recent workflows: reads on 3.23M skewed runs (also with folds
#                                # held up 60 s under 2,000 inserts/s), write cost
#   bench/run.sh queue           # queue lifecycle vs a naive SKIP LOCKED queue; 2 x 5-minute churn
#     QUEUE_ONLY=throughput|latency|churn runs one part; CHURN_SUMMARIES=off runs the
#     churn with the recent-workflow triggers disabled (a diagnostic: the queue alone)
#   bench/run.sh client          # the C++ client: batch status vs N+1, runstore::Worker vs raw SQL
#   bench/run.sh stats           # `runstore stats` and runstore.queue_stats() vs GROUP BY over the
#                                # table, on BENCH_ROWS mostly finished runs (bench/stats.sh)
#   bench/run.sh citus           # a Citus coordinator + 2 workers vs a single node (bench/citus.sh)
#   bench/run.sh citus-queue     # the queue on that cluster vs a single node: drain, pickup, spread
#                                # over shards (bench/citus_queue.sh; ROUNDS, JOBS, PICKUP_JOBS)
#   bench/run.sh peers           # runstore::Worker vs Graphile Worker and pg-boss (bench/peers.sh;
#                                # Node.js and npm; ROUNDS, DRAIN_JOBS, CONCURRENCIES, PEERS_ONLY)
#   bench/run.sh insert-production  # INSERT cost vs a plain copy of the table on 1.85M runs
#     (bench/insert_production.sh; shared_buffers = 512MB; ROWS, DURATION, BULK_ROWS, WAITERS)
#   bench/run.sh charts          # the series of bench/charts/*.svg (CSV under BENCH_RESULTS_DIR,
#                                # default build/bench-results), then bench/charts.sh renders them
#     Sizes: BENCH_ROWS; BATCH_SIZES (1,10,50,100,250,500), BATCH_ROUNDS (31),
#     BATCH_DELETE_ROUNDS (9); RECENT_SCALE (1: the 3.23M-run load), RECENT_ROUNDS (7);
#     QUEUE_WORKERS (1,2,4,8), QUEUE_SECONDS (10), QUEUE_ROUNDS (2)
#
# BENCH_BUILD_DIR (default build/bench) is where the programs are built.
# Run nothing else on the machine meanwhile (see bench/README.md).
set -euo pipefail
cd "$(dirname "$0")/.."

which=${1:-all}
case "$which" in all | batch | recent | queue | client | stats | insert-production | charts) ;;
  citus) exec bench/citus.sh ;;
  citus-queue) exec bench/citus_queue.sh ;;
  peers) exec bench/peers.sh ;;
  *) echo "usage: $0 [all|batch|recent|queue|client|stats|citus|citus-queue|peers|insert-production|charts]" >&2; exit 2 ;;
esac
rows=${BENCH_ROWS:-1000000}
export RUNSTORE_PGPORT=${RUNSTORE_BENCH_PGPORT:-54339}
build=${BENCH_BUILD_DIR:-build/bench}
# recent_fold_stall.sh runs the read benchmark too: the same build.
export RECENT_READ_BENCH=${RECENT_READ_BENCH:-$(realpath -m "$build")/recent_read_bench}

if [ "$which" != insert-production ] && [ "$which" != stats ]; then # they run psql, pgbench and the CLI only
cmake -S bench -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build" -j"$(nproc)" >/dev/null
fi

tests/scripts/cluster.sh start bench
trap 'tests/scripts/cluster.sh stop' EXIT
eval "$(tests/scripts/cluster.sh env)"

if [ "$which" = all ] || [ "$which" = batch ]; then
psql -qX -c "CREATE DATABASE runstore_bench" >/dev/null
echo "== loading $rows executions"
psql -qX -d runstore_bench -v rows="$rows" -f bench/load.sql

echo "== batch lookups and deletes (prepared statements, binary parameters and results)"
"$build"/batch_bench --label unix --conninfo "dbname=runstore_bench"
"$build"/batch_bench --label tcp --conninfo "$RUNSTORE_TCP_CONNINFO dbname=runstore_bench"
psql -qX -c "DROP DATABASE runstore_bench" >/dev/null
fi

if [ "$which" = all ] || [ "$which" = recent ]; then
psql -qX -c "CREATE DATABASE runstore_recent" >/dev/null
echo "== recent workflows: loading 3.23M runs in the production shape (bench/recent_load.sql)"
psql -qX -d runstore_recent -f bench/recent_load.sql
echo "== recent workflows: reads (4 most recent), unix socket"
"$build"/recent_read_bench --conninfo "dbname=runstore_recent"
echo "== recent workflows: reads while folds are held up (bench/recent_fold_stall.sh)"
bench/recent_fold_stall.sh runstore_recent
psql -qX -c "DROP DATABASE runstore_recent" >/dev/null
echo "== recent workflows: write cost"
bench/recent_write.sh runstore_write
psql -qX -c "DROP DATABASE runstore_write" >/dev/null
fi

if [ "$which" = all ] || [ "$which" = queue ]; then
psql -qX -c "CREATE DATABASE runstore_queue" >/dev/null
psql -qX -d runstore_queue -c "CREATE EXTENSION runstore" >/dev/null
echo "== queue lifecycle (bench/src/queue_bench.cpp), unix socket"
"$build"/queue_bench --conninfo "dbname=runstore_queue" --churn-seconds "${CHURN_SECONDS:-300}" \
  --churn-summaries "${CHURN_SUMMARIES:-on}" ${QUEUE_ONLY:+--only "$QUEUE_ONLY"}
psql -qX -c "DROP DATABASE runstore_queue" >/dev/null
fi

if [ "$which" = all ] || [ "$which" = client ]; then
psql -qX -c "CREATE DATABASE runstore_client" >/dev/null
psql -qX -d runstore_client -c "CREATE EXTENSION runstore" >/dev/null
echo "== the C++ client (bench/src/client_bench.cpp), unix socket"
"$build"/client_bench --conninfo "dbname=runstore_client"
psql -qX -c "DROP DATABASE runstore_client" >/dev/null
fi

if [ "$which" = charts ]; then # not in "all": its own sizes, a CSV per series, unix socket only
results=${BENCH_RESULTS_DIR:-build/bench-results}
mkdir -p "$results"
# Up to 500: runstore.max_batch_size refuses larger batches by default.
batch_sizes=${BATCH_SIZES:-1,10,50,100,250,500}
psql -qX -c "CREATE DATABASE runstore_bench" >/dev/null
echo "== charts: loading $rows executions"
psql -qX -d runstore_bench -v rows="$rows" -f bench/load.sql
echo "== charts: batch lookups and deletes by batch size ($batch_sizes)"
"$build"/batch_bench --label unix --conninfo "dbname=runstore_bench" --sizes "$batch_sizes" \
  --delete-sizes "$batch_sizes" --rounds "${BATCH_ROUNDS:-31}" --delete-rounds "${BATCH_DELETE_ROUNDS:-9}" \
  --csv "$results/batch.csv"
psql -qX -c "DROP DATABASE runstore_bench" >/dev/null

psql -qX -c "CREATE DATABASE runstore_recent" >/dev/null
echo "== charts: recent workflows: loading the production shape, scale ${RECENT_SCALE:-1} (bench/recent_load.sql)"
psql -qX -d runstore_recent -v scale="${RECENT_SCALE:-1}" -f bench/recent_load.sql
echo "== charts: recent workflows by workspace shape"
"$build"/recent_read_bench --conninfo "dbname=runstore_recent" --rounds "${RECENT_ROUNDS:-7}" \
  --csv "$results/recent_read.csv"
psql -qX -c "DROP DATABASE runstore_recent" >/dev/null

psql -qX -c "CREATE DATABASE runstore_queue" >/dev/null
psql -qX -d runstore_queue -c "CREATE EXTENSION runstore" >/dev/null
echo "== charts: queue throughput by worker count"
"$build"/queue_bench --conninfo "dbname=runstore_queue" --only throughput --workers "${QUEUE_WORKERS:-1,2,4,8}" \
  --seconds "${QUEUE_SECONDS:-10}" --rounds "${QUEUE_ROUNDS:-2}" --csv "$results/queue_throughput.csv"
psql -qX -c "DROP DATABASE runstore_queue" >/dev/null

bench/charts.sh "$results"
fi

if [ "$which" = all ] || [ "$which" = stats ]; then
# The CLI, built as released (the bench project leaves it out).
cmake -S client -B "$build/runstore-cli" -DCMAKE_BUILD_TYPE=Release -DRUNSTORE_BUILD_TESTS=OFF \
  -DRUNSTORE_BUILD_EXAMPLES=OFF >/dev/null
cmake --build "$build/runstore-cli" --target runstore_cli -j"$(nproc)" >/dev/null
echo "== queue stats: runstore stats and runstore.queue_stats() vs GROUP BY over the table (bench/stats.sh)"
ROWS=$rows bench/stats.sh runstore_stats "$build/runstore-cli/cli/runstore"
psql -qX -c "DROP DATABASE runstore_stats" >/dev/null
fi

if [ "$which" = insert-production ]; then # not in "all": it restarts the cluster with smaller shared buffers
# 512MB, a production-like fraction of the 1.85M-run tables (~0.6 GB each
# with their indexes), where the other benchmarks' 2GB holds everything.
psql -qX -c "ALTER SYSTEM SET shared_buffers = '512MB'" >/dev/null
tests/scripts/cluster.sh restart
echo "== INSERT into runstore.executions vs a plain copy of the table, at production size (bench/insert_production.sh)"
bench/insert_production.sh runstore_insert_production
psql -qX -c "DROP DATABASE runstore_insert_production" >/dev/null
fi
