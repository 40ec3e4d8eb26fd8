#!/usr/bin/env bash
# shard_move.sh: recent_workflows() keeps reading the right shards across a
# move of a shard group.  On the node that holds a workspace's shards it
# reads them directly, with that session's view of which workspaces the node
# holds; Citus invalidates that view when placements change.  A session on
# worker B reads a workspace B holds (so it has a view), the shard group of
# workspace WS moves from the other worker to B, a run is written to WS, and
# the same session must then read WS from B's own shards (not fall back to a
# routed statement, which a stale view would do) and see the new run, as the
# coordinator does.  The old shards are kept (Citus's cleanup held off) to
# check that runstore.undistribute() refuses while they wait (55000), and
# then dropped with citus_cleanup_orphaned_resources().
#
#   tests/citus/shard_move.sh [WS]     (against the cluster tests/citus/cluster.sh runs)
set -euo pipefail
cd "$(dirname "$0")/../.."
eval "$(tests/citus/cluster.sh env)"
ws=${1:-3}

placement="SELECT n.nodename, n.nodeport FROM pg_dist_placement p JOIN pg_dist_node n USING (groupid)
           WHERE p.shardid = get_shard_id_for_distribution_column('runstore.executions', w)"
read -r shard from_host from_port < <(psql -XAt -F' ' -v ON_ERROR_STOP=1 -c "
  SELECT p.shardid, n.nodename, n.nodeport FROM pg_dist_placement p JOIN pg_dist_node n USING (groupid)
  WHERE p.shardid = get_shard_id_for_distribution_column('runstore.executions', $ws)")
read -r to_host to_port < <(psql -XAt -F' ' -v ON_ERROR_STOP=1 -c "
  SELECT nodename, nodeport FROM pg_dist_node WHERE groupid > 0 AND (nodename, nodeport) <> ('$from_host', $from_port)")
# A workspace whose shards are on B already.
home_ws=$(psql -XAt -v ON_ERROR_STOP=1 -c "
  SELECT w FROM generate_series(0, 10000) w, LATERAL ($placement) x
  WHERE (x.nodename, x.nodeport) = ('$to_host', $to_port) LIMIT 1")

# One session on B, kept open across the move; DEBUG1 says which way each read went.
coproc worker_session { psql -XAtq -h "$to_host" -p "$to_port" -c 'SET client_min_messages = debug1' -f - 2>&1; }
ask() {
  printf '%s;\n\\echo --end--\n' "$1" >&"${worker_session[1]}"
  local out="" line
  while IFS= read -r line <&"${worker_session[0]}"; do
    [ "$line" = --end-- ] && break
    out+="$line"$'\n'
  done
  printf '%s' "$out"
}
list() {
  echo "SELECT array_agg(workflow_id ORDER BY ord)::text FROM runstore.recent_workflows($1, 2) WITH ORDINALITY r(workflow_id, a, b, ord)"
}

# Citus's maintenance daemon would drop the old shards within seconds; held off here.
psql -XAtq -v ON_ERROR_STOP=1 -c "ALTER SYSTEM SET citus.defer_shard_delete_interval = -1" -c "SELECT pg_reload_conf()" >/dev/null
trap 'psql -XAtq -c "ALTER SYSTEM RESET citus.defer_shard_delete_interval" -c "SELECT pg_reload_conf()" >/dev/null' EXIT

home=$(ask "$(list "$home_ws")")
psql -XAtq -v ON_ERROR_STOP=1 \
  -c "SELECT citus_move_shard_placement($shard, '$from_host', $from_port, '$to_host', $to_port, shard_transfer_mode := 'block_writes')" \
  -c "INSERT INTO runstore.executions (id, workspace_id, workflow_id, user_id, status, created_at)
      VALUES (runstore.uuid_v7(), $ws, 987654, 'mover', 'succeeded', now() + interval '1 day')" >/dev/null
moved=$(ask "$(list "$ws")")
through_coordinator=$(psql -XAt -c "$(list "$ws")")
refused=$(psql -XAtq -v VERBOSITY=sqlstate -c "SELECT runstore.undistribute()" 2>&1 || true)
still_distributed=$(psql -XAt -c "SELECT runstore.is_distributed()")
psql -XAtq -v ON_ERROR_STOP=1 -c "CALL citus_cleanup_orphaned_resources()" >/dev/null 2>&1
left=$(psql -XAt -c "SELECT count(*) FROM pg_dist_cleanup WHERE object_name LIKE 'runstore.%'")
printf '\\q\n' >&"${worker_session[1]}"
wait "$worker_session_PID" 2>/dev/null || true

echo "workspace $ws: shard $shard moved from port $from_port to $to_port; the session on $to_port:"
echo "  workspace $home_ws before the move: $(echo "$home" | tr '\n' ' ')"
echo "  workspace $ws after the move: $(echo "$moved" | tr '\n' ' ')"
echo "  the coordinator, workspace $ws: $through_coordinator"
failed=0
grep -q "recent_workflows($home_ws) reads this node's shards" <<<"$home" ||
  { echo "FAILED: before the move, the session did not read its own workspace from its shards"; failed=1; }
grep -q "recent_workflows($ws) reads this node's shards" <<<"$moved" ||
  { echo "FAILED: after the move, the session did not read the moved workspace from its new shards"; failed=1; }
grep -qx "$through_coordinator" <<<"$moved" ||
  { echo "FAILED: the session and the coordinator disagree"; failed=1; }
[[ $through_coordinator == "{987654"[,}]* ]] || { echo "FAILED: the run written after the move is missing"; failed=1; }
echo "  undistribute() with the old shards waiting: $refused; still distributed: $still_distributed; left after the cleanup: $left"
[[ $refused == *55000* && $still_distributed == t ]] ||
  { echo "FAILED: undistribute() did not refuse with 55000 while old shards wait for Citus's cleanup"; failed=1; }
[ "$left" = 0 ] || { echo "FAILED: citus_cleanup_orphaned_resources() left runstore shards behind"; failed=1; }
if [ "$failed" = 0 ]; then echo "shard move: 6 of 6 checks passed"; else echo "shard move: FAILED"; fi
exit "$failed"
