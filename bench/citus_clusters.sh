# citus_clusters.sh: sourced by the Citus benchmarks (citus.sh,
# citus_queue.sh).  start_citus_and_single starts the bench-profile Citus
# cluster (a coordinator and two workers, tests/citus/cluster.sh, from
# RUNSTORE_CITUS_BENCH_PORT, default 54365) and the bench-profile single node
# (tests/scripts/cluster.sh, RUNSTORE_BENCH_PGPORT, default 54339), and stops
# both on exit, then runs its argument, if any.  on_citus CMD... and
# on_single CMD... run CMD with PG* set for the coordinator or the single
# node.
start_citus_and_single() {
  export RUNSTORE_CITUS_PORT=${RUNSTORE_CITUS_BENCH_PORT:-54365}
  export RUNSTORE_CITUS_DIR=/tmp/runstore-citus-bench-$RUNSTORE_CITUS_PORT
  export RUNSTORE_PGPORT=${RUNSTORE_BENCH_PGPORT:-54339}
  tests/citus/cluster.sh start bench
  tests/scripts/cluster.sh start bench
  # shellcheck disable=SC2064  # the cleanup is fixed now
  trap "tests/citus/cluster.sh stop; tests/scripts/cluster.sh stop; ${1:-}" EXIT
  citus_env=$(tests/citus/cluster.sh env)
  single_env=$(tests/scripts/cluster.sh env)
}
on_citus() { (eval "$citus_env"; "$@"); }
on_single() { (eval "$single_env"; "$@"); }
