/*
 * claim_frontier.cpp: see claim_frontier.hpp.
 */
extern "C" {
#include "postgres.h"

#include "access/transam.h"
#include "commands/sequence.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "storage/procarray.h"
#include "utils/fmgrprotos.h"
#include "storage/lock.h"
#include "storage/proc.h"
#include "storage/sinvaladt.h"
#include "utils/backend_status.h"
#include "utils/timestamp.h"
}

#include "runstore/queue/claim_frontier.hpp"
#include "runstore/pg/direct_path_shapes.hpp"
#include "runstore/pg/runstore_relations.hpp"

namespace runstore::pg {

namespace {

/* This backend's frontiers: plain arrays, nothing to destroy at exit. */
struct FrontierTable {
	Oid relid;
	int count;
	int32 priority[kMaxFrontierClasses];
	TimestampTz frontier[kMaxFrontierClasses];
	TimestampTz last_rescan;
	/* runstore.claim_epoch as of this backend's last read from the head that covered it; -1: never. */
	int64 epoch_read;
	/* A value seen since, and the next transaction id when it was seen. */
	int64 epoch_seen;
	TransactionId epoch_seen_before;
};

FrontierTable table = {InvalidOid, 0, {}, {}, DT_NOBEGIN, -1, -1, InvalidTransactionId};

Oid
EpochSequence()
{
	return RunstoreRelation("claim_epoch");
}

/* runstore.claim_epoch's last value (0 before its first nextval). */
int64
ReadEpoch(Oid sequence)
{
	LOCAL_FCINFO(call, 1);
	InitFunctionCallInfoData(*call, nullptr, 1, InvalidOid, nullptr, nullptr);
	call->args[0].value = ObjectIdGetDatum(sequence);
	call->args[0].isnull = false;
	const Datum value = pg_sequence_last_value(call);
	return call->isnull ? 0 : DatumGetInt64(value);
}

/* Starts over when the table is not the one the frontiers were found in. */
void
Bind(Oid relid)
{
	if (table.relid == relid)
		return;
	table.relid = relid;
	table.count = 0;
	table.last_rescan = DT_NOBEGIN;
	table.epoch_read = -1;
	table.epoch_seen = -1;
}

/*
 * The start of the transaction of a lock holder, the earliest run_after its
 * rows can carry (see claim_frontier.hpp); DT_NOEND when it has ended or
 * writes no rows, DT_NOBEGIN when its start is unknown.
 */
TimestampTz
TransactionStartOf(const PGPROC *proc)
{
	if (proc == nullptr || proc->pid == 0)
		return DT_NOBEGIN; /* a prepared transaction: no backend to ask */
	const int backends = pgstat_fetch_stat_numbackends();
	for (int i = 1; i <= backends; ++i) {
		const LocalPgBackendStatus *local = pgstat_fetch_stat_local_beentry(i);
		if (local == nullptr || local->backendStatus.st_procpid != proc->pid)
			continue;
		const PgBackendStatus &status = local->backendStatus;
		/* Autovacuum's lock conflicts too, but it writes no rows. */
		if (status.st_backendType == B_AUTOVAC_WORKER)
			return DT_NOEND;
		switch (status.st_state) {
		case STATE_IDLE:
			/* Its transaction ended after the lock was seen: what it committed is visible. */
			return DT_NOEND;
		case STATE_RUNNING:
		case STATE_FASTPATH:
		case STATE_IDLEINTRANSACTION:
		case STATE_IDLEINTRANSACTION_ABORTED:
			return status.st_xact_start_timestamp != 0 ? status.st_xact_start_timestamp : DT_NOBEGIN;
		default:
			/* Activity tracking off (or not reported): its times are not kept. */
			return DT_NOBEGIN;
		}
	}
	/* Gone since the lock was seen: it ended, and what it committed is visible. */
	return DT_NOEND;
}

} // namespace

const char *
FrontierUnusable(Relation rel)
{
	if (!DirectPathsOn())
		return "runstore.direct_paths is off";
	const ExecutionsShape shape = ExecutionsShapeOf(rel);
	return shape.not_local_heap != nullptr ? shape.not_local_heap : shape.no_priority_triggers;
}

TimestampTz
OldestOpenWriteTime(Oid relid, TimestampTz own_start)
{
	/*
	 * Every transaction that has written the table holds RowExclusiveLock on
	 * it until it ends; ShareLock conflicts with exactly the writers' modes.
	 * The lock list is read first, the activity second: a writer that ends in
	 * between has committed before this call's snapshot is taken.
	 */
	LOCKTAG tag;
	SET_LOCKTAG_RELATION(tag, MyDatabaseId, relid);
	int holders = 0;
	VirtualTransactionId *vxids = GetLockConflicts(&tag, ShareLock, &holders);
	TimestampTz oldest = own_start;
	if (holders > 0) {
		/* Fresh activity, not the copy this transaction may have read before. */
		pgstat_clear_backend_activity_snapshot();
		for (int i = 0; i < holders && oldest != DT_NOBEGIN; ++i) {
			if (!VirtualTransactionIdIsValid(vxids[i]))
				continue;
			/* A prepared transaction has no backend (InvalidBackendId). */
			const PGPROC *proc =
			    vxids[i].backendId == InvalidBackendId ? nullptr : BackendIdGetProc(vxids[i].backendId);
			if (proc == MyProc)
				continue;
			const TimestampTz since = TransactionStartOf(proc);
			if (since < oldest)
				oldest = since;
		}
	}
	return oldest;
}

TimestampTz
FrontierOf(Oid relid, int32 priority)
{
	Bind(relid);
	for (int i = 0; i < table.count; ++i)
		if (table.priority[i] == priority)
			return table.frontier[i];
	return DT_NOBEGIN;
}

void
SetFrontier(Oid relid, int32 priority, TimestampTz frontier)
{
	Bind(relid);
	for (int i = 0; i < table.count; ++i)
		if (table.priority[i] == priority) {
			table.frontier[i] = frontier;
			return;
		}
	if (table.count == kMaxFrontierClasses)
		return;
	table.priority[table.count] = priority;
	table.frontier[table.count] = frontier;
	++table.count;
}

bool
FrontierRescanDue(Oid relid, TimestampTz now, int interval_ms)
{
	Bind(relid);
	return interval_ms == 0 || table.last_rescan == DT_NOBEGIN ||
	       now - table.last_rescan >= static_cast<TimestampTz>(interval_ms) * 1000;
}

void
NoteFrontierRescan(Oid relid, TimestampTz now)
{
	Bind(relid);
	table.last_rescan = now;
}

void
AnnounceLateRows()
{
	const Oid sequence = EpochSequence();
	if (OidIsValid(sequence))
		(void)nextval_internal(sequence, false);
}

bool
LateRowsPending(Oid relid, bool *covered)
{
	Bind(relid);
	*covered = false;
	const Oid sequence = EpochSequence();
	if (!OidIsValid(sequence))
		return true;
	const int64 epoch = ReadEpoch(sequence);
	if (epoch == table.epoch_read)
		return false;
	if (epoch != table.epoch_seen) {
		/* Whoever bumped it up to now had its transaction id already. */
		table.epoch_seen = epoch;
		table.epoch_seen_before = ReadNextTransactionId();
	}
	/* Covered once no transaction that old is still running. */
	*covered = !TransactionIdPrecedes(GetOldestActiveTransactionId(), table.epoch_seen_before);
	return true;
}

void
NoteLateRowsRead(Oid relid)
{
	Bind(relid);
	table.epoch_read = table.epoch_seen;
}

} // namespace runstore::pg
