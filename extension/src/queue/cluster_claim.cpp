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
#include "access/xact.h"
#include "storage/proc.h"
#include "utils/guc.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"
}

#include "runstore/pg/citus_shards.hpp"
#include "runstore/pg/runstore_relations.hpp"
#include "runstore/pg/spi_plan.hpp"
#include "runstore/pg/spi_run.hpp"
#include "runstore/pg/statements.hpp"
#include "runstore/queue/claimed_rows.hpp"
#include "runstore/queue/cluster_claim.hpp"
#include "runstore/queue/cluster_map.hpp"

namespace runstore::pg {

namespace {

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
	RunKeptPlan(&shard.statements[kShardClaim], params, SPI_OK_SELECT);
	const uint64 read = SPI_processed;
	const uint64 delivered = AppendDelivered(rsinfo, FindClaimedColumns(SPI_tuptable->tupdesc));
	SPI_freetuptable(SPI_tuptable);
	shard.empty_at = read == 0 ? now : 0;
	return delivered;
}

/* Claims up to `want` from this node's shards, from one further on each call; returns how many. */
uint64
ClaimLocal(ClusterMap &cluster, ReturnSetInfo *rsinfo, Datum worker, int32 want, Datum lease)
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
	/*
	 * Outside a transaction block the claim commits on its node as the call
	 * returns, as a single node's dequeue commits at its statement's end:
	 * with citus.function_opens_transaction_block off for the call, Citus
	 * delegates it as a read, outside a coordinated transaction, so a
	 * dequeue that found nothing on one node and claimed on another commits
	 * without two-phase commit.  (Should a later node then fail, what the
	 * call claimed before is left to its leases, as after a lost reply.)
	 * Inside a block (a worker's step, with its outcomes) the claim is part
	 * of the caller's transaction.
	 */
	const int nest_level = IsTransactionBlock() ? -1 : NewGUCNestLevel();
	if (nest_level >= 0)
		(void)set_config_option("citus.function_opens_transaction_block", "off", PGC_USERSET, PGC_S_SESSION,
		                        GUC_ACTION_SAVE, true, 0, false);
	const int rc = SPI_execute(sql.data, false, 0);
	if (nest_level >= 0)
		AtEOXact_GUC(true, nest_level);
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
	ClusterMap &cluster = CurrentClusterMap();
	const int n = cluster.node_count;
	if (n == 0)
		return;
	/*
	 * A transaction that has written to a node (a worker's step completing
	 * what that node handed out) claims there first, so that it commits on
	 * one node without two-phase commit; but a backend stays on one node
	 * for at most kStayMs, then starts at the next in the rotation, so that
	 * the nodes drain evenly and no node waits on another's endless work.
	 */
	const TimestampTz now = GetCurrentTimestamp();
	const bool wrote = cluster.written_lxid == MyProc->lxid && cluster.written_node >= 0;
	uint32 start = 0;
	if (wrote && cluster.written_node == cluster.stay_node &&
	    !TimestampDifferenceExceeds(cluster.stay_since, now, kStayMs))
		start = static_cast<uint32>(cluster.written_node);
	else
		start = cluster.node_cursor++;
	if (static_cast<int>(start % n) != cluster.stay_node) {
		cluster.stay_node = static_cast<int>(start % n);
		cluster.stay_since = now;
	}
	uint64 delivered = 0;
	/* First the nodes not found empty lately; then those, if the call is not full. */
	for (int pass = 0; pass < 2; ++pass)
		for (int k = 0; k < n; ++k) {
			ClusterNodeEntry &node = cluster.nodes[(start + k) % n];
			if (RecentlyEmpty(node.empty_at, now) != (pass == 1))
				continue;
			const int32 want = max_jobs - static_cast<int32>(delivered);
			const uint64 got = node.local ? ClaimLocal(cluster, rsinfo, worker, want, lease)
			                              : ClaimRemote(node, rsinfo, worker, want, lease);
			node.empty_at = got == 0 ? now : 0;
			delivered += got;
			if (delivered >= static_cast<uint64>(max_jobs))
				return;
		}
}

void
RequireLocalAnchor(Datum anchor, const char *function)
{
	const Oid relid = RunstoreRelation("executions");
	if (!OidIsValid(relid) || !DistributedByCitus(relid))
		ereport(ERROR, (errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
		                errmsg("%s needs a runstore.executions distributed by Citus", function),
		                errhint("It is the part of dequeue, complete_many, fail_many or release_many that runs on "
		                        "each node; call those.")));
	const ClusterMap &cluster = CurrentClusterMap();
	const int shard = ShardOfWorkspace(cluster, DatumGetInt64(anchor));
	if (shard < 0 || !cluster.shards[shard].local)
		ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
		                errmsg("%s ran on a node that does not hold the shard of workspace " INT64_FORMAT, function,
		                       DatumGetInt64(anchor)),
		                errdetail("Citus did not delegate the call to the node holding that shard."),
		                errhint("Citus delegates calls only to nodes whose metadata is synced "
		                        "(citus_activate_node); check pg_dist_node.metadatasynced.")));
}

void
ClaimOnThisNode(ReturnSetInfo *rsinfo, Datum anchor, Datum worker, int32 max_jobs, Datum lease)
{
	RequireLocalAnchor(anchor, "runstore._claim_on_node()");
	(void)ClaimLocal(CurrentClusterMap(), rsinfo, worker, max_jobs, lease);
}

bool
LocalShardsHaveDueWork()
{
	ClusterMap &cluster = CurrentClusterMap();
	for (int i = 0; i < cluster.local_count; ++i)
		if (DatumGetBool(SelectOneValue(&cluster.shards[cluster.local_shards[i]].statements[kShardWorkDue], false)))
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
