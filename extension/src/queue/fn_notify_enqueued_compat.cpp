/*
 * fn_notify_enqueued_compat.cpp: runstore._notify_enqueued(), the 0.1.0
 * statement-level AFTER INSERT trigger that sent NOTIFY runstore_enqueued.
 *
 * 0.2.0 drops that trigger (idle workers wait in runstore.wait_for_work),
 * but the library must still provide the symbol: CREATE EXTENSION runstore
 * VERSION '0.1.0' creates the function, and a 0.1.0 database keeps firing
 * it until ALTER EXTENSION runstore UPDATE.  It behaves as in 0.1.0 under
 * runstore.notify_enqueued, whose default is now off.
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
