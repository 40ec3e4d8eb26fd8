#!/usr/bin/env bash
# tests/dump/run.sh: pg_dump/pg_restore of a database using runstore restores
# the runs and both recent-workflow summaries exactly.
#
#   eval "$(tests/scripts/cluster.sh env)" && tests/dump/run.sh
#
# Works against the cluster named by the PG* environment (PGHOST, PGPORT,
# PGUSER: a superuser; runstore installed with `make install`).  Creates the
# databases ${RUNSTORE_DUMP_PREFIX:-runstore_dump}_* and drops them again.
#
# The source database holds runs in every state (queued, running under a
# lease, succeeded, failed, cancelled, retried), several workspaces,
# workflows and users, runs without workflow or user, created_at ties, groups
# whose latest run was deleted or moved, summary rows both folded and still
# pending (runs and recheck marks), and the role and row-level-security
# recipes of docs/roles.sql and docs/tenants.sql (when their roles do not
# exist yet in the cluster).  It is then copied five ways:
#   custom      pg_dump -Fc | pg_restore                  (a full restore)
#   plain       pg_dump -Fp | psql
#   directory   pg_dump -Fd -j 2 | pg_restore -j 2
#   data        CREATE EXTENSION; pg_restore --data-only  (triggers fire)
#   data-notrig CREATE EXTENSION; pg_restore --data-only --disable-triggers;
#               then runstore.rebuild_recent_workflows(), as docs/security.md says
# and each copy is compared with the source row for row (md5 of ordered COPY
# output) on: the runs; both summary views; every workspace's and user's
# recent_workflows(); what dequeue would claim next; verify_recent_workflows()
# (must be empty); folded or pending rows naming a run that does not exist
# without a recheck mark pending for their group (must be none);
# and, where the recipes were applied, the policies, RLS flags and grants.
# Exits non-zero on any difference; the last line is a summary.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
prefix=${RUNSTORE_DUMP_PREFIX:-runstore_dump}
src=${prefix}_src
copies=(custom plain directory data data_notrig)
work=$(mktemp -d)
export PGTZ=UTC PGOPTIONS='-c client_min_messages=warning'
psql_q() { psql -X -q -v ON_ERROR_STOP=1 "$@"; }
recipes=0

cleanup() {
  for c in "${copies[@]}"; do dropdb --if-exists "${prefix}_$c" >/dev/null 2>&1 || true; done
  dropdb --if-exists "$src" >/dev/null 2>&1 || true
  if [ "$recipes" = 1 ]; then
    psql_q -d postgres -c 'DROP ROLE IF EXISTS runstore_dashboard, runstore_worker, runstore_admin, runstore_queue_definer' || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

for c in "${copies[@]}"; do dropdb --if-exists "${prefix}_$c" >/dev/null; done
dropdb --if-exists "$src" >/dev/null
createdb "$src"

psql_q -d "$src" -o /dev/null <<'SQL'
CREATE EXTENSION runstore;
-- 20,000 runs in 5 workspaces, 36 workflows (every 11th run without one),
-- 13 users (every 7th run without one); pairs of runs share a created_at.
INSERT INTO runstore.executions (workspace_id, workflow_id, user_id, tags, payload, priority, created_at, run_after)
SELECT 1 + g % 5, CASE WHEN g % 11 = 0 THEN NULL ELSE g % 37 END,
       CASE WHEN g % 7 = 0 THEN NULL ELSE 'user' || g % 13 END,
       ARRAY['batch' || g % 3, 'all'], pg_catalog.jsonb_build_object('n', g), g % 4,
       timestamptz '2024-01-01' + (g / 2) * interval '1 second', timestamptz '2024-01-01'
  FROM generate_series(1, 20000) g;
INSERT INTO runstore.executions (workspace_id, workflow_id, user_id, payload, created_at, run_after)
SELECT 1 + g % 3, g % 5, 'user' || g % 2, pg_catalog.jsonb_build_object('late', g),
       timestamptz '2024-06-01' + g * interval '1 minute', timestamptz '2099-01-01'
  FROM generate_series(1, 300) g;
-- Every state: claim 200 (running), finish some of them every way.
CREATE TEMP TABLE claimed AS SELECT id, attempt FROM runstore.dequeue('dump-worker', 200, '1 day');
SELECT count(*) FILTER (WHERE runstore.complete(id, 'dump-worker', '{"ok": true}', attempt))
  FROM (SELECT * FROM claimed ORDER BY id LIMIT 60) c;
SELECT count(*) FILTER (WHERE runstore.fail(id, 'dump-worker', 'transient', true, attempt) = 'queued')
  FROM (SELECT * FROM claimed ORDER BY id OFFSET 60 LIMIT 40) c;
SELECT count(*) FILTER (WHERE runstore.fail(id, 'dump-worker', 'fatal', false, attempt) = 'failed')
  FROM (SELECT * FROM claimed ORDER BY id OFFSET 100 LIMIT 30) c;
SELECT count(*) FROM runstore.cancel(ARRAY(SELECT id FROM runstore.executions
                                           WHERE status = 'queued' ORDER BY id LIMIT 100));
-- Deletions: the latest run of 40 groups, a tag purge, runs moved between
-- workflows, users and workspaces, created_at changed.
SELECT count(*) FROM runstore.delete_many(ARRAY(
  SELECT DISTINCT ON (workspace_id, workflow_id) id FROM runstore.executions
   WHERE workflow_id IS NOT NULL ORDER BY workspace_id, workflow_id, created_at DESC, id DESC LIMIT 40));
SELECT count(*) FROM runstore.delete_by_tag('batch2', 500);
UPDATE runstore.executions SET workflow_id = 99 WHERE workflow_id = 7 AND workspace_id = 2;
UPDATE runstore.executions SET user_id = 'mover' WHERE user_id = 'user5' AND workspace_id = 3;
UPDATE runstore.executions SET workspace_id = 6 WHERE workspace_id = 5 AND workflow_id = 1;
UPDATE runstore.executions SET created_at = created_at + interval '1 year' WHERE workflow_id = 3 AND workspace_id = 4;
-- Folded, then a few more writes (fewer than the 64 after which a writer
-- folds): the dump is taken with runs and recheck marks pending.
SELECT runstore.fold_recent_workflows();
SELECT count(*) FROM runstore.delete_many(ARRAY(
  SELECT DISTINCT ON (workspace_id, workflow_id) id FROM runstore.executions
   WHERE workflow_id IS NOT NULL ORDER BY workspace_id, workflow_id, created_at DESC, id DESC LIMIT 5));
INSERT INTO runstore.executions (workspace_id, workflow_id, user_id, created_at)
SELECT 1 + g % 2, g % 4, 'user' || g % 3, timestamptz '2024-07-01' + g * interval '1 minute'
  FROM generate_series(1, 8) g;
SQL

if psql_q -d "$src" -tAc "SELECT count(*) FROM pg_roles WHERE rolname IN
     ('runstore_dashboard', 'runstore_worker', 'runstore_admin', 'runstore_queue_definer')" | grep -qx 0; then
  recipes=1
  psql_q -d "$src" -f "$root/docs/roles.sql" >/dev/null
  psql_q -d "$src" -f "$root/docs/tenants.sql" >/dev/null
else
  echo "dump: the recipe roles exist in this cluster already; not applying docs/roles.sql and docs/tenants.sql"
fi

# What each database must agree on, one query per line: name<TAB>SQL.
checks="$work/checks"
cat >"$checks" <<'EOF'
executions	SELECT * FROM runstore.executions ORDER BY id
workspace_summary	SELECT * FROM runstore.workspace_recent_workflow ORDER BY workspace_id, workflow_id
user_summary	SELECT * FROM runstore.user_recent_workflow ORDER BY workspace_id, user_id, workflow_id
recent_workflows	SELECT w.workspace_id, r.* FROM (SELECT DISTINCT workspace_id FROM runstore.executions) w, runstore.recent_workflows(w.workspace_id, 1000) r ORDER BY 1, r.last_used_at DESC, r.workflow_id DESC
recent_workflows_user	SELECT u.workspace_id, u.user_id, r.* FROM (SELECT DISTINCT workspace_id, user_id FROM runstore.executions WHERE user_id IS NOT NULL) u, runstore.recent_workflows(u.workspace_id, 1000, u.user_id) r ORDER BY 1, 2, r.last_used_at DESC, r.workflow_id DESC
next_claims	SELECT id FROM runstore.executions WHERE status IN ('queued', 'running') ORDER BY priority DESC, run_after, id LIMIT 50
verify	SELECT * FROM runstore.verify_recent_workflows()
dangling_summary_rows	SELECT s.workspace_id, s.workflow_id, s.user_id, s.last_used_at, s.last_execution_id FROM (SELECT f.workspace_id, f.workflow_id, f.user_id, f.last_used_at, f.last_execution_id, f.user_id IS NULL AS any_user FROM runstore.recent_workflow_folded f UNION ALL SELECT p.workspace_id, p.workflow_id, p.user_id, p.last_used_at, p.last_execution_id, false FROM runstore.recent_workflow_pending p WHERE p.last_used_at IS NOT NULL) s WHERE NOT EXISTS (SELECT 1 FROM runstore.executions e WHERE e.id = s.last_execution_id AND e.workspace_id = s.workspace_id AND e.workflow_id = s.workflow_id AND (e.user_id IS NOT DISTINCT FROM s.user_id OR s.any_user) AND e.created_at = s.last_used_at) AND NOT EXISTS (SELECT 1 FROM runstore.recent_workflow_pending m WHERE m.last_used_at IS NULL AND m.workspace_id = s.workspace_id AND m.workflow_id = s.workflow_id AND (m.user_id IS NOT DISTINCT FROM s.user_id OR s.any_user)) ORDER BY 1, 2, 3
extension	SELECT extname, extversion, extconfig::regclass[]::text FROM pg_extension WHERE extname = 'runstore'
security	SELECT c.relname, c.relrowsecurity, c.relacl::text FROM pg_class c WHERE c.relnamespace = 'runstore'::regnamespace AND c.relkind IN ('r', 'v') ORDER BY 1
policies	SELECT tablename, policyname, roles::text, cmd, qual, with_check FROM pg_policies WHERE schemaname = 'runstore' ORDER BY 1, 2
wrappers	SELECT p.oid::regprocedure::text, p.prosecdef, p.proowner::regrole::text, p.proconfig::text, p.proacl::text FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'runstore_worker' ORDER BY 1
function_acls	SELECT p.oid::regprocedure::text, p.proacl::text FROM pg_proc p WHERE p.pronamespace = 'runstore'::regnamespace ORDER BY 1
EOF

# snapshot DB DIR: each check's ordered output into DIR/<name>.
snapshot() {
  mkdir -p "$2"
  while IFS=$'\t' read -r name sql; do
    psql_q -d "$1" -c "COPY ($sql) TO STDOUT" >"$2/$name"
  done <"$checks"
}
snapshot "$src" "$work/src"
for must_be_empty in verify dangling_summary_rows; do
  if [ -s "$work/src/$must_be_empty" ]; then
    echo "dump: the source database fails its own check $must_be_empty:" >&2
    head -5 "$work/src/$must_be_empty" >&2
    exit 1
  fi
done
psql_q -d "$src" -tAc "SELECT 'dump: source: ' || (SELECT count(*) FROM runstore.executions) || ' runs ('
  || (SELECT string_agg(s || ' ' || n, ', ' ORDER BY s)
        FROM (SELECT status::text AS s, count(*) AS n FROM runstore.executions GROUP BY 1) x) || '), '
  || (SELECT count(*) FROM runstore.workspace_recent_workflow) || ' workspace groups, '
  || (SELECT count(*) FROM runstore.user_recent_workflow) || ' user groups, '
  || (SELECT count(*) FROM runstore.recent_workflow_folded) || ' groups folded, '
  || (SELECT count(*) FROM runstore.recent_workflow_pending) || ' rows pending ('
  || (SELECT count(*) FROM runstore.recent_workflow_pending WHERE last_used_at IS NULL) || ' recheck marks)'"

pg_dump -Fc -f "$work/src.dump" "$src"
pg_dump -Fc --data-only -f "$work/src-data.dump" "$src"

restore() {  # restore COPY-NAME
  local db=${prefix}_$1
  createdb "$db"
  case $1 in
    custom)      pg_restore --exit-on-error -d "$db" "$work/src.dump" ;;
    plain)       pg_dump -Fp "$src" | psql_q -d "$db" >/dev/null ;;
    directory)   pg_dump -Fd -j 2 -f "$work/src.dir" "$src"
                 pg_restore --exit-on-error -j 2 -d "$db" "$work/src.dir" ;;
    data)        psql_q -d "$db" -c 'CREATE EXTENSION runstore'
                 pg_restore --exit-on-error --data-only -d "$db" "$work/src-data.dump" ;;
    data_notrig) psql_q -d "$db" -c 'CREATE EXTENSION runstore'
                 pg_restore --exit-on-error --data-only --disable-triggers -d "$db" "$work/src-data.dump"
                 local missing
                 missing=$(psql_q -d "$db" -tAc 'SELECT count(*) FROM runstore.verify_recent_workflows()')
                 echo "dump: data_notrig: $missing summary groups missing after the restore (triggers off); rebuilding"
                 psql_q -d "$db" -tAc 'SELECT runstore.rebuild_recent_workflows()' >/dev/null ;;
  esac
}

failed=0
for c in "${copies[@]}"; do
  restore "$c"
  snapshot "${prefix}_$c" "$work/$c"
  # pg_dump (15) leaves out ENABLE ROW LEVEL SECURITY and the policies of
  # extension member tables (it does keep their grants): a restored database
  # has the tenants' grants but no policies, so it would show every tenant
  # every workspace.  docs/security.md: re-apply docs/tenants.sql before
  # letting tenants connect.  Say so, do it, and compare what results.
  if [ "$recipes" = 1 ] && [ "${c#data}" = "$c" ] && [ -s "$work/src/policies" ] && [ ! -s "$work/$c/policies" ]; then
    echo "dump: $c: restored without the RLS flags and policies of runstore's tables (pg_dump leaves them out for extension tables); re-applying docs/tenants.sql"
    psql_q -d "${prefix}_$c" -f "$root/docs/tenants.sql" >/dev/null
    snapshot "${prefix}_$c" "$work/$c"
  fi
  bad=()
  while IFS=$'\t' read -r name _; do
    case $c:$name in
      # Data-only copies were made with CREATE EXTENSION, not from the dump's
      # schema: the recipes' grants, policies and wrappers are not in them.
      data*:security|data*:policies|data*:wrappers|data*:function_acls) continue ;;
    esac
    if ! cmp -s "$work/src/$name" "$work/$c/$name"; then
      bad+=("$name")
      echo "dump: $c: $name differs from the source:" >&2
      diff "$work/src/$name" "$work/$c/$name" | head -10 >&2 || true
    fi
  done <"$checks"
  rows=$(wc -l <"$work/$c/executions")
  if [ ${#bad[@]} -eq 0 ]; then
    echo "dump: $c: identical ($rows runs, $(wc -l <"$work/$c/workspace_summary") workspace groups, $(wc -l <"$work/$c/user_summary") user groups; verify_recent_workflows() empty)"
  else
    echo "dump: $c: DIFFERS in ${bad[*]}"
    failed=$((failed + 1))
  fi
done

if [ "$failed" -eq 0 ]; then
  echo "dump: OK: ${#copies[@]} of ${#copies[@]} copies identical to the source (recipes $([ "$recipes" = 1 ] && echo included || echo skipped))"
else
  echo "dump: FAILED: $failed of ${#copies[@]} copies differ from the source"
  exit 1
fi
