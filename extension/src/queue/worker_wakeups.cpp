/*
 * worker_wakeups.cpp: see worker_wakeups.hpp for the protocol.
 */
extern "C" {
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_type_d.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "storage/latch.h"
#include "storage/lock.h"
#include "storage/proc.h"
#include "storage/sinvaladt.h"
#include "utils/memutils.h"
#include "utils/portal.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"
}

#include "runstore/pg/advisory_keys.hpp"
#include "runstore/pg/citus_shards.hpp"
#include "runstore/pg/runstore_relations.hpp"
#include "runstore/pg/spi_plan.hpp"
#include "runstore/pg/statements.hpp"
#include "runstore/queue/cluster_claim.hpp"
#include "runstore/queue/remote_waits.hpp"
#include "runstore/queue/worker_wakeups.hpp"

namespace runstore::pg {

namespace {

/* Set by the queue trigger, cleared at the end of every transaction. */
bool work_made_due = false;

/*
 * Sets the latch of every backend holding the waiters' key.  Runs after the
 * commit, where an ERROR would be a PANIC: the only thing that can fail is
 * GetLockConflicts' allocation, and then the waiters find the work at their
 * next poll instead.
 */
void
WakeWaiters()
{
	LOCKTAG tag;
	WaitersLockTag(&tag);
	VirtualTransactionId *holders = nullptr;
	const MemoryContext context = CurrentMemoryContext;
	PG_TRY();
	{
		/* Share holders conflict with Exclusive; our own lock, if any, is left out. */
		int count = 0;
		holders = GetLockConflicts(&tag, ExclusiveLock, &count);
	}
	PG_CATCH();
	{
		MemoryContextSwitchTo(context);
		FlushErrorState();
		holders = nullptr;
	}
	PG_END_TRY();
	if (holders == nullptr)
		return;
	/* The array ends with an invalid id.  A holder that has gone meanwhile gets a harmless spurious set. */
	for (const VirtualTransactionId *v = holders; VirtualTransactionIdIsValid(*v); ++v) {
		PGPROC *proc = BackendIdGetProc(v->backendId);
		if (proc != nullptr && proc != MyProc)
			SetLatch(&proc->procLatch);
	}
	pfree(holders);
}

void
OnTransactionEnd(XactEvent event, void * /*arg*/)
{
	switch (event) {
	case XACT_EVENT_COMMIT:
		if (work_made_due) {
			work_made_due = false;
			WakeWaiters();
		}
		break;
	case XACT_EVENT_PREPARE:
		/*
		 * A prepared transaction's rows become visible at its COMMIT
		 * PREPARED.  Citus, which prepares the shards' part of a multi-shard
		 * write, sends that next on the same connection, where it commits as
		 * a transaction of its own: the mark stays for that commit.  Should
		 * the session commit something else first, the waiters wake early,
		 * find nothing yet, and the work is found by their next poll.
		 */
		break;
	case XACT_EVENT_ABORT:
	case XACT_EVENT_PARALLEL_ABORT:
		work_made_due = false;
		break;
	default:
		break;
	}
}

bool
WorkIsDue()
{
	/* Not read-only: SPI then takes a new snapshot (READ COMMITTED), after the waiter registered. */
	const int rc = SPI_execute_plan(GetKeptPlan(&statements::work_due), nullptr, nullptr, false, 1);
	if (rc != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "runstore: the due-work check returned %d", rc);
	bool isnull = false;
	const Datum due = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
	return !isnull && DatumGetBool(due);
}

} // namespace

void
WaitersLockTag(LOCKTAG *tag)
{
	*tag = AdvisoryKey(kRunsKey, kWaitersKey);
}

void
RegisterWorkerWakeups()
{
	RegisterXactCallback(OnTransactionEnd, nullptr);
}

void
NoteWorkMadeDue()
{
	work_made_due = true;
}

bool
WaitForWork(int timeout_ms, bool atomic, bool this_node_only)
{
	LOCKTAG tag;
	WaitersLockTag(&tag);
	(void)LockAcquire(&tag, ShareLock, true, false);
	bool due = false;
	/* A session lock outlives an ERROR (a cancel, say): release it, and end the remote waits, on every exit. */
	PG_TRY();
	{
		const TimestampTz deadline = TimestampTzPlusMilliseconds(GetCurrentTimestamp(), timeout_ms);
		if (SPI_connect_ext(atomic ? 0 : SPI_OPT_NONATOMIC) != SPI_OK_CONNECT)
			elog(ERROR, "runstore: SPI_connect failed");
		/*
		 * A new transaction, without the snapshot the CALL took before the
		 * lock.  From here to the end of the sleep this backend keeps a
		 * valid virtual transaction id, which is what a writer's lookup of
		 * the key's holders sees (GetLockConflicts skips a holder between
		 * transactions), so there is no commit inside the loop.
		 */
		if (!atomic)
			SPI_commit();
		/* On a Citus cluster the rows are in the shards: this node's, and the other nodes' (remote_waits.hpp). */
		const Oid relid = RunstoreRelation("executions");
		const bool cluster = OidIsValid(relid) && DistributedByCitus(relid);
		const bool remote = cluster && !this_node_only && StartRemoteWaits(timeout_ms) > 0;
		for (;;) {
			/* Reset before the check: a set after it ends the sleep at once. */
			ResetLatch(MyLatch);
			due = cluster ? LocalShardsHaveDueWork() : WorkIsDue();
			if (due)
				break;
			const long remaining = TimestampDifferenceMilliseconds(GetCurrentTimestamp(), deadline);
			if (remaining <= 0)
				break;
			/*
			 * Sleep without a snapshot: the check left its statement's
			 * snapshot as the procedure's portal snapshot (non-atomic SPI
			 * keeps one until the next commit), and a catalog snapshot.
			 */
			if (!atomic) {
				ForgetPortalSnapshots();
				InvalidateCatalogSnapshot();
			}
			if (remote) {
				due = WaitLatchOrRemoteWork(remaining);
				if (due)
					break;
			} else {
				(void)WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH, remaining, PG_WAIT_EXTENSION);
			}
			CHECK_FOR_INTERRUPTS();
		}
		SPI_finish();
	}
	PG_FINALLY();
	{
		EndRemoteWaits();
		LockRelease(&tag, ShareLock, true);
	}
	PG_END_TRY();
	return due;
}

} // namespace runstore::pg
