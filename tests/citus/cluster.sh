#!/usr/bin/env bash
# cluster.sh: a throwaway Citus cluster (a coordinator and two workers) on
# this machine, for the Citus suites, the demo and benchmarks.  Modelled on
# tests/scripts/cluster.sh; nothing here touches the system's own clusters.
#
#   tests/citus/cluster.sh start [bench]  install Citus if needed, initdb + start
#                                         the three servers, join the workers
#   tests/citus/cluster.sh env            export lines: PG* for the coordinator,
#                                         RUNSTORE_CITUS_WORKER{1,2}_{HOST,PORT}
#   tests/citus/cluster.sh log            the three server logs' tails
#   tests/citus/cluster.sh stop           stop the three and delete the cluster
#
# Exit status of start: 0 running; 2 Citus is not installed and cannot be
# built here (callers skip the Citus suites); 1 anything else.  Usage errors
# are 1 too, so that they are never mistaken for "skip".
#
# Settings: RUNSTORE_CITUS_PORT (default 54361; the workers take the next two
# ports), RUNSTORE_CITUS_DIR (default /tmp/runstore-citus-$RUNSTORE_CITUS_PORT).
# The data lives outside the repository so the postgres user can reach it
# wherever the clone is.  initdb refuses to run as root: as root, the servers
# run as `postgres`.
set -euo pipefail

port=${RUNSTORE_CITUS_PORT:-54361}
dir=${RUNSTORE_CITUS_DIR:-/tmp/runstore-citus-$port}
bindir=$(pg_config --bindir)
here=$(cd "$(dirname "$0")" && pwd)
names=(coordinator worker1 worker2)
ports=("$port" $((port + 1)) $((port + 2)))
# Written once the workers have joined: running servers without it are the
# remains of a start that failed half-way, and are rebuilt.
ready=$dir/ready

as_owner() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

is_up() { # node index
  local data=$dir/${names[$1]}/data
  [ -f "$data/postmaster.pid" ] && as_owner "$bindir/pg_ctl" -D "$data" status >/dev/null 2>&1
}

sql() { # node index, statement
  psql -X -q -v ON_ERROR_STOP=1 -h "$dir/${names[$1]}/sock" -p "${ports[$1]}" \
    -U postgres -d postgres -c "$2" >/dev/null
}

stop_all() {
  local name
  for name in "${names[@]}"; do
    if [ -d "$dir/$name/data" ]; then
      as_owner "$bindir/pg_ctl" -D "$dir/$name/data" -m fast -w stop >/dev/null 2>&1 || true
    fi
  done
}

case ${1:-} in
  start)
    profile=${2:-test}
    case $profile in test | bench) ;; *)
      echo "usage: $0 start [bench]" >&2
      exit 1
      ;;
    esac
    # Progress of a build goes to stderr: start prints nothing on stdout.
    rc=0
    "$here/install_citus.sh" >&2 || rc=$?
    if [ "$rc" = 2 ]; then
      echo "citus/cluster.sh: Citus is not available on this machine; no Citus cluster" >&2
      exit 2
    elif [ "$rc" != 0 ]; then
      echo "citus/cluster.sh: installing Citus failed" >&2
      exit 1
    fi

    if [ -f "$ready" ] && is_up 0 && is_up 1 && is_up 2; then
      exit 0
    fi
    stop_all
    rm -rf "$dir"
    # A start that fails half-way stops what it started, so that no server
    # outlives a caller that gives up; the logs stay for `log`.
    trap '[ -f "$ready" ] || stop_all' EXIT
    for name in "${names[@]}"; do mkdir -p "$dir/$name/sock"; done
    [ "$(id -u)" = 0 ] && chown -R postgres: "$dir"
    for i in 0 1 2; do
      node=$dir/${names[$i]}
      as_owner "$bindir/initdb" -D "$node/data" -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 >"$node/initdb.log"
      {
        echo "port = ${ports[$i]}"
        echo "listen_addresses = '127.0.0.1'"
        echo "unix_socket_directories = '$node/sock'"
        echo "shared_preload_libraries = 'citus'"
        # The nodes talk over TCP to 127.0.0.1 with no certificates.
        echo "citus.node_conninfo = 'sslmode=disable'"
        # Citus opens connections between the nodes, and commits multi-shard
        # writes with two-phase commit.
        echo "max_connections = 200"
        echo "max_prepared_transactions = 100"
        echo "log_min_messages = warning"
        if [ "$profile" = bench ]; then
          # Three servers share a 24 GiB, 2-core machine; each worker takes
          # about half the writes, so half of cluster.sh's WAL allowance
          # keeps checkpoints as far apart.
          echo "shared_buffers = 1GB"
          echo "max_wal_size = 4GB"
          echo "checkpoint_timeout = 30min"
          echo "synchronous_commit = on"
        else
          # Throwaway data: durability only slows the suites down.
          echo "fsync = off"
          echo "synchronous_commit = off"
          echo "full_page_writes = off"
        fi
      } >>"$node/data/postgresql.conf"
      if ! as_owner "$bindir/pg_ctl" -D "$node/data" -l "$node/server.log" -w -t 60 start >/dev/null; then
        echo "citus/cluster.sh: the ${names[$i]} (port ${ports[$i]}) did not start; its log:" >&2
        cat "$node/server.log" >&2 || true
        exit 1
      fi
    done

    # On every node before the joins: citus_add_node needs Citus on the worker.
    for i in 0 1 2; do
      sql "$i" "CREATE EXTENSION IF NOT EXISTS citus"
    done
    sql 0 "SELECT citus_set_coordinator_host('127.0.0.1', ${ports[0]})"
    sql 0 "SELECT citus_add_node('127.0.0.1', ${ports[1]})"
    sql 0 "SELECT citus_add_node('127.0.0.1', ${ports[2]})"
    touch "$ready"
    ;;
  env)
    echo "export PGHOST=$dir/coordinator/sock PGPORT=$port PGUSER=postgres PGDATABASE=postgres"
    # So that later calls of this script, and tests, find this cluster.
    echo "export RUNSTORE_CITUS_DIR=$dir RUNSTORE_CITUS_PORT=$port"
    # Tests look at the shards on the workers directly.
    echo "export RUNSTORE_CITUS_WORKER1_HOST=$dir/worker1/sock RUNSTORE_CITUS_WORKER1_PORT=${ports[1]}"
    echo "export RUNSTORE_CITUS_WORKER2_HOST=$dir/worker2/sock RUNSTORE_CITUS_WORKER2_PORT=${ports[2]}"
    ;;
  log)
    for i in 0 1 2; do
      echo "==> ${names[$i]} (port ${ports[$i]}): $dir/${names[$i]}/server.log <=="
      tail -n 40 "$dir/${names[$i]}/server.log" 2>/dev/null || echo "(no log)"
    done
    ;;
  stop)
    stop_all
    rm -rf "$dir"
    ;;
  *)
    echo "usage: $0 start [bench] | env | log | stop" >&2
    exit 1
    ;;
esac
