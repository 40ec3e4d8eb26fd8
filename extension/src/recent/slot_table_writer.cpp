/*
 * slot_table_writer.cpp: see slot_table_writer.hpp.
 *
 * PostgreSQL zone: only trivially destructible locals, so an ERROR raised by
 * any call below (a lock wait cancelled, a unique violation) unwinds nothing
 * of ours.  Relations, scans and buffer pins left open by an ERROR are
 * released by the transaction's abort, as for any backend code.
 */
extern "C" {
#include "postgres.h"

#include "access/table.h"
#include "access/tableam.h"
#include "catalog/index.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/rel.h"
#include "utils/rls.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"
#include "utils/uuid.h"
}

#include <cstring>

#include "runstore/pg/runstore_relations.hpp"
#include "runstore/recent/slot_dead_versions.hpp"
#include "runstore/recent/slot_table_writer.hpp"

namespace runstore::pg {

namespace {

bool
MayWriteDirectly(Oid relid)
{
	const Oid role = GetUserId();
	return pg_class_aclcheck(relid, role, ACL_SELECT) == ACLCHECK_OK &&
	       pg_class_aclcheck(relid, role, ACL_INSERT) == ACLCHECK_OK &&
	       pg_class_aclcheck(relid, role, ACL_UPDATE) == ACLCHECK_OK &&
	       check_enable_rls(relid, InvalidOid, true) != RLS_ENABLED;
}

/* Every index entry of a new row version (an insert, or an update that was not HOT). */
void
InsertIndexEntries(const SlotTableWriter &writer, TupleTableSlot *row)
{
	for (int i = 0; i < writer.nindexes; ++i) {
		IndexInfo *info = writer.index_infos[i];
		if (!info->ii_ReadyForInserts)
			continue; /* being built concurrently: its build will see the row */
		Datum values[INDEX_MAX_KEYS];
		bool isnull[INDEX_MAX_KEYS];
		FormIndexDatum(info, row, nullptr, values, isnull);
		const Relation index = writer.indexes[i];
		index_insert(index, values, isnull, &row->tts_tid, writer.rel,
		             index->rd_index->indisunique ? UNIQUE_CHECK_YES : UNIQUE_CHECK_NO, false, info);
	}
}

/* (at, id) > the value in `found`: the run is newer than the slot's row. */
bool
NewerThanFound(const SlotTableWriter &writer, TimestampTz at, Datum id)
{
	bool isnull;
	const TimestampTz old_at = DatumGetTimestampTz(slot_getattr(writer.found, writer.group_columns + 2, &isnull));
	if (at != old_at)
		return at > old_at;
	const Datum old_id = slot_getattr(writer.found, writer.group_columns + 3, &isnull);
	return std::memcmp(DatumGetUUIDP(id)->data, DatumGetUUIDP(old_id)->data, UUID_LEN) > 0;
}

void
UpdateRow(SlotTableWriter *writer, ItemPointer tid, Snapshot snapshot, CommandId cid)
{
	TM_FailureData tmfd;
	LockTupleMode lockmode;
	bool update_indexes;
	const TM_Result updated = table_tuple_update(writer->rel, tid, writer->row, cid, snapshot, InvalidSnapshot, true,
	                                             &tmfd, &lockmode, &update_indexes);
	if (updated != TM_Ok)
		elog(ERROR, "runstore: could not update a locked recent-workflows slot row (result %d)",
		     static_cast<int>(updated));
	if (update_indexes)
		InsertIndexEntries(*writer, writer->row);
}

} // namespace

bool
OpenSlotTableWriter(SlotScope scope, SlotTableWriter *writer)
{
	*writer = SlotTableWriter{};
	const Oid relid =
	    RunstoreRelation(scope == SlotScope::kUser ? "user_recent_workflow_slot" : "workspace_recent_workflow_slot");
	if (!OidIsValid(relid) || !MayWriteDirectly(relid))
		return false;

	writer->rel = table_open(relid, RowExclusiveLock);
	const SlotTableShape shape = SlotTableShapeOf(writer->rel, scope);
	if (shape.unusable != nullptr)
		return false;
	writer->natts = RelationGetDescr(writer->rel)->natts;
	writer->group_columns = writer->natts - 3;
	for (int i = 0; i < shape.nindexes; ++i) {
		const Relation index = index_open(shape.indexes[i], RowExclusiveLock);
		writer->indexes[i] = index;
		writer->index_infos[i] = BuildIndexInfo(index);
		writer->markable[i] = shape.markable[i];
		writer->nindexes = i + 1;
	}
	/* Opening the indexes processes pending invalidations: the shape must still be the one read. */
	if (!ShapeStillCurrent(relid, shape.generation))
		return false;
	writer->primary_key = writer->indexes[shape.primary_key];
	writer->found = table_slot_create(writer->rel, nullptr);
	writer->row = MakeSingleTupleTableSlot(RelationGetDescr(writer->rel), &TTSOpsVirtual);
	writer->dead = table_slot_create(writer->rel, nullptr);
	writer->dead_key = MakeSingleTupleTableSlot(RelationGetDescr(writer->rel), &TTSOpsVirtual);
	return true;
}

void
CloseSlotTableWriter(SlotTableWriter *writer)
{
	if (writer->dead_key != nullptr)
		ExecDropSingleTupleTableSlot(writer->dead_key);
	if (writer->dead != nullptr)
		ExecDropSingleTupleTableSlot(writer->dead);
	if (writer->row != nullptr)
		ExecDropSingleTupleTableSlot(writer->row);
	if (writer->found != nullptr)
		ExecDropSingleTupleTableSlot(writer->found);
	for (int i = 0; i < writer->nindexes; ++i)
		index_close(writer->indexes[i], NoLock);
	if (writer->rel != nullptr)
		table_close(writer->rel, NoLock);
	*writer = SlotTableWriter{};
}

Oid
SlotKeyCollation(const SlotTableWriter &writer, int column)
{
	return writer.primary_key->rd_indcollation[column];
}

/*
 * Probe the slot's rows newest first (its live row is its greatest key, above
 * its dead versions, see ADD_SLOT).  Empty: insert.  Run newer: update the
 * row, which locks it; if a writer sharing the slot moved it meanwhile, lock
 * its latest version and decide again.  Run not newer: lock the row anyway.
 * That lock is what keeps a concurrent removal exact: a removal deleting the
 * row waits for this transaction, and its recompute (a later snapshot) then
 * sees this run.  If a removal deleted the row first, probe again: the slot
 * is then empty or holds the collapse's row.
 */
void
WriteRunToSlot(SlotTableWriter *writer, const Datum *values)
{
	const int nkeys = writer->group_columns + 1; /* the group and the slot */
	const TupleDesc desc = RelationGetDescr(writer->rel);
	const TimestampTz at = DatumGetTimestampTz(values[writer->group_columns + 1]);
	const Datum id = values[writer->group_columns + 2];

	ScanKeyData keys[kMaxSlotColumns];
	for (int k = 0; k < nkeys; ++k)
		ScanKeyEntryInitialize(&keys[k], 0, static_cast<AttrNumber>(k + 1), BTEqualStrategyNumber, InvalidOid,
		                       writer->primary_key->rd_indcollation[k],
		                       SlotColumnEquality(TupleDescAttr(desc, k)->atttypid), values[k]);

	TupleTableSlot *row = writer->row;
	ExecClearTuple(row);
	std::memcpy(row->tts_values, values, sizeof(Datum) * writer->natts);
	std::memset(row->tts_isnull, 0, sizeof(bool) * writer->natts);
	ExecStoreVirtualTuple(row);

	const CommandId cid = GetCurrentCommandId(true);
	for (;;) {
		CHECK_FOR_INTERRUPTS();
		const Snapshot snapshot = RegisterSnapshot(GetLatestSnapshot());
		IndexScanDesc scan = index_beginscan(writer->rel, writer->primary_key, snapshot, nkeys, 0);
		index_rescan(scan, keys, nkeys, nullptr, 0);
		const bool occupied = index_getnext_slot(scan, BackwardScanDirection, writer->found);
		DeadVersions dead{};
		if (occupied)
			MarkDeadVersionsInPrimaryKey(*writer, scan, &dead);
		index_endscan(scan);
		if (dead.count > 0)
			MarkDeadVersionsInOtherIndexes(*writer, values, dead);

		if (!occupied) {
			table_tuple_insert(writer->rel, row, cid, 0, nullptr);
			InsertIndexEntries(*writer, row);
			UnregisterSnapshot(snapshot);
			break;
		}
		ItemPointerData tid = writer->found->tts_tid;

		TM_FailureData tmfd;
		if (NewerThanFound(*writer, at, id)) {
			LockTupleMode lockmode;
			bool update_indexes;
			const TM_Result updated = table_tuple_update(writer->rel, &tid, row, cid, snapshot, InvalidSnapshot, true,
			                                             &tmfd, &lockmode, &update_indexes);
			if (updated == TM_Ok) {
				if (update_indexes)
					InsertIndexEntries(*writer, row);
				UnregisterSnapshot(snapshot);
				break;
			}
			if (updated == TM_Deleted) {
				UnregisterSnapshot(snapshot);
				continue;
			}
			if (updated != TM_Updated)
				elog(ERROR, "runstore: could not update a recent-workflows slot row (result %d)",
				     static_cast<int>(updated));
			/* Moved by a writer sharing the slot: lock its latest version below and compare again. */
		}

		const TM_Result locked = table_tuple_lock(writer->rel, &tid, snapshot, writer->found, cid, LockTupleExclusive,
		                                          LockWaitBlock, TUPLE_LOCK_FLAG_FIND_LAST_VERSION, &tmfd);
		if (locked == TM_Deleted) {
			UnregisterSnapshot(snapshot);
			continue;
		}
		if (locked != TM_Ok)
			elog(ERROR, "runstore: could not lock a recent-workflows slot row (result %d)", static_cast<int>(locked));
		if (NewerThanFound(*writer, at, id)) {
			ItemPointerData latest = writer->found->tts_tid;
			UpdateRow(writer, &latest, snapshot, cid);
		}
		UnregisterSnapshot(snapshot);
		break;
	}
}

} // namespace runstore::pg
