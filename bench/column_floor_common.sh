# column_floor_common.sh: what recent_write_column_floor.sh and
# insert_production_column_floor.sh share (sourced): the contenders' tables,
# waiting for runstore's fold worker, and the floor build's fold run beside
# the writers.  Expects q (psql on the database), $tmp and $plain_table.
# shellcheck shell=bash
# shellcheck disable=SC2154 # tmp and plain_table are the sourcing script's

fold_pid=
floor_cleanup() {
  [ -z "$fold_pid" ] || kill "$fold_pid" 2>/dev/null || true
  rm -rf "$tmp"
}

table_of() {  # $1 contender
  case "$1" in
    plain) echo "$plain_table" ;;
    column-floor | one-table-floor) echo bench_column_floor.executions ;;
    runstore) echo runstore.executions ;;
    *) echo "unknown contender $1" >&2; exit 2 ;;
  esac
}

# true when contender $1 folds both scopes into one table.
one_table_of() { if [ "$1" = one-table-floor ]; then echo true; else echo false; fi; }

# Until runstore's fold worker has left (nothing of one run folds in the next).
settle() {
  until [ "$(q -c "SELECT NOT EXISTS (SELECT FROM pg_stat_activity
                   WHERE backend_type = 'runstore fold worker' AND datname = current_database())")" = t ]; do
    sleep 0.05
  done
}

# The floor build's fold every 100 ms for $2 seconds and a half, in the
# background, when contender $1 is a floor build.
start_fold() {
  case "$1" in plain | runstore) return 0 ;; esac
  q -c "CALL bench_column_floor.fold_for($2 + 0.5, $(one_table_of "$1"))" 2>"$tmp/fold.log" &
  fold_pid=$!
}

# Waits for the fold start_fold began, if any, and sets fold_report to its
# report (empty if none ran).  Not in a subshell: the fold is this shell's child.
fold_report=
finish_fold() {
  fold_report=
  [ -n "$fold_pid" ] || return 0
  wait "$fold_pid"
  fold_pid=
  fold_report=$(sed -n 's/.*NOTICE: *//p' "$tmp/fold.log")
}
