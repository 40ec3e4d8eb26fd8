/*
 * citus_shards.cpp: see citus_shards.hpp.
 *
 * PostgreSQL zone: only trivially destructible locals, so an ERROR raised by
 * any call below unwinds nothing of ours.
 */
extern "C" {
#include "postgres.h"

#include "access/genam.h"
#include "access/stratnum.h"
#include "access/table.h"
#include "catalog/namespace.h"
#include "catalog/pg_namespace_d.h"
#include "catalog/pg_type.h"
#include "catalog/pg_type_d.h"
#include "executor/spi.h"
#include "lib/stringinfo.h"
#include "parser/parse_relation.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/guc.h"
#include "utils/hsearch.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
}

#include <cstdlib>
#include <cstring>

#include "runstore/pg/backend_hash.hpp"
#include "runstore/pg/citus_shards.hpp"
#include "runstore/pg/runstore_relations.hpp"
#include "runstore/pg/statements.hpp"

namespace runstore::pg {

namespace {

constexpr int kPlanCount = 5;

/* The base statements, in RecentPlans order; a shard's copies are made from their texts. */
KeptPlan *const kBasePlans[kPlanCount] = {&statements::append_inserted, &statements::mark_deleted,
                                          &statements::change_updated, &statements::fold_recent,
                                          &statements::truncate_recent};

/* The tables a summary statement names, and the suffix each takes on a shard. */
constexpr int kTableCount = 3;
const char *const kTableNames[kTableCount] = {"executions", "recent_workflow_pending", "recent_workflow_folded"};

struct ShardEntry {
	Oid relid; /* the executions shard: hash key */
	bool valid;
	int64 shard_id;
	int64 table_shards[kTableCount]; /* the co-located shard id of each of kTableNames */
	Oid pending;
	KeptPlan plans[kPlanCount];
};

HTAB *shards = nullptr;

/*
 * Bumped by every relation cache invalidation: what this file caches from
 * Citus's metadata is good for one generation.  Citus invalidates a
 * distributed table's cache entry whenever it changes the table's rows in
 * pg_dist_partition, pg_dist_shard or pg_dist_placement (on the coordinator
 * and, through metadata sync, on every node), so a shard created, moved or
 * split starts a new generation in every backend.
 */
uint64 metadata_generation = 1;

void
ForgetShards(Datum, Oid)
{
	++metadata_generation;
	if (shards == nullptr)
		return;
	/* Only marked: a plan may be running; it is replaced at the next resolve, never freed under its user. */
	HASH_SEQ_STATUS status;
	hash_seq_init(&status, shards);
	for (auto *entry = static_cast<ShardEntry *>(hash_seq_search(&status)); entry != nullptr;
	     entry = static_cast<ShardEntry *>(hash_seq_search(&status)))
		entry->valid = false;
}

HTAB *
Shards()
{
	return BackendHash(&shards, "runstore executions shards", sizeof(Oid), sizeof(ShardEntry), 64, TopMemoryContext);
}

/* The shard id in a name "executions_<digits>", or -1. */
int64
ShardIdInName(const char *relname)
{
	constexpr const char kPrefix[] = "executions_";
	const size_t prefix = sizeof(kPrefix) - 1;
	if (std::strncmp(relname, kPrefix, prefix) != 0 || relname[prefix] == '\0')
		return -1;
	for (const char *c = relname + prefix; *c != '\0'; ++c)
		if (*c < '0' || *c > '9')
			return -1;
	return std::strtoll(relname + prefix, nullptr, 10);
}

bool
InRunstoreSchema(Relation rel)
{
	const char *schema = get_namespace_name(RelationGetNamespace(rel));
	return schema != nullptr && std::strcmp(schema, "runstore") == 0;
}

/* From SPI_tuptable's rows (relation oid, shard id): the shard of each of `relids`, in its slot. */
void
CollectTableShards(const Oid relids[kTableCount], int64 table_shards[kTableCount])
{
	for (uint64 row = 0; row < SPI_processed; ++row) {
		bool isnull;
		const Oid relid = DatumGetObjectId(SPI_getbinval(SPI_tuptable->vals[row], SPI_tuptable->tupdesc, 1, &isnull));
		const int64 id = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[row], SPI_tuptable->tupdesc, 2, &isnull));
		for (int i = 0; i < kTableCount; ++i)
			if (relid == relids[i])
				table_shards[i] = id;
	}
}

/*
 * The co-located shard of each of kTableNames for executions shard
 * `shard_id`: the shard of the same hash range in the same colocation group
 * (Citus keeps co-located shards on one node).  False if `shard_id` is not
 * a shard of runstore.executions.
 */
bool
LookUpColocatedShards(int64 shard_id, int64 table_shards[kTableCount])
{
	const char *sql =
	    "SELECT s.logicalrelid::pg_catalog.oid, s.shardid FROM pg_catalog.pg_dist_shard e"
	    " JOIN pg_catalog.pg_dist_partition pe ON pe.logicalrelid OPERATOR(pg_catalog.=) e.logicalrelid"
	    " JOIN pg_catalog.pg_dist_partition ps ON ps.colocationid OPERATOR(pg_catalog.=) pe.colocationid"
	    " JOIN pg_catalog.pg_dist_shard s ON s.logicalrelid OPERATOR(pg_catalog.=) ps.logicalrelid"
	    "  AND s.shardminvalue OPERATOR(pg_catalog.=) e.shardminvalue"
	    " WHERE e.shardid OPERATOR(pg_catalog.=) $1 AND e.logicalrelid::pg_catalog.oid OPERATOR(pg_catalog.=) $2";
	const Oid executions = RunstoreRelation("executions");
	Oid relids[kTableCount];
	for (int i = 0; i < kTableCount; ++i) {
		relids[i] = RunstoreRelation(kTableNames[i]);
		table_shards[i] = -1;
	}
	Datum values[2] = {Int64GetDatum(shard_id), ObjectIdGetDatum(executions)};
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "runstore: SPI_connect failed");
	const int rc =
	    SPI_execute_with_args(sql, 2, const_cast<Oid *>(kArgTypes<INT8OID, OIDOID>), values, nullptr, true, 0);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "runstore: reading Citus's shard metadata returned %s", SPI_result_code_string(rc));
	CollectTableShards(relids, table_shards);
	SPI_finish();
	return table_shards[0] == shard_id;
}

/* `sql` with every runstore.<table> of kTableNames replaced by its shard, in TopMemoryContext. */
char *
ShardStatement(const char *sql, const int64 table_shards[kTableCount])
{
	StringInfoData out;
	MemoryContext old = MemoryContextSwitchTo(TopMemoryContext);
	initStringInfo(&out);
	MemoryContextSwitchTo(old);
	for (const char *c = sql; *c != '\0';) {
		bool replaced = false;
		for (int i = 0; i < kTableCount && !replaced; ++i) {
			char name[NAMEDATALEN + 16];
			snprintf(name, sizeof(name), "runstore.%s", kTableNames[i]);
			const size_t len = std::strlen(name);
			const char next = c[len];
			if (std::strncmp(c, name, len) == 0 && next != '_' && !(next >= 'a' && next <= 'z')) {
				appendStringInfo(&out, "runstore.%s_" INT64_FORMAT, kTableNames[i], table_shards[i]);
				c += len;
				replaced = true;
			}
		}
		if (!replaced)
			appendStringInfoChar(&out, *c++);
	}
	return out.data;
}

void
ReleasePlans(ShardEntry *entry)
{
	for (KeptPlan &plan : entry->plans) {
		if (plan.plan != nullptr)
			SPI_freeplan(plan.plan);
		if (plan.sql != nullptr)
			pfree(const_cast<char *>(plan.sql));
		plan = KeptPlan{nullptr, 0, nullptr, nullptr};
	}
}

/* Fills `entry` for shard relation `rel`; false when `rel` is not a shard of runstore.executions. */
bool
ResolveShard(Relation rel, int64 shard_id, ShardEntry *entry)
{
	int64 table_shards[kTableCount];
	if (!LookUpColocatedShards(shard_id, table_shards))
		return false;
	const Oid schema = RelationGetNamespace(rel);
	Oid pending = InvalidOid;
	for (int i = 1; i < kTableCount; ++i) {
		char name[NAMEDATALEN + 24];
		snprintf(name, sizeof(name), "%s_" INT64_FORMAT, kTableNames[i], table_shards[i]);
		const Oid shard = table_shards[i] < 0 ? InvalidOid : get_relname_relid(name, schema);
		if (!OidIsValid(shard))
			ereport(ERROR,
			        (errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
			         errmsg("runstore: the shard of runstore.%s co-located with \"%s\" is not on this node",
			                kTableNames[i], RelationGetRelationName(rel)),
			         errhint("runstore.distribute() places runstore.executions and the recent-workflow tables in "
			                 "one colocation group; keep them there (move or split their shards together).")));
		if (i == 1)
			pending = shard;
	}
	/* Kept plans stay when the shards are the same ones (the plan cache revalidates them itself). */
	const bool same = entry->pending == pending && entry->shard_id == shard_id &&
	                  std::memcmp(entry->table_shards, table_shards, sizeof(table_shards)) == 0;
	if (!same)
		ReleasePlans(entry);
	entry->shard_id = shard_id;
	std::memcpy(entry->table_shards, table_shards, sizeof(table_shards));
	entry->pending = pending;
	for (int i = 0; i < kPlanCount; ++i) {
		if (entry->plans[i].sql == nullptr) {
			entry->plans[i] = *kBasePlans[i];
			entry->plans[i].sql = ShardStatement(kBasePlans[i]->sql, table_shards);
			entry->plans[i].plan = nullptr;
		}
	}
	entry->valid = true;
	return true;
}

constexpr int kReadPlanCount = 6;
KeptPlan *const kBaseReadPlans[kReadPlanCount] = {&statements::recent_in_workspace,  &statements::recent_for_user,
                                                  &statements::pending_in_workspace, &statements::pending_for_user,
                                                  &statements::latest_in_workflow,   &statements::latest_for_user};

/* A shard group's read statements, by the shard id of its pending shard. */
struct ReadEntry {
	int64 pending_shard; /* hash key */
	KeptPlan plans[kReadPlanCount];
};

HTAB *read_plans = nullptr;

HTAB *
ReadPlansByShard()
{
	return BackendHash(&read_plans, "runstore recent-workflow read shards", sizeof(int64), sizeof(ReadEntry), 64,
	                   TopMemoryContext);
}

/*
 * Where each workspace's summaries live, as this node sees it: one route per
 * hash range of the colocation group (Citus hashes a bigint distribution
 * value with hashint8 and places it in the shard whose range holds the
 * hash), with the three tables' shard ids and whether all three are placed on
 * this node.  Built from the metadata once per metadata_generation, so a
 * delegated read costs a binary search instead of a catalog join.
 */
struct LocalRoute {
	int32 min_hash;
	int32 max_hash;
	bool local;
	int64 table_shards[kTableCount];
};

struct LocalRoutes {
	uint64 generation; /* 0: never built */
	bool usable;       /* false: Citus's hashing did not match ours; read the metadata per call */
	int count;
	LocalRoute *routes; /* in TopMemoryContext, sorted by min_hash */
};

LocalRoutes local_routes = {0, false, 0, nullptr};

/*
 * The shards of the three tables, co-located with each shard of the pending
 * table, and whether this node's group holds a placement of each.
 * $1: the pending table; $2: the three tables, in kTableNames order.
 */
KeptPlan route_rows = {
    "SELECT w.shardminvalue::pg_catalog.int4, w.shardmaxvalue::pg_catalog.int4, s.logicalrelid::pg_catalog.oid,"
    " s.shardid, EXISTS (SELECT FROM pg_catalog.pg_dist_placement p"
    "  WHERE p.shardid OPERATOR(pg_catalog.=) s.shardid"
    "  AND p.groupid OPERATOR(pg_catalog.=) (SELECT l.groupid FROM pg_catalog.pg_dist_local_group l))"
    " FROM pg_catalog.pg_dist_shard w"
    " JOIN pg_catalog.pg_dist_partition pw ON pw.logicalrelid OPERATOR(pg_catalog.=) w.logicalrelid"
    " JOIN pg_catalog.pg_dist_partition ps ON ps.colocationid OPERATOR(pg_catalog.=) pw.colocationid"
    " JOIN pg_catalog.pg_dist_shard s ON s.logicalrelid OPERATOR(pg_catalog.=) ps.logicalrelid"
    "  AND s.shardminvalue OPERATOR(pg_catalog.=) w.shardminvalue"
    " WHERE w.logicalrelid::pg_catalog.oid OPERATOR(pg_catalog.=) $1"
    " AND s.logicalrelid::pg_catalog.oid OPERATOR(pg_catalog.=) ANY ($2)"
    " ORDER BY 1",
    2, kArgTypes<OIDOID, OIDARRAYOID>, nullptr};

/* Citus's own answer for the pending shard holding `workspace_id`, to check our hashing against. */
KeptPlan pending_shard_of = {"SELECT pg_catalog.get_shard_id_for_distribution_column("
                             "'runstore.recent_workflow_pending'::pg_catalog.regclass, $1)",
                             1, kArgTypes<INT8OID>, nullptr};

int32
WorkspaceHash(Datum workspace_id)
{
	return DatumGetInt32(DirectFunctionCall1(hashint8, workspace_id));
}

const LocalRoute *
FindRoute(int32 hash)
{
	int low = 0;
	int high = local_routes.count - 1;
	while (low <= high) {
		const int mid = low + (high - low) / 2;
		const LocalRoute &route = local_routes.routes[mid];
		if (hash < route.min_hash)
			high = mid - 1;
		else if (hash > route.max_hash)
			low = mid + 1;
		else
			return &route;
	}
	return nullptr;
}

/* Rebuilds local_routes from the metadata (inside an SPI connection); `workspace_id` checks the hashing. */
void
BuildLocalRoutes(Datum workspace_id)
{
	Oid relids[kTableCount];
	Datum elems[kTableCount];
	for (int i = 0; i < kTableCount; ++i) {
		relids[i] = RunstoreRelation(kTableNames[i]);
		elems[i] = ObjectIdGetDatum(relids[i]);
	}
	ArrayType *tables = construct_array(elems, kTableCount, OIDOID, sizeof(Oid), true, TYPALIGN_INT);

	/* Our hashing must place this workspace where Citus does; if not, the metadata is read per call. */
	int rc = SPI_execute_plan(GetKeptPlan(&pending_shard_of), &workspace_id, nullptr, true, 0);
	if (rc != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "runstore: asking Citus for a workspace's shard returned %s", SPI_result_code_string(rc));
	bool citus_null = false;
	int64 citus_shard = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &citus_null));
	if (citus_null)
		citus_shard = -1;
	SPI_freetuptable(SPI_tuptable);

	Datum args[2] = {ObjectIdGetDatum(relids[1]), PointerGetDatum(tables)};
	rc = SPI_execute_plan(GetKeptPlan(&route_rows), args, nullptr, true, 0);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "runstore: reading Citus's shard metadata returned %s", SPI_result_code_string(rc));

	/*
	 * Built in this call's memory (the catalog lookups below may raise an
	 * ERROR), then copied whole into TopMemoryContext to replace the old routes.
	 */
	const uint64 rows = SPI_processed;
	auto *made = static_cast<LocalRoute *>(palloc0(sizeof(LocalRoute) * (rows + 1)));
	int count = 0;
	const Oid schema = get_namespace_oid("runstore", false);
	for (uint64 row = 0; row < rows; ++row) {
		HeapTuple tuple = SPI_tuptable->vals[row];
		TupleDesc desc = SPI_tuptable->tupdesc;
		bool isnull;
		const int32 min_hash = DatumGetInt32(SPI_getbinval(tuple, desc, 1, &isnull));
		const int32 max_hash = DatumGetInt32(SPI_getbinval(tuple, desc, 2, &isnull));
		const Oid relid = DatumGetObjectId(SPI_getbinval(tuple, desc, 3, &isnull));
		const int64 shard = DatumGetInt64(SPI_getbinval(tuple, desc, 4, &isnull));
		const bool placed_here = DatumGetBool(SPI_getbinval(tuple, desc, 5, &isnull));
		if (count == 0 || made[count - 1].min_hash != min_hash) {
			made[count] = LocalRoute{min_hash, max_hash, true, {-1, -1, -1}};
			++count;
		}
		LocalRoute &route = made[count - 1];
		for (int i = 0; i < kTableCount; ++i)
			if (relid == relids[i]) {
				char name[NAMEDATALEN + 24];
				snprintf(name, sizeof(name), "%s_" INT64_FORMAT, kTableNames[i], shard);
				route.table_shards[i] = shard;
				route.local = route.local && placed_here && OidIsValid(get_relname_relid(name, schema));
			}
	}
	SPI_freetuptable(SPI_tuptable);
	for (int r = 0; r < count; ++r)
		for (const int64 shard : made[r].table_shards)
			made[r].local = made[r].local && shard >= 0;

	auto *kept = static_cast<LocalRoute *>(MemoryContextAlloc(TopMemoryContext, sizeof(LocalRoute) * (count + 1)));
	std::memcpy(kept, made, sizeof(LocalRoute) * count);
	pfree(made);
	if (local_routes.routes != nullptr)
		pfree(local_routes.routes);
	local_routes = LocalRoutes{metadata_generation, false, count, kept};

	const LocalRoute *ours = FindRoute(WorkspaceHash(workspace_id));
	local_routes.usable = citus_shard >= 0 && ours != nullptr && ours->table_shards[1] == citus_shard;
}

/*
 * This node's placements of the three tables' shards holding the workspace
 * $1, read from the metadata each call: the fallback when our hashing does
 * not agree with Citus's.  The pending table's shard by Citus's own hashing
 * (a subquery, so the VOLATILE function runs once, not once per shard row),
 * then the co-located ones placed in this node's group.  $2: the three
 * tables, in kTableNames order.
 */
KeptPlan local_shards = {
    "SELECT s.logicalrelid::pg_catalog.oid, s.shardid FROM pg_catalog.pg_dist_shard w"
    " JOIN pg_catalog.pg_dist_partition pw ON pw.logicalrelid OPERATOR(pg_catalog.=) w.logicalrelid"
    " JOIN pg_catalog.pg_dist_partition ps ON ps.colocationid OPERATOR(pg_catalog.=) pw.colocationid"
    " JOIN pg_catalog.pg_dist_shard s ON s.logicalrelid OPERATOR(pg_catalog.=) ps.logicalrelid"
    "  AND s.shardminvalue OPERATOR(pg_catalog.=) w.shardminvalue"
    " JOIN pg_catalog.pg_dist_placement p ON p.shardid OPERATOR(pg_catalog.=) s.shardid"
    "  AND p.groupid OPERATOR(pg_catalog.=) (SELECT l.groupid FROM pg_catalog.pg_dist_local_group l)"
    " WHERE w.shardid OPERATOR(pg_catalog.=) (SELECT pg_catalog.get_shard_id_for_distribution_column("
    "  'runstore.recent_workflow_pending'::pg_catalog.regclass, $1))"
    " AND s.logicalrelid::pg_catalog.oid OPERATOR(pg_catalog.=) ANY ($2)",
    2, kArgTypes<INT8OID, OIDARRAYOID>, nullptr};

/* The fallback: `table_shards` of the workspace's shards placed here, from the metadata; false if not all. */
bool
ReadLocalShards(Datum workspace_id, int64 table_shards[kTableCount])
{
	Oid relids[kTableCount];
	Datum elems[kTableCount];
	for (int i = 0; i < kTableCount; ++i) {
		relids[i] = RunstoreRelation(kTableNames[i]);
		elems[i] = ObjectIdGetDatum(relids[i]);
		table_shards[i] = -1;
	}
	ArrayType *tables = construct_array(elems, kTableCount, OIDOID, sizeof(Oid), true, TYPALIGN_INT);
	Datum args[2] = {workspace_id, PointerGetDatum(tables)};
	const int rc = SPI_execute_plan(GetKeptPlan(&local_shards), args, nullptr, true, 0);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "runstore: reading Citus's shard metadata returned %s", SPI_result_code_string(rc));
	CollectTableShards(relids, table_shards);
	SPI_freetuptable(SPI_tuptable);
	const Oid schema = get_namespace_oid("runstore", false);
	for (int i = 0; i < kTableCount; ++i) {
		char name[NAMEDATALEN + 24];
		snprintf(name, sizeof(name), "%s_" INT64_FORMAT, kTableNames[i], table_shards[i]);
		if (table_shards[i] < 0 || !OidIsValid(get_relname_relid(name, schema)))
			return false;
	}
	return true;
}

/* A cache of which relations Citus distributes, good for one metadata_generation. */
struct DistributedEntry {
	Oid relid; /* hash key */
	uint64 generation;
	bool distributed;
};

HTAB *distributed_relations = nullptr;

bool
LookUpDistributed(Oid relid)
{
	/*
	 * A row for `relid` in pg_dist_partition (distributed, reference or Citus
	 * local table), whose local relation is then a shell.  Looked up only
	 * where that catalog exists.
	 */
	const Oid catalog = get_relname_relid("pg_dist_partition", PG_CATALOG_NAMESPACE);
	if (!OidIsValid(catalog))
		return false;
	Relation dist = table_open(catalog, AccessShareLock);
	const AttrNumber logicalrelid = static_cast<AttrNumber>(attnameAttNum(dist, "logicalrelid", false));
	bool found = true; /* a catalog of another shape: assume the worst */
	if (logicalrelid != InvalidAttrNumber) {
		ScanKeyData key;
		ScanKeyInit(&key, logicalrelid, BTEqualStrategyNumber, F_OIDEQ, ObjectIdGetDatum(relid));
		SysScanDesc scan = systable_beginscan(dist, InvalidOid, false, nullptr, 1, &key);
		found = HeapTupleIsValid(systable_getnext(scan));
		systable_endscan(scan);
	}
	table_close(dist, AccessShareLock);
	return found;
}

} // namespace

RecentReadPlans
TableRecentReadPlans()
{
	return RecentReadPlans{kBaseReadPlans[0], kBaseReadPlans[1], kBaseReadPlans[2],
	                       kBaseReadPlans[3], kBaseReadPlans[4], kBaseReadPlans[5]};
}

bool
LocalRecentShards(Datum workspace_id, RecentReadPlans *plans)
{
	if (!OidIsValid(get_relname_relid("pg_dist_local_group", PG_CATALOG_NAMESPACE)))
		return false;
	if (local_routes.generation != metadata_generation)
		BuildLocalRoutes(workspace_id);
	int64 table_shards[kTableCount];
	if (local_routes.usable) {
		const LocalRoute *route = FindRoute(WorkspaceHash(workspace_id));
		if (route == nullptr || !route->local)
			return false;
		std::memcpy(table_shards, route->table_shards, sizeof(table_shards));
	} else if (!ReadLocalShards(workspace_id, table_shards)) {
		return false;
	}
	auto *entry = static_cast<ReadEntry *>(hash_search(ReadPlansByShard(), &table_shards[1], HASH_FIND, nullptr));
	if (entry == nullptr) {
		/*
		 * Texts made before the entry exists, so an ERROR meanwhile leaves no
		 * half-made entry.  Shard ids are never reused, so a group's
		 * statements never change; the plan cache revalidates them.
		 */
		KeptPlan made[kReadPlanCount];
		for (int i = 0; i < kReadPlanCount; ++i) {
			made[i] = *kBaseReadPlans[i];
			made[i].sql = ShardStatement(kBaseReadPlans[i]->sql, table_shards);
			made[i].plan = nullptr;
		}
		entry = static_cast<ReadEntry *>(hash_search(ReadPlansByShard(), &table_shards[1], HASH_ENTER, nullptr));
		std::memcpy(entry->plans, made, sizeof(made));
	}
	*plans = RecentReadPlans{&entry->plans[0], &entry->plans[1], &entry->plans[2],
	                         &entry->plans[3], &entry->plans[4], &entry->plans[5]};
	return true;
}

uint64
CitusMetadataGeneration()
{
	return metadata_generation;
}

char *
ExecutionsShardStatement(const char *sql, int64 shard_id)
{
	const int64 table_shards[kTableCount] = {shard_id, -1, -1};
	return ShardStatement(sql, table_shards);
}

int
OneConnectionPerNode()
{
	const Oid relid = RunstoreRelation("executions");
	if (!OidIsValid(relid) || !DistributedByCitus(relid) ||
	    GetConfigOption("citus.max_adaptive_executor_pool_size", true, false) == nullptr)
		return -1;
	const int level = NewGUCNestLevel();
	(void)set_config_option("citus.max_adaptive_executor_pool_size", "1", PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SAVE,
	                        true, 0, false);
	return level;
}

void
RestoreConnectionsPerNode(int nest_level)
{
	if (nest_level >= 0)
		AtEOXact_GUC(true, nest_level);
}

bool
DistributedByCitus(Oid relid)
{
	HTAB *cache = BackendHash(&distributed_relations, "runstore relations distributed by Citus", sizeof(Oid),
	                          sizeof(DistributedEntry), 16, TopMemoryContext);
	bool found = false;
	auto *entry = static_cast<DistributedEntry *>(hash_search(cache, &relid, HASH_FIND, &found));
	if (entry != nullptr && entry->generation == metadata_generation)
		return entry->distributed;
	/* Looked up before the entry is made, so an ERROR leaves no entry half-made. */
	const bool distributed = LookUpDistributed(relid);
	entry = static_cast<DistributedEntry *>(hash_search(cache, &relid, HASH_ENTER, &found));
	entry->generation = metadata_generation;
	entry->distributed = distributed;
	return distributed;
}

RecentPlans
TableRecentPlans()
{
	return RecentPlans{kBasePlans[0], kBasePlans[1], kBasePlans[2], kBasePlans[3], kBasePlans[4]};
}

ExecutionsTarget
ResolveExecutionsTarget(Relation rel)
{
	ExecutionsTarget target{};
	target.role = ExecutionsRole::kNone;
	target.shard_id = -1;
	target.summaries_present = true;
	if (!InRunstoreSchema(rel))
		return target;
	const char *relname = RelationGetRelationName(rel);
	if (std::strcmp(relname, "executions") == 0) {
		if (DistributedByCitus(RelationGetRelid(rel))) {
			target.role = ExecutionsRole::kShell;
			return target;
		}
		target.role = ExecutionsRole::kTable;
		target.pending = RunstoreRelation("recent_workflow_pending");
		target.summaries_present = OidIsValid(target.pending);
		target.plans = TableRecentPlans();
		return target;
	}
	const int64 shard_id = ShardIdInName(relname);
	if (shard_id < 0 || !OidIsValid(get_relname_relid("pg_dist_shard", PG_CATALOG_NAMESPACE)))
		return target;
	const Oid relid = RelationGetRelid(rel);
	bool found = false;
	auto *entry = static_cast<ShardEntry *>(hash_search(Shards(), &relid, HASH_ENTER, &found));
	if (!found) {
		std::memset(reinterpret_cast<char *>(entry) + sizeof(Oid), 0, sizeof(ShardEntry) - sizeof(Oid));
		entry->valid = false;
		entry->shard_id = -1;
	}
	if (!entry->valid && !ResolveShard(rel, shard_id, entry)) {
		/* Not cached: the metadata becomes visible when its transaction commits. */
		ReleasePlans(entry);
		(void)hash_search(Shards(), &relid, HASH_REMOVE, nullptr);
		target.role = ExecutionsRole::kUnlistedShard;
		return target;
	}
	target.role = ExecutionsRole::kShard;
	target.shard_id = entry->shard_id;
	target.pending = entry->pending;
	target.plans =
	    RecentPlans{&entry->plans[0], &entry->plans[1], &entry->plans[2], &entry->plans[3], &entry->plans[4]};
	return target;
}

void
RegisterShardInvalidation()
{
	CacheRegisterRelcacheCallback(ForgetShards, static_cast<Datum>(0));
}

} // namespace runstore::pg
