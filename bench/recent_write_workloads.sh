# recent_write_workloads.sh: the write workloads of recent_write.sh (sourced),
# kept apart so other write benchmarks can measure exactly the same writes.

# Median of the numbers on standard input, one per line.
median() { sort -g | awk '{v[NR]=$1} END {print (NR % 2) ? v[(NR+1)/2] : (v[NR/2] + v[NR/2+1]) / 2}'; }

# bulk: one INSERT ... SELECT of $2 runs into table $1 (500 workspaces x 100
# workflows; the user is fixed by the workspace).
bulk_insert_sql() {
  echo "INSERT INTO $1 (workspace_id, workflow_id, user_id, created_at)
          SELECT 1 + g % 500, 1 + (g / 500) % 100, 'user-' || (g % 20), '2026-01-01'::timestamptz + g * interval '1 second'
          FROM generate_series(1, $2) g"
}

# The pgbench script of a single-row scenario ($1: spread or hot) on table $2.
#   spread  over 1,000 workspaces x 100 workflows = 100,000 groups
#   hot     always the same group
pgbench_script() {
  if [ "$1" = spread ]; then
    printf '\\set ws random(1, 1000)\n\\set wf random(1, 100)\nINSERT INTO %s (workspace_id, workflow_id, user_id) VALUES (:ws, :wf, %s);\n' \
      "$2" "'user-' || (:wf % 20)"
  else
    echo "INSERT INTO $2 (workspace_id, workflow_id, user_id) VALUES (1, 1, 'user-1');"
  fi
}
