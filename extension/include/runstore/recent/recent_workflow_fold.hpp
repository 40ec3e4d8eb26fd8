/*
 * recent_workflow_fold.hpp: moving committed pending rows into the folded
 * recent-workflow tables (PostgreSQL zone).
 *
 * The fold is one statement (statements::fold_recent).  One fold runs at a
 * time: it holds the advisory key pg_advisory_xact_lock(1920298611,
 * 1718578276) ("runs", "fold") until its transaction ends, and so does
 * rebuild_recent_workflows().  On Citus each shard group folds on its own
 * node under the key (1718578276, shard id of its executions shard).
 *
 * Who folds: a backend that has appended kFoldEvery pending rows since its
 * last attempt hands the fold to the database's fold worker
 * (fold_worker.hpp), starting one if none runs.  Where that is off or fails
 * (and on Citus shard groups) it folds in its own transaction, under READ
 * COMMITTED, if no other transaction holds the key (it never waits for it).
 * So the pending rows stay a fraction of a second's worth; a fold held up
 * (a long transaction that folded) makes reads slower, never wrong.
 */
#pragma once

extern "C" {
#include "postgres.h"

#include "utils/relcache.h"
}

#include "runstore/pg/citus_shards.hpp"

namespace runstore::pg {

/* Pending rows a backend appends between two fold attempts. */
constexpr int64 kFoldEvery = 64;

/*
 * After this backend appended `appended` pending rows: whether it folds now
 * (see above); if so it holds the fold key (of Citus shard `shard_id`'s
 * group, or -1: of the tables) and calls FoldPending.
 */
bool TakeFoldTurn(int64 appended, int64 shard_id);

/* The fold `plans` name, inside the caller's SPI connection, its key held; returns the pending rows folded. */
int64 FoldPending(const RecentPlans &plans);

/*
 * For the fold worker: folds the tables if no other transaction holds the
 * key (never waits); returns the pending rows folded, or -1 when the key was
 * taken.  Opens its own SPI connection; READ COMMITTED only.
 */
int64 TryFoldTables();

/* Waits for the fold key, then folds; returns the pending rows folded.  Opens its own SPI connection. */
int64 FoldNow();

/* The same for the shard group of `executions_shard`, a Citus shard of runstore.executions on this node. */
int64 FoldShardNow(Relation executions_shard);

} // namespace runstore::pg
