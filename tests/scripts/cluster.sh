#!/usr/bin/env bash
# cluster.sh: a throwaway PostgreSQL 15 cluster on this machine, for tests,
# the demo and benchmarks.  Nothing here touches the system's own clusters.
#
#   tests/scripts/cluster.sh start [bench|durable]   initdb + start; prints nothing else
#   tests/scripts/cluster.sh env             export lines for PGHOST/PGPORT/PGUSER
#   tests/scripts/cluster.sh restart         fast restart (drops every connection;
#                                            client tests use it to test recovery)
#   tests/scripts/cluster.sh stop            stop and delete the cluster
#
# Settings: RUNSTORE_PGPORT (default 54329), RUNSTORE_CLUSTER_DIR (default
# /tmp/runstore-cluster-$RUNSTORE_PGPORT).  The data lives outside the
# repository so the postgres user can reach it wherever the clone is.
# initdb refuses to run as root: as root, the server runs as `postgres`.
set -euo pipefail

port=${RUNSTORE_PGPORT:-54329}
dir=${RUNSTORE_CLUSTER_DIR:-/tmp/runstore-cluster-$port}
bindir=$(pg_config --bindir)
data=$dir/data
sock=$dir/sock

as_owner() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

case ${1:-} in
  start)
    profile=${2:-test}
    if [ -f "$data/postmaster.pid" ] && as_owner "$bindir/pg_ctl" -D "$data" status >/dev/null 2>&1; then
      exit 0
    fi
    rm -rf "$dir"
    mkdir -p "$dir" "$sock"
    [ "$(id -u)" = 0 ] && chown -R postgres: "$dir"
    as_owner "$bindir/initdb" -D "$data" -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 >"$dir/initdb.log"
    {
      echo "port = $port"
      echo "listen_addresses = '127.0.0.1'"
      echo "unix_socket_directories = '$sock'"
      echo "max_connections = 100"
      echo "max_prepared_transactions = 10"
      echo "log_min_messages = warning"
      if [ "$profile" = bench ]; then
        # Sized for a 24 GiB machine: the benchmark tables stay in memory.
        echo "shared_buffers = 2GB"
        echo "max_wal_size = 8GB"
        echo "checkpoint_timeout = 30min"
        echo "synchronous_commit = on"
      elif [ "$profile" = durable ]; then
        # The crash test (tests/crash): an acknowledged commit must survive
        # kill -9, so durability stays on.
        echo "fsync = on"
        echo "synchronous_commit = on"
        echo "full_page_writes = on"
      else
        # Throwaway data: durability only slows the suites down.
        echo "fsync = off"
        echo "synchronous_commit = off"
        echo "full_page_writes = off"
      fi
    } >>"$data/postgresql.conf"
    as_owner "$bindir/pg_ctl" -D "$data" -l "$dir/server.log" -w -t 60 start >/dev/null
    ;;
  env)
    echo "export PGHOST=$sock PGPORT=$port PGUSER=postgres PGDATABASE=postgres"
    # So that a later `cluster.sh restart` (a client test) finds this cluster.
    echo "export RUNSTORE_PGPORT=$port RUNSTORE_CLUSTER_DIR=$dir"
    echo "export RUNSTORE_TCP_CONNINFO='host=127.0.0.1 port=$port user=postgres'"
    ;;
  log)
    cat "$dir/server.log"
    ;;
  restart)
    # -m fast: sessions are terminated (57P01) and in-flight transactions
    # roll back, like a failover; -w: return once it accepts connections.
    if [ ! -f "$data/postmaster.pid" ]; then
      echo "cluster.sh: no running cluster in $data" >&2
      exit 1
    fi
    as_owner "$bindir/pg_ctl" -D "$data" -l "$dir/server.log" -m fast -w -t 60 restart >/dev/null
    ;;
  stop)
    if [ -d "$data" ]; then
      as_owner "$bindir/pg_ctl" -D "$data" -m fast -w stop >/dev/null 2>&1 || true
    fi
    rm -rf "$dir"
    ;;
  *)
    echo "usage: $0 start [bench|durable] | env | log | restart | stop" >&2
    exit 2
    ;;
esac
