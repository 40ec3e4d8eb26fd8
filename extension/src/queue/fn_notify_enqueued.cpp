/*
 * fn_notify_enqueued.cpp: runstore._notify_enqueued(), the statement-level
 * AFTER INSERT trigger that wakes idle workers.
 *
 * One NOTIFY on channel runstore_enqueued (empty payload) per INSERT or COPY
 * statement, whatever its row count; PostgreSQL delivers it at commit and
 * folds identical notifications of one transaction into one.  A worker
 * LISTENing on the channel dequeues at once instead of waiting for its next
 * poll.  Rows inserted finished or scheduled for later also wake workers,
 * who then find nothing due: cheaper than reading the inserted rows to
 * decide.  runstore.notify_enqueued = off skips it (see guc.cpp for why a
 * writer may want that).
 */
extern "C" {
#include "postgres.h"

#include "commands/async.h"
#include "commands/trigger.h"
}

#include "runstore/pg/guc.hpp"
#include "runstore/pg_boundary.hpp"

RUNSTORE_FUNCTION(runstore_notify_enqueued)
{
	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR, (errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
		                errmsg("runstore._notify_enqueued() must be called as a trigger")));
	if (runstore::pg::notify_enqueued)
		Async_Notify("runstore_enqueued", "");
	return PointerGetDatum(nullptr);
}
