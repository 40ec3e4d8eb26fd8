/*
 * id_index_lookup.cpp: see id_index_lookup.hpp.
 *
 * Why not the statement: at 500 ids the SPI path (plan cache check, executor
 * start-up, a receiver that copies every row, then a second copy into the
 * tuplestore) cost 0.80-0.84x of the caller's own `= ANY` query.  Here there
 * is no plan and no second executor, and each row is copied once, into the
 * result (kept in an arena: result_arena.hpp); 0.99-1.04x at 500 ids.
 */
extern "C" {
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/stratnum.h"
#include "executor/executor.h"
#include "executor/tuptable.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "nodes/pg_list.h"
#include "utils/fmgroids.h"
#include "utils/rel.h"
#include "utils/relcache.h"
#include "utils/rls.h"
#include "utils/snapmgr.h"
#include "utils/tuplestore.h"
#include "utils/uuid.h"
}

#include <algorithm>
#include <cstring>

#include "runstore/core/id_positions.hpp"
#include "runstore/pg/direct_path_shapes.hpp"
#include "runstore/batch/id_index_lookup.hpp"
#include "runstore/pg/runstore_relations.hpp"
#include "runstore/pg/select_privilege.hpp"

namespace runstore::pg {

namespace {

static_assert(sizeof(core::Uuid) == sizeof(pg_uuid_t), "core::Uuid and pg_uuid_t must have one layout");

/* The result's row type is the table's own, column for column. */
bool
SameRowType(TupleDesc table, TupleDesc result)
{
	if (table->natts != result->natts)
		return false;
	for (int i = 0; i < table->natts; ++i) {
		Form_pg_attribute a = TupleDescAttr(table, i);
		Form_pg_attribute b = TupleDescAttr(result, i);
		if (a->attisdropped != b->attisdropped || (!a->attisdropped && a->atttypid != b->atttypid))
			return false;
	}
	return true;
}

/*
 * Appends the row in `slot` to the call's result.  A row stored before a
 * column was added with a DEFAULT lacks that column: the table's descriptor
 * supplies the default, but the result's reader sees only the row type,
 * which would read NULL.  Such rows are formed anew through `virtual_row`.
 */
void
PutRow(ReturnSetInfo *rsinfo, TupleTableSlot *slot, TupleTableSlot *virtual_row)
{
	HeapTuple tuple = ExecFetchSlotHeapTuple(slot, false, nullptr);
	if (HeapTupleHeaderGetNatts(tuple->t_data) == slot->tts_tupleDescriptor->natts) {
		tuplestore_puttupleslot(rsinfo->setResult, slot);
		return;
	}
	slot_getallattrs(slot);
	ExecClearTuple(virtual_row);
	std::memcpy(virtual_row->tts_values, slot->tts_values, sizeof(Datum) * slot->tts_tupleDescriptor->natts);
	std::memcpy(virtual_row->tts_isnull, slot->tts_isnull, sizeof(bool) * slot->tts_tupleDescriptor->natts);
	ExecStoreVirtualTuple(virtual_row);
	tuplestore_puttupleslot(rsinfo->setResult, virtual_row);
}

bool
EarlierPosition(const core::IdPosition &a, const core::IdPosition &b)
{
	return a.position < b.position;
}

} // namespace

bool
LookupByIdIndex(FunctionCallInfo fcinfo, const IdBatch &batch, const int64 *workspace_id)
{
	auto *rsinfo = reinterpret_cast<ReturnSetInfo *>(fcinfo->resultinfo);
	if (!DirectPathsOn())
		return false;

	/* Schema-qualified, as in the statement: search_path plays no part.  Missing: the statement reports it. */
	const Oid relid = RunstoreRelation("executions");
	if (!OidIsValid(relid))
		return false;

	/*
	 * In the order a query meets them: the parser locks the table, the
	 * rewriter applies (or refuses, with row_security off) the policies, the
	 * executor checks privileges.  Under the lock, no ALTER TABLE can turn
	 * row-level security on or change the shape between the checks and the
	 * reads.
	 */
	Relation rel = table_open(relid, AccessShareLock);
	const ExecutionsShape shape = ExecutionsShapeOf(rel);
	const LookupProbe probe = ChooseLookupProbe(shape, workspace_id != nullptr);
	if (shape.not_local_heap != nullptr || !OidIsValid(probe.index) ||
	    check_enable_rls(relid, InvalidOid, false) == RLS_ENABLED ||
	    !SameRowType(RelationGetDescr(rel), rsinfo->setDesc)) {
		table_close(rel, NoLock); /* the statement path opens it again; the lock stays */
		return false;
	}
	/* What the executor checks for `SELECT x.* FROM runstore.executions x`; ERRORs with 42501. */
	(void)MaySelectRow(rel, true);
	Relation index = index_open(probe.index, AccessShareLock);
	/* Opening the index processes pending invalidations: the shape must still be the one read. */
	if (!ShapeStillCurrent(relid, shape.generation)) {
		index_close(index, NoLock);
		table_close(rel, NoLock);
		return false;
	}

	/*
	 * Each distinct id once, at its first position, in request order: each
	 * row found goes straight into the result.  Probing in id order instead
	 * (as the `= ANY` scan does) shares the descents' upper pages, but the
	 * rows must then wait in a copy until all are found: at 500 ids that
	 * copy and its memory cost ~10% more than the descents saved.
	 */
	auto *table = static_cast<core::IdPosition *>(palloc(sizeof(core::IdPosition) * batch.count));
	const std::size_t distinct =
	    core::DistinctIdPositions(batch.ids, batch.nulls, static_cast<std::size_t>(batch.count), table);
	std::sort(table, table + distinct, EarlierPosition);

	IndexScanDesc scan = index_beginscan(rel, index, GetActiveSnapshot(), probe.nkeys, 0);
	TupleTableSlot *slot = table_slot_create(rel, nullptr);
	TupleTableSlot *virtual_row = MakeSingleTupleTableSlot(rsinfo->setDesc, &TTSOpsVirtual);
	for (std::size_t k = 0; k < distinct; ++k) {
		CHECK_FOR_INTERRUPTS();
		ScanKeyData keys[2];
		const Datum id = UUIDPGetDatum(reinterpret_cast<const pg_uuid_t *>(&table[k].id));
		if (probe.nkeys == 2) {
			ScanKeyInit(&keys[0], 1, BTEqualStrategyNumber, F_INT8EQ, Int64GetDatum(*workspace_id));
			ScanKeyInit(&keys[1], 2, BTEqualStrategyNumber, F_UUID_EQ, id);
		} else {
			ScanKeyInit(&keys[0], 1, BTEqualStrategyNumber, F_UUID_EQ, id);
		}
		index_rescan(scan, keys, probe.nkeys, nullptr, 0);
		/*
		 * The first visible row that matches, as the statement's receiver
		 * keeps (a unique index has at most one; an index on id alone may
		 * hold the id in several workspaces).
		 */
		while (index_getnext_slot(scan, ForwardScanDirection, slot)) {
			if (probe.filter_workspace) {
				bool isnull = false;
				const Datum w = slot_getattr(slot, shape.workspace_id, &isnull);
				if (isnull || DatumGetInt64(w) != *workspace_id)
					continue;
			}
			PutRow(rsinfo, slot, virtual_row);
			break;
		}
	}
	ExecDropSingleTupleTableSlot(virtual_row);
	ExecDropSingleTupleTableSlot(slot);
	index_endscan(scan);
	/* Locks are held to the end of the transaction, as a query holds them. */
	index_close(index, NoLock);
	table_close(rel, NoLock);
	pfree(table);
	return true;
}

} // namespace runstore::pg
