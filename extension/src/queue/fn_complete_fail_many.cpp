/*
 * fn_complete_fail_many.cpp: runstore.complete_many(text, uuid[], int[], jsonb[]),
 * runstore.fail_many(text, uuid[], int[], text[], boolean[]) and
 * runstore.release_many(text, uuid[], int[])
 *
 * A worker reports a whole batch of outcomes in one statement each, instead
 * of one complete or fail per execution: one UPDATE over arrays aligned with
 * the ids, so a batch costs one plan execution, one join and one set of
 * trigger calls.  Every execution is fenced by its attempt (required here:
 * a batch form without tokens would fence nothing), and changes only while
 * the worker still holds it at that attempt; the call returns, in the order
 * given, the ids that changed (fail_many with their new status).
 * release_many hands back claims that never started, at no cost in attempts.  An id the
 * worker no longer holds is simply absent from the result, as complete
 * returns false and fail NULL for it.
 *
 * As fail does (fn_complete_fail.cpp), fail_many binds the statement's
 * timestamp and one uniform draw per execution rather than calling
 * runstore._retry_delay() in the statement, so that it can run on Citus.
 *
 * Each takes workspace_ids last (optional, aligned with the ids): the
 * workspace of each execution, as dequeue returned it.  An execution not in
 * the workspace given for it is left alone; on a Citus cluster they route
 * each outcome to the node holding it (outcome_batch.hpp).
 */
extern "C" {
#include "postgres.h"

#include "catalog/pg_type_d.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "utils/builtins.h"
#include "utils/array.h"
}

#include "runstore/pg_boundary.hpp"
#include "runstore/queue/cluster_claim.hpp"
#include "runstore/queue/outcome_batch.hpp"
#include "runstore/queue/queue_arguments.hpp"

namespace {

using runstore::pg::OutcomeKind;

constexpr const char *kAttemptsHint = "Pass the attempt dequeue returned for each id: it fences the outcome.";

/* The arguments common to the three, and each one's own; read and checked before anything runs. */
struct OutcomeArguments {
	Datum worker;
	runstore::pg::IdBatch ids;
	bool any_ids;
	ArrayType *attempts;
	ArrayType *values;    /* results (complete), errors (fail) */
	ArrayType *retryable; /* fail */
	ArrayType *workspace_ids;
};

/* Where a function takes its arguments: worker, ids and attempts from `first` on, then the others (-1: none). */
struct ArgumentPositions {
	int first;
	int values;
	int retryable;
	int workspace_ids;
};

/* In OutcomeKind order; heartbeat's public form reads its own (fn_heartbeat.cpp). */
constexpr ArgumentPositions kPublicPositions[] = {{0, 3, -1, 4}, {0, 3, 4, 5}, {0, -1, -1, 3}, {-1, -1, -1, -1}};
/*
 * runstore._outcomes_on_node(anchor, kind, worker, ids, attempts, results,
 * errors, retryable, workspace_ids, lease): heartbeat's lease is argument 9.
 */
constexpr ArgumentPositions kNodePositions[] = {{2, 5, -1, 8}, {2, 6, 7, 8}, {2, -1, -1, 8}, {2, -1, -1, 8}};
constexpr int kNodeLease = 9;

OutcomeArguments
ReadOutcomeArguments(FunctionCallInfo fcinfo, OutcomeKind kind, const ArgumentPositions &at)
{
	OutcomeArguments args{};
	args.worker = runstore::pg::ReadWorker(fcinfo, at.first);
	args.any_ids = runstore::pg::ReadIdBatch(fcinfo, at.first + 1, "ids", &args.ids);
	const int count = args.any_ids ? args.ids.count : 0;
	args.attempts = runstore::pg::ReadAlignedArray(fcinfo, at.first + 2, "attempts", count, false, kAttemptsHint);
	if (kind == OutcomeKind::kComplete) {
		/* results: NULL means no result for any; a NULL element, none for that one. */
		args.values = PG_ARGISNULL(at.values)
		                  ? nullptr
		                  : runstore::pg::ReadAlignedArray(fcinfo, at.values, "results", count, true,
		                                                   "Pass one result (or NULL) per id.");
	}
	if (kind == OutcomeKind::kFail) {
		args.values =
		    runstore::pg::ReadAlignedArray(fcinfo, at.values, "errors", count, false, "Pass one error message per id.");
		/* retryable: NULL means every failure may be retried (fail's default). */
		args.retryable = PG_ARGISNULL(at.retryable)
		                     ? nullptr
		                     : runstore::pg::ReadAlignedArray(fcinfo, at.retryable, "retryable", count, false,
		                                                      "Pass true or false per id, or NULL: all retryable.");
	}
	args.workspace_ids = PG_NARGS() <= at.workspace_ids || PG_ARGISNULL(at.workspace_ids)
	                         ? nullptr
	                         : runstore::pg::ReadAlignedArray(fcinfo, at.workspace_ids, "workspace_ids", count, true,
	                                                          "Pass the workspace_id dequeue returned for each id.");
	return args;
}

Datum
RunOutcomeFunction(FunctionCallInfo fcinfo, OutcomeKind kind, bool this_node_only)
{
	const int k = static_cast<int>(kind);
	const OutcomeArguments args =
	    ReadOutcomeArguments(fcinfo, kind, this_node_only ? kNodePositions[k] : kPublicPositions[k]);
	if (!args.any_ids)
		return (Datum)0;
	const Datum lease = kind == OutcomeKind::kHeartbeat ? runstore::pg::ReadLease(fcinfo, kNodeLease) : (Datum)0;
	const runstore::pg::OutcomeBatch batch = runstore::pg::MakeOutcomeBatch(
	    kind, args.ids, args.worker, args.attempts, args.values, args.retryable, args.workspace_ids, lease);
	if (this_node_only)
		runstore::pg::RunOutcomesOnThisNode(fcinfo, batch);
	else
		runstore::pg::RunOutcomes(fcinfo, batch);
	return (Datum)0;
}

} // namespace

RUNSTORE_FUNCTION(runstore_complete_many)
{
	InitMaterializedSRF(fcinfo, MAT_SRF_USE_EXPECTED_DESC); /* SETOF uuid: a scalar result */
	return RunOutcomeFunction(fcinfo, OutcomeKind::kComplete, false);
}

RUNSTORE_FUNCTION(runstore_fail_many)
{
	InitMaterializedSRF(fcinfo, MAT_SRF_USE_EXPECTED_DESC); /* TABLE (id uuid, status) */
	return RunOutcomeFunction(fcinfo, OutcomeKind::kFail, false);
}

RUNSTORE_FUNCTION(runstore_release_many)
{
	InitMaterializedSRF(fcinfo, MAT_SRF_USE_EXPECTED_DESC); /* SETOF uuid: a scalar result */
	return RunOutcomeFunction(fcinfo, OutcomeKind::kRelease, false);
}

/*
 * runstore._outcomes_on_node(anchor, kind, worker, ids, attempts, results,
 * errors, retryable, workspace_ids, lease) RETURNS SETOF record: a batch's part on
 * the node holding the shard of workspace `anchor`, delegated there by
 * Citus (outcome_batch.hpp).  The caller's column list says what the kind
 * returns: (id uuid), or (id uuid, status) for fail.
 */
RUNSTORE_FUNCTION(runstore_outcomes_on_node)
{
	InitMaterializedSRF(fcinfo, MAT_SRF_USE_EXPECTED_DESC);
	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("anchor and kind must not be NULL")));
	const OutcomeKind kind = runstore::pg::OutcomeKindNamed(text_to_cstring(PG_GETARG_TEXT_PP(1)));
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "runstore: SPI_connect failed");
	runstore::pg::RequireLocalAnchor(PG_GETARG_DATUM(0), "runstore._outcomes_on_node()");
	SPI_finish();
	return RunOutcomeFunction(fcinfo, kind, true);
}
