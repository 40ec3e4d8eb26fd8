/*
 * slot_dead_versions.cpp: see slot_dead_versions.hpp.
 *
 * PostgreSQL zone: only trivially destructible locals.  The marks are
 * PostgreSQL's own: index_fetch_heap sets kill_prior_tuple when the heap
 * says a version is dead to every transaction, the index AM's next
 * amgettuple call records the entry, and index_endscan marks it (a hint, as
 * in any index scan: no WAL record of its own, only the page image a hint
 * needs once per checkpoint with data checksums; lost harmlessly if the page
 * changed).
 */
extern "C" {
#include "postgres.h"

#include "access/genam.h"
#include "access/itup.h"
#include "access/relscan.h"
#include "access/skey.h"
#include "access/tableam.h"
#include "catalog/index.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
}

#include <cstring>

#include "runstore/recent/slot_dead_versions.hpp"

namespace runstore::pg {

void
MarkDeadVersionsInPrimaryKey(const SlotTableWriter &writer, IndexScanDesc scan, DeadVersions *dead)
{
	dead->count = 0;
	const AttrNumber at_column = static_cast<AttrNumber>(writer.group_columns + 2);
	for (int step = 0;; ++step) {
		if (index_getnext_tid(scan, BackwardScanDirection) == nullptr)
			return; /* the slot's end; the kill of the last version met, if any, was recorded by this call */
		if (dead->count == kMaxDeadVersionsPerWrite || step == kMaxDeadVersionSteps)
			return; /* recorded the previous one's kill; leave the rest to later writes */
		if (index_fetch_heap(scan, writer.dead) || !scan->kill_prior_tuple)
			return; /* live (two writers once shared an empty slot), or dead but not yet to everyone */
		/*
		 * Its value, for its entries in the other indexes: from the heap, where
		 * the version stays until its page is pruned (then B-tree's own cleanup
		 * of a full leaf, which checks the heap, or VACUUM removes them).
		 */
		if (!table_tuple_fetch_row_version(writer.rel, &scan->xs_heaptid, SnapshotAny, writer.dead))
			continue;
		bool isnull;
		const Datum at = slot_getattr(writer.dead, at_column, &isnull);
		const Datum id = slot_getattr(writer.dead, at_column + 1, &isnull);
		dead->at[dead->count] = DatumGetTimestampTz(at);
		std::memcpy(dead->id[dead->count].data, DatumGetUUIDP(id)->data, UUID_LEN);
		dead->count++;
	}
}

void
MarkDeadVersionsInOtherIndexes(const SlotTableWriter &writer, const Datum *group, const DeadVersions &dead)
{
	/*
	 * A dirty snapshot, as PostgreSQL's own uniqueness checks use: a scan with
	 * a non-MVCC snapshot keeps its leaf pinned, so index_endscan marks the
	 * entry even if writers changed the leaf meanwhile (a hot group's leaf
	 * changes with every insert).  A dead version is invisible to it too.
	 */
	SnapshotData dirty;
	InitDirtySnapshot(dirty);
	TupleTableSlot *key_row = writer.dead_key;
	const int at_index = writer.group_columns + 1; /* 0-based: group, slot, last_used_at, last_execution_id */
	for (int v = 0; v < dead.count; ++v) {
		ExecClearTuple(key_row);
		std::memcpy(key_row->tts_values, group, sizeof(Datum) * writer.natts);
		std::memset(key_row->tts_isnull, 0, sizeof(bool) * writer.natts);
		key_row->tts_values[at_index] = TimestampTzGetDatum(dead.at[v]);
		key_row->tts_values[at_index + 1] = UUIDPGetDatum(const_cast<pg_uuid_t *>(&dead.id[v]));
		ExecStoreVirtualTuple(key_row);

		for (int i = 0; i < writer.nindexes; ++i) {
			const Relation index = writer.indexes[i];
			/*
			 * Only a B-tree of plain columns with their types' default equality
			 * can be searched by exact key here (SlotTableShape::markable);
			 * another index's entries wait for VACUUM.
			 */
			if (index == writer.primary_key || !writer.markable[i] || !writer.index_infos[i]->ii_ReadyForInserts)
				continue;
			const int nkeys = index->rd_index->indnkeyatts;
			Datum values[INDEX_MAX_KEYS];
			bool isnull[INDEX_MAX_KEYS];
			FormIndexDatum(writer.index_infos[i], key_row, nullptr, values, isnull);
			ScanKeyData keys[INDEX_MAX_KEYS];
			for (int k = 0; k < nkeys; ++k) {
				const AttrNumber column = index->rd_index->indkey.values[k];
				const RegProcedure equal =
				    SlotColumnEquality(TupleDescAttr(RelationGetDescr(writer.rel), column - 1)->atttypid);
				ScanKeyEntryInitialize(&keys[k], 0, static_cast<AttrNumber>(k + 1), BTEqualStrategyNumber, InvalidOid,
				                       index->rd_indcollation[k], equal, values[k]);
			}

			IndexScanDesc scan = index_beginscan(writer.rel, index, &dirty, nkeys, 0);
			index_rescan(scan, keys, nkeys, nullptr, 0);
			/* Exact key: the version's one entry.  Fetching it marks it if dead; the next call records that. */
			while (index_getnext_tid(scan, ForwardScanDirection) != nullptr)
				if (index_fetch_heap(scan, writer.dead) || !scan->kill_prior_tuple)
					break;
			index_endscan(scan);
		}
	}
}

} // namespace runstore::pg
