/*
 * cluster_map.cpp: see cluster_map.hpp.
 *
 * PostgreSQL zone: only trivially destructible locals, so an ERROR raised by
 * any call below unwinds nothing of ours.
 */
extern "C" {
#include "postgres.h"

#include "catalog/namespace.h"
#include "catalog/pg_type_d.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "storage/proc.h"
#include "utils/fmgrprotos.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
}

#include <cstdio>
#include <cstring>

#include "runstore/pg/citus_shards.hpp"
#include "runstore/pg/runstore_relations.hpp"
#include "runstore/pg/statements.hpp"
#include "runstore/queue/cluster_map.hpp"

namespace runstore::pg {

namespace {

/* The statements each local shard keeps a copy of, in ShardStatementKind order. */
KeptPlan *const kBaseStatements[kShardStatementCount] = {&statements::dequeue,       &statements::work_due,
                                                         &statements::complete_many, &statements::fail_many,
                                                         &statements::release_many,  &statements::heartbeat_attempts};

ClusterMap cluster = {0, 0, nullptr, 0, nullptr, 0, nullptr, 0, 0, InvalidLocalTransactionId, -1, -1, 0};

/*
 * Each shard of executions with the group holding its placement (the first,
 * should a shard have several), whether that is this node's group, and its
 * hash range.  $1: runstore.executions.
 */
KeptPlan shard_rows = {"SELECT s.shardid, p.groupid, p.groupid OPERATOR(pg_catalog.=) (SELECT l.groupid FROM"
                       "  pg_catalog.pg_dist_local_group l),"
                       " s.shardminvalue::pg_catalog.int4, s.shardmaxvalue::pg_catalog.int4"
                       " FROM pg_catalog.pg_dist_shard s CROSS JOIN LATERAL ("
                       "  SELECT p.groupid FROM pg_catalog.pg_dist_placement p"
                       "  WHERE p.shardid OPERATOR(pg_catalog.=) s.shardid ORDER BY p.groupid LIMIT 1) p"
                       " WHERE s.logicalrelid::pg_catalog.oid OPERATOR(pg_catalog.=) $1"
                       " ORDER BY 4",
                       1, kArgTypes<OIDOID>, nullptr};

int32
WorkspaceHashOf(int64 workspace_id)
{
	return DatumGetInt32(DirectFunctionCall1(hashint8, Int64GetDatum(workspace_id)));
}

/* The smallest workspace id >= 0 that Citus places in the range [min_hash, max_hash]. */
int64
FindAnchor(int32 min_hash, int32 max_hash)
{
	constexpr int64 kTries = 100000000;
	for (int64 v = 0; v < kTries; ++v) {
		const int32 h = WorkspaceHashOf(v);
		if (h >= min_hash && h <= max_hash)
			return v;
	}
	ereport(ERROR, (errcode(ERRCODE_INTERNAL_ERROR),
	                errmsg("runstore: no workspace id below " INT64_FORMAT " hashes into the shard range [%d, %d]",
	                       kTries, min_hash, max_hash)));
	return -1; /* not reached */
}

void
ForgetMap()
{
	for (int i = 0; i < cluster.shard_count; ++i) {
		ClusterShard &shard = cluster.shards[i];
		for (KeptPlan &plan : shard.statements) {
			if (plan.plan != nullptr)
				SPI_freeplan(plan.plan);
			if (plan.sql != nullptr)
				pfree(const_cast<char *>(plan.sql));
		}
	}
	if (cluster.shards != nullptr)
		pfree(cluster.shards);
	if (cluster.local_shards != nullptr)
		pfree(cluster.local_shards);
	if (cluster.nodes != nullptr)
		pfree(cluster.nodes);
	cluster.shards = nullptr;
	cluster.local_shards = nullptr;
	cluster.nodes = nullptr;
	cluster.shard_count = cluster.local_count = cluster.node_count = 0;
	cluster.written_node = -1;
	cluster.stay_node = -1;
	cluster.generation = 0;
}

/* Rebuilds `cluster` from Citus's metadata (inside an SPI connection). */
void
BuildMap(Oid relid)
{
	Datum arg = ObjectIdGetDatum(relid);
	const int rc = SPI_execute_plan(GetKeptPlan(&shard_rows), &arg, nullptr, true, 0);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "runstore: reading Citus's shard metadata returned %s", SPI_result_code_string(rc));
	const int rows = static_cast<int>(SPI_processed);

	/* Built in this call's memory (the lookups below may raise an ERROR), then copied whole. */
	auto *made = static_cast<ClusterShard *>(palloc0(sizeof(ClusterShard) * (rows + 1)));
	const Oid schema = get_namespace_oid("runstore", false);
	for (int r = 0; r < rows; ++r) {
		HeapTuple tuple = SPI_tuptable->vals[r];
		TupleDesc desc = SPI_tuptable->tupdesc;
		bool isnull = false;
		ClusterShard &shard = made[r];
		shard.shard_id = DatumGetInt64(SPI_getbinval(tuple, desc, 1, &isnull));
		shard.group = DatumGetInt32(SPI_getbinval(tuple, desc, 2, &isnull));
		shard.placed_here = DatumGetBool(SPI_getbinval(tuple, desc, 3, &isnull));
		shard.min_hash = DatumGetInt32(SPI_getbinval(tuple, desc, 4, &isnull));
		shard.max_hash = DatumGetInt32(SPI_getbinval(tuple, desc, 5, &isnull));
		char name[NAMEDATALEN + 24];
		snprintf(name, sizeof(name), "executions_" INT64_FORMAT, shard.shard_id);
		shard.local = shard.placed_here && OidIsValid(get_relname_relid(name, schema));
	}
	SPI_freetuptable(SPI_tuptable);
	for (int r = 0; r < rows; ++r)
		made[r].anchor = FindAnchor(made[r].min_hash, made[r].max_hash);

	/* The nodes, by group, each routed by the anchor of its first shard. */
	auto *nodes = static_cast<ClusterNodeEntry *>(palloc0(sizeof(ClusterNodeEntry) * (rows + 1)));
	int node_count = 0;
	for (int r = 0; r < rows; ++r) {
		int at = 0;
		while (at < node_count && nodes[at].group < made[r].group)
			++at;
		if (at < node_count && nodes[at].group == made[r].group)
			continue;
		std::memmove(&nodes[at + 1], &nodes[at], sizeof(ClusterNodeEntry) * (node_count - at));
		nodes[at] = ClusterNodeEntry{made[r].group, made[r].anchor, made[r].placed_here, 0};
		++node_count;
	}

	/* Nothing below raises an ERROR but running out of memory. */
	ForgetMap();
	MemoryContext old = MemoryContextSwitchTo(TopMemoryContext);
	cluster.shards = static_cast<ClusterShard *>(palloc(sizeof(ClusterShard) * (rows + 1)));
	std::memcpy(cluster.shards, made, sizeof(ClusterShard) * rows);
	cluster.nodes = static_cast<ClusterNodeEntry *>(palloc(sizeof(ClusterNodeEntry) * (node_count + 1)));
	std::memcpy(cluster.nodes, nodes, sizeof(ClusterNodeEntry) * node_count);
	cluster.local_shards = static_cast<int *>(palloc(sizeof(int) * (rows + 1)));
	MemoryContextSwitchTo(old);
	cluster.shard_count = rows;
	cluster.node_count = node_count;
	cluster.local_count = 0;
	for (int r = 0; r < rows; ++r) {
		ClusterShard &shard = cluster.shards[r];
		for (int k = 0; k < kShardStatementCount; ++k) {
			shard.statements[k] = KeptPlan{nullptr, 0, nullptr, nullptr};
			if (!shard.local)
				continue;
			shard.statements[k] = *kBaseStatements[k];
			shard.statements[k].sql = ExecutionsShardStatement(kBaseStatements[k]->sql, shard.shard_id);
			shard.statements[k].plan = nullptr;
		}
		if (shard.local)
			cluster.local_shards[cluster.local_count++] = r;
	}
	if (cluster.generation == 0 && cluster.node_cursor == 0) {
		/* Concurrent workers start at different places. */
		cluster.node_cursor = static_cast<uint32>(MyProcPid);
		cluster.shard_cursor = static_cast<uint32>(MyProcPid);
	}
	cluster.generation = CitusMetadataGeneration();
}

} // namespace

ClusterMap &
CurrentClusterMap()
{
	if (cluster.generation != CitusMetadataGeneration() || cluster.generation == 0)
		BuildMap(RunstoreRelation("executions"));
	return cluster;
}

int32
WorkspaceHash(int64 workspace_id)
{
	return WorkspaceHashOf(workspace_id);
}

int
ShardOfWorkspace(const ClusterMap &map, int64 workspace_id)
{
	const int32 hash = WorkspaceHashOf(workspace_id);
	int low = 0;
	int high = map.shard_count - 1;
	while (low <= high) {
		const int mid = low + (high - low) / 2;
		const ClusterShard &shard = map.shards[mid];
		if (hash < shard.min_hash)
			high = mid - 1;
		else if (hash > shard.max_hash)
			low = mid + 1;
		else
			return mid;
	}
	return -1;
}

void
NoteNodeWritten(ClusterMap &map, int node)
{
	map.written_lxid = MyProc->lxid;
	map.written_node = node;
}

int
NodeOfGroup(const ClusterMap &map, int32 group)
{
	for (int i = 0; i < map.node_count; ++i)
		if (map.nodes[i].group == group)
			return i;
	return -1;
}

} // namespace runstore::pg
