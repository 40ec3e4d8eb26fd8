/*
 * recent_workflow_direct_add.cpp: see recent_workflow_direct_add.hpp.
 *
 * PostgreSQL zone: only trivially destructible locals, so an ERROR raised by
 * any call below unwinds nothing of ours.
 */
extern "C" {
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_type_d.h"
#include "common/hashfn.h"
#include "executor/tuptable.h"
#include "port.h"
#include "utils/builtins.h"
#include "utils/hsearch.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/timestamp.h"
#include "utils/tuplestore.h"
#include "utils/uuid.h"
#include "utils/varlena.h"
}

#include <cstring>

#include "runstore/pg/direct_path_shapes.hpp"
#include "runstore/recent/recent_workflow_direct_add.hpp"
#include "runstore/recent/slot_table_writer.hpp"
#include "runstore/recent/transition_runs.hpp"

namespace runstore::pg {

namespace {

/* A group's newest inserted run; the user scope's key also holds user_id (copied into the table's context). */
struct GroupKey {
	int64 workspace_id;
	int64 workflow_id;
	const struct varlena *user_id; /* nullptr in the workspace scope */
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

/* 0 when equal.  Byte equality is text equality: the database's default collation is deterministic. */
int
MatchGroupKey(const void *key1, const void *key2, Size)
{
	const auto *a = static_cast<const GroupKey *>(key1);
	const auto *b = static_cast<const GroupKey *>(key2);
	if (a->workspace_id != b->workspace_id || a->workflow_id != b->workflow_id)
		return 1;
	return SameUser(a->user_id, b->user_id) ? 0 : 1;
}

HTAB *
CreateGroupTable(const char *name, MemoryContext context)
{
	HASHCTL ctl;
	ctl.keysize = sizeof(GroupKey);
	ctl.entrysize = sizeof(GroupEntry);
	ctl.hash = HashGroupKey;
	ctl.match = MatchGroupKey;
	ctl.hcxt = context;
	return hash_create(name, 1024, &ctl, HASH_ELEM | HASH_FUNCTION | HASH_COMPARE | HASH_CONTEXT);
}

/* Keeps the newer of the group's run so far and `run`. */
void
Accumulate(HTAB *groups, const GroupKey &key, const Run &run, MemoryContext context)
{
	bool found;
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

/* Primary-key order of the slot tables, so writers sharing a slot lock groups in one order (as the SPI statement does).
 */
struct KeyOrder {
	bool user_scope;
	Oid user_collation;
};

int
CompareInt64(int64 a, int64 b)
{
	return a < b ? -1 : (a > b ? 1 : 0);
}

int
CompareGroups(const void *a, const void *b, void *arg)
{
	const GroupKey &x = (*static_cast<GroupEntry *const *>(a))->key;
	const GroupKey &y = (*static_cast<GroupEntry *const *>(b))->key;
	const auto *order = static_cast<const KeyOrder *>(arg);
	if (const int c = CompareInt64(x.workspace_id, y.workspace_id); c != 0)
		return c;
	if (order->user_scope) {
		const int c =
		    varstr_cmp(VARDATA_ANY(x.user_id), static_cast<int>(VARSIZE_ANY_EXHDR(x.user_id)), VARDATA_ANY(y.user_id),
		               static_cast<int>(VARSIZE_ANY_EXHDR(y.user_id)), order->user_collation);
		if (c != 0)
			return c;
	}
	return CompareInt64(x.workflow_id, y.workflow_id);
}

void
WriteRun(SlotTableWriter *writer, const GroupKey &key, TimestampTz created_at, const pg_uuid_t &id, int16 slot)
{
	if (key.user_id == nullptr) {
		const Datum row[] = {Int64GetDatum(key.workspace_id), Int64GetDatum(key.workflow_id), Int16GetDatum(slot),
		                     TimestampTzGetDatum(created_at), UUIDPGetDatum(const_cast<pg_uuid_t *>(&id))};
		WriteRunToSlot(writer, row);
	} else {
		const Datum row[] = {Int64GetDatum(key.workspace_id), PointerGetDatum(key.user_id),
		                     Int64GetDatum(key.workflow_id),  Int16GetDatum(slot),
		                     TimestampTzGetDatum(created_at), UUIDPGetDatum(const_cast<pg_uuid_t *>(&id))};
		WriteRunToSlot(writer, row);
	}
}

/* Writes every group of `groups` in key order, one short-lived memory context per group. */
void
WriteGroups(SlotTableWriter *writer, HTAB *groups, const KeyOrder &order, int16 slot)
{
	const long n = hash_get_num_entries(groups);
	if (n == 0)
		return;
	auto **sorted = static_cast<GroupEntry **>(palloc(sizeof(GroupEntry *) * n));
	HASH_SEQ_STATUS status;
	hash_seq_init(&status, groups);
	long i = 0;
	for (auto *entry = static_cast<GroupEntry *>(hash_seq_search(&status)); entry != nullptr;
	     entry = static_cast<GroupEntry *>(hash_seq_search(&status)))
		sorted[i++] = entry;
	qsort_arg(sorted, static_cast<size_t>(n), sizeof(GroupEntry *), CompareGroups, const_cast<KeyOrder *>(&order));

	MemoryContext per_group =
	    AllocSetContextCreate(CurrentMemoryContext, "runstore summary write", ALLOCSET_SMALL_SIZES);
	for (i = 0; i < n; ++i) {
		const MemoryContext outer = MemoryContextSwitchTo(per_group);
		WriteRun(writer, sorted[i]->key, sorted[i]->created_at, sorted[i]->id, slot);
		MemoryContextSwitchTo(outer);
		MemoryContextReset(per_group);
	}
	MemoryContextDelete(per_group);
	pfree(sorted);
}

/*
 * Every group's newest run of the transition table, one pass over it, then
 * the writes, workspace scope first (the SPI statement's order).  Memory is
 * O(groups), not O(rows).
 */
void
AddManyRuns(Tuplestorestate *rows, TupleTableSlot *slot, const RunColumns &columns, SlotTableWriter *workspace,
            SlotTableWriter *user, int16 slot_number, bool *ok)
{
	MemoryContext context =
	    AllocSetContextCreate(CurrentMemoryContext, "runstore summary groups", ALLOCSET_DEFAULT_SIZES);
	HTAB *workspace_groups = CreateGroupTable("runstore workspace groups", context);
	HTAB *user_groups = CreateGroupTable("runstore user groups", context);
	*ok = true;
	tuplestore_select_read_pointer(rows, 0);
	tuplestore_rescan(rows);
	while (tuplestore_gettupleslot(rows, true, false, slot)) {
		Run run;
		if (!ReadRun(slot, columns, &run)) {
			*ok = false;
			break;
		}
		if (!run.has_workflow)
			continue;
		Accumulate(workspace_groups, GroupKey{run.workspace_id, run.workflow_id, nullptr}, run, context);
		if (run.user_id != nullptr)
			Accumulate(user_groups, GroupKey{run.workspace_id, run.workflow_id, run.user_id}, run, context);
	}
	if (*ok) {
		CommandCounterIncrement(); /* this transaction's earlier writes become visible to the probes (as SPI would) */
		WriteGroups(workspace, workspace_groups, KeyOrder{false, InvalidOid}, slot_number);
		WriteGroups(user, user_groups, KeyOrder{true, SlotKeyCollation(*user, 1)}, slot_number);
	}
	MemoryContextDelete(context);
}

/* The common single-row INSERT: no hash tables. */
bool
AddOneRun(TupleTableSlot *slot, const RunColumns &columns, SlotTableWriter *workspace, SlotTableWriter *user,
          int16 slot_number)
{
	Run run;
	if (!ReadRun(slot, columns, &run))
		return false;
	if (!run.has_workflow)
		return true;
	CommandCounterIncrement(); /* this transaction's earlier writes become visible to the probes (as SPI would) */
	WriteRun(workspace, GroupKey{run.workspace_id, run.workflow_id, nullptr}, run.created_at, run.id, slot_number);
	if (run.user_id != nullptr)
		WriteRun(user, GroupKey{run.workspace_id, run.workflow_id, run.user_id}, run.created_at, run.id, slot_number);
	return true;
}

} // namespace

bool
AddInsertedRunsDirectly(const TriggerData *td, int16 slot)
{
	Tuplestorestate *rows = td->tg_newtable;
	if (!DirectPathsOn() || IsolationUsesXactSnapshot() || rows == nullptr)
		return false;
	const int64 count = tuplestore_tuple_count(rows);
	if (count == 0)
		return true;
	const ExecutionsShape shape = ExecutionsShapeOf(td->tg_relation);
	if (shape.no_run_columns != nullptr)
		return false;
	const RunColumns &columns = shape.run_columns;

	SlotTableWriter workspace;
	SlotTableWriter user;
	bool ok = OpenSlotTableWriter(SlotScope::kWorkspace, &workspace);
	if (ok)
		ok = OpenSlotTableWriter(SlotScope::kUser, &user);
	else
		user = SlotTableWriter{};
	if (ok) {
		TupleTableSlot *row = MakeSingleTupleTableSlot(RelationGetDescr(td->tg_relation), &TTSOpsMinimalTuple);
		if (count == 1) {
			/* Read pointer 0 from the start: SPI's scans of the same table use pointers of their own. */
			tuplestore_select_read_pointer(rows, 0);
			tuplestore_rescan(rows);
			ok = tuplestore_gettupleslot(rows, true, false, row) && AddOneRun(row, columns, &workspace, &user, slot);
		} else {
			AddManyRuns(rows, row, columns, &workspace, &user, slot, &ok);
		}
		ExecDropSingleTupleTableSlot(row);
	}
	CloseSlotTableWriter(&workspace);
	CloseSlotTableWriter(&user);
	return ok;
}

} // namespace runstore::pg
