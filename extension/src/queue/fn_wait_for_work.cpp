/*
 * fn_wait_for_work.cpp: CALL runstore.wait_for_work(timeout_ms, NULL), the
 * idle worker's wait (worker_wakeups.hpp has the protocol).
 *
 * A procedure rather than a function: called with CALL outside a
 * transaction block it commits before it sleeps, so a waiting worker holds
 * no snapshot, and a transaction pooler sees one short-lived transaction
 * per wait (LISTEN would need the session).
 */
extern "C" {
#include "postgres.h"

#include "access/htup_details.h"
#include "funcapi.h"
#include "nodes/parsenodes.h"
}

#include "runstore/pg_boundary.hpp"
#include "runstore/queue/worker_wakeups.hpp"

namespace {

constexpr int kMaxTimeoutMs = 3600 * 1000;

/* The body of both procedures: validates timeout_ms, waits, returns the one OUT parameter. */
Datum
WaitProcedure(FunctionCallInfo fcinfo, bool this_node_only)
{
	if (PG_ARGISNULL(0))
		ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("timeout_ms must not be NULL")));
	const int32 timeout_ms = PG_GETARG_INT32(0);
	if (timeout_ms < 0 || timeout_ms > kMaxTimeoutMs)
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
		                errmsg("timeout_ms must be between 0 and %d, not %d", kMaxTimeoutMs, timeout_ms)));
	TupleDesc desc = nullptr;
	if (get_call_result_type(fcinfo, nullptr, &desc) != TYPEFUNC_COMPOSITE || desc->natts != 1)
		ereport(ERROR, (errcode(ERRCODE_E_R_I_E_SRF_PROTOCOL_VIOLATED),
		                errmsg("a runstore wait procedure must return one OUT parameter")));
	desc = BlessTupleDesc(desc);
	/* CALL at top level outside a transaction block is the only non-atomic context. */
	const bool atomic = fcinfo->context == nullptr || !IsA(fcinfo->context, CallContext) ||
	                    castNode(CallContext, fcinfo->context)->atomic;
	Datum due = BoolGetDatum(runstore::pg::WaitForWork(timeout_ms, atomic, this_node_only));
	bool isnull = false;
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(desc, &due, &isnull)));
}

} // namespace

RUNSTORE_FUNCTION(runstore_wait_for_work)
{
	return WaitProcedure(fcinfo, false);
}

/*
 * CALL runstore._wait_on_node(timeout_ms, NULL): the same wait, for this
 * node's shards only; what wait_for_work on another node of a Citus cluster
 * sends here (remote_waits.hpp).
 */
RUNSTORE_FUNCTION(runstore_wait_on_node)
{
	return WaitProcedure(fcinfo, true);
}
