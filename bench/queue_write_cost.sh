#!/usr/bin/env bash
# queue_write_cost.sh: what one job costs the server in writes, taken apart.
# JOBS no-op jobs are enqueued, then claimed and completed in batches of
# BATCH with the statements runstore::Worker sends (runstore.dequeue, then
# runstore.complete_many over the batch, one commit per batch).  Around each
# phase the script reads PostgreSQL's own counters and prints, per job: row
# updates and the share that were HOT, WAL bytes and full-page images, and
# the heap's and each index's growth.  A diagnostic: it has no contender;
# bench/README.md ("What a job writes") reads it.
#
#   bench/queue_write_cost.sh [DB]      # on a running bench cluster (bench/README.md)
#
# JOBS (default 20000), BATCH (default 500).
set -euo pipefail
cd "$(dirname "$0")/.."

db=${1:-runstore_write_cost}
jobs=${JOBS:-20000}
batch=${BATCH:-500}

psql -qX -c "DROP DATABASE IF EXISTS $db" >/dev/null
psql -qX -c "CREATE DATABASE $db" >/dev/null
psql -qX -d "$db" -c "CREATE EXTENSION runstore" >/dev/null

# WAL position, full-page images, updates, HOT updates; then relation sizes.
snapshot() {
  psql -qXAt -F ' ' -d "$db" -c "SELECT pg_stat_force_next_flush()" -c "
    SELECT pg_current_wal_lsn(), (SELECT wal_fpi FROM pg_stat_wal), s.n_tup_upd, s.n_tup_hot_upd
      FROM pg_stat_user_tables s WHERE s.relid = 'runstore.executions'::regclass" | tail -n 1
}
sizes() {
  psql -qXAt -F ' ' -d "$db" -c "
    SELECT 'heap', pg_relation_size('runstore.executions')
    UNION ALL
    SELECT i.indexrelid::regclass::text, pg_relation_size(i.indexrelid)
      FROM pg_index i WHERE i.indrelid = 'runstore.executions'::regclass ORDER BY 1"
}
per_job() { awk -v a="$1" -v b="$2" -v n="$jobs" -v d="${3:-0}" 'BEGIN { printf "%.*f", d, (b - a) / n }'; }

psql -qX -d "$db" -c "CHECKPOINT" >/dev/null
read -r lsn0 fpi0 _ _ < <(snapshot)
# As Client::enqueue sends an untagged one-workspace batch: ids and payloads.
psql -qX -d "$db" -c "
  INSERT INTO runstore.executions (id, workspace_id, payload, run_after)
  SELECT runstore.uuid_v7(), 1, jsonb_build_object('n', g), now() FROM generate_series(1, $jobs) g" >/dev/null
read -r lsn1 fpi1 _ _ < <(snapshot)
mapfile -t before < <(sizes)
psql -qX -d "$db" -c "CHECKPOINT" >/dev/null
read -r lsn2 fpi2 upd2 hot2 < <(snapshot)
# One transaction per batch, as the Worker's step: claim, then complete.
for ((done = 0; done < jobs; done += batch)); do
  psql -qXAt -d "$db" -c "
    WITH c AS (SELECT id, attempt FROM runstore.dequeue('cost', $batch))
    SELECT count(*) FROM runstore.complete_many('cost', ARRAY(SELECT id FROM c), ARRAY(SELECT attempt FROM c))" >/dev/null
done
read -r lsn3 fpi3 upd3 hot3 < <(snapshot)
mapfile -t after < <(sizes)
left=$(psql -qXAt -d "$db" -c "SELECT count(*) FROM runstore.executions WHERE status <> 'succeeded' OR attempt <> 1")
[ "$left" = 0 ] || { echo "queue_write_cost: $left jobs not succeeded at attempt 1" >&2; exit 1; }

wal() { psql -qXAt -d "$db" -c "SELECT pg_wal_lsn_diff('$2', '$1')"; }
echo "per job ($jobs jobs, batches of $batch; full-page images after a CHECKPOINT before each phase):"
echo "  enqueue:            WAL $(per_job 0 "$(wal "$lsn0" "$lsn1")") bytes, full-page images $(per_job "$fpi0" "$fpi1" 3)"
echo "  claim + complete:   WAL $(per_job 0 "$(wal "$lsn2" "$lsn3")") bytes, full-page images $(per_job "$fpi2" "$fpi3" 3)," \
  "row updates $(per_job "$upd2" "$upd3" 2), of which HOT $(per_job "$hot2" "$hot3" 2)"
echo "  growth in bytes per job, after the enqueue -> after the drain:"
for i in "${!after[@]}"; do
  read -r name a <<<"${after[$i]}"
  read -r _ b <<<"${before[$i]}"
  echo "    $name: $(per_job 0 "$b") -> $(per_job 0 "$a")"
done
psql -qX -c "DROP DATABASE $db" >/dev/null
