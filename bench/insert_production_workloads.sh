# insert_production_workloads.sh: the single-row workloads of
# insert_production.sh (sourced), kept apart so that other benchmarks at
# production size measure exactly the same writes.
# shellcheck shell=bash

# The pgbench script of workload $1 on table $2: one row per transaction,
# every other column from its default (status 'queued', id
# runstore.uuid_v7(), created_at now(), ...).
write_script() {
  case "$1" in
    hot)
      echo "INSERT INTO $2 (workspace_id, workflow_id, user_id) VALUES (5, 1, 'u1');" ;;
    new-group)
      printf '\\set ws random(1, 5000)\n\\set wf random(1, 200)\n\\set u random(0, 39)\n'
      echo "INSERT INTO $2 (workspace_id, workflow_id, user_id) VALUES (:ws, :wf, 'u' || :u);" ;;
    existing-group)
      printf '\\set ws random(100, 3099)\n\\set k random(0, 29)\n\\set wf :ws - 100 + 3000 * :k\n\\set u random(0, 39)\n'
      echo "INSERT INTO $2 (workspace_id, workflow_id, user_id) VALUES (:ws, :wf, 'u' || :u);" ;;
    *) echo "unknown workload $1" >&2; exit 2 ;;
  esac
}
