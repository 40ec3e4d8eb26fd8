/*
 * fn_recent_workflows.cpp: runstore.recent_workflows(bigint, int, text)
 *
 * The workflows a workspace (or one user in it) used most recently, newest
 * first.  A workflow's value is the greatest of its folded rows and its
 * pending rows (docs/architecture.md, "Recent workflows"), unless a recheck
 * mark for it is pending: then its latest run is read from executions by
 * one index probe.  So: first each workflow's greatest pending row of the
 * scope (statements::pending_in_workspace, a loose scan: one probe per
 * workflow pending), marked workflows probed, all sorted in the result's
 * order; then the folded rows in that order, merged with them, until
 * max_results workflows are decided.  Both sides are read by index scans
 * (recent_read_direct.hpp) where the tables' shape and the caller allow,
 * else by the statements (the folded rows through a cursor).  The workspace's folded
 * rows hold a row per user of a workflow: the first is the workflow's value,
 * the rest are passed over.  O(max_results + workflows pending in the
 * workspace + rows of leading workflows' other users) index reads, whatever
 * the number of runs.  Runs as the caller: SELECT on the summary tables and
 * on executions, and their row-level security, apply.
 */
extern "C" {
#include "postgres.h"

#include "executor/spi.h"
#include "funcapi.h"
#include "utils/timestamp.h"
#include "utils/tuplestore.h"
#include "utils/uuid.h"
}

#include <cstring>

#include "runstore/pg/citus_shards.hpp"
#include "runstore/pg/runstore_relations.hpp"
#include "runstore/pg/spi_plan.hpp"
#include "runstore/pg/statements.hpp"
#include "runstore/recent/recent_read_direct.hpp"
#include "runstore/pg_boundary.hpp"

namespace {

constexpr int32 kMaxResults = 1000;

using Entry = runstore::pg::RecentEntry;

/* Order of the result: last_used_at DESC, workflow_id DESC, last_execution_id DESC.  True if a comes first. */
bool
Before(const Entry &a, const Entry &b)
{
	if (a.last_used_at != b.last_used_at)
		return a.last_used_at > b.last_used_at;
	if (a.workflow_id != b.workflow_id)
		return a.workflow_id > b.workflow_id;
	return std::memcmp(a.last_execution_id.data, b.last_execution_id.data, UUID_LEN) > 0;
}

bool
Contains(const int64 *ids, int n, int64 workflow_id)
{
	for (int i = 0; i < n; ++i) {
		if (ids[i] == workflow_id)
			return true;
	}
	return false;
}

/* The result being built: the workflows emitted so far, in order, and the tuplestore they go to. */
struct Output {
	ReturnSetInfo *rsinfo;
	int64 *emitted;
	int count;
	int max;
};

void
Emit(Output *out, const Entry &e)
{
	Datum values[3] = {Int64GetDatum(e.workflow_id), TimestampTzGetDatum(e.last_used_at),
	                   UUIDPGetDatum(const_cast<pg_uuid_t *>(&e.last_execution_id))};
	bool nulls[3] = {false, false, false};
	tuplestore_putvalues(out->rsinfo->setResult, out->rsinfo->setDesc, values, nulls);
	out->emitted[out->count++] = e.workflow_id;
}

/* The latest run of a marked workflow, read from executions; false if it has none left. */
bool
LatestRun(const runstore::pg::RecentReadPlans &plans, Datum workspace_id, int64 workflow_id, bool for_user,
          Datum user_id, Entry *out)
{
	Datum args[3] = {workspace_id, Int64GetDatum(workflow_id), user_id};
	SPIPlanPtr plan = runstore::pg::GetKeptPlan(for_user ? plans.latest_for_user : plans.latest_in_workflow);
	const int rc = SPI_execute_plan(plan, args, nullptr, true, 1);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "runstore: recent-workflows probe returned %s", SPI_result_code_string(rc));
	const bool found = SPI_processed == 1;
	if (found) {
		bool isnull;
		out->workflow_id = workflow_id;
		out->last_used_at =
		    DatumGetTimestampTz(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
		out->last_execution_id =
		    *DatumGetUUIDP(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull));
	}
	SPI_freetuptable(SPI_tuptable);
	return found;
}

int
CompareEntries(const void *a, const void *b)
{
	const auto &x = *static_cast<const Entry *>(a);
	const auto &y = *static_cast<const Entry *>(b);
	return Before(x, y) ? -1 : (Before(y, x) ? 1 : 0);
}

/* The result from statements::routed_recent_*, in its order. */
void
ReadRouted(Output *out, Datum workspace_id, int32 max_results, bool for_user, Datum user_id)
{
	Datum args[3] = {workspace_id, Int32GetDatum(max_results), user_id};
	SPIPlanPtr plan = runstore::pg::GetKeptPlan(for_user ? &runstore::pg::statements::routed_recent_for_user
	                                                     : &runstore::pg::statements::routed_recent_in_workspace);
	const int rc = SPI_execute_plan(plan, args, nullptr, true, 0);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "runstore: recent-workflows read returned %s", SPI_result_code_string(rc));
	for (uint64 i = 0; i < SPI_processed && out->count < out->max; ++i) {
		bool isnull;
		Entry e{};
		HeapTuple row = SPI_tuptable->vals[i];
		e.workflow_id = DatumGetInt64(SPI_getbinval(row, SPI_tuptable->tupdesc, 1, &isnull));
		e.last_used_at = DatumGetTimestampTz(SPI_getbinval(row, SPI_tuptable->tupdesc, 2, &isnull));
		e.last_execution_id = *DatumGetUUIDP(SPI_getbinval(row, SPI_tuptable->tupdesc, 3, &isnull));
		Emit(out, e);
	}
	SPI_freetuptable(SPI_tuptable);
}

/* The pending side through the statement pending_in_workspace / pending_for_user (inside SPI). */
void
ReadPendingByStatement(const runstore::pg::RecentReadPlans &plans, bool for_user, Datum *args,
                       runstore::pg::PendingSide *side)
{
	const int rc =
	    SPI_execute_plan(runstore::pg::GetKeptPlan(for_user ? plans.pending_for_user : plans.pending_in_workspace),
	                     args, nullptr, true, 0);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "runstore: recent-workflows pending read returned %s", SPI_result_code_string(rc));
	SPITupleTable *pending = SPI_tuptable;
	for (uint64 i = 0; i < SPI_processed; ++i) {
		bool isnull = false;
		bool at_null = false;
		bool id_null = false;
		Entry e{};
		e.workflow_id = DatumGetInt64(SPI_getbinval(pending->vals[i], pending->tupdesc, 1, &isnull));
		const Datum at = SPI_getbinval(pending->vals[i], pending->tupdesc, 2, &at_null);
		const Datum id = SPI_getbinval(pending->vals[i], pending->tupdesc, 3, &id_null);
		if (at_null || id_null) {
			runstore::pg::AddPendingMark(side, e.workflow_id);
			continue;
		}
		e.last_used_at = DatumGetTimestampTz(at);
		e.last_execution_id = *DatumGetUUIDP(id);
		runstore::pg::AddPendingValue(side, e);
	}
	/* LatestRun runs SPI statements: done with the pending rows' tuple table first (values copied). */
	SPI_freetuptable(pending);
}

/* The scope's folded rows in the result's order: a cursor over the statement, or the direct read's scan. */
struct FoldedRows {
	runstore::pg::DirectRecentRead *direct; /* nullptr: the cursor */
	Portal cursor;
	SPITupleTable *batch;
	uint64 nbatch;
	uint64 next;
	long batch_size;
	bool done;
};

bool
NextFolded(FoldedRows *rows, Entry *row)
{
	if (rows->direct != nullptr)
		return runstore::pg::NextFoldedDirectly(rows->direct, row);
	if (rows->next == rows->nbatch) {
		if (rows->done)
			return false;
		if (rows->batch != nullptr)
			SPI_freetuptable(rows->batch);
		SPI_cursor_fetch(rows->cursor, true, rows->batch_size);
		rows->batch = SPI_tuptable;
		rows->nbatch = SPI_processed;
		rows->next = 0;
		rows->batch_size *= 2;
		if (rows->nbatch == 0) {
			rows->done = true;
			return false;
		}
	}
	HeapTuple tuple = rows->batch->vals[rows->next++];
	TupleDesc desc = rows->batch->tupdesc;
	bool isnull;
	row->workflow_id = DatumGetInt64(SPI_getbinval(tuple, desc, 1, &isnull));
	row->last_used_at = DatumGetTimestampTz(SPI_getbinval(tuple, desc, 2, &isnull));
	row->last_execution_id = *DatumGetUUIDP(SPI_getbinval(tuple, desc, 3, &isnull));
	return true;
}

/*
 * The result: the pending side's values (sorted, marked workflows' latest
 * runs among them) merged with the folded rows in order, each workflow once,
 * until max_results workflows are decided.
 */
void
Merge(Output *out, const runstore::pg::PendingSide &side, FoldedRows *folded)
{
	const Entry *extra = side.values;
	const int nextra = side.nvalues;
	int next_extra = 0; /* the first extra value not yet placed */
	Entry row{};
	while (out->count < out->max && NextFolded(folded, &row)) {
		/* Extra values before this row take their place first (each workflow once). */
		while (next_extra < nextra && out->count < out->max && Before(extra[next_extra], row)) {
			if (!Contains(out->emitted, out->count, extra[next_extra].workflow_id))
				Emit(out, extra[next_extra]);
			++next_extra;
		}
		if (out->count == out->max)
			break;
		/*
		 * A marked workflow's value came from executions; an emitted one is
		 * done.  A workflow with a pending value gets here only if its folded
		 * row is the greater (else its pending value came first): the folded
		 * row is its value.
		 */
		if (Contains(side.marked, side.nmarked, row.workflow_id) || Contains(out->emitted, out->count, row.workflow_id))
			continue;
		Emit(out, row);
	}
	/* The folded rows are done: the extra values left, in order. */
	for (; next_extra < nextra && out->count < out->max; ++next_extra) {
		if (!Contains(out->emitted, out->count, extra[next_extra].workflow_id))
			Emit(out, extra[next_extra]);
	}
}

/* Marked workflows' latest runs into the pending side's values (inside SPI), then the values sorted. */
void
ResolveMarks(const runstore::pg::RecentReadPlans &plans, Datum workspace_id, bool for_user, Datum user_id,
             runstore::pg::PendingSide *side)
{
	for (int m = 0; m < side->nmarked; ++m) {
		Entry latest{};
		if (LatestRun(plans, workspace_id, side->marked[m], for_user, user_id, &latest))
			runstore::pg::AddPendingValue(side, latest);
	}
	if (side->nvalues > 0)
		qsort(side->values, static_cast<size_t>(side->nvalues), sizeof(Entry), CompareEntries);
}

} // namespace

RUNSTORE_FUNCTION(runstore_recent_workflows)
{
	InitMaterializedSRF(fcinfo, 0);
	if (PG_ARGISNULL(0))
		ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("workspace_id must not be NULL")));
	if (PG_ARGISNULL(1))
		ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("max_results must not be NULL"),
		                errhint("The default is 4.")));
	const int32 max_results = PG_GETARG_INT32(1);
	if (max_results < 0 || max_results > kMaxResults)
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
		                errmsg("max_results must be between 0 and %d, not %d", kMaxResults, max_results)));
	if (max_results == 0)
		return (Datum)0;
	/* A library newer than the extension's objects (ALTER EXTENSION runstore UPDATE not run yet). */
	const Oid folded = runstore::pg::RunstoreRelation("recent_workflow_folded");
	if (!OidIsValid(folded))
		ereport(ERROR,
		        (errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
		         errmsg("runstore's library reads recent workflows from runstore.recent_workflow_folded, which this "
		                "database lacks"),
		         errhint("Run ALTER EXTENSION runstore UPDATE to bring the extension's objects up to the library.")));

	const bool for_user = !PG_ARGISNULL(2);
	const Datum workspace_id = PG_GETARG_DATUM(0);
	const Datum user_id = for_user ? PG_GETARG_DATUM(2) : (Datum)0;
	Datum args[2] = {workspace_id, user_id};
	Output out{reinterpret_cast<ReturnSetInfo *>(fcinfo->resultinfo),
	           static_cast<int64 *>(palloc(sizeof(int64) * max_results)), 0, max_results};
	runstore::pg::PendingSide side{};
	side.context = CurrentMemoryContext;
	const runstore::pg::RecentReadPlans table_plans = runstore::pg::TableRecentReadPlans();

	/*
	 * The direct read (recent_read_direct.hpp): the same rows as the
	 * statements below, by index scans.  SPI only for marked workflows.
	 */
	runstore::pg::DirectRecentRead direct;
	if (runstore::pg::BeginDirectRecentRead(folded, runstore::pg::RunstoreRelation("recent_workflow_pending"),
	                                        workspace_id, for_user, user_id, &direct)) {
		runstore::pg::ReadPendingDirectly(&direct, &side);
		/* Only marked workflows need a statement; the side's arrays live in the call's context, not SPI's. */
		const bool probes = side.nmarked > 0;
		if (probes && SPI_connect() != SPI_OK_CONNECT)
			elog(ERROR, "runstore: SPI_connect failed");
		ResolveMarks(table_plans, workspace_id, for_user, user_id, &side);
		if (probes)
			SPI_finish();
		FoldedRows rows{&direct, nullptr, nullptr, 0, 0, 0, false};
		Merge(&out, side, &rows);
		runstore::pg::EndDirectRecentRead(&direct);
		return (Datum)0;
	}

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "runstore: SPI_connect failed");

	/*
	 * Distributed by Citus: on the node holding the workspace's shards (a
	 * call the coordinator delegated here), the read below against them;
	 * elsewhere the whole read in one statement, routed to that node.
	 */
	runstore::pg::RecentReadPlans plans = table_plans;
	if (runstore::pg::DistributedByCitus(folded)) {
		if (!runstore::pg::LocalRecentShards(workspace_id, &plans)) {
			elog(DEBUG1,
			     "runstore: recent_workflows(" INT64_FORMAT ") sends one statement routed to the workspace's node",
			     DatumGetInt64(workspace_id));
			ReadRouted(&out, workspace_id, max_results, for_user, user_id);
			SPI_finish();
			return (Datum)0;
		}
		elog(DEBUG1, "runstore: recent_workflows(" INT64_FORMAT ") reads this node's shards",
		     DatumGetInt64(workspace_id));
	}

	/* The pending side: per workflow its greatest pending row, or its mark (whose folded rows are ignored). */
	ReadPendingByStatement(plans, for_user, args, &side);
	ResolveMarks(plans, workspace_id, for_user, user_id, &side);

	/* The folded side through a cursor, fetched in growing batches. */
	SPIPlanPtr plan = runstore::pg::GetKeptPlan(for_user ? plans.recent_for_user : plans.recent_in_workspace);
	FoldedRows rows{nullptr, SPI_cursor_open(nullptr, plan, args, nullptr, true), nullptr, 0, 0, max_results + 4,
	                false};
	Merge(&out, side, &rows);
	if (rows.batch != nullptr)
		SPI_freetuptable(rows.batch);
	SPI_cursor_close(rows.cursor);
	SPI_finish();
	return (Datum)0;
}
