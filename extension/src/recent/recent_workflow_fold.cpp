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
#include "utils/snapmgr.h"
}

#include "runstore/pg/advisory_keys.hpp"
#include "runstore/pg/citus_shards.hpp"
#include "runstore/pg/runstore_relations.hpp"
#include "runstore/pg/spi_plan.hpp"
#include "runstore/recent/fold_worker.hpp"
#include "runstore/recent/recent_workflow_fold.hpp"
#include "runstore/recent/recent_workflow_maintenance.hpp"

namespace runstore::pg {

namespace {

int64 appended_since_attempt = 0;

/*
 * The key of one fold: the table's, or on a Citus shard group, "fold" and
 * the executions shard's id (shard ids fit 32 bits for the first four
 * billion shards; two groups sharing a key only fold one after the other).
 */
bool
TakeFoldKey(int64 shard_id, bool wait)
{
	LOCKTAG tag = shard_id < 0 ? AdvisoryKey(kRunsKey, kFoldKey) : AdvisoryKey(kFoldKey, static_cast<uint32>(shard_id));
	return LockAcquire(&tag, ExclusiveLock, false, !wait) != LOCKACQUIRE_NOT_AVAIL;
}

void
RequireReadCommitted()
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
}

} // namespace

int64
FoldPending(const RecentPlans &plans)
{
	/*
	 * A database whose objects predate the one folded table, with this
	 * library loaded before ALTER EXTENSION runstore UPDATE: writes go on
	 * recording pending rows, which the update's fold takes in.
	 */
	if (!OidIsValid(RunstoreRelation("recent_workflow_folded")))
		return 0;
	return DatumGetInt64(SelectOneValue(plans.fold_recent, false));
}

bool
TakeFoldTurn(int64 appended, int64 shard_id)
{
	appended_since_attempt += appended;
	if (appended_since_attempt < kFoldEvery)
		return false;
	appended_since_attempt = 0;
	if (shard_id < 0 && HandFoldToWorker())
		return false;
	/*
	 * Under REPEATABLE READ or SERIALIZABLE the statement's snapshot may
	 * predate a fold that committed since: deleting the rows that fold took
	 * would raise 40001 in the writer.  A READ COMMITTED writer folds instead.
	 */
	return !IsolationUsesXactSnapshot() && TakeFoldKey(shard_id, false);
}

int64
TryFoldTables()
{
	RequireReadCommitted();
	if (!TakeFoldKey(-1, false))
		return -1;
	/* Taken after the key, as the fold requires (SPI takes the statement's own after it too). */
	PushActiveSnapshot(GetTransactionSnapshot());
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "runstore: SPI_connect failed");
	const int64 folded = FoldPending(TableRecentPlans());
	SPI_finish();
	PopActiveSnapshot();
	return folded;
}

namespace {

/*
 * On Citus: each shard group folded on the node holding it, through
 * runstore._fold_recent_workflows_on (one transaction per shard group).
 */
int64
FoldEveryShard()
{
	const char *sql = "SELECT pg_catalog.sum(CASE WHEN r.success THEN r.result::pg_catalog.int8 END)::pg_catalog.int8,"
	                  " pg_catalog.min(CASE WHEN NOT r.success THEN r.result END)"
	                  " FROM pg_catalog.run_command_on_shards('runstore.executions',"
	                  " 'SELECT runstore._fold_recent_workflows_on(''%s'')') r";
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "runstore: SPI_connect failed");
	const int rc = SPI_execute(sql, false, 0);
	if (rc != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "runstore: folding the shards returned %s", SPI_result_code_string(rc));
	bool no_failure = false;
	bool isnull = false;
	const char *failure = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2);
	(void)SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &no_failure);
	if (!no_failure)
		ereport(ERROR,
		        (errcode(ERRCODE_CONNECTION_FAILURE), errmsg("runstore: a shard group's fold failed: %s", failure)));
	const Datum sum = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
	const int64 folded = isnull ? 0 : DatumGetInt64(sum);
	SPI_finish();
	return folded;
}

} // namespace

int64
FoldNow()
{
	RequireReadCommitted();
	if (DistributedByCitus(RunstoreRelation("recent_workflow_pending"))) {
		/*
		 * The shard groups fold on connections of their own, each in its own
		 * transaction: inside a transaction block they would wait for locks
		 * this very transaction holds on the workers (its writes, the fold
		 * keys its writers took), a wait no deadlock detector sees, and a
		 * rollback would not undo them.
		 */
		if (IsTransactionBlock())
			ereport(ERROR, (errcode(ERRCODE_ACTIVE_SQL_TRANSACTION),
			                errmsg("runstore.fold_recent_workflows() cannot run inside a transaction block on a "
			                       "distributed runstore.executions"),
			                errdetail("Each shard group folds in a transaction of its own, on the node holding it."),
			                errhint("Call it on its own, outside BEGIN ... COMMIT.")));
		return FoldEveryShard();
	}
	(void)TakeFoldKey(-1, true);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "runstore: SPI_connect failed");
	const int settings = ApplyUpkeepPlannerSettings(false);
	const int64 folded = FoldPending(TableRecentPlans());
	RestoreUpkeepPlannerSettings(settings);
	SPI_finish();
	appended_since_attempt = 0;
	return folded;
}

int64
FoldShardNow(Relation executions_shard)
{
	RequireReadCommitted();
	const ExecutionsTarget target = ResolveExecutionsTarget(executions_shard);
	if (target.role != ExecutionsRole::kShard)
		ereport(ERROR,
		        (errcode(ERRCODE_WRONG_OBJECT_TYPE), errmsg("\"%s\" is not a shard of runstore.executions on this node",
		                                                    RelationGetRelationName(executions_shard))));
	(void)TakeFoldKey(target.shard_id, true);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "runstore: SPI_connect failed");
	const int settings = ApplyUpkeepPlannerSettings(true);
	const int64 folded = FoldPending(target.plans);
	RestoreUpkeepPlannerSettings(settings);
	SPI_finish();
	return folded;
}

} // namespace runstore::pg
