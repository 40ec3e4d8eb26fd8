/*
 * recent_workflow_direct_add.cpp: see recent_workflow_direct_add.hpp.
 *
 * PostgreSQL zone: only trivially destructible locals, so an ERROR raised by
 * any call below (a lock wait cancelled, a unique violation) unwinds nothing
 * of ours.  Slots, scans and relations left open by an ERROR are released by
 * the transaction's abort (resource owner), as for any backend code.
 */
extern "C" {
#include "postgres.h"

#include "access/genam.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/index.h"
#include "catalog/pg_am_d.h"
#include "catalog/pg_type_d.h"
#include "executor/tuptable.h"
#include "miscadmin.h"
#include "nodes/execnodes.h"
#include "utils/acl.h"
#include "utils/fmgroids.h"
#include "utils/rel.h"
#include "utils/rls.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"
#include "utils/tuplestore.h"
#include "utils/uuid.h"
}

#include <cstring>

#include "runstore/pg/recent_workflow_direct_add.hpp"
#include "runstore/pg/runstore_relations.hpp"

namespace runstore::pg {

namespace {

struct Column {
	const char *name;
	Oid type;
};

/*
 * The slot tables as the extension creates them, columns in primary-key
 * order: the group, slot, then the value (last_used_at, last_execution_id).
 */
constexpr Column kWorkspaceSlotColumns[] = {{"workspace_id", INT8OID},
                                            {"workflow_id", INT8OID},
                                            {"slot", INT2OID},
                                            {"last_used_at", TIMESTAMPTZOID},
                                            {"last_execution_id", UUIDOID}};
constexpr Column kUserSlotColumns[] = {{"workspace_id", INT8OID},    {"user_id", TEXTOID},
                                       {"workflow_id", INT8OID},     {"slot", INT2OID},
                                       {"last_used_at", TIMESTAMPTZOID}, {"last_execution_id", UUIDOID}};

struct ScopeShape {
	const char *table;
	const Column *columns;
	int natts;
	int group_columns() const { return natts - 3; }
};

constexpr ScopeShape kWorkspaceScope = {"workspace_recent_workflow_slot", kWorkspaceSlotColumns, 5};
constexpr ScopeShape kUserScope = {"user_recent_workflow_slot", kUserSlotColumns, 6};
constexpr int kMaxSlotColumns = 6;
/* The extension creates two indexes per slot table; a few more are tolerated, each one written. */
constexpr int kMaxIndexes = 8;

/* A slot table opened for writing, with the indexes every new row version needs entries in. */
struct OpenScope {
	const ScopeShape *shape;
	Relation rel;
	Relation primary_key;
	int nindexes;
	Relation indexes[kMaxIndexes];
	IndexInfo *index_infos[kMaxIndexes];
};

/* The inserted run, as read from the transition table. */
struct Run {
	Datum workspace_id;
	Datum workflow_id;
	Datum user_id;
	bool has_workflow;
	bool has_user;
	TimestampTz created_at;
	Datum id;
};

RegProcedure
EqualityProc(Oid type)
{
	switch (type) {
	case INT8OID:
		return F_INT8EQ;
	case INT2OID:
		return F_INT2EQ;
	case TEXTOID:
		return F_TEXTEQ;
	default:
		return InvalidOid;
	}
}

void
CloseScope(OpenScope *scope)
{
	for (int i = 0; i < scope->nindexes; ++i)
		index_close(scope->indexes[i], NoLock);
	scope->nindexes = 0;
	scope->primary_key = nullptr;
	if (scope->rel != nullptr)
		table_close(scope->rel, NoLock);
	scope->rel = nullptr;
}

bool
ColumnsMatch(Relation rel, const ScopeShape &shape)
{
	const TupleDesc desc = RelationGetDescr(rel);
	if (desc->natts != shape.natts)
		return false;
	for (int i = 0; i < shape.natts; ++i) {
		const Form_pg_attribute att = TupleDescAttr(desc, i);
		if (att->attisdropped || att->atttypid != shape.columns[i].type ||
		    std::strcmp(NameStr(att->attname), shape.columns[i].name) != 0)
			return false;
	}
	return true;
}

/* The primary key must be the btree over every column in table order, which the probe's scan keys assume. */
bool
IsExpectedPrimaryKey(Relation index, int natts)
{
	const Form_pg_index form = index->rd_index;
	if (!form->indisprimary || index->rd_rel->relam != BTREE_AM_OID || form->indnkeyatts != natts)
		return false;
	for (int i = 0; i < natts; ++i)
		if (form->indkey.values[i] != i + 1)
			return false;
	return true;
}

/*
 * Opens runstore.<shape.table> and its indexes; false when anything differs
 * from what this path can write exactly as the SPI statement would: other
 * columns, triggers, row-level security that applies to this role, missing
 * privileges, or an index with expressions, a predicate, an exclusion or a
 * deferred uniqueness check.  The SPI statement handles (or reports) those.
 */
bool
OpenSlotTable(const ScopeShape &shape, OpenScope *scope)
{
	*scope = OpenScope{&shape, nullptr, nullptr, 0, {}, {}};
	const Oid relid = RunstoreRelation(shape.table);
	if (!OidIsValid(relid))
		return false;
	const Oid role = GetUserId();
	if (pg_class_aclcheck(relid, role, ACL_SELECT) != ACLCHECK_OK ||
	    pg_class_aclcheck(relid, role, ACL_INSERT) != ACLCHECK_OK ||
	    pg_class_aclcheck(relid, role, ACL_UPDATE) != ACLCHECK_OK ||
	    check_enable_rls(relid, InvalidOid, true) == RLS_ENABLED)
		return false;

	scope->rel = table_open(relid, RowExclusiveLock);
	if (scope->rel->rd_rel->relkind != RELKIND_RELATION || scope->rel->trigdesc != nullptr ||
	    !ColumnsMatch(scope->rel, shape))
		return false;

	List *index_oids = RelationGetIndexList(scope->rel);
	ListCell *lc;
	foreach (lc, index_oids) {
		if (scope->nindexes == kMaxIndexes)
			return false;
		const Relation index = index_open(lfirst_oid(lc), RowExclusiveLock);
		scope->indexes[scope->nindexes++] = index;
		IndexInfo *info = BuildIndexInfo(index);
		scope->index_infos[scope->nindexes - 1] = info;
		if (info->ii_Expressions != NIL || info->ii_Predicate != NIL || info->ii_ExclusionOps != nullptr ||
		    (info->ii_Unique && !index->rd_index->indimmediate))
			return false;
		if (IsExpectedPrimaryKey(index, shape.natts))
			scope->primary_key = index;
	}
	list_free(index_oids);
	return scope->primary_key != nullptr;
}

/* Every index entry of a new row version (an insert, or an update that was not HOT). */
void
InsertIndexEntries(const OpenScope &scope, TupleTableSlot *row)
{
	for (int i = 0; i < scope.nindexes; ++i) {
		IndexInfo *info = scope.index_infos[i];
		if (!info->ii_ReadyForInserts)
			continue; /* being built concurrently: its build will see the row */
		Datum values[INDEX_MAX_KEYS];
		bool isnull[INDEX_MAX_KEYS];
		FormIndexDatum(info, row, nullptr, values, isnull);
		const Relation index = scope.indexes[i];
		index_insert(index, values, isnull, &row->tts_tid, scope.rel,
		             index->rd_index->indisunique ? UNIQUE_CHECK_YES : UNIQUE_CHECK_NO, false, info);
	}
}

/* (at, id) > (old_at, old_id): the run is newer than the slot's value. */
bool
Newer(TimestampTz at, Datum id, TimestampTz old_at, Datum old_id)
{
	if (at != old_at)
		return at > old_at;
	return std::memcmp(DatumGetUUIDP(id)->data, DatumGetUUIDP(old_id)->data, UUID_LEN) > 0;
}

/*
 * ADD_SLOT for one group: lock the slot's newest row and move it to the run
 * if the run is newer, or insert a row if the slot is empty.  The probe reads
 * the latest snapshot; the lock follows the row to its latest version if a
 * writer sharing the slot changed it since.  If a removal deleted the row
 * meanwhile, probe again: the slot is then empty or holds the collapse's row.
 *
 * Locking even when the run is not newer is what keeps a concurrent removal
 * exact: a removal deleting that row waits for this transaction, and its
 * recompute (a later snapshot) then sees this run.
 */
void
AddToSlot(const OpenScope &scope, const Datum *values)
{
	const int g = scope.shape->group_columns();
	const int nkeys = g + 1; /* the group and the slot */
	const int at_column = g + 1;
	const int id_column = g + 2;
	const TimestampTz at = DatumGetTimestampTz(values[at_column]);
	const Datum id = values[id_column];

	ScanKeyData keys[kMaxSlotColumns];
	for (int k = 0; k < nkeys; ++k)
		ScanKeyEntryInitialize(&keys[k], 0, static_cast<AttrNumber>(k + 1), BTEqualStrategyNumber, InvalidOid,
		                       scope.primary_key->rd_indcollation[k], EqualityProc(scope.shape->columns[k].type),
		                       values[k]);

	TupleTableSlot *found = table_slot_create(scope.rel, nullptr);
	TupleTableSlot *row = MakeSingleTupleTableSlot(RelationGetDescr(scope.rel), &TTSOpsVirtual);
	const CommandId cid = GetCurrentCommandId(true);
	for (;;) {
		CHECK_FOR_INTERRUPTS();
		const Snapshot snapshot = RegisterSnapshot(GetLatestSnapshot());
		/* The slot's live row is its greatest key: the first a backward scan meets, above dead versions. */
		IndexScanDesc scan = index_beginscan(scope.rel, scope.primary_key, snapshot, nkeys, 0);
		index_rescan(scan, keys, nkeys, nullptr, 0);
		const bool occupied = index_getnext_slot(scan, BackwardScanDirection, found);
		ItemPointerData tid;
		if (occupied)
			tid = found->tts_tid;
		index_endscan(scan);

		ExecClearTuple(row);
		std::memcpy(row->tts_values, values, sizeof(Datum) * scope.shape->natts);
		std::memset(row->tts_isnull, 0, sizeof(bool) * scope.shape->natts);
		ExecStoreVirtualTuple(row);

		if (!occupied) {
			table_tuple_insert(scope.rel, row, cid, 0, nullptr);
			InsertIndexEntries(scope, row);
			UnregisterSnapshot(snapshot);
			break;
		}

		TM_FailureData tmfd;
		const TM_Result locked = table_tuple_lock(scope.rel, &tid, snapshot, found, cid, LockTupleExclusive,
		                                          LockWaitBlock, TUPLE_LOCK_FLAG_FIND_LAST_VERSION, &tmfd);
		if (locked == TM_Deleted) {
			UnregisterSnapshot(snapshot);
			continue;
		}
		if (locked != TM_Ok)
			elog(ERROR, "runstore: could not lock a recent-workflows slot row (result %d)", static_cast<int>(locked));

		bool isnull;
		const TimestampTz old_at = DatumGetTimestampTz(slot_getattr(found, at_column + 1, &isnull));
		const Datum old_id = slot_getattr(found, id_column + 1, &isnull);
		if (Newer(at, id, old_at, old_id)) {
			LockTupleMode lockmode;
			bool update_indexes;
			const TM_Result updated = table_tuple_update(scope.rel, &found->tts_tid, row, cid, snapshot,
			                                             InvalidSnapshot, true, &tmfd, &lockmode, &update_indexes);
			if (updated != TM_Ok)
				elog(ERROR, "runstore: could not update a locked recent-workflows slot row (result %d)",
				     static_cast<int>(updated));
			if (update_indexes)
				InsertIndexEntries(scope, row);
		}
		UnregisterSnapshot(snapshot);
		break;
	}
	ExecDropSingleTupleTableSlot(row);
	ExecDropSingleTupleTableSlot(found);
}

int
AttributeNumber(TupleDesc desc, const char *name)
{
	for (int i = 0; i < desc->natts; ++i) {
		const Form_pg_attribute att = TupleDescAttr(desc, i);
		if (!att->attisdropped && std::strcmp(NameStr(att->attname), name) == 0)
			return i + 1;
	}
	return InvalidAttrNumber;
}

/*
 * Reads the transition table's only row into `slot` (of the executions
 * table's descriptor) and `run`, whose by-reference values point into the
 * slot's copy of the tuple; false when the table does not hold one row.
 */
bool
ReadInsertedRun(const TriggerData *td, TupleTableSlot *slot, Run *run)
{
	Tuplestorestate *rows = td->tg_newtable;
	if (rows == nullptr || tuplestore_tuple_count(rows) != 1)
		return false;
	const TupleDesc desc = RelationGetDescr(td->tg_relation);
	const int workspace_att = AttributeNumber(desc, "workspace_id");
	const int workflow_att = AttributeNumber(desc, "workflow_id");
	const int user_att = AttributeNumber(desc, "user_id");
	const int created_att = AttributeNumber(desc, "created_at");
	const int id_att = AttributeNumber(desc, "id");
	if (workspace_att == InvalidAttrNumber || workflow_att == InvalidAttrNumber || user_att == InvalidAttrNumber ||
	    created_att == InvalidAttrNumber || id_att == InvalidAttrNumber)
		return false;

	/* Read pointer 0 from the start: SPI's scans of the same table use pointers of their own. */
	tuplestore_select_read_pointer(rows, 0);
	tuplestore_rescan(rows);
	bool ok = tuplestore_gettupleslot(rows, true, true, slot);
	if (ok) {
		bool workspace_null, workflow_null, user_null, created_null, id_null;
		run->workspace_id = slot_getattr(slot, workspace_att, &workspace_null);
		run->workflow_id = slot_getattr(slot, workflow_att, &workflow_null);
		const Datum user_id = slot_getattr(slot, user_att, &user_null);
		const Datum created_at = slot_getattr(slot, created_att, &created_null);
		run->id = slot_getattr(slot, id_att, &id_null);
		run->has_workflow = !workflow_null;
		run->has_user = !user_null;
		/* Detoasted: the row is written into another table. */
		run->user_id = user_null ? Datum{0} : PointerGetDatum(pg_detoast_datum_packed(
		                                          reinterpret_cast<struct varlena *>(DatumGetPointer(user_id))));
		run->created_at = created_null ? 0 : DatumGetTimestampTz(created_at);
		/* NOT NULL columns as the extension creates them; anything else is the SPI statement's to judge. */
		ok = !workspace_null && !created_null && !id_null;
	}
	return ok;
}

/* Both scopes' slot writes for a run in a group; false, having written nothing, when the slot tables do not fit. */
bool
AddRun(const Run &run, int16 slot)
{
	OpenScope workspace_scope{};
	OpenScope user_scope{};
	if (!OpenSlotTable(kWorkspaceScope, &workspace_scope) || !OpenSlotTable(kUserScope, &user_scope)) {
		CloseScope(&workspace_scope);
		CloseScope(&user_scope);
		return false;
	}

	/* What this transaction wrote before is then visible to the probes' snapshots (as SPI would do). */
	CommandCounterIncrement();
	/* Workspace scope first, as the SPI statement does, so writers sharing a slot lock in one order. */
	const Datum workspace_row[] = {run.workspace_id, run.workflow_id, Int16GetDatum(slot),
	                               TimestampTzGetDatum(run.created_at), run.id};
	AddToSlot(workspace_scope, workspace_row);
	if (run.has_user) {
		const Datum user_row[] = {run.workspace_id, run.user_id, run.workflow_id, Int16GetDatum(slot),
		                          TimestampTzGetDatum(run.created_at), run.id};
		AddToSlot(user_scope, user_row);
	}
	CloseScope(&workspace_scope);
	CloseScope(&user_scope);
	return true;
}

} // namespace

bool
AddInsertedRunDirectly(const TriggerData *td, int16 slot)
{
	if (IsolationUsesXactSnapshot())
		return false;
	TupleTableSlot *inserted = MakeSingleTupleTableSlot(RelationGetDescr(td->tg_relation), &TTSOpsMinimalTuple);
	Run run;
	const bool one_row = ReadInsertedRun(td, inserted, &run);
	bool done = one_row && !run.has_workflow; /* a run in no group: nothing to add */
	if (one_row && run.has_workflow)
		done = AddRun(run, slot);
	ExecDropSingleTupleTableSlot(inserted);
	return done;
}

} // namespace runstore::pg

