/*
 * fn_register_priorities.cpp: runstore._register_priorities(), the
 * statement-level AFTER INSERT and AFTER UPDATE trigger that tells dequeue
 * what it cannot find out cheaply by itself (claim_frontier.hpp):
 *   - every priority class of executions, kept in runstore.queue_priorities;
 *   - rows made claimable with a run_after more than the frontier margin
 *     before their statement began, announced through runstore.claim_epoch;
 *   - rows due now, which wake the idle workers once the transaction commits
 *     (worker_wakeups.hpp), and NOTIFY runstore_enqueued where
 *     runstore.notify_enqueued asks for it.
 *
 * Reads the new transition table in C++; only a class this backend has not
 * seen in the list, or a row arriving late, costs anything more.
 */
extern "C" {
#include "postgres.h"

#include "commands/async.h"
#include "commands/trigger.h"
#include "executor/executor.h"
#include "executor/spi.h"
#include "executor/tuptable.h"
#include "catalog/pg_enum.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"
#include "access/xact.h"
#include "utils/timestamp.h"
#include "utils/rel.h"
#include "utils/tuplestore.h"
}

#include <cstring>

#include "runstore/queue/claim_frontier.hpp"
#include "runstore/queue/priority_registry.hpp"
#include "runstore/queue/worker_wakeups.hpp"
#include "runstore/pg/guc.hpp"
#include "runstore/pg/citus_shards.hpp"
#include "runstore/pg/trigger_call.hpp"
#include "runstore/pg_boundary.hpp"

namespace {

/*
 * Most distinct classes one statement registers: one more than dequeue's
 * frontiers handle is enough, since with that many dequeue reads every
 * class from its head whatever the list holds.
 */
constexpr int kClassesPerStatement = runstore::pg::kMaxFrontierClasses + 1;

/* The column `name` of type `type` (InvalidOid: any), or InvalidAttrNumber. */
const FormData_pg_attribute *
Column(TupleDesc desc, const char *name, Oid type)
{
	for (int i = 0; i < desc->natts; ++i) {
		const Form_pg_attribute attr = TupleDescAttr(desc, i);
		if (!attr->attisdropped && std::strcmp(NameStr(attr->attname), name) == 0 &&
		    (type == InvalidOid || attr->atttypid == type))
			return attr;
	}
	return nullptr;
}

Oid
EnumLabel(Oid enum_type, const char *label)
{
	return GetSysCacheOid2(ENUMTYPOIDNAME, Anum_pg_enum_oid, ObjectIdGetDatum(enum_type), CStringGetDatum(label));
}

} // namespace

RUNSTORE_FUNCTION(runstore_register_priorities)
{
	TriggerData *td = runstore::pg::RequireTriggerCall(fcinfo, "runstore._register_priorities()");
	const runstore::pg::ExecutionsRole role = runstore::pg::ResolveExecutionsTarget(td->tg_relation).role;
	if (!TRIGGER_FIRED_FOR_STATEMENT(td->tg_event) || td->tg_newtable == nullptr ||
	    role == runstore::pg::ExecutionsRole::kNone)
		ereport(ERROR, (errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
		                errmsg("runstore._register_priorities() must be a statement-level trigger on "
		                       "runstore.executions declaring REFERENCING NEW TABLE")));
	/* On Citus the shards' triggers see the rows; the coordinator's shell holds none. */
	if (role == runstore::pg::ExecutionsRole::kShell)
		return PointerGetDatum(nullptr);
	const TupleDesc desc = RelationGetDescr(td->tg_relation);
	const FormData_pg_attribute *priority = Column(desc, "priority", INT4OID);
	const FormData_pg_attribute *status = Column(desc, "status", InvalidOid);
	const FormData_pg_attribute *run_after = Column(desc, "run_after", TIMESTAMPTZOID);
	if (priority == nullptr || status == nullptr || run_after == nullptr)
		ereport(ERROR, (errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
		                errmsg("runstore.executions lacks the columns priority, status or run_after")));
	const Oid queued = EnumLabel(status->atttypid, "queued");
	const Oid running = EnumLabel(status->atttypid, "running");
	/*
	 * Late: before this statement began (less the margin).  Not the clock:
	 * a slow statement's default run_after (its start) is no later than any
	 * frontier its lock was holding back.
	 */
	const TimestampTz late_before = GetCurrentStatementStartTimestamp() - runstore::pg::kFrontierMargin;

	/* Our own read pointer: the other triggers' statements read the same rows. */
	Tuplestorestate *rows = td->tg_newtable;
	const int reader = tuplestore_alloc_read_pointer(rows, EXEC_FLAG_REWIND);
	tuplestore_select_read_pointer(rows, reader);
	tuplestore_rescan(rows);
	TupleTableSlot *slot = MakeSingleTupleTableSlot(desc, &TTSOpsMinimalTuple);
	int32 classes[kClassesPerStatement];
	int count = 0;
	bool late = false;
	bool due_now = false;
	const TimestampTz now = GetCurrentTimestamp();
	while (tuplestore_gettupleslot(rows, true, false, slot)) {
		bool isnull = false;
		const int32 value = DatumGetInt32(slot_getattr(slot, priority->attnum, &isnull));
		bool seen = isnull || count == kClassesPerStatement;
		for (int i = 0; i < count && !seen; ++i)
			seen = classes[i] == value;
		if (!seen)
			classes[count++] = value;
		if (!late || !due_now) {
			const Oid state = DatumGetObjectId(slot_getattr(slot, status->attnum, &isnull));
			const TimestampTz due = DatumGetTimestampTz(slot_getattr(slot, run_after->attnum, &isnull));
			const bool claimable = state == queued || state == running;
			late = late || (claimable && due < late_before);
			due_now = due_now || (claimable && due <= now);
		}
	}
	ExecDropSingleTupleTableSlot(slot);
	tuplestore_select_read_pointer(rows, 0);

	if (late)
		runstore::pg::AnnounceLateRows();
	if (due_now) {
		runstore::pg::NoteWorkMadeDue();
		/*
		 * Not on a Citus shard: no client listens on the node holding it, and
		 * a transaction that notified cannot take part in Citus's two-phase
		 * commit of a multi-shard write.
		 */
		if (runstore::pg::notify_enqueued && role == runstore::pg::ExecutionsRole::kTable)
			Async_Notify("runstore_enqueued", "");
	}
	const Oid relid = RelationGetRelid(td->tg_relation);
	if (!runstore::pg::PrioritiesListed(relid, classes, count)) {
		if (SPI_connect() != SPI_OK_CONNECT)
			elog(ERROR, "runstore: SPI_connect failed");
		runstore::pg::RegisterPriorities(relid, classes, count);
		SPI_finish();
	}
	return PointerGetDatum(nullptr);
}
