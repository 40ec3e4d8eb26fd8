#!/usr/bin/env bash
# held_horizon_upsert.sh: a design diagnostic for the recent-workflow slots
# under a held xmin horizon (the summaries under queue churn), not a benchmark of shipped
# code.  One idle-in-transaction session holds the horizon throughout; two
# contenders rewrite the same 50 summary rows, one statement at a time, each
# on its own table with the slot table's indexes:
#   fixed       the shipped shape: primary key (ws, wf, slot), every
#               statement upserts the same 50 keys (INSERT ... ON CONFLICT)
#   generation  primary key (ws, wf, slot, gen), gen = statement number / 16:
#               a row moves to a new key every 16 statements (insert the new
#               key, delete the old row found by a backward probe), so no key
#               gathers more than 16 versions
# Every update of a fixed key adds a primary-key entry whose uniqueness check
# visits every earlier version the horizon keeps; with generations it visits
# at most 16.  Rounds interleave (fixed, generation, fixed, ...); prints each
# round's mean latency and the ratio of the last rounds.
# Expects the PG* environment of a running server; uses database $1.
set -euo pipefail
db=${1:-runstore_held_upsert}
rounds=${HELD_UPSERT_ROUNDS:-4}
per_round=${HELD_UPSERT_STATEMENTS:-750}
tmp=$(mktemp -d)
holder_pid=""
# Ends the holder server-side: its backend sleeps on after its client dies.
end_holder() {
  psql -qX -d postgres -c "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
                           WHERE datname = '$db' AND pid <> pg_backend_pid()" >/dev/null 2>&1 || true
  [ -n "$holder_pid" ] && wait "$holder_pid" 2>/dev/null || true
  holder_pid=""
}
cleanup() {
  end_holder
  rm -rf "$tmp"
}
trap cleanup EXIT

psql -qX -d postgres -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" >/dev/null
psql -qX -d "$db" >/dev/null <<'EOF'
CREATE SEQUENCE statement_number;
CREATE TABLE fixed (ws bigint NOT NULL, wf bigint NOT NULL, slot smallint NOT NULL,
  last_used_at timestamptz NOT NULL, last_execution_id uuid NOT NULL, PRIMARY KEY (ws, wf, slot));
CREATE INDEX ON fixed (ws, last_used_at DESC, wf DESC, last_execution_id DESC);
CREATE TABLE generation (ws bigint NOT NULL, wf bigint NOT NULL, slot smallint NOT NULL, gen bigint NOT NULL,
  last_used_at timestamptz NOT NULL, last_execution_id uuid NOT NULL, PRIMARY KEY (ws, wf, slot, gen));
CREATE INDEX ON generation (ws, last_used_at DESC, wf DESC, last_execution_id DESC);
EOF

cat >"$tmp/fixed.sql" <<'EOF'
INSERT INTO fixed AS s
SELECT g, g, 3, clock_timestamp(), gen_random_uuid() FROM generate_series(1, 50) g ORDER BY 1, 2
ON CONFLICT (ws, wf, slot) DO UPDATE SET last_used_at = excluded.last_used_at, last_execution_id = excluded.last_execution_id
WHERE excluded.last_used_at > s.last_used_at;
EOF
cat >"$tmp/generation.sql" <<'EOF'
WITH c AS (SELECT g::bigint AS ws, g::bigint AS wf, clock_timestamp() AS at, gen_random_uuid() AS id,
                  (SELECT nextval('statement_number')) / 16 AS gen
           FROM generate_series(1, 50) g),
up AS (INSERT INTO generation AS s SELECT ws, wf, 3, gen, at, id FROM c ORDER BY ws, wf
       ON CONFLICT (ws, wf, slot, gen) DO UPDATE SET last_used_at = excluded.last_used_at,
         last_execution_id = excluded.last_execution_id
       RETURNING s.ws, s.wf, s.gen, (s.xmax = 0) AS inserted)
DELETE FROM generation d USING up u CROSS JOIN LATERAL
  (SELECT x.ctid AS tid FROM generation x WHERE x.ws = u.ws AND x.wf = u.wf AND x.slot = 3 AND x.gen < u.gen
   ORDER BY x.gen DESC LIMIT 1) o
WHERE u.inserted AND d.ctid = o.tid;
EOF

# The horizon holder: a transaction with an xid and a snapshot, idle in transaction.
psql -qX -d "$db" -c "BEGIN" -c "SELECT txid_current()" -c "SELECT pg_sleep(86400)" >/dev/null 2>&1 &
holder_pid=$!
sleep 1

latency() { pgbench -n -d "$db" -f "$tmp/$1.sql" -t "$per_round" 2>/dev/null | awk '/latency average/ {print $4}'; }
echo "== $rounds rounds x $per_round statements each, 50 rows per statement, horizon held (ms per statement)"
for r in $(seq 1 "$rounds"); do
  f=$(latency fixed)
  g=$(latency generation)
  printf '  round %d: fixed %8.2f  generation %6.2f\n' "$r" "$f" "$g"
done
held=$(psql -qX -At -d "$db" -c "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND state = 'active' AND query LIKE '%pg_sleep(86400)%' AND pid <> pg_backend_pid()")
[ "$held" = 1 ] || { echo "the horizon holder is gone: figures invalid" >&2; exit 1; }
live=$(psql -qX -At -d "$db" -c "SELECT count(*) FROM generation")
awk -v f="$f" -v g="$g" -v live="$live" 'BEGIN {
  printf "last round: fixed / generation = %.1fx (horizon held throughout; generation keeps %d live rows)\n", f / g, live }'
end_holder
psql -qX -d postgres -c "DROP DATABASE $db" >/dev/null
