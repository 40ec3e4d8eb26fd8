/*
 * recent_read_direct.cpp: see recent_read_direct.hpp.
 *
 * PostgreSQL zone: only trivially destructible locals, so an ERROR raised by
 * any call below unwinds nothing of ours; what is open is closed by the
 * transaction's abort, as a query's scans are.
 */
extern "C" {
#include "postgres.h"

#include "access/genam.h"
#include "access/skey.h"
#include "access/stratnum.h"
#include "access/table.h"
#include "access/tableam.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "utils/fmgroids.h"
#include "utils/rel.h"
#include "utils/rls.h"
#include "utils/snapmgr.h"
}

#include "runstore/pg/direct_path_shapes.hpp"
#include "runstore/pg/select_privilege.hpp"
#include "runstore/recent/recent_read_direct.hpp"
#include "runstore/recent/transition_runs.hpp"

namespace runstore::pg {

namespace {

void
CloseAll(DirectRecentRead *read)
{
	if (read->folded_scan != nullptr)
		index_endscan(read->folded_scan);
	if (read->folded_row != nullptr)
		ExecDropSingleTupleTableSlot(read->folded_row);
	if (read->folded_index != nullptr)
		index_close(read->folded_index, NoLock);
	if (read->pending_index != nullptr)
		index_close(read->pending_index, NoLock);
	if (read->folded != nullptr)
		table_close(read->folded, NoLock);
	if (read->pending != nullptr)
		table_close(read->pending, NoLock);
	*read = DirectRecentRead{};
}

/* Doubles `*capacity` (at least to `need`) and grows `array` (elements of `size`, in `context`) to it. */
void *
Grown(MemoryContext context, void *array, int *capacity, int need, Size size)
{
	int n = *capacity > 0 ? *capacity : 8;
	while (n < need)
		n *= 2;
	*capacity = n;
	return array == nullptr ? MemoryContextAlloc(context, size * n) : repalloc(array, size * n);
}

/* The value of a pending or folded row; false when the row is a recheck mark (no value). */
bool
ReadValue(TupleTableSlot *slot, AttrNumber at_column, AttrNumber id_column, RecentEntry *out)
{
	bool at_null = false;
	bool id_null = false;
	const Datum at = slot_getattr(slot, at_column, &at_null);
	const Datum id = slot_getattr(slot, id_column, &id_null);
	if (at_null || id_null)
		return false;
	out->last_used_at = DatumGetTimestampTz(at);
	out->last_execution_id = *DatumGetUUIDP(id);
	return true;
}

/* The row's workflow, or the row's value and workflow, into the pending side. */
void
TakePendingRow(const DirectRecentRead *read, TupleTableSlot *slot, int64 workflow_id, PendingSide *side)
{
	RecentEntry value{};
	value.workflow_id = workflow_id;
	if (ReadValue(slot, read->pending_last_used_at, read->pending_last_execution_id, &value))
		AddPendingValue(side, value);
	else
		AddPendingMark(side, workflow_id);
}

int64
WorkflowOf(TupleTableSlot *slot, AttrNumber column)
{
	bool isnull = false;
	const Datum value = slot_getattr(slot, column, &isnull);
	Assert(!isnull); /* NOT NULL, which the shape requires */
	return DatumGetInt64(value);
}

} // namespace

void
AddPendingValue(PendingSide *side, const RecentEntry &value)
{
	if (side->nvalues + 1 > side->values_capacity)
		side->values = static_cast<RecentEntry *>(
		    Grown(side->context, side->values, &side->values_capacity, side->nvalues + 1, sizeof(RecentEntry)));
	side->values[side->nvalues++] = value;
}

void
AddPendingMark(PendingSide *side, int64 workflow_id)
{
	if (side->nmarked + 1 > side->marked_capacity)
		side->marked = static_cast<int64 *>(
		    Grown(side->context, side->marked, &side->marked_capacity, side->nmarked + 1, sizeof(int64)));
	side->marked[side->nmarked++] = workflow_id;
}

bool
BeginDirectRecentRead(Oid folded, Oid pending, Datum workspace_id, bool for_user, Datum user_id, DirectRecentRead *read)
{
	*read = DirectRecentRead{};
	if (!DirectPathsOn() || !OidIsValid(folded) || !OidIsValid(pending))
		return false;
	/*
	 * In the order a query meets them: the parser locks the tables, the
	 * rewriter applies the policies, the executor checks privileges.  Under
	 * the locks no ALTER TABLE can change the shapes between the checks and
	 * the reads.
	 */
	read->folded = table_open(folded, AccessShareLock);
	read->pending = table_open(pending, AccessShareLock);
	if (check_enable_rls(folded, InvalidOid, true) == RLS_ENABLED ||
	    check_enable_rls(pending, InvalidOid, true) == RLS_ENABLED) {
		CloseAll(read);
		return false;
	}
	const FoldedTableShape folded_shape = FoldedTableShapeOf(read->folded);
	const PendingTableShape pending_shape = PendingTableShapeOf(read->pending);
	const ReadIndex folded_index = for_user ? folded_shape.user_index : folded_shape.workspace_index;
	if ((for_user ? folded_shape.no_user_index : folded_shape.no_workspace_index) != nullptr ||
	    pending_shape.no_read_index != nullptr || !IndexUsableBySnapshot(folded_index.check_xmin) ||
	    !IndexUsableBySnapshot(pending_shape.read_index.check_xmin)) {
		CloseAll(read);
		return false;
	}
	const AttrNumber folded_columns[] = {folded_shape.workflow_id, folded_shape.last_used_at,
	                                     folded_shape.last_execution_id};
	const AttrNumber pending_columns[] = {pending_shape.workflow_id, pending_shape.user_id, pending_shape.last_used_at,
	                                      pending_shape.last_execution_id};
	/* A refusal is the statements' to report, with their message. */
	if (!MaySelectColumns(read->folded, folded_columns, 3, false) ||
	    !MaySelectColumns(read->pending, pending_columns, 4, false)) {
		CloseAll(read);
		return false;
	}
	read->folded_index = index_open(folded_index.index, AccessShareLock);
	read->pending_index = index_open(pending_shape.read_index.index, AccessShareLock);
	/* Opening the indexes processes pending invalidations: the shapes must still be the ones read. */
	if (!ShapeStillCurrent(folded, folded_shape.generation) || !ShapeStillCurrent(pending, pending_shape.generation)) {
		CloseAll(read);
		return false;
	}
	read->folded_workflow_id = folded_shape.workflow_id;
	read->folded_last_used_at = folded_shape.last_used_at;
	read->folded_last_execution_id = folded_shape.last_execution_id;
	read->pending_workflow_id = pending_shape.workflow_id;
	read->pending_user_id = pending_shape.user_id;
	read->pending_last_used_at = pending_shape.last_used_at;
	read->pending_last_execution_id = pending_shape.last_execution_id;
	read->workspace_id = workspace_id;
	read->for_user = for_user;
	read->user_id = for_user ? PointerGetDatum(DatumGetTextPP(user_id)) : (Datum)0; /* detoasted, packed */
	return true;
}

void
ReadPendingDirectly(DirectRecentRead *read, PendingSide *side)
{
	/*
	 * The index orders a workspace's rows by workflow, then newest first with
	 * a mark (NULL) before every value: each workflow's first visible row is
	 * what the statement takes for it.  Key 2 moves past a workflow once its
	 * first row is taken (the statement's loose scan: one descent per
	 * workflow, however many rows it has).  A user's rows are among the
	 * workspace's, in the same order: read all of them, as the statement does.
	 */
	IndexScanDesc scan = index_beginscan(read->pending, read->pending_index, GetActiveSnapshot(), 2, 0);
	TupleTableSlot *slot = table_slot_create(read->pending, nullptr);
	ScanKeyData keys[2];
	ScanKeyInit(&keys[0], 1, BTEqualStrategyNumber, F_INT8EQ, read->workspace_id);
	ScanKeyInit(&keys[1], 2, BTGreaterEqualStrategyNumber, F_INT8GE, Int64GetDatum(PG_INT64_MIN));
	index_rescan(scan, keys, 2, nullptr, 0);
	const auto *user = reinterpret_cast<const struct varlena *>(DatumGetPointer(read->user_id));
	bool have_last = false;
	int64 last_workflow = 0;
	while (index_getnext_slot(scan, ForwardScanDirection, slot)) {
		CHECK_FOR_INTERRUPTS();
		const int64 workflow_id = WorkflowOf(slot, read->pending_workflow_id);
		if (read->for_user) {
			if (have_last && workflow_id == last_workflow)
				continue;
			bool isnull = false;
			const Datum row_user = slot_getattr(slot, read->pending_user_id, &isnull);
			if (isnull ||
			    !SameUser(pg_detoast_datum_packed(reinterpret_cast<struct varlena *>(DatumGetPointer(row_user))), user))
				continue;
			TakePendingRow(read, slot, workflow_id, side);
			have_last = true;
			last_workflow = workflow_id;
			continue;
		}
		TakePendingRow(read, slot, workflow_id, side);
		ScanKeyInit(&keys[1], 2, BTGreaterStrategyNumber, F_INT8GT, Int64GetDatum(workflow_id));
		index_rescan(scan, keys, 2, nullptr, 0);
	}
	ExecDropSingleTupleTableSlot(slot);
	index_endscan(scan);
}

bool
NextFoldedDirectly(DirectRecentRead *read, RecentEntry *row)
{
	if (read->folded_scan == nullptr) {
		const int nkeys = read->for_user ? 2 : 1;
		ScanKeyData keys[2];
		ScanKeyInit(&keys[0], 1, BTEqualStrategyNumber, F_INT8EQ, read->workspace_id);
		/* Compared, and the index descended, in the index's collation (deterministic: byte equality). */
		if (read->for_user)
			ScanKeyEntryInitialize(&keys[1], 0, 2, BTEqualStrategyNumber, InvalidOid,
			                       read->folded_index->rd_indcollation[1], F_TEXTEQ, read->user_id);
		read->folded_scan = index_beginscan(read->folded, read->folded_index, GetActiveSnapshot(), nkeys, 0);
		index_rescan(read->folded_scan, keys, nkeys, nullptr, 0);
		read->folded_row = table_slot_create(read->folded, nullptr);
	}
	CHECK_FOR_INTERRUPTS();
	if (!index_getnext_slot(read->folded_scan, ForwardScanDirection, read->folded_row))
		return false;
	row->workflow_id = WorkflowOf(read->folded_row, read->folded_workflow_id);
	/* NOT NULL in the folded table, which the shape requires. */
	(void)ReadValue(read->folded_row, read->folded_last_used_at, read->folded_last_execution_id, row);
	return true;
}

void
EndDirectRecentRead(DirectRecentRead *read)
{
	CloseAll(read);
}

} // namespace runstore::pg
