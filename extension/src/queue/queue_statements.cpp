/*
 * queue_statements.cpp: the SQL of the queue lifecycle functions (dequeue,
 * heartbeat, complete, fail, cancel); see statements.hpp and README "Queue lifecycle".
 *
 * One statement per call, nothing kept between calls: each is safe behind a
 * transaction-pooling connection pooler.  Every table, function and operator
 * is schema-qualified (no IN (...): it looks "=" up by name).
 *
 * The claim index.  A queued execution is claimable from run_after on; a
 * running one from the end of its lease on, so the lease end is kept in
 * run_after as well as in lease_expires_at.  Both kinds are then one range
 * of one partial index, executions_claimable_idx
 *   (priority DESC, run_after, id) WHERE status IN ('queued', 'running'),
 * and dequeue reads claimable executions in claim order from its head: no
 * second index for expired leases, no sort.  An execution leaves the index
 * when it finishes, so the index holds only the live queue, not history.
 */
extern "C" {
#include "postgres.h"

#include "catalog/pg_type_d.h"
#include "nodes/parsenodes.h"
}

#include "runstore/pg/statements.hpp"

/* SQL text laid out by hand: clang-format would break it mid-clause. */
/* clang-format off */
namespace runstore::pg::statements {

#define EQ " OPERATOR(pg_catalog.=) "
#define NOW "pg_catalog.statement_timestamp()"
#define PLUS " OPERATOR(pg_catalog.+) "
#define STATUS(name) "'" name "'::runstore.execution_status"
#define LIVE_STATUSES "ANY ('{queued,running}'::runstore.execution_status[])"

/*
 * Claims up to $2 claimable executions for worker $1 with lease $3, by
 * priority, then run_after, then id, skipping rows other workers have locked.
 * A running execution whose lease expired on its last attempt is not handed
 * out again: it becomes failed (its worker vanished max_attempts times).  So
 * does an execution whose attempt is already the largest integer (only a
 * hand-written row can get there): claiming it would overflow the counter,
 * and an error would stall every dequeue that meets it.
 * The CTE's FOR UPDATE re-checks each row's newest version (READ COMMITTED),
 * so a row claimed or finished since the snapshot is skipped, never claimed
 * twice.  The UPDATE finds the chosen rows by `id = ANY (ARRAY(...))`: one
 * primary-key probe each, whatever the planner guesses for the CTE's size
 * (a join let a generic plan pick a hash join over a sequential scan).  It
 * repeats no status test: the rows are locked, so their status is the one
 * the CTE checked, and a status test would let the planner read the claim
 * index instead (whose predicate it matches), walking the whole queue and,
 * under a held xmin horizon, every dead entry in it.
 * Each row comes back with two columns after the table's: claimed_from, the
 * run_after it was claimed at, by which dequeue moves its frontiers
 * (claim_frontier.hpp), and delivered, false for a row failed instead of
 * claimed.  dequeue returns the table's columns of the delivered rows.
 */
#define ATTEMPTS_AT_MAXIMUM "x.attempt" EQ "2147483647"
#define EXHAUSTED                                                                                    \
	"(x.status" EQ STATUS("running") " AND x.attempt OPERATOR(pg_catalog.>=) x.max_attempts OR "      \
	ATTEMPTS_AT_MAXIMUM ")"
#define CLAIM_OR(claimed, exhausted) "CASE WHEN " EXHAUSTED " THEN " exhausted " ELSE " claimed " END"

/* A claimable row of executions `c`, due now. */
#define CLAIMABLE "c.status" EQ LIVE_STATUSES " AND c.run_after OPERATOR(pg_catalog.<=) " NOW

/* Claims the rows of CTE `candidates` (id, run_after). */
#define CLAIM_CANDIDATES                                                                             \
	" claimed AS ("                                                                                  \
	"  UPDATE runstore.executions x SET"                                                             \
	"  status = " CLAIM_OR(STATUS("running"), STATUS("failed")) ","                                   \
	"  attempt = " CLAIM_OR("x.attempt OPERATOR(pg_catalog.+) 1", "x.attempt") ","                    \
	"  lease_owner = " CLAIM_OR("$1", "x.lease_owner") ","                                            \
	"  lease_expires_at = " CLAIM_OR(NOW PLUS "$3", "NULL") ","                                       \
	"  run_after = " CLAIM_OR(NOW PLUS "$3", "x.run_after") ","                                       \
	"  started_at = " CLAIM_OR(NOW, "x.started_at") ","                                               \
	"  finished_at = " CLAIM_OR("NULL", NOW) ","                                                      \
	"  error = " CLAIM_OR("x.error", "CASE WHEN " ATTEMPTS_AT_MAXIMUM                                 \
	                                 " THEN 'attempt is 2147483647, the largest integer: it cannot be claimed again'" \
	                                 " ELSE pg_catalog.format('the lease of worker %s expired on attempt %s of %s'," \
	                                 " x.lease_owner, x.attempt, x.max_attempts) END") ","               \
	"  updated_at = " NOW                                                                            \
	"  WHERE x.id" EQ "ANY (ARRAY(SELECT c.id FROM candidates c))"                                   \
	"  RETURNING x.*)"                                                                               \
	" SELECT r.*, c.run_after AS claimed_from, r.status" EQ STATUS("running") " AS delivered"         \
	" FROM claimed r JOIN candidates c ON c.id" EQ "r.id"                                            \
	" ORDER BY r.priority DESC, r.created_at, r.id"

/* Every class from its head: the index range read in claim order. */
KeptPlan dequeue = {
    "WITH candidates AS ("
    "  SELECT c.id, c.run_after FROM runstore.executions c"
    "  WHERE " CLAIMABLE
    "  ORDER BY c.priority DESC, c.run_after, c.id"
    "  LIMIT $2 FOR UPDATE SKIP LOCKED)," CLAIM_CANDIDATES,
    3, kArgTypes<TEXTOID, INT4OID, INTERVALOID>, nullptr};

/*
 * Each class $4 (in this order: highest priority first) from its frontier
 * $5: one index range per class, positioned at (priority, frontier), read
 * until $2 rows are locked.  The classes subquery keeps its ORDER BY (a
 * subquery with one is not flattened) and the nested loop keeps its order,
 * so the first classes fill the LIMIT; sql/plans.sql checks that shape.
 */
KeptPlan dequeue_from_frontiers = {
    "WITH candidates AS ("
    "  SELECT f.id, f.run_after FROM ("
    "    SELECT k.priority, k.frontier FROM ROWS FROM (pg_catalog.unnest($4::pg_catalog.int4[]),"
    "      pg_catalog.unnest($5::pg_catalog.timestamptz[])) AS k(priority, frontier)"
    "    ORDER BY k.priority DESC) k"
    "  CROSS JOIN LATERAL ("
    "    SELECT c.id, c.run_after FROM runstore.executions c"
    "    WHERE " CLAIMABLE " AND c.priority" EQ "k.priority"
    "    AND c.run_after OPERATOR(pg_catalog.>=) k.frontier"
    "    ORDER BY c.run_after, c.id"
    "    LIMIT $2 FOR UPDATE SKIP LOCKED) f"
    "  LIMIT $2)," CLAIM_CANDIDATES,
    5, kArgTypes<TEXTOID, INT4OID, INTERVALOID, INT4ARRAYOID, TIMESTAMPTZARRAYOID>, nullptr};

/* The priority classes dequeue reads, highest first; one more than it handles tells "too many". */
KeptPlan queue_priorities = {
    "SELECT DISTINCT q.priority FROM runstore.queue_priorities q ORDER BY q.priority DESC LIMIT 65", 0, nullptr,
    nullptr};

/*
 * Adds those of classes $1 the list lacks (runstore._register_priorities,
 * and dequeue when a full read claims a row of an unlisted class).  A plain
 * INSERT: it never waits for another transaction adding the same class.
 */
KeptPlan register_priorities = {
    "INSERT INTO runstore.queue_priorities (priority)"
    " SELECT DISTINCT p.p FROM pg_catalog.unnest($1::pg_catalog.int4[]) AS p(p)"
    " WHERE NOT EXISTS (SELECT FROM runstore.queue_priorities q WHERE q.priority" EQ "p.p)",
    1, kArgTypes<INT4ARRAYOID>, nullptr};

/* Every class listed (the first time a backend registers, it learns what is there). */
/*
 * Whether a claimable execution is due: per priority class, the head of
 * the claim index's range (the same index range dequeue reads).  By the
 * clock, not the statement's start: an idle worker's wait checks again and
 * again inside one statement.
 */
KeptPlan work_due = {"SELECT EXISTS (SELECT FROM runstore.queue_priorities q CROSS JOIN LATERAL ("
                     "  SELECT FROM runstore.executions c"
                     "  WHERE c.status" EQ LIVE_STATUSES
                     "  AND c.run_after OPERATOR(pg_catalog.<=) pg_catalog.clock_timestamp()"
                     "  AND c.priority" EQ "q.priority LIMIT 1) x)",
                     0, nullptr, nullptr};

KeptPlan listed_priorities = {"SELECT DISTINCT q.priority FROM runstore.queue_priorities q", 0, nullptr, nullptr};

/*
 * The batch forms (complete_many, fail_many and release_many below, and
 * heartbeat with attempts): one statement for a worker's whole batch.
 * Each execution in the batch pairs with its fencing token (attempt) and
 * its own value (result; error, retryable and backoff draw), read in step
 * from arrays aligned with the ids by ROWS FROM (a shorter or NULL array
 * reads as NULLs).  Each row changes only while worker $1 holds it at that
 * attempt, as complete and fail check for one; an id given twice changes
 * once.  Both return the ids changed (fail_many with their new status).
 *
 * The plan must never grow with the table, nor with the square of the
 * batch: `x.id = ANY ($2)` bounds the rows read to the batch's (probes of
 * executions_id_idx), and nothing else may drive the read.  The held-by test
 * is spelled `status <> ALL (every other status)`, which the planner cannot
 * prove implies the claim index's predicate, so that index (every queued and
 * running execution) is never read instead; the generic plan is built once,
 * with sequential scans off (kBatchJoin).  Left to itself, a plan built on
 * stale statistics (the table just truncated, or nothing running when last
 * analyzed) read the claim index whole on every call, and kept doing so for
 * the backend's life.  Nested loops are off too: the batch joins its rows
 * by hashing, not by rescanning the arrays once per row.  (A new status
 * must join the list.)
 */
const PlannerSetting kBatchJoin[] = {
    {"enable_seqscan", "off"}, {"enable_nestloop", "off"}, {"jit", "off"}, {nullptr, nullptr}};
#define BATCH_HELD_BY(worker)                                                                        \
	" x.status OPERATOR(pg_catalog.<>) ALL ('{queued,succeeded,failed,cancelled}'::runstore.execution_status[])" \
	" AND x.lease_owner" EQ worker
#define BATCH_ROWS(alias) " WHERE x.id" EQ "ANY ($2::pg_catalog.uuid[]) AND x.id" EQ alias ".id AND x.attempt" EQ alias ".attempt AND"
/* The row's workspace, where the caller gave one (on Citus it routes the row to its shard's node). */
#define BATCH_IN_WORKSPACE(alias) " (" alias ".workspace_id IS NULL OR x.workspace_id" EQ alias ".workspace_id) AND"

/*
 * Extends the leases worker $1 still holds among ids $2 by $3 from now.
 * With $4 (attempts, aligned with $2) the attempt must match too: the
 * fencing token, which tells a worker apart from a later holder of the same
 * name.
 */
#define HEARTBEAT_SET                                                                                \
	"UPDATE runstore.executions x SET"                                                               \
	" lease_expires_at = " NOW PLUS "$3, run_after = " NOW PLUS "$3, updated_at = " NOW
/* The execution is running under a lease of the worker in parameter `worker`. */
#define HELD_BY(worker) " x.status" EQ STATUS("running") " AND x.lease_owner" EQ worker

KeptPlan heartbeat = {HEARTBEAT_SET " WHERE x.id" EQ "ANY ($2::pg_catalog.uuid[]) AND" HELD_BY("$1")
                      " RETURNING x.id",
                      3, kArgTypes<TEXTOID, UUIDARRAYOID, INTERVALOID>, nullptr};
/*
 * With attempts: a batch statement like complete_many below (BATCH_ROWS,
 * BATCH_IN_WORKSPACE), for the same reasons; $5 int8[] workspace_ids.
 */
KeptPlan heartbeat_attempts = {
    HEARTBEAT_SET " FROM ROWS FROM (pg_catalog.unnest($2::pg_catalog.uuid[]), pg_catalog.unnest($4::pg_catalog.int4[]),"
                  " pg_catalog.unnest($5::pg_catalog.int8[])) AS h(id, attempt, workspace_id)"
                  BATCH_ROWS("h") BATCH_IN_WORKSPACE("h") BATCH_HELD_BY("$1") " RETURNING x.id",
    5, kArgTypes<TEXTOID, UUIDARRAYOID, INTERVALOID, INT4ARRAYOID, INT8ARRAYOID>, nullptr, CURSOR_OPT_GENERIC_PLAN,
    kBatchJoin};

/* Marks execution $1 succeeded with result $3 if worker $2 (attempt $4) holds it. */
#define COMPLETE_SQL(condition)                                                                      \
	"UPDATE runstore.executions x SET status = " STATUS("succeeded") ", result = $3,"                 \
	" lease_expires_at = NULL, finished_at = " NOW ", updated_at = " NOW                              \
	" WHERE x.id" EQ "$1 AND" HELD_BY("$2") condition " RETURNING x.id"

KeptPlan complete = {COMPLETE_SQL(""), 3, kArgTypes<UUIDOID, TEXTOID, JSONBOID>, nullptr};
KeptPlan complete_attempt = {COMPLETE_SQL(" AND x.attempt" EQ "$4"), 4,
    kArgTypes<UUIDOID, TEXTOID, JSONBOID, INT4OID>, nullptr};

/*
 * Records failure $3 of execution $1 if worker $2 (attempt $5) holds it:
 * re-queued after a backoff while $4 (retryable) and attempts remain,
 * failed otherwise.  Returns the new status.
 *
 * The backoff is runstore._retry_delay(x.attempt) (core/retry_backoff.hpp),
 * uniform in [0, min(cap, base * 2^(attempt - 1))), but computed here from
 * values the caller binds after the arguments (fn_complete_fail.cpp):
 * `now`, the statement's timestamp (what statement_timestamp() returns);
 * `fraction`, a uniform draw from [0, 1); `base` and `cap`, the settings
 * runstore.retry_backoff_base and _cap in milliseconds (float8).  Why bound:
 * on Citus an UPDATE of a distributed table refuses a VOLATILE function
 * (0A000), so the random draw is made once in C++; it also refuses any
 * non-IMMUTABLE function inside a CASE and a STABLE one given a column, so
 * `now` is bound instead of calling statement_timestamp(), and the delay is
 * added to `now` read as UTC time (timezone() and timestamp + interval are
 * IMMUTABLE, timestamptz + interval is STABLE; for an interval of
 * microseconds only, as this one is, the results are equal).  What remains
 * is IMMUTABLE arithmetic.  The exponent attempt - 1 is clamped to [0, 62]
 * in float8, as retry_backoff.cpp clamps it (int4 arithmetic could
 * overflow, and base * 2^62 ms is finite and beyond any cap): a huge
 * attempt waits at most the cap, never errors.  floor() to whole
 * microseconds keeps the delay below its ceiling, as _retry_delay's does.
 * Every OPERATOR(...) has the same precedence, hence the parentheses.
 */
#define TIMES " OPERATOR(pg_catalog.*) "
#define AS_FLOAT8(value) value "::pg_catalog.float8"
#define AS_UTC(value) "pg_catalog.timezone('UTC'::pg_catalog.text, " value ")"
#define BACKOFF_EXPONENT                                                                             \
	"LEAST(GREATEST(" AS_FLOAT8("x.attempt") " OPERATOR(pg_catalog.-) " AS_FLOAT8("1") ", " AS_FLOAT8("0") "), " \
	AS_FLOAT8("62") ")"
#define BACKOFF_CEILING_MS(base, cap)                                                                \
	"LEAST(" cap ", " base TIMES "pg_catalog.power(" AS_FLOAT8("2") ", " BACKOFF_EXPONENT "))"
#define RETRY_DELAY(fraction, base, cap)                                                             \
	"('1 microsecond'::pg_catalog.interval" TIMES                                                     \
	"pg_catalog.floor((" BACKOFF_CEILING_MS(base, cap) TIMES fraction ")" TIMES AS_FLOAT8("1000") "))"
#define RETRY_AT(now, fraction, base, cap) AS_UTC("(" AS_UTC(now) PLUS RETRY_DELAY(fraction, base, cap) ")")

#define RETRY(retryable) retryable " AND x.attempt OPERATOR(pg_catalog.<) x.max_attempts"
#define RETRY_OR(retryable, retry, final) "CASE WHEN " RETRY(retryable) " THEN " retry " ELSE " final " END"
/* Records failure `error` of the executions the rest of the statement picks as `x`. */
#define FAIL_SET(retryable, error, now, fraction, base, cap)                                         \
	"UPDATE runstore.executions x SET"                                                               \
	" status = " RETRY_OR(retryable, STATUS("queued"), STATUS("failed")) ","                         \
	" error = " error ","                                                                            \
	" run_after = " RETRY_OR(retryable, RETRY_AT(now, fraction, base, cap), "x.run_after") ","       \
	" lease_owner = " RETRY_OR(retryable, "NULL", "x.lease_owner") ","                               \
	" lease_expires_at = NULL,"                                                                      \
	" finished_at = " RETRY_OR(retryable, "NULL", now) ","                                           \
	" updated_at = " now
#define FAIL_SQL(condition, now, fraction, base, cap)                                                \
	FAIL_SET("$4", "$3", now, fraction, base, cap)                                                   \
	" WHERE x.id" EQ "$1 AND" HELD_BY("$2") condition " RETURNING x.status"

/* After the arguments (and the attempt): now, fraction, base and cap of FAIL_SQL. */
KeptPlan fail = {FAIL_SQL("", "$5", "$6", "$7", "$8"), 8,
    kArgTypes<UUIDOID, TEXTOID, TEXTOID, BOOLOID, TIMESTAMPTZOID, FLOAT8OID, FLOAT8OID, FLOAT8OID>, nullptr};
KeptPlan fail_attempt = {FAIL_SQL(" AND x.attempt" EQ "$5", "$6", "$7", "$8", "$9"), 9,
    kArgTypes<UUIDOID, TEXTOID, TEXTOID, BOOLOID, INT4OID, TIMESTAMPTZOID, FLOAT8OID, FLOAT8OID, FLOAT8OID>, nullptr};

/* complete_many: $1 worker, $2 uuid[] ids, $3 int4[] attempts, $4 jsonb[] results, $5 int8[] workspace_ids. */
KeptPlan complete_many = {
    "UPDATE runstore.executions x SET status = " STATUS("succeeded") ", result = c.result,"
    " lease_expires_at = NULL, finished_at = " NOW ", updated_at = " NOW
    " FROM ROWS FROM (pg_catalog.unnest($2::pg_catalog.uuid[]), pg_catalog.unnest($3::pg_catalog.int4[]),"
    "   pg_catalog.unnest($4::pg_catalog.jsonb[]), pg_catalog.unnest($5::pg_catalog.int8[]))"
    "   AS c(id, attempt, result, workspace_id)"
    BATCH_ROWS("c") BATCH_IN_WORKSPACE("c") BATCH_HELD_BY("$1")
    " RETURNING x.id",
    5, kArgTypes<TEXTOID, UUIDARRAYOID, INT4ARRAYOID, JSONBARRAYOID, INT8ARRAYOID>, nullptr, CURSOR_OPT_GENERIC_PLAN,
    kBatchJoin};

/*
 * fail_many: $1 worker, $2 uuid[] ids, $3 int4[] attempts, $4 text[] errors,
 * $5 bool[] retryable (NULL: all), then $6 now, $7 float8[] fractions (one
 * draw per execution, so a batch's retries spread), $8 base, $9 cap, and
 * $10 int8[] workspace_ids.
 */
KeptPlan fail_many = {
    FAIL_SET("COALESCE(f.retryable, true)", "f.error", "$6", "f.fraction", "$8", "$9")
    " FROM ROWS FROM (pg_catalog.unnest($2::pg_catalog.uuid[]), pg_catalog.unnest($3::pg_catalog.int4[]),"
    "   pg_catalog.unnest($4::pg_catalog.text[]), pg_catalog.unnest($5::pg_catalog.bool[]),"
    "   pg_catalog.unnest($7::pg_catalog.float8[]), pg_catalog.unnest($10::pg_catalog.int8[]))"
    "   AS f(id, attempt, error, retryable, fraction, workspace_id)"
    BATCH_ROWS("f") BATCH_IN_WORKSPACE("f") BATCH_HELD_BY("$1")
    " RETURNING x.id, x.status",
    10, kArgTypes<TEXTOID, UUIDARRAYOID, INT4ARRAYOID, TEXTARRAYOID, BOOLARRAYOID, TIMESTAMPTZOID, FLOAT8ARRAYOID,
                  FLOAT8OID, FLOAT8OID, INT8ARRAYOID>, nullptr, CURSOR_OPT_GENERIC_PLAN, kBatchJoin};

/*
 * release_many: $1 worker, $2 uuid[] ids, $3 int4[] attempts, $4 int8[]
 * workspace_ids.  Hands back
 * claims whose handler never started (a worker's claimed-ahead buffer, at
 * shutdown): queued again, due at once, and the attempt the claim took
 * given back, so a release costs the execution none of its max_attempts
 * (and, back at attempt 0, it has never started).
 * Only the holder of each lease, at its attempt, may release it; that
 * attempt was handed to nobody else, so the next claim may hand it out again.
 */
KeptPlan release_many = {
    "UPDATE runstore.executions x SET status = " STATUS("queued") ","
    " attempt = x.attempt OPERATOR(pg_catalog.-) 1, lease_owner = NULL, lease_expires_at = NULL,"
    " run_after = " NOW ", updated_at = " NOW ","
    " started_at = CASE WHEN x.attempt" EQ "1 THEN NULL ELSE x.started_at END"
    " FROM ROWS FROM (pg_catalog.unnest($2::pg_catalog.uuid[]), pg_catalog.unnest($3::pg_catalog.int4[]),"
    "   pg_catalog.unnest($4::pg_catalog.int8[])) AS r(id, attempt, workspace_id)"
    BATCH_ROWS("r") BATCH_IN_WORKSPACE("r") BATCH_HELD_BY("$1")
    " RETURNING x.id",
    4, kArgTypes<TEXTOID, UUIDARRAYOID, INT4ARRAYOID, INT8ARRAYOID>, nullptr, CURSOR_OPT_GENERIC_PLAN, kBatchJoin};

/* Cancels those of ids $1 (in workspace $2) that are queued or running. */
#define CANCEL_SQL(condition)                                                                        \
	"UPDATE runstore.executions x SET status = " STATUS("cancelled") ","                              \
	" lease_expires_at = NULL, finished_at = " NOW ", updated_at = " NOW                              \
	" WHERE x.id" EQ "ANY ($1::pg_catalog.uuid[]) AND x.status" EQ LIVE_STATUSES condition            \
	" RETURNING x.id"

KeptPlan cancel = {CANCEL_SQL(""), 1, kArgTypes<UUIDARRAYOID>, nullptr};
KeptPlan cancel_in_workspace = {CANCEL_SQL(" AND x.workspace_id" EQ "$2"), 2,
    kArgTypes<UUIDARRAYOID, INT8OID>, nullptr};

/* clang-format on */
} // namespace runstore::pg::statements
