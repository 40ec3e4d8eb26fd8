/*
 * fold_worker.cpp: see fold_worker.hpp.
 *
 * PostgreSQL zone: only trivially destructible locals.  The worker's main
 * loop is plain PostgreSQL code: an ERROR in it ends the process (FATAL, as
 * in any background worker without its own handler), which loses nothing:
 * the fold's transaction rolls back and writers start a new worker.
 */
extern "C" {
#include "postgres.h"

#include "access/xact.h"
#include "access/xlog.h"
#include "commands/extension.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "storage/lock.h"
#include "tcop/tcopprot.h"
#include "utils/guc.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"
}

#include "runstore/pg/advisory_keys.hpp"
#include "runstore/pg/citus_shards.hpp"
#include "runstore/pg/guc.hpp"
#include "runstore/pg/runstore_relations.hpp"
#include "runstore/recent/fold_worker.hpp"
#include "runstore/recent/recent_workflow_fold.hpp"

namespace runstore::pg {

namespace {

/* A backend starts at most one worker per this interval; in between it folds itself. */
constexpr int kLaunchIntervalMs = 1000;

TimestampTz last_launch = 0;

/* Held (session-level, exclusive) by the database's fold worker for its life. */
LOCKTAG
WorkerKey()
{
	return AdvisoryKey(kRunsKey, kFoldWorkerKey);
}

/*
 * Held (share) by every writer that handed its fold to a worker, until its
 * transaction ends; the worker leaves only when it can take it exclusively,
 * so it never leaves rows handed to it that it could not yet see.
 */
LOCKTAG
HandOffKey()
{
	return AdvisoryKey(kRunsKey, kHandOffKey);
}

bool
WorkerRuns()
{
	LOCKTAG tag = WorkerKey();
	if (LockAcquire(&tag, ShareLock, false, true) == LOCKACQUIRE_NOT_AVAIL)
		return true;
	(void)LockRelease(&tag, ShareLock, false);
	return false;
}

bool
StartWorker()
{
	BackgroundWorker worker;
	memset(&worker, 0, sizeof(worker));
	worker.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
	worker.bgw_start_time = BgWorkerStart_RecoveryFinished;
	worker.bgw_restart_time = BGW_NEVER_RESTART;
	strlcpy(worker.bgw_library_name, "runstore", BGW_MAXLEN);
	strlcpy(worker.bgw_function_name, "runstore_fold_worker_main", BGW_MAXLEN);
	snprintf(worker.bgw_name, BGW_MAXLEN, "runstore fold worker for database %u", MyDatabaseId);
	strlcpy(worker.bgw_type, "runstore fold worker", BGW_MAXLEN);
	worker.bgw_main_arg = ObjectIdGetDatum(MyDatabaseId);
	worker.bgw_notify_pid = 0;
	return RegisterDynamicBackgroundWorker(&worker, nullptr);
}

/* What one round of the worker found. */
enum class Round { kFolded, kNothing, kStop };

Round
FoldRound()
{
	/*
	 * The extension dropped, or its tables distributed by Citus since the
	 * worker started (shard groups fold on their own nodes): nothing left
	 * for this worker to do.
	 */
	if (!OidIsValid(get_extension_oid("runstore", true)))
		return Round::kStop;
	const Oid pending = RunstoreRelation("recent_workflow_pending");
	if (!OidIsValid(pending) || DistributedByCitus(pending))
		return Round::kStop;
	const int64 folded = TryFoldTables();
	return folded > 0 ? Round::kFolded : Round::kNothing;
}

} // namespace

bool
MayLeave(LOCKTAG *worker_key)
{
	LOCKTAG hand_off = HandOffKey();
	if (LockAcquire(&hand_off, ExclusiveLock, true, true) == LOCKACQUIRE_NOT_AVAIL)
		return false;
	(void)LockRelease(worker_key, ExclusiveLock, true);
	(void)LockRelease(&hand_off, ExclusiveLock, true);
	return true;
}

bool
HandFoldToWorker()
{
	if (!background_fold || RecoveryInProgress())
		return false;
	/*
	 * Before looking for the worker: a worker that is leaving holds this
	 * key exclusively until it has released its own key, so a writer either
	 * sees it leave (and starts another) or keeps it until this commit.
	 */
	LOCKTAG hand_off = HandOffKey();
	(void)LockAcquire(&hand_off, ShareLock, false, false);
	if (WorkerRuns())
		return true;
	const TimestampTz now = GetCurrentTimestamp();
	if (last_launch != 0 && !TimestampDifferenceExceeds(last_launch, now, kLaunchIntervalMs))
		return false;
	last_launch = now;
	return StartWorker();
}

} // namespace runstore::pg

extern "C" void
runstore_fold_worker_main(Datum database_oid)
{
	using runstore::pg::kFoldWorkerIdleExitMs;
	using runstore::pg::kFoldWorkerIntervalMs;

	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();
	/* No role: the bootstrap superuser, as autovacuum; the fold's SQL is fixed and schema-qualified. */
	BackgroundWorkerInitializeConnectionByOid(DatumGetObjectId(database_oid), InvalidOid, 0);
	/*
	 * The fold's snapshot must follow its key (recent_workflow_fold.cpp):
	 * READ COMMITTED whatever the database's default.  The planner settings
	 * are those of the writers' upkeep (fn_maintain_recent_workflows.cpp).
	 */
	SetConfigOption("default_transaction_isolation", "read committed", PGC_SUSET, PGC_S_OVERRIDE);
	SetConfigOption("jit", "off", PGC_SUSET, PGC_S_OVERRIDE);
	SetConfigOption("enable_seqscan", "off", PGC_SUSET, PGC_S_OVERRIDE);
	/*
	 * The worker gives way to DDL: DROP EXTENSION, ALTER TABLE or TRUNCATE
	 * may hold one of the fold's tables and wait for another the fold
	 * holds, a deadlock in which PostgreSQL could pick the DDL as the
	 * victim.  Waiting a tenth of the deadlock check's second at most, the
	 * fold gives up first and the worker leaves (below).
	 */
	SetConfigOption("lock_timeout", "100", PGC_SUSET, PGC_S_OVERRIDE);

	StartTransactionCommand();
	LOCKTAG tag = runstore::pg::WorkerKey();
	const bool alone = LockAcquire(&tag, ExclusiveLock, true, true) != LOCKACQUIRE_NOT_AVAIL;
	CommitTransactionCommand();
	if (!alone)
		proc_exit(0); /* another worker serves this database */

	long idle_ms = 0;
	for (;;) {
		CHECK_FOR_INTERRUPTS();
		SetCurrentStatementStartTimestamp();
		runstore::pg::Round round = runstore::pg::Round::kStop;
		const MemoryContext loop_context = CurrentMemoryContext;
		PG_TRY();
		{
			StartTransactionCommand();
			pgstat_report_activity(STATE_RUNNING, "runstore: folding recent workflows");
			round = runstore::pg::FoldRound();
			CommitTransactionCommand();
		}
		PG_CATCH();
		{
			/*
			 * A lock timeout (DDL on the tables), the tables gone under it:
			 * the fold's transaction rolls back, nothing is lost, and the
			 * worker leaves; the next writer's fold turn starts another.
			 */
			MemoryContextSwitchTo(loop_context);
			ErrorData *error = CopyErrorData();
			FlushErrorState();
			AbortCurrentTransaction();
			ereport(LOG, (errmsg("runstore fold worker leaving: %s", error->message)));
			proc_exit(0);
		}
		PG_END_TRY();
		pgstat_report_stat(false);
		pgstat_report_activity(STATE_IDLE, nullptr);
		if (round == runstore::pg::Round::kStop)
			break;
		idle_ms = round == runstore::pg::Round::kFolded ? 0 : idle_ms + kFoldWorkerIntervalMs;
		if (idle_ms >= kFoldWorkerIdleExitMs) {
			if (runstore::pg::MayLeave(&tag))
				break;
			idle_ms = 0; /* a writer that handed its fold here has not committed yet */
		}
		(void)WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH, kFoldWorkerIntervalMs,
		                PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
	}
	proc_exit(0);
}
