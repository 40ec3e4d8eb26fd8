/*
 * direct_path_shapes.cpp: see direct_path_shapes.hpp.
 *
 * PostgreSQL zone: only trivially destructible locals.  The cache is a
 * dynahash in CacheMemoryContext, one entry per relation a direct path
 * looked at; the relcache callback only clears flags (it may run during
 * transaction abort, where nothing may be allocated or raised).
 */
extern "C" {
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/skey.h"
#include "access/stratnum.h"
#include "access/table.h"
#include "access/transam.h"
#include "catalog/namespace.h"
#include "catalog/pg_am_d.h"
#include "catalog/pg_collation_d.h"
#include "catalog/pg_index.h"
#include "catalog/pg_namespace_d.h"
#include "catalog/pg_trigger.h"
#include "catalog/pg_type_d.h"
#include "commands/defrem.h"
#include "commands/trigger.h"
#include "nodes/primnodes.h"
#include "parser/parse_relation.h"
#include "utils/fmgroids.h"
#include "utils/hsearch.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
}

#include <cstring>

#include "runstore/pg/backend_hash.hpp"
#include "runstore/pg/citus_shards.hpp"
#include "runstore/pg/direct_path_shapes.hpp"
#include "runstore/pg/guc.hpp"

namespace runstore::pg {

namespace {

struct ShapeEntry {
	Oid relid; /* hash key */
	uint64 generation;
	bool executions_known;
	bool pending_known;
	bool folded_known;
	ExecutionsShape executions;
	PendingTableShape pending;
	FoldedTableShape folded;
};

HTAB *shapes = nullptr;

HTAB *
Shapes()
{
	return BackendHash(&shapes, "runstore direct path shapes", sizeof(Oid), sizeof(ShapeEntry), 16, CacheMemoryContext);
}

void
Forget(ShapeEntry *entry)
{
	entry->generation++;
	entry->executions_known = false;
	entry->pending_known = false;
	entry->folded_known = false;
}

/* Relcache callback: InvalidOid means every relation. */
void
ForgetShape(Datum, Oid relid)
{
	if (shapes == nullptr)
		return;
	if (OidIsValid(relid)) {
		auto *entry = static_cast<ShapeEntry *>(hash_search(shapes, &relid, HASH_FIND, nullptr));
		if (entry != nullptr)
			Forget(entry);
		return;
	}
	HASH_SEQ_STATUS status;
	hash_seq_init(&status, shapes);
	for (auto *entry = static_cast<ShapeEntry *>(hash_seq_search(&status)); entry != nullptr;
	     entry = static_cast<ShapeEntry *>(hash_seq_search(&status)))
		Forget(entry);
}

ShapeEntry *
EntryFor(Oid relid)
{
	bool found;
	auto *entry = static_cast<ShapeEntry *>(hash_search(Shapes(), &relid, HASH_ENTER, &found));
	if (!found) {
		entry->generation = 0;
		Forget(entry);
	}
	return entry;
}

/* nullptr when `rel` is an ordinary local heap table holding its own rows. */
const char *
NotLocalHeap(Relation rel)
{
	switch (rel->rd_rel->relkind) {
	case RELKIND_RELATION:
		break;
	case RELKIND_PARTITIONED_TABLE:
		return "a partitioned table";
	case RELKIND_FOREIGN_TABLE:
		return "a foreign table";
	default:
		return "not an ordinary table";
	}
	if (rel->rd_rel->relam != HEAP_TABLE_AM_OID)
		return "not stored with the heap access method";
	if (DistributedByCitus(RelationGetRelid(rel)))
		return "distributed by Citus (the local table is a shell)";
	return nullptr;
}

/* The live column `name` if it has type `type`; InvalidAttrNumber otherwise. */
AttrNumber
ColumnOfType(Relation rel, const char *name, Oid type)
{
	const int attno = attnameAttNum(rel, name, false);
	if (attno <= 0 || TupleDescAttr(RelationGetDescr(rel), attno - 1)->atttypid != type)
		return InvalidAttrNumber;
	return static_cast<AttrNumber>(attno);
}

/* The live column `name` if it has type `type` and is NOT NULL; InvalidAttrNumber otherwise. */
AttrNumber
NotNullColumnOfType(Relation rel, const char *name, Oid type)
{
	const AttrNumber attno = ColumnOfType(rel, name, type);
	if (attno == InvalidAttrNumber || !TupleDescAttr(RelationGetDescr(rel), attno - 1)->attnotnull)
		return InvalidAttrNumber;
	return attno;
}

bool
DeterministicCollation(Oid collation)
{
	return !OidIsValid(collation) || get_collation_isdeterministic(collation);
}

const char *
FindRunColumns(Relation rel, RunColumns *columns)
{
	columns->workspace_id = ColumnOfType(rel, "workspace_id", INT8OID);
	columns->workflow_id = ColumnOfType(rel, "workflow_id", INT8OID);
	columns->user_id = ColumnOfType(rel, "user_id", TEXTOID);
	columns->created_at = ColumnOfType(rel, "created_at", TIMESTAMPTZOID);
	columns->id = ColumnOfType(rel, "id", UUIDOID);
	if (columns->workspace_id == InvalidAttrNumber || columns->workflow_id == InvalidAttrNumber ||
	    columns->user_id == InvalidAttrNumber || columns->created_at == InvalidAttrNumber ||
	    columns->id == InvalidAttrNumber)
		return "a column of workspace_id bigint, workflow_id bigint, user_id text, created_at timestamptz, id uuid "
		       "is missing or of another type";
	/* Runs are grouped by the bytes of user_id: equal text must be equal bytes. */
	if (!DeterministicCollation(TupleDescAttr(RelationGetDescr(rel), columns->user_id - 1)->attcollation))
		return "user_id has a nondeterministic collation";
	return nullptr;
}

/* The B-tree operator family `type`'s equality and order come from by default. */
Oid
DefaultBtreeFamily(Oid type)
{
	const Oid opclass = GetDefaultOpClass(type, BTREE_AM_OID);
	return OidIsValid(opclass) ? get_opclass_family(opclass) : InvalidOid;
}

bool
HasExpressionsOrPredicate(Relation index)
{
	return !heap_attisnull(index->rd_indextuple, Anum_pg_index_indexprs, nullptr) ||
	       !heap_attisnull(index->rd_indextuple, Anum_pg_index_indpred, nullptr);
}

/*
 * Whether key column `k` (0-based) of the B-tree `index` is the table's
 * column `attno` of type `type`, with its default operator family in
 * ascending order: then a scan key with the type's equality finds exactly
 * the rows whose column equals the value.
 */
bool
KeyColumnIs(Relation index, int k, AttrNumber attno, Oid type)
{
	return k < index->rd_index->indnkeyatts && index->rd_index->indkey.values[k] == attno &&
	       index->rd_opfamily[k] == DefaultBtreeFamily(type) && index->rd_indoption[k] == 0;
}

/* A B-tree index every snapshot-consistent probe may use: valid, live, plain columns, no predicate. */
bool
ProbeableBtree(Relation index)
{
	const Form_pg_index form = index->rd_index;
	return index->rd_rel->relam == BTREE_AM_OID && form->indisvalid && form->indislive && form->indisready &&
	       !HasExpressionsOrPredicate(index);
}

TransactionId
CheckXmin(Relation index)
{
	return index->rd_index->indcheckxmin ? HeapTupleHeaderGetXmin(index->rd_indextuple->t_data) : InvalidTransactionId;
}

void
FindLookupIndexes(Relation rel, ExecutionsShape *shape)
{
	shape->no_id_index = "no valid B-tree index without a predicate has id (uuid) as its first key column";
	shape->id_index = InvalidOid;
	bool id_index_unique = false;
	shape->id_index_check_xmin = InvalidTransactionId;
	shape->workspace_id_index = InvalidOid;
	shape->workspace_id_index_check_xmin = InvalidTransactionId;
	const AttrNumber id = ColumnOfType(rel, "id", UUIDOID);
	if (id == InvalidAttrNumber) {
		shape->no_id_index = "no column id of type uuid";
		return;
	}
	List *oids = RelationGetIndexList(rel);
	ListCell *lc;
	foreach (lc, oids) {
		Relation index = index_open(lfirst_oid(lc), AccessShareLock);
		if (ProbeableBtree(index)) {
			const bool unique = index->rd_index->indisunique && index->rd_index->indnkeyatts == 1;
			/* A unique index on id alone is best: one row per probe. */
			if (KeyColumnIs(index, 0, id, UUIDOID) && (!OidIsValid(shape->id_index) || (unique && !id_index_unique))) {
				shape->id_index = RelationGetRelid(index);
				id_index_unique = unique;
				shape->id_index_check_xmin = CheckXmin(index);
				shape->no_id_index = nullptr;
			}
			if (shape->workspace_id != InvalidAttrNumber && !OidIsValid(shape->workspace_id_index) &&
			    KeyColumnIs(index, 0, shape->workspace_id, INT8OID) && KeyColumnIs(index, 1, id, UUIDOID)) {
				shape->workspace_id_index = RelationGetRelid(index);
				shape->workspace_id_index_check_xmin = CheckXmin(index);
			}
		}
		index_close(index, AccessShareLock);
	}
	list_free(oids);
}

/* Whether an enabled trigger of `rel` calls runstore.<function>() on `event` (TRIGGER_TYPE_*). */
bool
FiresFunction(Relation rel, const char *function, int16 event)
{
	const TriggerDesc *triggers = rel->trigdesc;
	if (triggers == nullptr)
		return false;
	for (int i = 0; i < triggers->numtriggers; ++i) {
		const Trigger &t = triggers->triggers[i];
		if ((t.tgtype & event) == 0 || (t.tgenabled != TRIGGER_FIRES_ON_ORIGIN && t.tgenabled != TRIGGER_FIRES_ALWAYS))
			continue;
		const char *name = get_func_name(t.tgfoid);
		const char *schema = get_namespace_name(get_func_namespace(t.tgfoid));
		if (name != nullptr && schema != nullptr && std::strcmp(name, function) == 0 &&
		    std::strcmp(schema, "runstore") == 0)
			return true;
	}
	return false;
}

ExecutionsShape
ComputeExecutionsShape(Relation rel)
{
	ExecutionsShape shape{};
	shape.not_local_heap = NotLocalHeap(rel);
	shape.no_run_columns = FindRunColumns(rel, &shape.run_columns);
	shape.workspace_id = ColumnOfType(rel, "workspace_id", INT8OID);
	FindLookupIndexes(rel, &shape);
	shape.no_priority_triggers =
	    FiresFunction(rel, "_register_priorities", TRIGGER_TYPE_INSERT) &&
	            FiresFunction(rel, "_register_priorities", TRIGGER_TYPE_UPDATE)
	        ? nullptr
	        : "a runstore._register_priorities() trigger for INSERT or UPDATE is missing or disabled";
	return shape;
}

/* A key column's order in a read index: as ORDER BY ... ASC or DESC writes it, NULLs where those put them. */
enum class KeyOrder : int16 { kAsc = 0, kDesc = INDOPTION_DESC | INDOPTION_NULLS_FIRST };

/*
 * Whether key column `k` of the B-tree `index` is the table's column
 * `attno` of type `type`, in its default operator family and in `order`:
 * then a scan of the index returns rows in the order an ORDER BY of that
 * column gives, and an equality scan key finds exactly the equal rows (a
 * text column: in a deterministic collation, where equal means byte-equal).
 */
bool
KeyColumnOrdered(Relation index, int k, AttrNumber attno, Oid type, KeyOrder order)
{
	return attno != InvalidAttrNumber && k < index->rd_index->indnkeyatts &&
	       index->rd_index->indkey.values[k] == attno && index->rd_opfamily[k] == DefaultBtreeFamily(type) &&
	       index->rd_indoption[k] == static_cast<int16>(order) && DeterministicCollation(index->rd_indcollation[k]);
}

/* A valid, live B-tree on plain columns: what an ordered read may scan (its predicate is the caller's to judge). */
bool
ReadableBtree(Relation index)
{
	const Form_pg_index form = index->rd_index;
	return index->rd_rel->relam == BTREE_AM_OID && form->indisvalid && form->indislive && form->indisready &&
	       heap_attisnull(index->rd_indextuple, Anum_pg_index_indexprs, nullptr);
}

bool
HasPredicate(Relation index)
{
	return !heap_attisnull(index->rd_indextuple, Anum_pg_index_indpred, nullptr);
}

/* Whether the index's predicate is exactly `column IS NOT NULL`, which every row a user's read wants satisfies. */
bool
PredicateIsNotNull(Relation index, AttrNumber column)
{
	List *predicate = RelationGetIndexPredicate(index);
	if (list_length(predicate) != 1 || !IsA(linitial(predicate), NullTest))
		return false;
	const auto *test = static_cast<const NullTest *>(linitial(predicate));
	return test->nulltesttype == IS_NOT_NULL && !test->argisrow && test->arg != nullptr && IsA(test->arg, Var) &&
	       reinterpret_cast<const Var *>(test->arg)->varattno == column;
}

/* A key column of a read index: the column's number, type and order. */
struct ReadKey {
	AttrNumber attno;
	Oid type;
	KeyOrder order;
};

/* Whether the first `n` key columns of `index` are `keys`, in that order. */
bool
KeysAre(Relation index, const ReadKey *keys, int n)
{
	for (int k = 0; k < n; ++k) {
		if (!KeyColumnOrdered(index, k, keys[k].attno, keys[k].type, keys[k].order))
			return false;
	}
	return true;
}

/* The pending table's columns as the extension creates them, in table order. */
struct PendingColumn {
	const char *name;
	Oid type;
};
constexpr PendingColumn kPendingColumns[kPendingColumnCount] = {{"workspace_id", INT8OID},
                                                                {"workflow_id", INT8OID},
                                                                {"user_id", TEXTOID},
                                                                {"last_used_at", TIMESTAMPTZOID},
                                                                {"last_execution_id", UUIDOID}};

bool
PendingColumnsMatch(Relation rel)
{
	const TupleDesc desc = RelationGetDescr(rel);
	if (desc->natts != kPendingColumnCount)
		return false;
	for (int i = 0; i < kPendingColumnCount; ++i) {
		const Form_pg_attribute att = TupleDescAttr(desc, i);
		if (att->attisdropped || att->atttypid != kPendingColumns[i].type ||
		    std::strcmp(NameStr(att->attname), kPendingColumns[i].name) != 0 || att->atthasdef ||
		    att->attgenerated != '\0')
			return false;
	}
	return true;
}

/* The index recent_workflows() reads pending rows by (the table being a local heap is the caller's to check). */
void
FindPendingReadIndex(Relation rel, PendingTableShape *shape)
{
	shape->no_read_index = "no valid B-tree index without a predicate on the pending table's (workspace_id, "
	                       "workflow_id NOT NULL, last_used_at DESC, last_execution_id DESC)";
	shape->read_index = ReadIndex{InvalidOid, InvalidTransactionId};
	const AttrNumber workspace_id = ColumnOfType(rel, "workspace_id", INT8OID);
	shape->workflow_id = NotNullColumnOfType(rel, "workflow_id", INT8OID);
	shape->user_id = ColumnOfType(rel, "user_id", TEXTOID);
	shape->last_used_at = ColumnOfType(rel, "last_used_at", TIMESTAMPTZOID);
	shape->last_execution_id = ColumnOfType(rel, "last_execution_id", UUIDOID);
	if (shape->user_id == InvalidAttrNumber ||
	    !DeterministicCollation(TupleDescAttr(RelationGetDescr(rel), shape->user_id - 1)->attcollation)) {
		shape->no_read_index = "the pending table's user_id is not text in a deterministic collation";
		return;
	}
	const ReadKey keys[] = {{workspace_id, INT8OID, KeyOrder::kAsc},
	                        {shape->workflow_id, INT8OID, KeyOrder::kAsc},
	                        {shape->last_used_at, TIMESTAMPTZOID, KeyOrder::kDesc},
	                        {shape->last_execution_id, UUIDOID, KeyOrder::kDesc}};
	List *oids = RelationGetIndexList(rel);
	ListCell *lc;
	foreach (lc, oids) {
		Relation index = index_open(lfirst_oid(lc), AccessShareLock);
		if (!OidIsValid(shape->read_index.index) && ReadableBtree(index) && !HasPredicate(index) &&
		    KeysAre(index, keys, 4)) {
			shape->read_index = ReadIndex{RelationGetRelid(index), CheckXmin(index)};
			shape->no_read_index = nullptr;
		}
		index_close(index, AccessShareLock);
	}
	list_free(oids);
}

FoldedTableShape
ComputeFoldedTableShape(Relation rel)
{
	FoldedTableShape shape{};
	shape.workspace_index = ReadIndex{InvalidOid, InvalidTransactionId};
	shape.user_index = ReadIndex{InvalidOid, InvalidTransactionId};
	if ((shape.no_workspace_index = NotLocalHeap(rel)) != nullptr) {
		shape.no_user_index = shape.no_workspace_index;
		return shape;
	}
	const AttrNumber workspace_id = ColumnOfType(rel, "workspace_id", INT8OID);
	const AttrNumber user_id = ColumnOfType(rel, "user_id", TEXTOID);
	/* The read takes every folded row as a value: these must be NOT NULL, as the extension creates them. */
	shape.workflow_id = NotNullColumnOfType(rel, "workflow_id", INT8OID);
	shape.last_used_at = NotNullColumnOfType(rel, "last_used_at", TIMESTAMPTZOID);
	shape.last_execution_id = NotNullColumnOfType(rel, "last_execution_id", UUIDOID);
	shape.no_workspace_index = "no valid B-tree index without a predicate on the folded table's (workspace_id, "
	                           "last_used_at DESC, workflow_id DESC, last_execution_id DESC), all NOT NULL";
	shape.no_user_index = "no valid B-tree index on the folded table's (workspace_id, user_id, last_used_at DESC, "
	                      "workflow_id DESC, last_execution_id DESC) without a predicate or WHERE user_id IS NOT NULL, "
	                      "user_id in a deterministic collation, the rest NOT NULL";
	/* The statement's user_id = $2 compares in the column's collation: equal must mean byte-equal. */
	const bool user_bytes = user_id != InvalidAttrNumber &&
	                        DeterministicCollation(TupleDescAttr(RelationGetDescr(rel), user_id - 1)->attcollation);
	const ReadKey order[] = {{shape.last_used_at, TIMESTAMPTZOID, KeyOrder::kDesc},
	                         {shape.workflow_id, INT8OID, KeyOrder::kDesc},
	                         {shape.last_execution_id, UUIDOID, KeyOrder::kDesc}};
	const ReadKey workspace_keys[] = {{workspace_id, INT8OID, KeyOrder::kAsc}, order[0], order[1], order[2]};
	const ReadKey user_keys[] = {
	    {workspace_id, INT8OID, KeyOrder::kAsc}, {user_id, TEXTOID, KeyOrder::kAsc}, order[0], order[1], order[2]};
	List *oids = RelationGetIndexList(rel);
	ListCell *lc;
	foreach (lc, oids) {
		Relation index = index_open(lfirst_oid(lc), AccessShareLock);
		if (ReadableBtree(index)) {
			if (!OidIsValid(shape.workspace_index.index) && !HasPredicate(index) && KeysAre(index, workspace_keys, 4)) {
				shape.workspace_index = ReadIndex{RelationGetRelid(index), CheckXmin(index)};
				shape.no_workspace_index = nullptr;
			}
			if (!OidIsValid(shape.user_index.index) && user_bytes && KeysAre(index, user_keys, 5) &&
			    (!HasPredicate(index) || PredicateIsNotNull(index, user_id))) {
				shape.user_index = ReadIndex{RelationGetRelid(index), CheckXmin(index)};
				shape.no_user_index = nullptr;
			}
		}
		index_close(index, AccessShareLock);
	}
	list_free(oids);
	return shape;
}

PendingTableShape
ComputePendingTableShape(Relation rel)
{
	PendingTableShape shape{};
	if ((shape.unusable = NotLocalHeap(rel)) != nullptr) {
		shape.no_read_index = shape.unusable;
		return shape;
	}
	/* The read needs less than the append: the index below, whatever triggers or constraints the table has. */
	FindPendingReadIndex(rel, &shape);
	/* A direct append fires no trigger and checks no constraint: the table must have none. */
	if (rel->trigdesc != nullptr) {
		shape.unusable = "the pending table has triggers";
		return shape;
	}
	if (!PendingColumnsMatch(rel)) {
		shape.unusable = "the pending table's columns differ from the extension's";
		return shape;
	}
	/* NOT NULL is what appends satisfy anyway, but on user_id, which they leave null for runs without one. */
	const TupleConstr *constr = RelationGetDescr(rel)->constr;
	if ((constr != nullptr && constr->num_check > 0) || TupleDescAttr(RelationGetDescr(rel), 2)->attnotnull) {
		shape.unusable = "the pending table has constraints";
		return shape;
	}
	List *oids = RelationGetIndexList(rel);
	if (list_length(oids) > kMaxPendingTableIndexes) {
		shape.unusable = "the pending table has more than 8 indexes";
		list_free(oids);
		return shape;
	}
	ListCell *lc;
	foreach (lc, oids) {
		Relation index = index_open(lfirst_oid(lc), AccessShareLock);
		const Form_pg_index form = index->rd_index;
		/* Appends would have to evaluate expressions or predicates, or check uniqueness or exclusion. */
		if (HasExpressionsOrPredicate(index) || form->indisexclusion || form->indisunique)
			shape.unusable = "a pending-table index has expressions, a predicate, or a uniqueness or exclusion check";
		shape.indexes[shape.nindexes++] = RelationGetRelid(index);
		index_close(index, AccessShareLock);
	}
	list_free(oids);
	return shape;
}

} // namespace

bool
DirectPathsOn()
{
	return direct_paths;
}

namespace {

/*
 * The shape kept in `slot` (valid while `known`), computed by `compute`
 * when missing.  Computing opens the indexes, which may process an
 * invalidation of this relation: then the shape is computed again.
 */
template <typename Shape>
Shape
CachedShape(Relation rel, bool ShapeEntry::*known, Shape ShapeEntry::*slot, Shape (*compute)(Relation))
{
	const Oid relid = RelationGetRelid(rel);
	for (;;) {
		ShapeEntry *entry = EntryFor(relid);
		if (entry->*known)
			return entry->*slot;
		const uint64 generation = entry->generation;
		const Shape shape = compute(rel);
		entry = EntryFor(relid);
		if (entry->generation == generation) {
			entry->*slot = shape;
			(entry->*slot).generation = generation;
			entry->*known = true;
		}
	}
}

} // namespace

ExecutionsShape
ExecutionsShapeOf(Relation rel)
{
	return CachedShape(rel, &ShapeEntry::executions_known, &ShapeEntry::executions, ComputeExecutionsShape);
}

PendingTableShape
PendingTableShapeOf(Relation rel)
{
	return CachedShape(rel, &ShapeEntry::pending_known, &ShapeEntry::pending, ComputePendingTableShape);
}

FoldedTableShape
FoldedTableShapeOf(Relation rel)
{
	return CachedShape(rel, &ShapeEntry::folded_known, &ShapeEntry::folded, ComputeFoldedTableShape);
}

bool
ShapeStillCurrent(Oid relid, uint64 generation)
{
	return EntryFor(relid)->generation == generation;
}

bool
IndexUsableBySnapshot(TransactionId check_xmin)
{
	/* As the planner decides (get_relation_info): the index's creator must be older than every snapshot of ours. */
	return !TransactionIdIsValid(check_xmin) || TransactionIdPrecedes(check_xmin, TransactionXmin);
}

LookupProbe
ChooseLookupProbe(const ExecutionsShape &shape, bool in_workspace)
{
	if (in_workspace && OidIsValid(shape.workspace_id_index) &&
	    IndexUsableBySnapshot(shape.workspace_id_index_check_xmin))
		return LookupProbe{shape.workspace_id_index, 2, false, nullptr};
	if (shape.no_id_index != nullptr)
		return LookupProbe{InvalidOid, 0, false, shape.no_id_index};
	if (!IndexUsableBySnapshot(shape.id_index_check_xmin))
		return LookupProbe{InvalidOid, 0, false, "the index led by id is too new for this transaction's snapshots"};
	if (in_workspace && shape.workspace_id == InvalidAttrNumber)
		return LookupProbe{InvalidOid, 0, false, "no column workspace_id of type bigint"};
	return LookupProbe{shape.id_index, 1, in_workspace, nullptr};
}

void
RegisterShapeInvalidation()
{
	CacheRegisterRelcacheCallback(ForgetShape, static_cast<Datum>(0));
}

} // namespace runstore::pg
