#!/usr/bin/env bash
# peers.sh: runstore's Worker against Graphile Worker and pg-boss, on the same
# throwaway bench cluster, every system over TCP loopback, synchronous_commit
# on, each in a database of its own.
#
#   bench/run.sh peers         (or bench/peers.sh)
#
# Contenders: bench/src/peer_runstore.cpp (runstore::Client and one
# runstore::Worker: profile default, every WorkerOptions field at its default
# but slots = C; profile tuned, batch_size = RUNSTORE_TUNED_BATCH, 100),
# bench/peers/graphile.mjs (graphile-worker, profiles docs and perf),
# bench/peers/pgboss.mjs (pg-boss, profiles docs, poll and perf); each file
# says what its profiles set and where that comes from.  The npm packages are pinned in
# bench/peers/package.json and package-lock.json and installed with `npm ci`
# into PEERS_BUILD_DIR (default build/peers).
#
# Workloads (each run starts from an empty queue, vacuumed, after a
# CHECKPOINT, and verifies that every job was done exactly once):
#   drain           DRAIN_JOBS (20,000) no-op jobs enqueued in bulk (not timed),
#                   then one worker of concurrency C (CONCURRENCIES, 4,8) timed
#                   until all are done and it has stopped; jobs/s
#   pickup          one idle worker (concurrency 1), PICKUP_JOBS (200) single
#                   enqueues at gaps of 20-60 ms; enqueue call -> handler start,
#                   p50 and p95 ms
#   enqueue-bulk    BULK_JOBS (20,000) jobs in one call; jobs/s
#   enqueue-single  SINGLE_JOBS (2,000) jobs one call at a time; jobs/s
# First, WARMUP_JOBS (2,000; 0: none) drained once per system and profile, not
# counted.  Then ROUNDS (3) rounds; in each, the workloads and the contenders within each
# workload run in an order rotated from round to round (A B C D, B C D A, ...).
# At the end: medians over rounds and, per round, runstore / the best peer
# configuration of that round.
#
# Which contenders run (system:profile, space-separated):
#   DRAIN_CONTENDERS   (runstore:default graphile:docs graphile:perf pgboss:perf; add runstore:tuned,
#                       pgboss:poll)
#   PICKUP_CONTENDERS  (runstore:default graphile:docs graphile:perf pgboss:perf)
#   ENQUEUE_CONTENDERS (runstore:default runstore:plain graphile:docs pgboss:docs pgboss:perf;
#                       runstore:plain is the hand-written INSERT … FROM unnest yardstick)
# pg-boss's docs profile drains 1 job every 2 s per worker, so it is not in
# the drain or pickup lists (see bench/peers/pgboss.mjs).
# PEERS_ONLY=drain,pickup,enqueue-bulk,enqueue-single runs some workloads only.
#
# BENCH_BUILD_DIR (default build/bench): where peer_runstore is built.
# RUNSTORE_BENCH_PGPORT (default 54339): the bench cluster's port.
# Run nothing else on the machine meanwhile (see bench/README.md).
set -euo pipefail
cd "$(dirname "$0")/.."

rounds=${ROUNDS:-3}
drain_jobs=${DRAIN_JOBS:-20000}
pickup_jobs=${PICKUP_JOBS:-200}
bulk_jobs=${BULK_JOBS:-20000}
single_jobs=${SINGLE_JOBS:-2000}
warmup_jobs=${WARMUP_JOBS:-2000}
concurrencies=${CONCURRENCIES:-4,8}
only=${PEERS_ONLY:-drain,pickup,enqueue-bulk,enqueue-single}
read -r -a drain_contenders <<<"${DRAIN_CONTENDERS:-runstore:default graphile:docs graphile:perf pgboss:perf}"
read -r -a pickup_contenders <<<"${PICKUP_CONTENDERS:-runstore:default graphile:docs graphile:perf pgboss:perf}"
read -r -a enqueue_contenders <<<"${ENQUEUE_CONTENDERS:-runstore:default runstore:plain graphile:docs pgboss:docs pgboss:perf}"
tuned_batch=${RUNSTORE_TUNED_BATCH:-100}
build=${BENCH_BUILD_DIR:-build/bench}
peers=${PEERS_BUILD_DIR:-build/peers}
export RUNSTORE_PGPORT=${RUNSTORE_BENCH_PGPORT:-54339}

for tool in node npm; do
  command -v "$tool" >/dev/null || { echo "peers.sh: $tool not found (Node.js 20 or later)" >&2; exit 1; }
done

# (a) the runstore contender
cmake -S bench -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build" --target peer_runstore -j"$(nproc)" >/dev/null

# (b) the peers, from the lock file, into the build folder (again only when
# the lock file changed)
mkdir -p "$peers"
cp bench/peers/package.json bench/peers/package-lock.json bench/peers/graphile.mjs bench/peers/pgboss.mjs "$peers"/
if [ ! -d "$peers/node_modules" ] || ! cmp -s bench/peers/package-lock.json "$peers/.installed-lock.json"; then
  (cd "$peers" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
  cp bench/peers/package-lock.json "$peers/.installed-lock.json"
fi
versions=$(cd "$peers" && node -e '
  const v = (p) => p + " " + require("./node_modules/" + p + "/package.json").version;
  console.log(["node " + process.version, v("graphile-worker"), v("pg-boss"), v("pg")].join(", "))')

# (c) the throwaway bench cluster, as bench/run.sh starts it
tests/scripts/cluster.sh start bench
work=$(mktemp -d /tmp/runstore-peers.XXXXXX)
trap 'tests/scripts/cluster.sh stop; rm -rf "$work"' EXIT
eval "$(tests/scripts/cluster.sh env)"
results=$work/results.tsv
: >"$results"

# (d) one database per system
for db in peers_runstore peers_graphile peers_pgboss; do
  psql -qX -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" >/dev/null
done
psql -qX -d peers_runstore -c "CREATE EXTENSION runstore" >/dev/null
url() { echo "postgresql://postgres@127.0.0.1:$RUNSTORE_PGPORT/$1"; }
node "$peers/graphile.mjs" --conninfo "$(url peers_graphile)" --workload setup >/dev/null
node "$peers/pgboss.mjs" --conninfo "$(url peers_pgboss)" --workload setup >/dev/null

echo "== queue peers: $versions"
echo "   TCP loopback port $RUNSTORE_PGPORT, synchronous_commit = $(psql -XAtc 'SHOW synchronous_commit'), $rounds rounds"

# One measurement: prints its RESULT line and records it.
#   measure CELL ROUND WORKLOAD CONCURRENCY JOBS SYSTEM:PROFILE
measure() {
  local cell=$1 round=$2 workload=$3 concurrency=$4 jobs=$5 system=${6%%:*} profile=${6#*:} out
  local args=(--workload "$workload" --concurrency "$concurrency" --jobs "$jobs" --profile "$profile")
  case $system in
    runstore) out=$("$build"/peer_runstore --conninfo "$RUNSTORE_TCP_CONNINFO dbname=peers_runstore" "${args[@]}" \
      --batch-size "$tuned_batch") ;;
    graphile) out=$(node "$peers/graphile.mjs" --conninfo "$(url peers_graphile)" "${args[@]}") ;;
    pgboss) out=$(node "$peers/pgboss.mjs" --conninfo "$(url peers_pgboss)" "${args[@]}") ;;
    *) echo "peers.sh: unknown system in $6" >&2; exit 2 ;;
  esac || { echo "peers.sh: $6 $workload failed" >&2; exit 1; }
  local line
  line=$(grep '^RESULT ' <<<"$out") || { echo "peers.sh: no RESULT line from $6 $workload" >&2; exit 1; }
  echo "  $line"
  [ "$round" -gt 0 ] || return 0 # a warm-up run: not counted
  local metric p95=""
  if [ "$workload" = pickup ]; then
    metric=$(sed -n 's/.* p50_ms=\([^ ]*\).*/\1/p' <<<"$line")
    p95=$(sed -n 's/.* p95_ms=\([^ ]*\).*/\1/p' <<<"$line")
  else
    metric=$(sed -n 's/.* jobs_per_s=\([^ ]*\).*/\1/p' <<<"$line")
  fi
  printf '%s\t%s\t%s\t%s\t%s\n' "$cell" "$6" "$round" "$metric" "$p95" >>"$results"
}

# Cells: workload:concurrency:jobs, each with its contenders.
cells=()
wants() { [[ ",$only," == *",$1,"* ]]; }
if wants drain; then
  IFS=, read -r -a cs <<<"$concurrencies"
  for c in "${cs[@]}"; do cells+=("drain:$c:$drain_jobs"); done
fi
if wants pickup; then cells+=("pickup:1:$pickup_jobs"); fi
if wants enqueue-bulk; then cells+=("enqueue-bulk:1:$bulk_jobs"); fi
if wants enqueue-single; then cells+=("enqueue-single:1:$single_jobs"); fi
[ ${#cells[@]} -gt 0 ] || { echo "peers.sh: PEERS_ONLY selects no workload" >&2; exit 2; }
contenders_of() {
  case ${1%%:*} in
    drain) echo "${drain_contenders[*]}" ;;
    pickup) echo "${pickup_contenders[*]}" ;;
    *) echo "${enqueue_contenders[*]}" ;;
  esac
}
label_of() { # drain:4:20000 -> "drain c=4", pickup:1:200 -> "pickup"
  local w=${1%%:*} rest=${1#*:}
  if [ "$w" = drain ]; then echo "drain c=${rest%%:*}"; else echo "$w"; fi
}

# (e) one uncounted drain per contender first: the first run on a new
# cluster and database (cold caches, the first backends) would otherwise
# be slower for whoever the rotation puts first
if [ "$warmup_jobs" -gt 0 ]; then
  echo "== warm-up, not counted: a drain of $warmup_jobs jobs per contender"
  # (the drain and pickup contenders: every system's database, and only
  # profiles that drain; pg-boss's docs profile takes a job every 2 s)
  read -r -a all <<<"$(printf '%s\n' "${drain_contenders[@]}" "${pickup_contenders[@]}" | sort -u | tr '\n' ' ')"
  for c in "${all[@]}"; do measure warmup 0 drain 4 "$warmup_jobs" "$c"; done
fi

# (f) the rounds
for ((r = 1; r <= rounds; r++)); do
  echo "== round $r of $rounds"
  for ((i = 0; i < ${#cells[@]}; i++)); do
    cell=${cells[$(((i + r - 1) % ${#cells[@]}))]}
    IFS=: read -r workload concurrency jobs <<<"$cell"
    read -r -a cont <<<"$(contenders_of "$cell")"
    case $workload in
      pickup) unit="p50/p95 ms, enqueue call -> handler start" ;;
      *) unit="jobs/s" ;;
    esac
    echo "-- $(label_of "$cell"), $jobs jobs ($unit)"
    for ((j = 0; j < ${#cont[@]}; j++)); do
      measure "$cell" "$r" "$workload" "$concurrency" "$jobs" "${cont[$(((j + r - 1) % ${#cont[@]}))]}"
    done
  done
done

median() { sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

echo
echo "== medians of $rounds rounds (jobs/s; pickup: p50 and p95 ms)"
printf '%-16s %-18s %12s %12s   %s\n' workload contender median "p95 median" "per round"
for cell in "${cells[@]}"; do
  read -r -a cont <<<"$(contenders_of "$cell")"
  for c in "${cont[@]}"; do
    values=$(awk -F'\t' -v cell="$cell" -v c="$c" '$1 == cell && $2 == c { print $4 }' "$results")
    m=$(median <<<"$values")
    if [ "${cell%%:*}" = pickup ]; then
      p95=$(awk -F'\t' -v cell="$cell" -v c="$c" '$1 == cell && $2 == c { print $5 }' "$results" | median)
      printf '%-16s %-18s %12.2f %12.2f   %s\n' "$(label_of "$cell")" "$c" "$m" "$p95" "$(tr '\n' ' ' <<<"$values")"
    else
      printf '%-16s %-18s %12.0f %12s   %s\n' "$(label_of "$cell")" "$c" "$m" "" "$(tr '\n' ' ' <<<"$values")"
    fi
  done
done

echo
echo "== runstore / best peer configuration of the round (jobs/s: above 1 = runstore faster;"
echo "   pickup p50: below 1 = runstore quicker)"
for cell in "${cells[@]}"; do
  read -r -a cont <<<"$(contenders_of "$cell")"
  lower=0
  [ "${cell%%:*}" = pickup ] && lower=1
  for c in "${cont[@]}"; do
    [ "${c%%:*}" = runstore ] || continue
    per_round=""
    ratios=""
    for ((r = 1; r <= rounds; r++)); do
      read -r ratio best < <(awk -F'\t' -v cell="$cell" -v c="$c" -v r="$r" -v lower="$lower" '
        $1 == cell && $3 == r {
          if ($2 == c) mine = $4
          else if ($2 !~ /^runstore:/ && (best == "" || (lower ? $4 + 0 < best + 0 : $4 + 0 > best + 0))) { best = $4; who = $2 }
        }
        END { if (best == "" || mine == "") print "n/a -"; else printf "%.2f %s\n", mine / best, who }' "$results")
      per_round+="${ratio}x ($best)  "
      ratios+="$ratio"$'\n'
    done
    m=$(grep -v 'n/a' <<<"$ratios" | grep . | median) || m=n/a
    [ "$m" = n/a ] || m=$(printf '%.2f' "$m")
    printf '%-16s %-18s median %5sx   %s\n' "$(label_of "$cell")" "$c" "$m" "$per_round"
  done
done

# The drain medians as a chart's series (bench/charts/queue_peers.gp):
# contender, then jobs/s at each concurrency.
if wants drain; then
  csv_dir=${BENCH_RESULTS_DIR:-build/bench-results}
  mkdir -p "$csv_dir"
  {
    echo "# peers.sh: drain of ${DRAIN_JOBS:-20000} no-op jobs, medians of $rounds rounds, TCP loopback, synchronous_commit on"
    printf 'contender'
    for c in "${cs[@]}"; do printf ',c%s' "$c"; done
    echo
    for c in "${drain_contenders[@]}"; do
      printf '%s' "$c"
      for k in "${cs[@]}"; do
        printf ',%.0f' "$(awk -F'\t' -v c="$c" -v k="$k" '$2 == c && $1 ~ "^drain:" k ":" { print $4 }' "$results" | median)"
      done
      echo
    done
  } >"$csv_dir/queue_peers.csv"
  echo "(drain medians written to $csv_dir/queue_peers.csv)"
fi

for db in peers_runstore peers_graphile peers_pgboss; do
  psql -qX -c "DROP DATABASE $db" >/dev/null
done
