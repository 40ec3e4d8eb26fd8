/*
 * fn_dequeue.cpp: runstore.dequeue(text, int, interval)
 *
 * Claims up to max_jobs claimable executions for a worker in one statement
 * (queue_statements.cpp): queued ones whose run_after has come and running
 * ones whose lease ended, by priority then age, skipping rows other workers
 * hold locked.  Runs as the caller: UPDATE privilege and row-level security
 * apply.
 *
 * On a Citus cluster the claim is made on each node's shards instead
 * (cluster_claim.hpp).
 *
 * Where the reading starts: each priority class from this backend's
 * frontier (claim_frontier.hpp), or from its head when rows were announced
 * late, when the periodic full read is due, when the frontier cannot be
 * trusted for this call (row-level security, a transaction snapshot, a
 * writer whose start is unknown, runstore.direct_paths off, a table whose
 * writers it cannot see), or when there are more classes than frontiers.
 */
extern "C" {
#include "postgres.h"

#include "access/htup_details.h"
#include "access/table.h"
#include "access/tupconvert.h"
#include "access/xact.h"
#include "catalog/pg_type_d.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "nodes/params.h"
#include "utils/array.h"
#include "utils/rls.h"
#include "utils/timestamp.h"
#include "utils/tuplestore.h"
}

#include <cstring>

#include "runstore/pg/citus_shards.hpp"
#include "runstore/queue/claim_frontier.hpp"
#include "runstore/queue/claimed_rows.hpp"
#include "runstore/queue/cluster_claim.hpp"
#include "runstore/pg/guc.hpp"
#include "runstore/queue/priority_registry.hpp"
#include "runstore/queue/queue_arguments.hpp"
#include "runstore/pg/result_rows.hpp"
#include "runstore/pg/runstore_relations.hpp"
#include "runstore/pg/spi_run.hpp"
#include "runstore/pg/statements.hpp"
#include "runstore/pg_boundary.hpp"

namespace {

using namespace runstore::pg;

/* The classes in runstore.queue_priorities, highest first; -1 when there are more than the frontiers handle. */
int
ReadClasses(int32 *classes)
{
	RunKeptPlan(&statements::queue_priorities, nullptr, SPI_OK_SELECT);
	if (SPI_processed > static_cast<uint64>(kMaxFrontierClasses))
		return -1;
	for (uint64 i = 0; i < SPI_processed; ++i) {
		bool isnull = false;
		classes[i] = DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1, &isnull));
	}
	return static_cast<int>(SPI_processed);
}

/*
 * Moves the frontier of each class read: to the first row claimed in it, or,
 * when every class was read to its end (fewer rows than asked for), to where
 * the next rows can arrive; never past `safe` (claim_frontier.hpp).
 */
void
MoveFrontiers(Oid relid, const int32 *classes, int nclasses, const ClaimedColumns &cols, bool read_to_end,
              TimestampTz safe)
{
	for (int c = 0; c < nclasses; ++c) {
		TimestampTz first = DT_NOEND;
		for (uint64 i = 0; i < SPI_processed; ++i) {
			bool isnull = false;
			const HeapTuple row = SPI_tuptable->vals[i];
			if (DatumGetInt32(SPI_getbinval(row, SPI_tuptable->tupdesc, cols.priority, &isnull)) != classes[c])
				continue;
			const TimestampTz from =
			    DatumGetTimestampTz(SPI_getbinval(row, SPI_tuptable->tupdesc, cols.claimed_from, &isnull));
			if (from < first)
				first = from;
		}
		if (first != DT_NOEND || read_to_end)
			SetFrontier(relid, classes[c], first < safe ? first : safe);
	}
}

/* Adds the classes of claimed rows that runstore.queue_priorities lacks (a data-only restore skips its trigger). */
void
RegisterUnlisted(Oid relid, const int32 *classes, int nclasses, const ClaimedColumns &cols)
{
	int32 *unlisted = static_cast<int32 *>(palloc(sizeof(int32) * (SPI_processed + 1)));
	int count = 0;
	for (uint64 i = 0; i < SPI_processed; ++i) {
		bool isnull = false;
		const int32 p =
		    DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, cols.priority, &isnull));
		bool listed = false;
		for (int c = 0; c < nclasses && !listed; ++c)
			listed = classes[c] == p;
		if (!listed)
			unlisted[count++] = p;
	}
	if (count > 0)
		RegisterPriorities(relid, unlisted, count);
}

} // namespace

RUNSTORE_FUNCTION(runstore_dequeue)
{
	InitMaterializedSRF(fcinfo, MAT_SRF_USE_EXPECTED_DESC);
	const Datum worker = runstore::pg::ReadWorker(fcinfo, 0);
	const int32 max_jobs = runstore::pg::ReadBatchCount(fcinfo, 1, "max_jobs");
	const Datum lease = runstore::pg::ReadLease(fcinfo, 2);

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "runstore: SPI_connect failed");
	const Oid relid = RunstoreRelation("executions");
	const TimestampTz started = GetCurrentStatementStartTimestamp();
	/* On a Citus cluster, claims are made on each node's shards (cluster_claim.hpp). */
	if (OidIsValid(relid) && runstore::pg::DistributedByCitus(relid)) {
		runstore::pg::ClaimAcrossCluster(reinterpret_cast<ReturnSetInfo *>(fcinfo->resultinfo), worker, max_jobs,
		                                 lease);
		SPI_finish();
		return (Datum)0;
	}

	/*
	 * A frontier describes rows every caller sees with a fresh snapshot:
	 * not under row-level security, not with a transaction snapshot.  `safe`
	 * is taken before the claim's snapshot (claim_frontier.hpp).
	 */
	bool use_frontiers = runstore::pg::claim_rescan_interval_ms > 0 && OidIsValid(relid) &&
	                     !IsolationUsesXactSnapshot() && check_enable_rls(relid, InvalidOid, true) != RLS_ENABLED;
	if (use_frontiers) {
		/* Locked as the claim statement will lock it. */
		Relation rel = table_open(relid, RowExclusiveLock);
		use_frontiers = runstore::pg::FrontierUnusable(rel) == nullptr;
		table_close(rel, NoLock);
	}
	TimestampTz safe = DT_NOBEGIN;
	if (use_frontiers) {
		safe = runstore::pg::OldestOpenWriteTime(relid, started);
		use_frontiers = safe != DT_NOBEGIN;
		safe -= runstore::pg::kFrontierMargin;
	}
	int32 classes[runstore::pg::kMaxFrontierClasses];
	const int nclasses = use_frontiers ? ReadClasses(classes) : -1;
	use_frontiers = use_frontiers && nclasses >= 0;
	bool late_rows_covered = false;
	const bool full = !use_frontiers || runstore::pg::LateRowsPending(relid, &late_rows_covered) ||
	                  runstore::pg::FrontierRescanDue(relid, started, runstore::pg::claim_rescan_interval_ms);

	ParamListInfo params = makeParamList(full ? 3 : 5);
	params->params[0] = ParamExternData{worker, false, PARAM_FLAG_CONST, TEXTOID};
	params->params[1] = ParamExternData{Int32GetDatum(max_jobs), false, PARAM_FLAG_CONST, INT4OID};
	params->params[2] = ParamExternData{lease, false, PARAM_FLAG_CONST, INTERVALOID};
	if (full) {
		RunKeptPlan(&statements::dequeue, params, SPI_OK_SELECT);
	} else {
		Datum *priorities = static_cast<Datum *>(palloc(sizeof(Datum) * (nclasses + 1)));
		Datum *frontiers = static_cast<Datum *>(palloc(sizeof(Datum) * (nclasses + 1)));
		for (int c = 0; c < nclasses; ++c) {
			priorities[c] = Int32GetDatum(classes[c]);
			frontiers[c] = TimestampTzGetDatum(runstore::pg::FrontierOf(relid, classes[c]));
		}
		params->params[3] =
		    ParamExternData{PointerGetDatum(construct_array(priorities, nclasses, INT4OID, 4, true, TYPALIGN_INT)),
		                    false, PARAM_FLAG_CONST, INT4ARRAYOID};
		params->params[4] = ParamExternData{
		    PointerGetDatum(construct_array(frontiers, nclasses, TIMESTAMPTZOID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE)),
		    false, PARAM_FLAG_CONST, TIMESTAMPTZARRAYOID};
		RunKeptPlan(&statements::dequeue_from_frontiers, params, SPI_OK_SELECT);
	}

	const ClaimedColumns cols = FindClaimedColumns(SPI_tuptable->tupdesc);
	AppendDelivered(reinterpret_cast<ReturnSetInfo *>(fcinfo->resultinfo), cols);
	if (use_frontiers) {
		MoveFrontiers(relid, classes, nclasses, cols, SPI_processed < static_cast<uint64>(max_jobs), safe);
		if (full) {
			runstore::pg::NoteFrontierRescan(relid, started);
			if (late_rows_covered)
				runstore::pg::NoteLateRowsRead(relid);
			RegisterUnlisted(relid, classes, nclasses, cols);
		}
	}
	SPI_finish();
	return (Datum)0;
}
