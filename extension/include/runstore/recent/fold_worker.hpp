/*
 * fold_worker.hpp: the recent-workflows fold in a background worker
 * (PostgreSQL zone).
 *
 * With runstore.background_fold on (the default), a writer whose fold turn
 * comes (recent_workflow_fold.hpp) does not fold in its own transaction: it
 * makes sure the database has a fold worker and goes on.  The worker is a
 * dynamic background worker, started on demand by that writer (no
 * shared_preload_libraries, nothing to configure), that folds every
 * kFoldWorkerIntervalMs while there is something to fold and exits when
 * there has been nothing for kFoldWorkerIdleExitMs.  It only moves rows from
 * the pending table to the folded ones, which every read merges anyway, so
 * reads are exact whether it runs, lags or never starts; it only decides how
 * many pending rows a read meets.  When it cannot be started (no free
 * max_worker_processes slot, a launch already under way) the writer folds
 * itself, as with the setting off.
 *
 * One worker per database: it holds the session-level advisory key
 * (1920298611, 1650943588) ("runs", "bgfd") for its life, and a second one
 * started meanwhile exits at once.  A writer that hands its fold over holds
 * (1920298611, 1751215716) ("runs", "hand") in share mode to its commit; the
 * worker leaves only after taking that key exclusively, so rows handed over
 * are never left behind by a worker that left before they were committed.  On a Citus shard group writers keep
 * folding themselves (the worker folds the node's own tables only).
 */
#pragma once

extern "C" {
#include "postgres.h"

#include "storage/lock.h"
}

namespace runstore::pg {

/* How often the worker folds while there is something to fold. */
constexpr long kFoldWorkerIntervalMs = 100;

/*
 * How long the worker stays with nothing to fold.  Short, because a
 * session connected to a database holds up DROP DATABASE (which waits 5 s
 * for the others to go); a writer starts a new one on its next fold turn.
 */
constexpr long kFoldWorkerIdleExitMs = 1000;

/*
 * From a writer whose fold turn came, on the tables (not a Citus shard):
 * true if a fold worker runs in this database or was started now, so the
 * writer need not fold; false if the writer should fold itself (the setting
 * is off, this is a standby, or no worker could be started).
 */
bool HandFoldToWorker();

/*
 * From the worker with nothing to fold for a while: releases the worker's
 * key and returns true unless a writer that handed its fold here is still
 * in its transaction (its rows not yet visible).
 */
bool MayLeave(LOCKTAG *worker_key);

} // namespace runstore::pg

/* The worker's entry point, found by name by the postmaster's child. */
extern "C" PGDLLEXPORT void runstore_fold_worker_main(Datum database_oid);
