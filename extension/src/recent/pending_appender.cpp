/*
 * pending_appender.cpp: see pending_appender.hpp.
 *
 * PostgreSQL zone: only trivially destructible locals, so an ERROR raised by
 * any call below unwinds nothing of ours.
 */
extern "C" {
#include "postgres.h"

#include "access/genam.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/index.h"
#include "common/hashfn.h"
#include "executor/tuptable.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/hsearch.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/rls.h"
#include "utils/tuplestore.h"
}

#include <cstring>

#include "runstore/pg/direct_path_shapes.hpp"
#include "runstore/recent/pending_appender.hpp"
#include "runstore/recent/transition_runs.hpp"

namespace runstore::pg {

namespace {

/* A (workspace, workflow, user) group and its newest run in the statement. */
struct GroupKey {
	int64 workspace_id;
	int64 workflow_id;
	const struct varlena *user_id; /* nullptr: no user */
};
struct GroupEntry {
	GroupKey key;
	TimestampTz created_at;
	pg_uuid_t id;
};

bool
Newer(TimestampTz at, const pg_uuid_t &id, TimestampTz old_at, const pg_uuid_t &old_id)
{
	if (at != old_at)
		return at > old_at;
	return std::memcmp(id.data, old_id.data, UUID_LEN) > 0;
}

uint32
HashGroupKey(const void *key, Size)
{
	const auto *k = static_cast<const GroupKey *>(key);
	uint32 h = hash_bytes_uint32(static_cast<uint32>(k->workspace_id)) ^ static_cast<uint32>(k->workspace_id >> 32);
	h = hash_combine(h, hash_bytes_uint32(static_cast<uint32>(k->workflow_id)) ^
	                        static_cast<uint32>(k->workflow_id >> 32));
	if (k->user_id != nullptr)
		h = hash_combine(h, hash_bytes(reinterpret_cast<const unsigned char *>(VARDATA_ANY(k->user_id)),
		                               static_cast<int>(VARSIZE_ANY_EXHDR(k->user_id))));
	return h;
}

/* 0 when equal.  Byte-equal user ids are one group: the SQL statement's DISTINCT ON uses a deterministic collation. */
int
MatchGroupKey(const void *key1, const void *key2, Size)
{
	const auto *a = static_cast<const GroupKey *>(key1);
	const auto *b = static_cast<const GroupKey *>(key2);
	if (a->workspace_id != b->workspace_id || a->workflow_id != b->workflow_id)
		return 1;
	return SameUser(a->user_id, b->user_id) ? 0 : 1;
}

/* The pending table opened for appends, its indexes, and the slot rows are formed in. */
struct Appender {
	Relation rel;
	int nindexes;
	Relation indexes[kMaxPendingTableIndexes];
	IndexInfo *index_infos[kMaxPendingTableIndexes];
	TupleTableSlot *row;
	CommandId cid;
};

void
CloseAppender(Appender *a)
{
	if (a->row != nullptr)
		ExecDropSingleTupleTableSlot(a->row);
	for (int i = 0; i < a->nindexes; ++i)
		index_close(a->indexes[i], NoLock);
	if (a->rel != nullptr)
		table_close(a->rel, NoLock);
	*a = Appender{};
}

/* False when the SQL statement must run (see the header); what was opened is closed by CloseAppender. */
bool
OpenAppender(Appender *a, Oid relid)
{
	*a = Appender{};
	if (!OidIsValid(relid) || pg_class_aclcheck(relid, GetUserId(), ACL_INSERT) != ACLCHECK_OK ||
	    check_enable_rls(relid, InvalidOid, true) == RLS_ENABLED)
		return false;
	a->rel = table_open(relid, RowExclusiveLock);
	const PendingTableShape shape = PendingTableShapeOf(a->rel);
	if (shape.unusable != nullptr)
		return false;
	for (int i = 0; i < shape.nindexes; ++i) {
		a->indexes[i] = index_open(shape.indexes[i], RowExclusiveLock);
		a->index_infos[i] = BuildIndexInfo(a->indexes[i]);
		a->nindexes = i + 1;
	}
	/* Opening the indexes processes pending invalidations: the shape must still be the one read. */
	if (!ShapeStillCurrent(relid, shape.generation))
		return false;
	a->row = MakeSingleTupleTableSlot(RelationGetDescr(a->rel), &TTSOpsVirtual);
	a->cid = GetCurrentCommandId(true);
	return true;
}

void
Append(Appender *a, const GroupKey &key, TimestampTz created_at, const pg_uuid_t &id)
{
	TupleTableSlot *row = a->row;
	ExecClearTuple(row);
	row->tts_values[0] = Int64GetDatum(key.workspace_id);
	row->tts_values[1] = Int64GetDatum(key.workflow_id);
	row->tts_values[2] = PointerGetDatum(key.user_id);
	row->tts_values[3] = TimestampTzGetDatum(created_at);
	row->tts_values[4] = UUIDPGetDatum(const_cast<pg_uuid_t *>(&id));
	std::memset(row->tts_isnull, 0, sizeof(bool) * kPendingColumnCount);
	row->tts_isnull[2] = key.user_id == nullptr;
	ExecStoreVirtualTuple(row);
	table_tuple_insert(a->rel, row, a->cid, 0, nullptr);
	for (int i = 0; i < a->nindexes; ++i) {
		IndexInfo *info = a->index_infos[i];
		if (!info->ii_ReadyForInserts)
			continue; /* being built concurrently: its build will see the row */
		Datum values[INDEX_MAX_KEYS];
		bool isnull[INDEX_MAX_KEYS];
		FormIndexDatum(info, row, nullptr, values, isnull);
		index_insert(a->indexes[i], values, isnull, &row->tts_tid, a->rel, UNIQUE_CHECK_NO, false, info);
	}
}

/*
 * Every group's newest run of the transition table in one pass (memory
 * O(groups), not O(rows)), then one append per group.  -1 if a run is
 * unreadable (before anything is written).
 */
int64
AppendGroups(Appender *a, Tuplestorestate *rows, TupleTableSlot *slot, const RunColumns &columns)
{
	MemoryContext context =
	    AllocSetContextCreate(CurrentMemoryContext, "runstore pending groups", ALLOCSET_DEFAULT_SIZES);
	HASHCTL ctl;
	ctl.keysize = sizeof(GroupKey);
	ctl.entrysize = sizeof(GroupEntry);
	ctl.hash = HashGroupKey;
	ctl.match = MatchGroupKey;
	ctl.hcxt = context;
	HTAB *groups =
	    hash_create("runstore pending groups", 1024, &ctl, HASH_ELEM | HASH_FUNCTION | HASH_COMPARE | HASH_CONTEXT);
	int64 appended = 0;
	tuplestore_select_read_pointer(rows, 0);
	tuplestore_rescan(rows);
	while (tuplestore_gettupleslot(rows, true, false, slot)) {
		Run run;
		if (!ReadRun(slot, columns, &run)) {
			appended = -1;
			break;
		}
		if (!run.has_workflow)
			continue;
		const GroupKey key{run.workspace_id, run.workflow_id, run.user_id};
		bool found = false;
		auto *entry = static_cast<GroupEntry *>(hash_search(groups, &key, HASH_ENTER, &found));
		if (!found) {
			if (key.user_id != nullptr) {
				const Size size = VARSIZE_ANY(key.user_id);
				void *copy = MemoryContextAlloc(context, size);
				std::memcpy(copy, key.user_id, size);
				entry->key.user_id = static_cast<const struct varlena *>(copy);
			}
			entry->created_at = run.created_at;
			entry->id = run.id;
		} else if (Newer(run.created_at, run.id, entry->created_at, entry->id)) {
			entry->created_at = run.created_at;
			entry->id = run.id;
		}
	}
	if (appended == 0) {
		HASH_SEQ_STATUS status;
		hash_seq_init(&status, groups);
		for (auto *entry = static_cast<GroupEntry *>(hash_seq_search(&status)); entry != nullptr;
		     entry = static_cast<GroupEntry *>(hash_seq_search(&status))) {
			Append(a, entry->key, entry->created_at, entry->id);
			++appended;
		}
	}
	MemoryContextDelete(context);
	return appended;
}

} // namespace

int64
AppendInsertedRunsDirectly(const TriggerData *td, Oid pending)
{
	Tuplestorestate *rows = td->tg_newtable;
	if (!DirectPathsOn() || rows == nullptr)
		return -1;
	const int64 count = tuplestore_tuple_count(rows);
	if (count == 0)
		return 0;
	const ExecutionsShape shape = ExecutionsShapeOf(td->tg_relation);
	if (shape.no_run_columns != nullptr)
		return -1;
	Appender appender;
	if (!OpenAppender(&appender, pending)) {
		CloseAppender(&appender);
		return -1;
	}
	TupleTableSlot *slot = MakeSingleTupleTableSlot(RelationGetDescr(td->tg_relation), &TTSOpsMinimalTuple);
	int64 appended = 0;
	if (count == 1) {
		/* The common single-row INSERT: no hash table.  Read pointer 0 from the start. */
		tuplestore_select_read_pointer(rows, 0);
		tuplestore_rescan(rows);
		Run run;
		if (!tuplestore_gettupleslot(rows, true, false, slot) || !ReadRun(slot, shape.run_columns, &run)) {
			appended = -1;
		} else if (run.has_workflow) {
			Append(&appender, GroupKey{run.workspace_id, run.workflow_id, run.user_id}, run.created_at, run.id);
			appended = 1;
		}
	} else {
		appended = AppendGroups(&appender, rows, slot, shape.run_columns);
	}
	ExecDropSingleTupleTableSlot(slot);
	CloseAppender(&appender);
	return appended;
}

} // namespace runstore::pg
