#!/usr/bin/env bash
# cli_test.sh BINARY: end-to-end test of the `runstore` CLI against the real
# server named by the PG* environment (tests/scripts/cluster.sh env).  Works
# in a database of its own, dropped at exit.  Prints one line per check and
# exits non-zero if any check failed.
set -u

R=${1:?usage: cli_test.sh PATH/TO/runstore}
db=runstore_cli_test_$$
tmp=$(mktemp -d)
worker_pid=
failures=0
checks=0

admin() { psql -X -q -v ON_ERROR_STOP=1 -d postgres "$@"; }
sql() { psql -X -q -At -v ON_ERROR_STOP=1 -d "$db" -c "$1"; }

cleanup() {
  [ -n "$worker_pid" ] && kill -KILL "$worker_pid" 2>/dev/null
  admin -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1
  admin -c "DROP ROLE IF EXISTS ${db}_nobody" >/dev/null 2>&1
  rm -rf "$tmp"
}
trap cleanup EXIT

admin -c "CREATE DATABASE $db" >/dev/null || exit 1
sql "CREATE EXTENSION runstore" || exit 1
# The CLI finds the database the documented way; nothing else may redirect it.
unset RUNSTORE_DSN
export PGDATABASE=$db

# run CMD...: runs it, keeping stdout in $OUT, stderr in $ERR, status in $RC.
run() {
  "$@" >"$tmp/out" 2>"$tmp/err" </dev/null
  RC=$?
  OUT=$(cat "$tmp/out")
  ERR=$(cat "$tmp/err")
}
# run_in FILE CMD...: the same, with stdin from FILE.
run_in() {
  local input=$1
  shift
  "$@" >"$tmp/out" 2>"$tmp/err" <"$input"
  RC=$?
  OUT=$(cat "$tmp/out")
  ERR=$(cat "$tmp/err")
}
check() {  # check DESCRIPTION TEST-ARGS...
  local what=$1
  shift
  checks=$((checks + 1))
  if "$@"; then
    echo "ok   - $what"
  else
    failures=$((failures + 1))
    echo "FAIL - $what"
    echo "       rc=$RC"
    echo "       stdout: $(head -c 600 "$tmp/out")"
    echo "       stderr: $(head -c 1500 "$tmp/err")"
  fi
}
one_error_line() {  # exactly one line on stderr, in the documented form
  [ "$(wc -l <"$tmp/err")" -eq 1 ] && grep -q '^runstore: error: ' "$tmp/err"
}
usage_error() { [ "$RC" -eq 2 ] && one_error_line && [ -z "$OUT" ]; }
is_uuid() { [[ $1 =~ ^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$ ]]; }
table_exists() { [ "$(sql "SELECT to_regclass('runstore.executions') IS NOT NULL")" = t ]; }
# json_check PYTHON-EXPR: evaluates EXPR with `d` the JSON parsed from $OUT.
json_check() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if ($1) else 1)" "$tmp/out"; }

echo "# --help and usage errors"
for c in "" status recent stats delete purge enqueue worker; do
  run "$R" $c --help
  check "runstore $c --help exits 0 with usage on stdout" \
    eval '[ "$RC" -eq 0 ] && grep -q "^usage: runstore" "$tmp/out" && [ -z "$ERR" ]'
done
run "$R" help purge
check "runstore help purge shows purge's help" eval '[ "$RC" -eq 0 ] && grep -q "runstore purge --tag" "$tmp/out"'
run "$R" frobnicate
check "unknown command: exit 2, one line" usage_error
run "$R"
check "no command: exit 2, one line" usage_error
run "$R" status --bogus 01a22e34-5ea2-7a43-a8f6-696e81d0372d
check "unknown option: exit 2, one line naming it" eval 'usage_error && grep -q -- "--bogus" "$tmp/err"'
run "$R" recent
check "recent without --workspace: exit 2" usage_error
run "$R" purge
check "purge without --tag: exit 2" usage_error
run "$R" recent --workspace 12abc
check "non-numeric --workspace: exit 2" usage_error
run "$R" enqueue --workspace 1 --payload '{not json'
check "enqueue with invalid --payload: exit 2" usage_error
run "$R" enqueue --stdin --workspace 1
check "enqueue --stdin with field options: exit 2" usage_error
run "$R" status
check "status without ids: exit 2" usage_error

echo "# hostile arguments are data"
hostile="'; DROP TABLE runstore.executions; --"
run "$R" status "$hostile"
check "status with an SQL-injection id: usage error" eval 'usage_error && grep -q "invalid execution id" "$tmp/err"'
run "$R" delete "$hostile"
check "delete with an SQL-injection id: usage error" usage_error
run "$R" status 01a22e34-5ea2-7a43-a8f6-696e81d0372d "$hostile"
check "one bad id among good ones: usage error, nothing queried" usage_error
run "$R" recent --workspace "1; DROP TABLE runstore.executions"
check "SQL in --workspace: usage error" usage_error
run "$R" purge --tag "$hostile" --workspace 999
check "purge of an SQL-injection tag: deletes nothing, exit 0" \
  eval '[ "$RC" -eq 0 ] && [ "$OUT" = "deleted 0 executions tagged $hostile" ]'
run "$R" enqueue --workspace 999 --user "$hostile" --tag "$hostile" --payload '{"q":"'"'"'; DROP TABLE x; --"}'
hostile_id=$OUT
check "enqueue stores hostile text verbatim" \
  eval 'is_uuid "$hostile_id" && [ "$(sql "SELECT user_id = tags[1] AND payload->>'"'"'q'"'"' LIKE '"'"'%DROP TABLE x%'"'"' FROM runstore.executions WHERE id = '"'"'$hostile_id'"'"'")" = t ] && [ "$(sql "SELECT user_id FROM runstore.executions WHERE id = '"'"'$hostile_id'"'"'")" = "$hostile" ]'
check "runstore.executions is still there" table_exists

echo "# enqueue from arguments"
run "$R" enqueue --workspace 10 --workflow 20 --user alice --tag a --tag b --priority 5 --max-attempts 2 --payload '{"k":"v"}'
id1=$OUT
check "enqueue prints the new id" eval '[ "$RC" -eq 0 ] && is_uuid "$id1"'
check "the row has every field given" \
  eval '[ "$(sql "SELECT workspace_id, workflow_id, user_id, tags, priority, max_attempts, payload, status FROM runstore.executions WHERE id = '"'"'$id1'"'"'")" = "10|20|alice|{a,b}|5|2|{\"k\": \"v\"}|queued" ]'
run "$R" -d "dbname=$db" enqueue --workspace 10 --workflow 21
id2=$OUT
check "enqueue with --dsn before the command" eval '[ "$RC" -eq 0 ] && is_uuid "$id2"'

echo "# enqueue from JSON lines"
cat >"$tmp/good.jsonl" <<'JSONL'
{"workspace_id": 11, "workflow_id": 1, "user_id": "bob", "tags": ["jl"], "payload": {"n": 1}, "priority": 1, "max_attempts": 4}

{"workspace_id": 11, "tags": ["jl"], "payload": [1, 2, 3]}
{"workspace_id": 11, "tags": ["jl"]}
JSONL
run_in "$tmp/good.jsonl" "$R" enqueue --stdin --batch 2
check "3 JSON lines (and a blank one) give 3 ids" \
  eval '[ "$RC" -eq 0 ] && [ "$(grep -cE "^[0-9a-f-]{36}$" "$tmp/out")" -eq 3 ] && [ "$(sql "SELECT count(*) FROM runstore.executions WHERE tags @> '"'"'{jl}'"'"'")" = 3 ]'
first_jl=$(head -n1 "$tmp/out")
check "the first line's fields are stored" \
  eval '[ "$(sql "SELECT user_id, priority, max_attempts, payload FROM runstore.executions WHERE id = '"'"'$first_jl'"'"'")" = "bob|1|4|{\"n\": 1}" ]'
cat >"$tmp/bad.jsonl" <<'JSONL'
{"workspace_id": 12, "tags": ["jlbad"]}
{"workspace_id": 12, "tags": ["jlbad"]}
{"workspace_id": 12, "tags": ["jlbad"]}
{"workspace_id": "twelve", "tags": ["jlbad"]}
{"workspace_id": 12, "tags": ["jlbad"]}
JSONL
run_in "$tmp/bad.jsonl" "$R" enqueue --stdin --batch 2
check "a bad line: exit 1, one error line naming line 4" \
  eval '[ "$RC" -eq 1 ] && one_error_line && grep -q "line 4" "$tmp/err"'
check "the batches before it are inserted and printed, its batch is not" \
  eval '[ "$(grep -c . "$tmp/out")" -eq 2 ] && [ "$(sql "SELECT count(*) FROM runstore.executions WHERE tags @> '"'"'{jlbad}'"'"'")" = 2 ]'
printf '%s\n' '{"workspace_id": 13, "tag": ["typo"]}' >"$tmp/typo.jsonl"
run_in "$tmp/typo.jsonl" "$R" enqueue --stdin
check "an unknown key is refused" eval '[ "$RC" -eq 1 ] && grep -q "unknown key" "$tmp/err" && [ -z "$OUT" ]'
printf 'not json at all\n' >"$tmp/junk.jsonl"
run_in "$tmp/junk.jsonl" "$R" enqueue --stdin
check "a line that is not JSON is refused" eval '[ "$RC" -eq 1 ] && one_error_line && grep -q "line 1" "$tmp/err"'

echo "# status"
missing=00000000-0000-7000-8000-000000000000
run "$R" status "$id1" "$id2"
check "status prints a table with the documented columns" \
  eval '[ "$RC" -eq 0 ] && head -n1 "$tmp/out" | grep -qE "^id +workspace +workflow +status +attempt/max +updated_at +error$"'
check "status rows: id, workspace, status, attempt/max, UTC time" \
  eval 'grep -qE "^$id1 +10 +20 +queued +0/2 +[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z" "$tmp/out" && [ "$(wc -l <"$tmp/out")" -eq 3 ]'
run "$R" status --json "$id1" "$id2" "$id1"
check "status --json: an array of full execution objects, in order, duplicates once" \
  json_check "len(d)==2 and d[0]['id']=='$id1' and d[1]['id']=='$id2' and d[0]['payload']=={'k':'v'} and d[0]['tags']==['a','b'] and d[0]['workspace_id']==10 and d[0]['max_attempts']==2 and d[0]['status']=='queued' and d[0]['result'] is None and d[0]['created_at'].endswith('Z') and set(d[0])>={'lease_owner','lease_expires_at','run_after','started_at','finished_at','error','priority','attempt','user_id','workflow_id','updated_at'}"
run "$R" status "$id1" "$missing"
check "an unknown id: exit 1, 'not found: ID' on stderr, the others shown" \
  eval '[ "$RC" -eq 1 ] && [ "$ERR" = "not found: $missing" ] && grep -q "^$id1" "$tmp/out"'
run "$R" status --workspace 99 "$id1"
check "status --workspace of another workspace: not found" eval '[ "$RC" -eq 1 ] && [ "$ERR" = "not found: $id1" ]'
python3 -c 'import uuid; print("\n".join(str(uuid.uuid4()) for _ in range(700)))' >"$tmp/ids"
echo "$id1" >>"$tmp/ids"
run_in "$tmp/ids" "$R" status --json -
check "status - reads 701 ids from stdin (more than one call's worth)" \
  eval '[ "$RC" -eq 1 ] && json_check "len(d)==1" && [ "$(grep -c "^not found: " "$tmp/err")" -eq 700 ]'
# A role without privileges (not PGOPTIONS: a pooler such as PgBouncer
# refuses startup options, and tests/pgbouncer/run.sh runs this script too).
admin -c "CREATE ROLE ${db}_nobody LOGIN" >/dev/null
run env PGUSER="${db}_nobody" "$R" status "$id1" "$id2"
check "a server error: exit 1, one line with its SQLSTATE" \
  eval '[ "$RC" -eq 1 ] && one_error_line && grep -q "(SQLSTATE 42501)$" "$tmp/err"'
run "$R" --dsn "dbname=${db}_missing" status "$id1"
check "a connection error: exit 1, one line" eval '[ "$RC" -eq 1 ] && one_error_line && grep -q "SQLSTATE 08" "$tmp/err"'

echo "# recent"
run "$R" recent --workspace 10
check "recent lists the workspace's workflows, newest first" \
  eval '[ "$RC" -eq 0 ] && sed -n 2p "$tmp/out" | grep -qE "^21 .* $id2$" && sed -n 3p "$tmp/out" | grep -qE "^20 .* $id1$"'
run "$R" recent --workspace 10 --user alice --json
check "recent --user --json" json_check "len(d)==1 and d[0]['workflow_id']==20 and d[0]['last_execution_id']=='$id1'"
run "$R" recent --workspace 10 --limit 1 --json
check "recent --limit 1" json_check "len(d)==1 and d[0]['workflow_id']==21"
run "$R" recent --workspace 424242
check "recent of an empty workspace: nothing, exit 0" eval '[ "$RC" -eq 0 ] && [ -z "$OUT" ]'

echo "# delete"
run "$R" delete "$id2" "$missing"
check "delete prints what it deleted, reports the unknown id, exit 1" \
  eval '[ "$RC" -eq 1 ] && [ "$OUT" = "$id2" ] && [ "$ERR" = "not found: $missing" ] && [ "$(sql "SELECT count(*) FROM runstore.executions WHERE id = '"'"'$id2'"'"'")" = 0 ]'
run "$R" delete "$hostile_id"
check "delete of an existing id: exit 0" eval '[ "$RC" -eq 0 ] && [ "$OUT" = "$hostile_id" ]'

echo "# purge"
sql "INSERT INTO runstore.executions (workspace_id, tags) SELECT 20 + g % 2, '{bulk,x}' FROM generate_series(1, 2500) g"
sql "INSERT INTO runstore.executions (workspace_id, tags) SELECT 20, '{keep}' FROM generate_series(1, 3) g"
run "$R" purge --tag bulk --workspace 21 --batch 300
check "purge --workspace deletes that workspace's tagged rows only" \
  eval '[ "$RC" -eq 0 ] && [ "$OUT" = "deleted 1250 executions tagged bulk" ]'
sql "INSERT INTO runstore.executions (workspace_id, tags) SELECT 21, '{bulk}' FROM generate_series(1, 1250) g"
run "$R" purge --tag bulk --batch 1000
check "purge of 2500 rows in batches of 1000: the final count" \
  eval '[ "$RC" -eq 0 ] && [ "$OUT" = "deleted 2500 executions tagged bulk" ]'
check "purge: no progress line when stderr is not a terminal" eval '[ -z "$ERR" ]'
check "purge: tagged rows gone, others kept" \
  eval '[ "$(sql "SELECT count(*) FILTER (WHERE tags @> '"'"'{bulk}'"'"'), count(*) FILTER (WHERE tags @> '"'"'{keep}'"'"') FROM runstore.executions")" = "0|3" ]'
run "$R" purge --tag bulk --batch 0
check "purge --batch 0: usage error" usage_error

echo "# option syntax"
run "$R" enqueue --workspace=40 --workflow=41 --user= --tag=eq -t short --priority=-3
id_eq=$OUT
check "--opt=value, an empty --opt= (not taking the next word), -t value" \
  eval 'is_uuid "$id_eq" && [ "$(sql "SELECT workspace_id, workflow_id, user_id, tags, priority FROM runstore.executions WHERE id = '"'"'$id_eq'"'"'")" = "40|41||{eq,short}|-3" ]'
run "$R" status --json "$id1" -- "$id_eq"
check "words after -- are ids too" json_check "len(d)==2 and d[1]['id']=='$id_eq'"
run "$R" recent -w 40 --user -x --json
check "a value that looks like an option is the value" eval '[ "$RC" -eq 0 ] && json_check "d==[]"'
run "$R" recent -hw40
check "grouped short options: -hw40 is -h -w40" eval '[ "$RC" -eq 0 ] && grep -q "^usage: runstore recent" "$tmp/out"'
run "$R" recent --workspce 40
check "a mistyped option: exit 2, the nearest option suggested" \
  eval 'usage_error && grep -q "unknown option '"'"'--workspce'"'"' for '"'"'recent'"'"'; did you mean '"'"'--workspace'"'"'?" "$tmp/err"'
run "$R" stauts
check "a mistyped command: exit 2, the nearest command suggested" \
  eval 'usage_error && grep -q "did you mean '"'"'status'"'"'?" "$tmp/err"'
run "$R" recent -w 40 --workspace=41
check "an option given twice: exit 2" eval 'usage_error && grep -q "option --workspace given more than once" "$tmp/err"'
run "$R" recent -w 40 --json=x
check "a flag given a value: exit 2" eval 'usage_error && grep -q "option --json takes no value" "$tmp/err"'
run "$R" recent --workspace
check "a value missing: exit 2" eval 'usage_error && grep -q "option --workspace needs a value" "$tmp/err"'
run "$R" --statement-mode unnamed status --json "$id_eq"
check "--statement-mode unnamed before the command" eval '[ "$RC" -eq 0 ] && json_check "d[0][\"id\"]==\"$id_eq\""'
run "$R" recent -w 40 --statement-mode=prepared --json
check "--statement-mode=prepared after the command" eval '[ "$RC" -eq 0 ] && json_check "d[0][\"workflow_id\"]==41"'
run env RUNSTORE_STATEMENT_MODE=unnamed "$R" status --json "$id_eq"
check "RUNSTORE_STATEMENT_MODE=unnamed" eval '[ "$RC" -eq 0 ] && json_check "len(d)==1"'
run "$R" recent -w 40 --statement-mode named
check "a bad --statement-mode: exit 2" \
  eval 'usage_error && grep -q "invalid --statement-mode '"'"'named'"'"' (expected '"'"'prepared'"'"' or '"'"'unnamed'"'"')" "$tmp/err"'
run env RUNSTORE_STATEMENT_MODE=Prepared "$R" recent -w 40
check "a bad RUNSTORE_STATEMENT_MODE: exit 2" eval 'usage_error && grep -q "invalid RUNSTORE_STATEMENT_MODE" "$tmp/err"'
run env RUNSTORE_STATEMENT_MODE=bad "$R" --statement-mode unnamed recent -w 40 --json
check "--statement-mode wins over RUNSTORE_STATEMENT_MODE" eval '[ "$RC" -eq 0 ] && json_check "len(d)==1"'
run "$R" --statement-mode unnamed recent -w 40 --statement-mode unnamed
check "--statement-mode given twice: exit 2" eval 'usage_error && grep -q "option --statement-mode given more than once" "$tmp/err"'

echo "# stats"
# A known queue: in workspace 50 only, everything else gone.
sql "DELETE FROM runstore.executions"
sql "INSERT INTO runstore.executions (workspace_id, status, priority, attempt, run_after, lease_owner, lease_expires_at)
     VALUES (50, 'queued', 3, 0, now() - interval '10 minutes', NULL, NULL),
            (50, 'queued', 3, 0, now() - interval '1 minute', NULL, NULL),
            (50, 'queued', 3, 1, now() + interval '1 hour', NULL, NULL),
            (50, 'queued', 0, 0, now() + interval '1 hour', NULL, NULL),
            (50, 'running', 3, 1, now() - interval '2 hours', 'gone', now() - interval '2 hours'),
            (50, 'running', 3, 1, now() + interval '1 hour', 'w', now() + interval '1 hour'),
            (50, 'succeeded', 3, 1, now() - interval '1 day', 'w', NULL),
            (50, 'failed', 9, 3, now() - interval '1 day', 'w', NULL)"
run "$R" stats
check "stats prints a table with the documented columns" \
  eval '[ "$RC" -eq 0 ] && head -n1 "$tmp/out" | grep -qE "^status +priority +executions +due_now +due_later +expired_leases +retrying +oldest_due$" && [ -z "$ERR" ]'
check "stats rows: queued before running, higher priorities first, finished runs not counted" \
  eval 'sed -n 2p "$tmp/out" | grep -qE "^queued +3 +3 +2 +1 +0 +1 +10m0[0-9]s$" && sed -n 3p "$tmp/out" | grep -qE "^queued +0 +1 +0 +1 +0 +0 +-$" && sed -n 4p "$tmp/out" | grep -qE "^running +3 +2 +1 +1 +1 +0 +2h00m$"'
check "stats ends with a total line" \
  eval 'sed -n 5p "$tmp/out" | grep -qE "^total +6 +3 +3 +1 +1 +2h00m$" && [ "$(wc -l <"$tmp/out")" -eq 5 ]'
run "$R" stats --json
check "stats --json: one object per status and priority, the age in seconds" \
  json_check "len(d)==3 and [(r['status'], r['priority']) for r in d]==[('queued', 3), ('queued', 0), ('running', 3)] and {k: d[0][k] for k in ('executions', 'due_now', 'due_later', 'expired_leases', 'retrying')}=={'executions': 3, 'due_now': 2, 'due_later': 1, 'expired_leases': 0, 'retrying': 1} and 600 <= d[0]['oldest_due_age_seconds'] < 660 and d[1]['oldest_due_age_seconds'] is None and d[2]['expired_leases']==1 and d[2]['due_later']==1 and 7200 <= d[2]['oldest_due_age_seconds'] < 7260"
run timeout --preserve-status -s INT 2 "$R" stats --json --watch 0.3
check "stats --watch: redraws until Ctrl-C (SIGINT), then exits 0" \
  eval '[ "$RC" -eq 0 ] && [ "$(grep -c . "$tmp/out")" -ge 3 ] && python3 -c "import json,sys; rows=[json.loads(l) for l in open(sys.argv[1])]; sys.exit(0 if all(len(r)==3 for r in rows) else 1)" "$tmp/out" && [ -z "$ERR" ]'
run timeout --preserve-status -s TERM 1 "$R" stats --watch 0.2
check "stats --watch as a table: a stamped table per draw, SIGTERM exits 0" \
  eval '[ "$RC" -eq 0 ] && [ "$(grep -c "^queue at .*Z, every 0.2s" "$tmp/out")" -ge 2 ] && [ "$(grep -c "^total " "$tmp/out")" -ge 2 ]'
for bad in 0 -1 abc 1s ""; do
  run "$R" stats --watch "$bad"
  check "stats --watch '$bad': usage error" eval 'usage_error && grep -q -- "--watch" "$tmp/err"'
done
run "$R" stats now
check "stats with an argument: usage error" usage_error
sql "DELETE FROM runstore.executions"
run "$R" stats --json
check "stats --json of an empty queue: [], exit 0" eval '[ "$RC" -eq 0 ] && json_check "d==[]"'

echo "# worker"
cat >"$tmp/job.sh" <<'JOB'
#!/bin/sh
# A test job: the payload says what to do.
payload=$(cat)
case "$payload" in
  *fail*) echo "some noise first" >&2; echo "the job broke" >&2; exit 3 ;;
  *text*) echo "plain text, not JSON" ;;
  *env*) printf '{"id":"%s","attempt":%s}\n' "$RUNSTORE_EXECUTION_ID" "$RUNSTORE_ATTEMPT" ;;
  *sleep*) exec sleep 60 ;;
  *) printf '%s' "$payload" ;;
esac
JOB
# The long job sleeps for a duration no other process on the machine is
# likely to have on its command line, so the check below finds only it.
job_sleep="60.$$"
sed -i "s/exec sleep 60 ;;/exec sleep $job_sleep ;;/" "$tmp/job.sh"
chmod +x "$tmp/job.sh"
run "$R" worker
check "worker without a command: usage error" usage_error
run "$R" worker sh -c true
check "worker with the command not after --: usage error" usage_error
run "$R" worker -- "$tmp/no-such-command"
check "worker with a missing command: usage error" usage_error
run "$R" worker --statement-mode unnamd -- true
check "worker with a bad --statement-mode: usage error" usage_error
run "$R" worker --listen-dsn "dbname=${db}_missing" -- true
check "worker whose --listen-dsn cannot connect: exit 1, one line" \
  eval '[ "$RC" -eq 1 ] && one_error_line && grep -q "^runstore: error: --listen-dsn: .*(SQLSTATE 08001)$" "$tmp/err"'

# The queue is global: the worker would also take what earlier sections left.
sql "DELETE FROM runstore.executions"
run "$R" enqueue -w 30 --payload '{"echo":[1,2]}'; w_echo=$OUT
run "$R" enqueue -w 30 --payload '{"do":"fail"}' --max-attempts 1; w_fail=$OUT
run "$R" enqueue -w 30 --payload '{"do":"text"}'; w_text=$OUT
run "$R" enqueue -w 30 --payload '{"do":"env"}'; w_env=$OUT
run "$R" enqueue -w 30; w_null=$OUT
"$R" worker --name cli-test-worker --slots 2 --poll 0.2 --lease 5 -- "$tmp/job.sh" \
  >"$tmp/worker.out" 2>"$tmp/worker.err" </dev/null &
worker_pid=$!
for _ in $(seq 1 150); do
  [ "$(sql "SELECT count(*) FROM runstore.executions WHERE workspace_id = 30 AND status IN ('queued', 'running')")" = 0 ] && break
  sleep 0.2
done
# A long job, running when the worker is told to stop.
run "$R" enqueue -w 31 --payload '{"do":"sleep"}'; w_sleep=$OUT
for _ in $(seq 1 100); do
  [ "$(sql "SELECT status FROM runstore.executions WHERE id = '$w_sleep'")" = running ] && break
  sleep 0.1
done
stop_started=$(date +%s)
kill -TERM "$worker_pid"
wait "$worker_pid"
RC=$?
worker_pid=
stop_took=$(($(date +%s) - stop_started))
cp "$tmp/worker.out" "$tmp/out"
cp "$tmp/worker.err" "$tmp/err"
check "worker stops on SIGTERM with exit 0, within the grace period" eval '[ "$RC" -eq 0 ] && [ "$stop_took" -le 20 ]'
check "worker: a JSON stdout is stored as the result" \
  eval '[ "$(sql "SELECT status, result FROM runstore.executions WHERE id = '"'"'$w_echo'"'"'")" = "succeeded|{\"echo\": [1, 2]}" ]'
check "worker: a non-zero exit is a failure with the end of stderr as the error" \
  eval '[ "$(sql "SELECT status, error FROM runstore.executions WHERE id = '"'"'$w_fail'"'"'")" = "failed|exit status 3: some noise first
the job broke" ]'
check "worker: a non-JSON stdout is stored as a JSON string" \
  eval '[ "$(sql "SELECT result #>> '"'"'{}'"'"' FROM runstore.executions WHERE id = '"'"'$w_text'"'"'")" = "plain text, not JSON" ]'
check "worker: RUNSTORE_EXECUTION_ID and RUNSTORE_ATTEMPT are set" \
  eval '[ "$(sql "SELECT result->>'"'"'id'"'"' = id::text AND (result->>'"'"'attempt'"'"')::int = attempt FROM runstore.executions WHERE id = '"'"'$w_env'"'"'")" = t ]'
check "worker: empty stdout is a null result" \
  eval '[ "$(sql "SELECT status, result IS NULL FROM runstore.executions WHERE id = '"'"'$w_null'"'"'")" = "succeeded|t" ]'
check "worker: the job running at SIGTERM was stopped and queued again" \
  eval '[ "$(sql "SELECT status, lease_owner IS NULL, error LIKE '"'"'stopped%signal%'"'"' FROM runstore.executions WHERE id = '"'"'$w_sleep'"'"'")" = "queued|t|t" ]'
# The job's process group got SIGTERM; its `sleep` dies on its own time,
# which under ASan and load can be after the worker has exited: wait for it
# (up to 5 s), but a job still running after that was left behind.
job_gone() {
  command -v pgrep >/dev/null || return 0
  for _ in $(seq 50); do
    pgrep -xf "sleep $job_sleep" >/dev/null || return 0
    sleep 0.1
  done
  return 1
}
check "worker: no job process is left behind" job_gone
check "worker: logs a line per execution and its stop" \
  eval 'grep -q "$w_fail attempt 1: failed: exit status 3" "$tmp/err" && grep -q "stopped: claimed 6" "$tmp/err"'

# --until-empty: runs what is due, then exits 0 by itself; a run due later stays.
sql "DELETE FROM runstore.executions"
for i in 1 2 3 4 5; do run "$R" enqueue -w 31 --payload '{"echo":1}'; done
w_later=$(sql "INSERT INTO runstore.executions (workspace_id, run_after) VALUES (31, '2099-01-01') RETURNING id")
started=$(date +%s)
run timeout 60 "$R" worker --until-empty --quiet --slots 2 --poll 30 -- "$tmp/job.sh"
check "worker --until-empty exits 0 by itself once nothing is due" \
  eval '[ "$RC" -eq 0 ] && [ $(( $(date +%s) - started )) -le 20 ]'
check "worker --until-empty: every due execution succeeded, the later one still queued" \
  eval '[ "$(sql "SELECT count(*) FROM runstore.executions WHERE workspace_id = 31 AND status = '"'"'succeeded'"'"'")" = 5 ] &&
        [ "$(sql "SELECT status FROM runstore.executions WHERE id = '"'"'$w_later'"'"'")" = queued ]'
check "worker --until-empty stops quietly: no stopping line" eval '! grep -q "stopping:" "$tmp/err"'
sql "DELETE FROM runstore.executions"

check "runstore.executions is still there at the end" table_exists

echo "# $checks checks, $failures failed"
[ "$failures" -eq 0 ]
