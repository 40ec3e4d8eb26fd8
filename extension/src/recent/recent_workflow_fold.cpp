/*
 * recent_workflow_fold.cpp: see recent_workflow_fold.hpp.
 *
 * PostgreSQL zone: only trivially destructible locals.
 */
extern "C" {
#include "postgres.h"

#include "access/xact.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "storage/lock.h"
}

#include "runstore/pg/spi_plan.hpp"
#include "runstore/pg/statements.hpp"
#include "runstore/recent/recent_workflow_fold.hpp"

namespace runstore::pg {

namespace {

/* "runs", "fold" as pg_advisory_xact_lock(int4, int4) spells them (field4 = 2). */
constexpr uint32 kFoldKey1 = 0x72756e73;
constexpr uint32 kFoldKey2 = 0x666f6c64;

int64 appended_since_attempt = 0;

bool
TakeFoldKey(bool wait)
{
	LOCKTAG tag;
	SET_LOCKTAG_ADVISORY(tag, MyDatabaseId, kFoldKey1, kFoldKey2, 2);
	return LockAcquire(&tag, ExclusiveLock, false, !wait) != LOCKACQUIRE_NOT_AVAIL;
}

} // namespace

int64
FoldPending()
{
	const int rc = SPI_execute_plan(GetKeptPlan(&statements::fold_recent), nullptr, nullptr, false, 0);
	if (rc != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "runstore: the recent-workflows fold returned %s", SPI_result_code_string(rc));
	bool isnull;
	const int64 folded = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	SPI_freetuptable(SPI_tuptable);
	return folded;
}

bool
TakeFoldTurn(int64 appended)
{
	appended_since_attempt += appended;
	if (appended_since_attempt < kFoldEvery)
		return false;
	appended_since_attempt = 0;
	/*
	 * Under REPEATABLE READ or SERIALIZABLE the statement's snapshot may
	 * predate a fold that committed since: deleting the rows that fold took
	 * would raise 40001 in the writer.  A READ COMMITTED writer folds instead.
	 */
	return !IsolationUsesXactSnapshot() && TakeFoldKey(false);
}

int64
FoldNow()
{
	/*
	 * The fold's snapshot must be taken after the fold key: under REPEATABLE
	 * READ or SERIALIZABLE it is the transaction's, older than the folds
	 * that committed while this one waited, whose work it would then undo
	 * or miss (a group recomputed from a state those folds already left).
	 */
	if (IsolationUsesXactSnapshot())
		ereport(ERROR, (errcode(ERRCODE_INVALID_TRANSACTION_STATE),
		                errmsg("runstore.fold_recent_workflows() runs under READ COMMITTED only"),
		                errhint("Call it in its own transaction, or after SET TRANSACTION ISOLATION LEVEL READ "
		                        "COMMITTED.")));
	(void)TakeFoldKey(true);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "runstore: SPI_connect failed");
	const int64 folded = FoldPending();
	SPI_finish();
	appended_since_attempt = 0;
	return folded;
}

} // namespace runstore::pg
