#!/usr/bin/env bash
# tests/upgrade/run.sh: ALTER EXTENSION runstore UPDATE from every released
# version to the current one, with data in place.
#
#   make install && eval "$(tests/scripts/cluster.sh env)" && tests/upgrade/run.sh
#
# Works against the cluster named by the PG* environment (PGUSER a
# superuser); creates and drops databases ${RUNSTORE_UPGRADE_PREFIX:-runstore_upgrade}_*.
#
# Versions come from the tree, not from a list kept here:
#   extension/runstore.control                 default_version = the current version
#   extension/sql/runstore--V.sql              the full install script of the current version
#   extension/sql/runstore--A--B.sql           an update script from A to B
#   tests/upgrade/old_versions/runstore--V.sql the full install script of released version V
# make install ships only the current full script and the update scripts
# (as pgvector does); the released full scripts are installed into
# $(pg_config --sharedir)/extension for the duration of this test and
# removed afterwards, even when it fails (a file of the same name found
# there is put back as it was).  That needs write access there, as make
# install does; concurrent runs on one machine take turns (flock).
# Every version other than the current one that has a full install script
# or is the source of an update script is a released version, and each is
# tested: create a database with CREATE EXTENSION runstore VERSION 'A', load
# runs in every state (through the columns and functions the DESIGN contract
# fixes, so the same load works on every version), record the runs and both
# summaries, ALTER EXTENSION runstore UPDATE, then require
#   * extversion = the current version;
#   * the runs and both summaries unchanged, row for row, and
#     verify_recent_workflows() empty;
#   * the extension's objects (functions with their definitions and
#     privileges, tables with columns, defaults, constraints, indexes and
#     triggers, views, types, comments, dumped tables) identical to those of a
#     fresh CREATE EXTENSION runstore of the current version;
#   * the queue and the summaries still working: enqueue, dequeue, complete,
#     delete, then verify_recent_workflows() empty.
# With no update scripts in the tree it says so, and still checks that
# ALTER EXTENSION runstore UPDATE (and UPDATE TO the current version) on the
# current version is a clean no-op with data in place.
#
# Adding a release (say 0.5.0 after 0.4.0):
#   1. Move extension/sql/runstore--0.4.0.sql, as released, to
#      tests/upgrade/old_versions/ and never edit it again: extension/sql
#      keeps one full install script (make check-versions says so).
#   2. Write extension/sql/runstore--0.4.0--0.5.0.sql with the changes, and
#      extension/sql/runstore--0.5.0.sql as the full script of 0.5.0 (what a
#      fresh install runs; this test proves the two end up identical).
#   3. Set default_version in extension/runstore.control, EXTVERSION in the
#      Makefile and "version" in META.json to 0.5.0 (make check-versions).
#   4. make install && tests/upgrade/run.sh: it now upgrades every released
#      version to 0.5.0.
# An update script must keep the contract's data: ALTER, never DROP and
# re-create, tables with runs; re-create a function only with CREATE OR
# REPLACE (DROP FUNCTION fails on objects of users, such as the worker
# wrappers of docs/roles.sql, only if they record a dependency).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
prefix=${RUNSTORE_UPGRADE_PREFIX:-runstore_upgrade}
work=$(mktemp -d)
export PGTZ=UTC PGOPTIONS='-c client_min_messages=warning'
psql_q() { psql -X -q -v ON_ERROR_STOP=1 "$@"; }
dbs=()
extdir="$(pg_config --sharedir)/extension"
old_installed=()  # names of the released full scripts put into $extdir
cleanup() {
  for db in "${dbs[@]}"; do dropdb --if-exists "$db" >/dev/null 2>&1 || true; done
  local name
  for name in "${old_installed[@]}"; do
    if [ -e "$work/sharedir/$name" ]; then
      cp -p "$work/sharedir/$name" "$extdir/$name" || echo "upgrade: could not put back $extdir/$name" >&2
    else
      rm -f "$extdir/$name" || echo "upgrade: could not remove $extdir/$name" >&2
    fi
  done
  rm -rf "$work"
}
trap cleanup EXIT
# A signal ends the script through the EXIT trap too.
trap 'exit 130' INT
trap 'exit 143' TERM
newdb() { dropdb --if-exists "$1" >/dev/null; createdb "$1"; dbs+=("$1"); }

current=$(sed -n "s/^default_version *= *'\(.*\)'.*/\1/p" "$root/extension/runstore.control")
full=() updates=() old_scripts=()
sqldir=${RUNSTORE_UPGRADE_SQL_DIR:-$root/extension/sql}     # overrides: only to test this script
olddir=${RUNSTORE_UPGRADE_OLD_DIR:-$here/old_versions}
for f in "$sqldir"/runstore--*.sql; do
  v=${f##*/runstore--}; v=${v%.sql}
  case $v in
    *--*) updates+=("$v") ;;
    *)    full+=("$v") ;;
  esac
done
for f in "$olddir"/runstore--*.sql; do
  [ -e "$f" ] || continue
  v=${f##*/runstore--}; v=${v%.sql}
  case $v in
    *--*) echo "upgrade: $f: update scripts belong in extension/sql (make install ships them)" >&2; exit 1 ;;
    "$current") echo "upgrade: $f: the current version's full script belongs in extension/sql" >&2; exit 1 ;;
  esac
  full+=("$v") old_scripts+=("$f")
done
released=$( { printf '%s\n' "${full[@]}"; for u in "${updates[@]}"; do echo "${u%%--*}"; done; } \
            | grep -vxF "$current" | sort -uV || true)
echo "upgrade: current version $current; install scripts: ${full[*]}; update scripts: ${updates[*]:-none}"

# The released full scripts, installed for this run only (cleanup removes them).
if [ ${#old_scripts[@]} -gt 0 ]; then
  if command -v flock >/dev/null; then
    exec 9>"${TMPDIR:-/tmp}/runstore-upgrade-old-versions.lock"
    flock -w 900 9 || { echo "upgrade: another run holds ${TMPDIR:-/tmp}/runstore-upgrade-old-versions.lock" >&2; exit 1; }
  fi
  mkdir "$work/sharedir"
  for f in "${old_scripts[@]}"; do
    name=${f##*/}
    [ -e "$extdir/$name" ] && cp -p "$extdir/$name" "$work/sharedir/$name"
    old_installed+=("$name")
    install -m 644 "$f" "$extdir/$name"
  done
  echo "upgrade: installed ${#old_scripts[@]} released install script(s) from ${olddir#"$root"/} into $extdir for this run"
fi

# The tree's scripts must be the installed ones.
installed=$(psql_q -d postgres -tAc "SELECT string_agg(version, ' ' ORDER BY version) FROM pg_available_extension_versions WHERE name = 'runstore'")
for v in "${full[@]}"; do
  case " $installed " in *" $v "*) ;; *) echo "upgrade: version $v is not installed (installed: $installed): run make install" >&2; exit 1 ;; esac
done
default_installed=$(psql_q -d postgres -tAc "SELECT default_version FROM pg_available_extensions WHERE name = 'runstore'")
[ "$default_installed" = "$current" ] || { echo "upgrade: installed default_version $default_installed != $current: run make install" >&2; exit 1; }

# The load: runs in every state, through the contract's columns and functions only.
# The library loaded is the current one, whose triggers expect the current
# objects (a 0.1.0 database has no pending table: its writes fail with
# 55000 until the update).  So the old version's rows are written with its
# triggers off, and its own rebuild_recent_workflows() (SQL) and priority
# list fill in what they would have kept.
cat >"$work/load.sql" <<'SQL'
SET session_replication_role = replica;
INSERT INTO runstore.executions (workspace_id, workflow_id, user_id, tags, payload, priority, created_at, run_after)
SELECT 1 + g % 4, CASE WHEN g % 9 = 0 THEN NULL ELSE g % 23 END,
       CASE WHEN g % 5 = 0 THEN NULL ELSE 'user' || g % 7 END,
       ARRAY['t' || g % 3], pg_catalog.jsonb_build_object('n', g), g % 3,
       timestamptz '2024-01-01' + (g / 2) * interval '1 second', timestamptz '2024-01-01'
  FROM generate_series(1, 3000) g;
INSERT INTO runstore.queue_priorities SELECT DISTINCT priority FROM runstore.executions;
CREATE TEMP TABLE claimed AS SELECT id FROM runstore.dequeue('upgrade-worker', 60, '1 day');
SELECT runstore.complete(id, 'upgrade-worker', '{"ok": true}') FROM (SELECT id FROM claimed ORDER BY id LIMIT 20) c;
SELECT runstore.fail(id, 'upgrade-worker', 'again') FROM (SELECT id FROM claimed ORDER BY id OFFSET 20 LIMIT 10) c;
SELECT runstore.fail(id, 'upgrade-worker', 'fatal', false) FROM (SELECT id FROM claimed ORDER BY id OFFSET 30 LIMIT 10) c;
SELECT count(*) FROM runstore.cancel(ARRAY(SELECT id FROM runstore.executions WHERE status = 'queued' ORDER BY id LIMIT 30));
SELECT count(*) FROM runstore.delete_many(ARRAY(
  SELECT DISTINCT ON (workspace_id, workflow_id) id FROM runstore.executions
   WHERE workflow_id IS NOT NULL ORDER BY workspace_id, workflow_id, created_at DESC, id DESC LIMIT 10));
SELECT count(*) FROM runstore.delete_by_tag('t2', 200);
UPDATE runstore.executions SET workflow_id = 77 WHERE workflow_id = 4 AND workspace_id = 2;
RESET session_replication_role;
SELECT runstore.rebuild_recent_workflows();
SQL

# What must not change across the update (the contract's columns, by name).
cat >"$work/data.sql" <<'SQL'
COPY (SELECT id, workspace_id, workflow_id, user_id, status, tags, payload, result, error, priority,
             attempt, max_attempts, run_after, lease_owner, lease_expires_at,
             created_at, updated_at, started_at, finished_at
        FROM runstore.executions ORDER BY id) TO STDOUT;
COPY (SELECT * FROM runstore.workspace_recent_workflow ORDER BY workspace_id, workflow_id) TO STDOUT;
COPY (SELECT * FROM runstore.user_recent_workflow ORDER BY workspace_id, user_id, workflow_id) TO STDOUT;
SQL
# recent_workflows() is the library's, which reads only the current objects:
# after the update it must list what the views hold, in its order.
recent_differs_sql="SELECT count(*) FROM (
  (SELECT w.workspace_id, r.* FROM (SELECT DISTINCT workspace_id FROM runstore.executions) w,
          runstore.recent_workflows(w.workspace_id, 1000) r
   EXCEPT ALL SELECT workspace_id, workflow_id, last_used_at, last_execution_id FROM runstore.workspace_recent_workflow)
  UNION ALL
  (SELECT workspace_id, workflow_id, last_used_at, last_execution_id FROM runstore.workspace_recent_workflow
   EXCEPT ALL SELECT w.workspace_id, r.* FROM (SELECT DISTINCT workspace_id FROM runstore.executions) w,
          runstore.recent_workflows(w.workspace_id, 1000) r)) d"

# The extension's objects, described in full (no OIDs).
cat >"$work/objects.sql" <<'SQL'
COPY (
WITH members AS (
  SELECT d.classid, d.objid FROM pg_depend d JOIN pg_extension e ON e.oid = d.refobjid
   WHERE d.refclassid = 'pg_extension'::regclass AND d.deptype = 'e' AND e.extname = 'runstore')
SELECT pg_describe_object(m.classid, m.objid, 0) AS object,
       coalesce(obj_description(m.objid, m.classid::regclass::name), '') AS comment,
       CASE m.classid
         WHEN 'pg_proc'::regclass THEN
           pg_get_functiondef(m.objid) || ' acl=' || coalesce((SELECT p.proacl::text FROM pg_proc p WHERE p.oid = m.objid), 'default')
         WHEN 'pg_type'::regclass THEN
           coalesce((SELECT string_agg(enumlabel::text, ',' ORDER BY enumsortorder) FROM pg_enum WHERE enumtypid = m.objid), '')
         WHEN 'pg_class'::regclass THEN
           (SELECT c.relkind::text || ' acl=' || coalesce(c.relacl::text, 'default') || ' options=' || coalesce(c.reloptions::text, '')
                   || ' rls=' || c.relrowsecurity || ' ' || CASE WHEN c.relkind = 'v' THEN pg_get_viewdef(c.oid) ELSE '' END
              FROM pg_class c WHERE c.oid = m.objid)
           || ' columns=' || coalesce((SELECT string_agg(a.attname || ' ' || format_type(a.atttypid, a.atttypmod)
                                         || CASE WHEN a.attnotnull THEN ' not null' ELSE '' END
                                         || coalesce(' default ' || pg_get_expr(ad.adbin, ad.adrelid), ''), ', ' ORDER BY a.attnum)
                                       FROM pg_attribute a LEFT JOIN pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
                                      WHERE a.attrelid = m.objid AND a.attnum > 0 AND NOT a.attisdropped), '')
           || ' constraints=' || coalesce((SELECT string_agg(conname || ' ' || pg_get_constraintdef(oid), '; ' ORDER BY conname)
                                           FROM pg_constraint WHERE conrelid = m.objid), '')
           -- By definition, not by creation order: an update may build them in another order.
           || ' indexes=' || coalesce((SELECT string_agg(d.def, '; ' ORDER BY d.def)
                                       FROM pg_index, LATERAL pg_get_indexdef(indexrelid) d(def)
                                      WHERE indrelid = m.objid), '')
           || ' triggers=' || coalesce((SELECT string_agg(pg_get_triggerdef(oid) || ' enabled=' || tgenabled::text, '; ' ORDER BY tgname)
                                        FROM pg_trigger WHERE tgrelid = m.objid AND NOT tgisinternal), '')
         ELSE ''
       END AS definition
  FROM members m
UNION ALL
SELECT 'dumped tables', '', coalesce(extconfig::regclass[]::text, '') || ' ' || coalesce(extcondition::text, '')
  FROM pg_extension WHERE extname = 'runstore'
ORDER BY 1) TO STDOUT;
SQL

# After the update: the queue and the summaries still work.
cat >"$work/exercise.sql" <<'SQL'
INSERT INTO runstore.executions (workspace_id, workflow_id, user_id, priority, run_after)
VALUES (1, 1, 'after', 100, timestamptz '2000-01-01'), (9, 2, NULL, 100, timestamptz '2000-01-01');
SELECT runstore.complete(id, 'after-update') FROM runstore.dequeue('after-update', 2) d;
SELECT count(*) FROM runstore.delete_many(ARRAY(SELECT id FROM runstore.executions WHERE workspace_id = 9));
SQL

check_empty_verify() {  # DB LABEL
  local n
  n=$(psql_q -d "$1" -tAc 'SELECT count(*) FROM runstore.verify_recent_workflows()')
  [ "$n" = 0 ] || { echo "upgrade: $2: verify_recent_workflows() reports $n groups" >&2; return 1; }
}

failures=0
fail() { echo "upgrade: FAIL: $*" >&2; failures=$((failures + 1)); }

# The reference: a fresh install of the current version.
fresh=${prefix}_fresh
newdb "$fresh"
psql_q -d "$fresh" -c 'CREATE EXTENSION runstore'
psql_q -d "$fresh" -f "$work/objects.sql" >"$work/objects.fresh"

# upgrade_check DB FROM-LABEL: ALTER EXTENSION UPDATE with data in place; compare.
upgrade_check() {
  local db=$1 label=$2 target=${3:-}
  local failures_before=$failures
  psql_q -d "$db" -o /dev/null -f "$work/load.sql"
  check_empty_verify "$db" "$label, before the update" || fail "$label: summaries wrong before the update"
  psql_q -d "$db" -f "$work/data.sql" >"$work/data.before"
  local notices
  notices=$(PGOPTIONS='-c client_min_messages=notice' psql -X -q -v ON_ERROR_STOP=1 -d "$db" \
              -c "ALTER EXTENSION runstore UPDATE${target:+ TO '$target'}" 2>&1) || { fail "$label: ALTER EXTENSION failed: $notices"; return; }
  [ -n "$notices" ] && echo "upgrade: $label: $notices"
  local v
  v=$(psql_q -d "$db" -tAc "SELECT extversion FROM pg_extension WHERE extname = 'runstore'")
  [ "$v" = "$current" ] || fail "$label: extversion is $v after the update, not $current"
  psql_q -d "$db" -f "$work/data.sql" >"$work/data.after"
  cmp -s "$work/data.before" "$work/data.after" \
    || { fail "$label: runs or summaries changed by the update"; diff "$work/data.before" "$work/data.after" | head -10 >&2 || true; }
  check_empty_verify "$db" "$label, after the update" || fail "$label: summaries wrong after the update"
  [ "$(psql_q -d "$db" -tAc "$recent_differs_sql")" = 0 ] || fail "$label: recent_workflows() differs from the views after the update"
  psql_q -d "$db" -f "$work/objects.sql" >"$work/objects.after"
  cmp -s "$work/objects.fresh" "$work/objects.after" \
    || { fail "$label: the extension's objects differ from a fresh install of $current"; diff "$work/objects.fresh" "$work/objects.after" | head -20 >&2 || true; }
  psql_q -d "$db" -o /dev/null -f "$work/exercise.sql" || fail "$label: the queue or the summaries fail after the update"
  check_empty_verify "$db" "$label, after using it" || fail "$label: summaries wrong after using the updated extension"
  # The summary line only when every check of this label passed.
  [ "$failures" = "$failures_before" ] || return 0
  echo "upgrade: $label: $(wc -l <"$work/data.before" | tr -d ' ') rows of runs and summaries unchanged, objects identical to a fresh $current, verify_recent_workflows() empty"
}

tested=0
for old in $released; do
  if [ ! -f "$olddir/runstore--$old.sql" ] && [ ! -f "$sqldir/runstore--$old.sql" ]; then
    fail "released version $old has no install script tests/upgrade/old_versions/runstore--$old.sql (keep released scripts there)"
    continue
  fi
  path=$(psql_q -d "$fresh" -tAc "SELECT path FROM pg_extension_update_paths('runstore') WHERE source = '$old' AND target = '$current'")
  if [ -z "$path" ]; then
    fail "no update path from $old to $current (add extension/sql/runstore--$old--<next>.sql)"
    continue
  fi
  db=${prefix}_from_${old//[^0-9a-zA-Z]/_}
  newdb "$db"
  psql_q -d "$db" -c "CREATE EXTENSION runstore VERSION '$old'"
  echo "upgrade: $old -> $current along $path"
  upgrade_check "$db" "$old -> $current"
  tested=$((tested + 1))
done

if [ ${#updates[@]} -eq 0 ]; then
  echo "upgrade: no update scripts (extension/sql/runstore--A--B.sql): $current is the only version, so there is no released version to upgrade from"
fi
# Always: UPDATE on the current version is a no-op with data in place.
for form in "" "$current"; do
  db=${prefix}_noop${form:+_to}
  newdb "$db"
  psql_q -d "$db" -c 'CREATE EXTENSION runstore'
  upgrade_check "$db" "ALTER EXTENSION runstore UPDATE${form:+ TO '$form'} on $current (no-op)" "$form"
done

if [ "$failures" -eq 0 ]; then
  echo "upgrade: OK: $tested released version(s) upgraded to $current; UPDATE on $current is a no-op with data in place"
else
  echo "upgrade: FAILED: $failures check(s) failed"
  exit 1
fi
