#!/usr/bin/env bash
# citus_queue.sh: the queue on a Citus coordinator with two workers against
# the same work on a single node, all on this machine (so it shows what going
# through the coordinator costs, not the scale a cluster buys).
#
#   bench/run.sh citus-queue   (or bench/citus_queue.sh; ROUNDS, JOBS, PICKUP_JOBS size it)
#
# Contenders: the default runstore::Worker (build/bench/peer_runstore, as
# bench/peers.sh runs it) connected to the single node, and to the
# coordinator of a cluster distributed over 8 shards.  Every run starts from
# an empty queue after VACUUM and CHECKPOINT; every job is verified done
# exactly once.  Interleaved single, cluster, single, cluster ... ROUNDS times:
#   1. drain: JOBS no-op jobs over 1,000 workspaces (every shard), at
#      concurrency 4 and 8: jobs/s and the ratio cluster / single per round
#      (target at 8: >= 0.5);
#   2. pickup: one idle Worker, PICKUP_JOBS single enqueues 20-60 ms apart,
#      spread over 100 workspaces: enqueue to handler start, p50 and p95
#      (target on the cluster: p50 < 10 ms);
#   3. spread over shards, on the cluster, concurrency 8: JOBS jobs in every
#      shard, then JOBS jobs in one workspace (one shard of 8).  For the
#      first, the longest wait between two claims in any one shard, against
#      the drain's length (a shard left out would wait most of the drain);
#      for both, jobs/s: the one-shard drain is as fast as the spread one
#      when empty shards cost no round trip per claim.
# Run nothing else on the machine meanwhile.
set -euo pipefail
cd "$(dirname "$0")/.."

rounds=${ROUNDS:-3}
jobs=${JOBS:-20000}
pickup_jobs=${PICKUP_JOBS:-200}

cmake -S bench -B build/bench -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build/bench --target peer_runstore -j"$(nproc)" >/dev/null
runner=build/bench/peer_runstore

. bench/citus_clusters.sh
start_citus_and_single

for on in on_single on_citus; do
  $on psql -qX -d postgres -c "DROP EXTENSION IF EXISTS runstore CASCADE" -c "CREATE EXTENSION runstore"
done
on_citus psql -qX -d postgres -c "SELECT runstore.distribute(8)" >/dev/null
db=postgres
single="host=127.0.0.1 port=$RUNSTORE_PGPORT user=postgres dbname=$db"
cluster="host=127.0.0.1 port=$RUNSTORE_CITUS_PORT user=postgres dbname=$db"

field() { sed -n "s/.* $1=\\([0-9.]*\\).*/\\1/p"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
median() { tr ' ' '\n' | grep . | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

echo "== drain: $jobs no-op jobs over 1,000 workspaces, default Worker, single node vs coordinator + 2 workers"
for c in 4 8; do
  ratios=""
  for r in $(seq 1 "$rounds"); do
    s=$($runner --conninfo "$single" --workload drain --concurrency "$c" --jobs "$jobs" --workspaces 1000 | field jobs_per_s)
    k=$($runner --conninfo "$cluster" --workload drain --concurrency "$c" --jobs "$jobs" --workspaces 1000 | field jobs_per_s)
    q=$(ratio "$k" "$s")
    ratios="$ratios $q"
    echo "  c=$c round $r: single $s jobs/s, cluster $k jobs/s, cluster/single $q"
  done
  echo "  c=$c: median cluster/single $(echo "$ratios" | median) (rounds:$ratios)"
done

echo "== pickup: $pickup_jobs single enqueues 20-60 ms apart, one idle Worker"
for r in $(seq 1 "$rounds"); do
  s=$($runner --conninfo "$single" --workload pickup --concurrency 1 --jobs "$pickup_jobs" --workspaces 100)
  k=$($runner --conninfo "$cluster" --workload pickup --concurrency 1 --jobs "$pickup_jobs" --workspaces 100)
  echo "  round $r: single p50 $(echo "$s" | field p50_ms) ms p95 $(echo "$s" | field p95_ms) ms;" \
    "cluster p50 $(echo "$k" | field p50_ms) ms p95 $(echo "$k" | field p95_ms) ms"
done

echo "== spread over the 8 shards (cluster, concurrency 8)"
spread_sql="WITH s AS (SELECT get_shard_id_for_distribution_column('runstore.executions', workspace_id) AS shard,
                              started_at FROM runstore.executions),
              g AS (SELECT shard, lead(started_at) OVER (PARTITION BY shard ORDER BY started_at) - started_at AS gap
                    FROM s),
              per AS (SELECT shard, count(*) AS n, max(gap) AS longest FROM g GROUP BY shard)
            SELECT count(*) || ' shards, ' || min(n) || '-' || max(n) || ' jobs each; longest wait between two'
                   || ' claims in one shard ' || round(extract(epoch FROM max(longest)) * 1000) || ' ms of a '
                   || round(extract(epoch FROM (SELECT max(started_at) - min(started_at) FROM s)) * 1000)
                   || ' ms drain'
            FROM per"
for r in $(seq 1 "$rounds"); do
  even=$($runner --conninfo "$cluster" --workload drain --concurrency 8 --jobs "$jobs" --workspaces 1000 | field jobs_per_s)
  spread=$(on_citus psql -qXAt -d "$db" -c "$spread_sql")
  one=$($runner --conninfo "$cluster" --workload drain --concurrency 8 --jobs "$jobs" --workspaces 1 | field jobs_per_s)
  echo "  round $r: work in every shard: $even jobs/s ($spread);" \
    "work in one shard: $one jobs/s; one / every $(ratio "$one" "$even")"
done
