/*
 * cluster_claim.cpp: see cluster_claim.hpp.
 *
 * PostgreSQL zone: only trivially destructible locals, so an ERROR raised by
 * any call below unwinds nothing of ours.
 */
extern "C" {
#include "postgres.h"

#include "catalog/namespace.h"
#include "catalog/pg_type_d.h"
#include "executor/spi.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "nodes/params.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"
}

#include <cstdio>
#include <cstring>
#include <initializer_list>

#include "runstore/pg/citus_shards.hpp"
#include "runstore/pg/runstore_relations.hpp"
#include "runstore/pg/spi_plan.hpp"
#include "runstore/pg/spi_run.hpp"
#include "runstore/pg/statements.hpp"
#include "runstore/queue/claimed_rows.hpp"
#include "runstore/queue/cluster_claim.hpp"

namespace runstore::pg {

namespace {

struct ClusterShard {
	int64 shard_id;
	int32 group; /* the node group holding its placement */
	int32 min_hash;
	int32 max_hash;
	int64 anchor;         /* a workspace id whose hash falls in this shard's range */
	bool placed_here;     /* Citus places it on this node */
	bool local;           /* placed here, and its table is here */
	TimestampTz empty_at; /* when a claim last found nothing due in it; 0: not since */
	KeptPlan claim;       /* local shards: statements::dequeue against this shard */
	KeptPlan due;         /* local shards: statements::work_due against this shard */
};

struct ClusterNodeEntry {
	int32 group;
	int64 anchor; /* of its first shard: routes runstore._claim_on_node to it */
	bool local;
	TimestampTz empty_at;
};

/* Where executions' shards are, as this node sees them; built once per metadata generation. */
struct ClusterMap {
	uint64 generation; /* 0: never built */
	int shard_count;
	ClusterShard *shards; /* TopMemoryContext, sorted by min_hash */
	int local_count;
	int *local_shards; /* indexes into shards */
	int node_count;
	ClusterNodeEntry *nodes; /* sorted by group */
	uint32 node_cursor;      /* where the next call starts */
	uint32 shard_cursor;
};

ClusterMap cluster = {0, 0, nullptr, 0, nullptr, 0, nullptr, 0, 0};

/*
 * Each shard of executions with the group holding its placement (the first,
 * should a shard have several), whether that is this node's group, and its
 * hash range.  $1: runstore.executions.
 */
KeptPlan shard_rows = {
    "SELECT s.shardid, p.groupid, p.groupid OPERATOR(pg_catalog.=) (SELECT l.groupid FROM"
    "  pg_catalog.pg_dist_local_group l),"
    " s.shardminvalue::pg_catalog.int4, s.shardmaxvalue::pg_catalog.int4"
    " FROM pg_catalog.pg_dist_shard s CROSS JOIN LATERAL ("
    "  SELECT p.groupid FROM pg_catalog.pg_dist_placement p"
    "  WHERE p.shardid OPERATOR(pg_catalog.=) s.shardid ORDER BY p.groupid LIMIT 1) p"
    " WHERE s.logicalrelid::pg_catalog.oid OPERATOR(pg_catalog.=) $1"
    " ORDER BY 4",
    1, kArgTypes<OIDOID>, nullptr};

/* The active primary nodes, other than this one, holding a shard of $1. */
KeptPlan other_nodes = {
    "SELECT DISTINCT n.nodename::pg_catalog.text, n.nodeport FROM pg_catalog.pg_dist_shard s"
    " JOIN pg_catalog.pg_dist_placement p ON p.shardid OPERATOR(pg_catalog.=) s.shardid"
    " JOIN pg_catalog.pg_dist_node n ON n.groupid OPERATOR(pg_catalog.=) p.groupid"
    "  AND n.isactive AND n.noderole OPERATOR(pg_catalog.=) 'primary'"
    " WHERE s.logicalrelid::pg_catalog.oid OPERATOR(pg_catalog.=) $1"
    " AND p.groupid OPERATOR(pg_catalog.<>) (SELECT l.groupid FROM pg_catalog.pg_dist_local_group l)"
    " ORDER BY 1, 2",
    1, kArgTypes<OIDOID>, nullptr};

int32
WorkspaceHash(int64 workspace_id)
{
	return DatumGetInt32(DirectFunctionCall1(hashint8, Int64GetDatum(workspace_id)));
}

/* The smallest workspace id >= 0 that Citus places in the range [min_hash, max_hash]. */
int64
FindAnchor(int32 min_hash, int32 max_hash)
{
	constexpr int64 kTries = 100000000;
	for (int64 v = 0; v < kTries; ++v) {
		const int32 h = WorkspaceHash(v);
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
		for (KeptPlan *plan : {&shard.claim, &shard.due}) {
			if (plan->plan != nullptr)
				SPI_freeplan(plan->plan);
			if (plan->sql != nullptr)
				pfree(const_cast<char *>(plan->sql));
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
		shard.claim = KeptPlan{nullptr, 0, nullptr, nullptr};
		shard.due = KeptPlan{nullptr, 0, nullptr, nullptr};
		if (!shard.local)
			continue;
		shard.claim = statements::dequeue;
		shard.claim.sql = ExecutionsShardStatement(statements::dequeue.sql, shard.shard_id);
		shard.claim.plan = nullptr;
		shard.due = statements::work_due;
		shard.due.sql = ExecutionsShardStatement(statements::work_due.sql, shard.shard_id);
		shard.due.plan = nullptr;
		cluster.local_shards[cluster.local_count++] = r;
	}
	if (cluster.generation == 0 && cluster.node_cursor == 0) {
		/* Concurrent workers start at different places. */
		cluster.node_cursor = static_cast<uint32>(MyProcPid);
		cluster.shard_cursor = static_cast<uint32>(MyProcPid);
	}
	cluster.generation = CitusMetadataGeneration();
}

void
EnsureMap(Oid relid)
{
	if (cluster.generation != CitusMetadataGeneration() || cluster.generation == 0)
		BuildMap(relid);
}

bool
RecentlyEmpty(TimestampTz empty_at, TimestampTz now)
{
	return empty_at != 0 && !TimestampDifferenceExceeds(empty_at, now, kEmptyRecheckMs);
}

/* Claims up to `want` from one local shard; returns how many were delivered. */
uint64
ClaimFromShard(ClusterShard &shard, ReturnSetInfo *rsinfo, Datum worker, int32 want, Datum lease, TimestampTz now)
{
	ParamListInfo params = makeParamList(3);
	params->params[0] = ParamExternData{worker, false, PARAM_FLAG_CONST, TEXTOID};
	params->params[1] = ParamExternData{Int32GetDatum(want), false, PARAM_FLAG_CONST, INT4OID};
	params->params[2] = ParamExternData{lease, false, PARAM_FLAG_CONST, INTERVALOID};
	RunKeptPlan(&shard.claim, params, SPI_OK_SELECT);
	const uint64 read = SPI_processed;
	const uint64 delivered = AppendDelivered(rsinfo, FindClaimedColumns(SPI_tuptable->tupdesc));
	SPI_freetuptable(SPI_tuptable);
	shard.empty_at = read == 0 ? now : 0;
	return delivered;
}

/* Claims up to `want` from this node's shards, from one further on each call; returns how many. */
uint64
ClaimLocal(ReturnSetInfo *rsinfo, Datum worker, int32 want, Datum lease)
{
	const int n = cluster.local_count;
	if (n == 0)
		return 0;
	const uint32 start = cluster.shard_cursor++;
	const TimestampTz now = GetCurrentTimestamp();
	uint64 delivered = 0;
	/* First the shards not found empty lately; then those, if the call is not full. */
	for (int pass = 0; pass < 2; ++pass)
		for (int k = 0; k < n; ++k) {
			ClusterShard &shard = cluster.shards[cluster.local_shards[(start + k) % n]];
			if (RecentlyEmpty(shard.empty_at, now) != (pass == 1))
				continue;
			delivered += ClaimFromShard(shard, rsinfo, worker, want - static_cast<int32>(delivered), lease, now);
			if (delivered >= static_cast<uint64>(want))
				return delivered;
		}
	return delivered;
}

/* Claims up to `want` on another node, by runstore._claim_on_node delegated to it; returns how many. */
uint64
ClaimRemote(const ClusterNodeEntry &node, ReturnSetInfo *rsinfo, Datum worker, int32 want, Datum lease)
{
	/*
	 * Constants, not parameters: Citus delegates a force_delegation
	 * function only when its distribution argument is a constant.
	 */
	StringInfoData sql;
	initStringInfo(&sql);
	appendStringInfo(&sql,
	                 "SELECT * FROM runstore._claim_on_node(" INT64_FORMAT "::pg_catalog.int8, %s, %d, "
	                 "%s::pg_catalog.interval)",
	                 node.anchor, quote_literal_cstr(TextDatumGetCString(worker)), want,
	                 quote_literal_cstr(DatumGetCString(DirectFunctionCall1(interval_out, lease))));
	const int rc = SPI_execute(sql.data, false, 0);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "runstore: claiming on node group %d returned %s", node.group, SPI_result_code_string(rc));
	const uint64 delivered = SPI_processed;
	AppendSpiRows(rsinfo);
	SPI_freetuptable(SPI_tuptable);
	pfree(sql.data);
	return delivered;
}

} // namespace

void
ClaimAcrossCluster(ReturnSetInfo *rsinfo, Datum worker, int32 max_jobs, Datum lease)
{
	EnsureMap(RunstoreRelation("executions"));
	const int n = cluster.node_count;
	if (n == 0)
		return;
	const uint32 start = cluster.node_cursor++;
	const TimestampTz now = GetCurrentTimestamp();
	uint64 delivered = 0;
	/* First the nodes not found empty lately; then those, if the call is not full. */
	for (int pass = 0; pass < 2; ++pass)
		for (int k = 0; k < n; ++k) {
			ClusterNodeEntry &node = cluster.nodes[(start + k) % n];
			if (RecentlyEmpty(node.empty_at, now) != (pass == 1))
				continue;
			const int32 want = max_jobs - static_cast<int32>(delivered);
			const uint64 got = node.local ? ClaimLocal(rsinfo, worker, want, lease)
			                              : ClaimRemote(node, rsinfo, worker, want, lease);
			node.empty_at = got == 0 ? now : 0;
			delivered += got;
			if (delivered >= static_cast<uint64>(max_jobs))
				return;
		}
}

void
ClaimOnThisNode(ReturnSetInfo *rsinfo, Datum anchor, Datum worker, int32 max_jobs, Datum lease)
{
	const Oid relid = RunstoreRelation("executions");
	if (!OidIsValid(relid) || !DistributedByCitus(relid))
		ereport(ERROR, (errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
		                errmsg("runstore._claim_on_node() needs a runstore.executions distributed by Citus"),
		                errhint("Call runstore.dequeue(); this function is the part of it that runs on each node.")));
	EnsureMap(relid);
	const int32 hash = WorkspaceHash(DatumGetInt64(anchor));
	bool here = false;
	for (int i = 0; i < cluster.shard_count && !here; ++i) {
		const ClusterShard &shard = cluster.shards[i];
		here = shard.local && hash >= shard.min_hash && hash <= shard.max_hash;
	}
	if (!here)
		ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
		                errmsg("runstore._claim_on_node() ran on a node that does not hold the shard of workspace "
		                       INT64_FORMAT, DatumGetInt64(anchor)),
		                errdetail("Citus did not delegate the call to the node holding that shard, so dequeue "
		                          "cannot claim from that node."),
		                errhint("Citus delegates calls only to nodes whose metadata is synced "
		                        "(citus_activate_node); check pg_dist_node.metadatasynced.")));
	(void)ClaimLocal(rsinfo, worker, max_jobs, lease);
}

bool
LocalShardsHaveDueWork()
{
	EnsureMap(RunstoreRelation("executions"));
	for (int i = 0; i < cluster.local_count; ++i)
		if (DatumGetBool(SelectOneValue(&cluster.shards[cluster.local_shards[i]].due, false)))
			return true;
	return false;
}

int
OtherShardNodes(ClusterNode *nodes, int max)
{
	Datum arg = ObjectIdGetDatum(RunstoreRelation("executions"));
	const int rc = SPI_execute_plan(GetKeptPlan(&other_nodes), &arg, nullptr, true, 0);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "runstore: reading Citus's node metadata returned %s", SPI_result_code_string(rc));
	int count = 0;
	for (uint64 r = 0; r < SPI_processed && count < max; ++r) {
		bool isnull = false;
		const char *host = TextDatumGetCString(SPI_getbinval(SPI_tuptable->vals[r], SPI_tuptable->tupdesc, 1, &isnull));
		const int port = DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[r], SPI_tuptable->tupdesc, 2, &isnull));
		strlcpy(nodes[count].host, host, sizeof(nodes[count].host));
		nodes[count].port = port;
		++count;
	}
	SPI_freetuptable(SPI_tuptable);
	return count;
}

} // namespace runstore::pg
