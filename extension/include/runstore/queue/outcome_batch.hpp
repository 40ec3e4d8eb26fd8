/*
 * outcome_batch.hpp: a worker's batch of outcomes (complete_many, fail_many,
 * release_many), run on a single node or across a Citus cluster
 * (PostgreSQL zone).
 *
 * On a single node a batch is one statement (queue_statements.cpp).  On a
 * Citus cluster it runs where its executions are:
 *   - given workspace_ids, each execution goes to the node holding its
 *     workspace's shard; a node's share runs there as one statement per
 *     shard it touches (this node's directly, another node's through
 *     runstore._outcomes_on_node, delegated to it like dequeue's claim), so
 *     a step that completes what one node handed out writes to that node
 *     alone and commits without two-phase commit;
 *   - without them, every node runs the batch against each of its shards.
 * Either way the call returns the ids that changed in the order given.
 */
#pragma once

extern "C" {
#include "postgres.h"

#include "fmgr.h"
#include "nodes/params.h"
#include "utils/array.h"
}

#include "runstore/batch/id_array.hpp"

namespace runstore::pg {

/* heartbeat with attempts is a batch of the same shape: its leases extended. */
enum class OutcomeKind { kComplete, kFail, kRelease, kHeartbeat };

struct OutcomeBatch {
	OutcomeKind kind;
	IdBatch ids;
	ParamListInfo params; /* the statement's, as queue_statements.cpp lists them */
};

/*
 * The batch from its parts, read and checked by the caller (nullptr: an
 * array passed as NULL).  `values` are the results (complete) or the errors
 * (fail); `retryable` is fail's, `lease` heartbeat's.  fail's timestamp
 * and backoff draws are made here.
 */
OutcomeBatch MakeOutcomeBatch(OutcomeKind kind, const IdBatch &ids, Datum worker, ArrayType *attempts,
                              ArrayType *values, ArrayType *retryable, ArrayType *workspace_ids,
                              Datum lease = (Datum)0);

/* Runs the batch: the ids that changed go to the call's materialized result, in request order. */
void RunOutcomes(FunctionCallInfo fcinfo, const OutcomeBatch &batch);

/* runstore._outcomes_on_node: the same, on this node's shards only. */
void RunOutcomesOnThisNode(FunctionCallInfo fcinfo, const OutcomeBatch &batch);

/* "complete", "fail", "release" or "heartbeat"; ERRORs (22023) otherwise. */
OutcomeKind OutcomeKindNamed(const char *name);

} // namespace runstore::pg
