/*
 * citus_shards.hpp: where the work of a trigger on runstore.executions goes
 * when Citus distributes the tables (PostgreSQL zone).
 *
 * runstore.distribute() shards executions and the recent-workflow tables by
 * workspace_id in one colocation group.  Citus then fires the executions
 * triggers on each shard (runstore.executions_<shardid>, on the node that
 * holds it), and the coordinator's runstore.executions becomes an empty
 * shell.  A trigger on a shard must record its runs in the co-located shards
 * of the summary tables (the same hash range, on the same node), never in
 * the local shells and never through a distributed statement: plain local
 * statements on those shards, planned once per shard and kept.
 */
#pragma once

extern "C" {
#include "postgres.h"

#include "utils/relcache.h"
}

#include "runstore/pg/spi_plan.hpp"

namespace runstore::pg {

/* Whether Citus lists `relid` in pg_dist_partition (its local relation is then a shell). */
bool DistributedByCitus(Oid relid);

/*
 * Bumped by every relation cache invalidation, which Citus causes whenever
 * it creates, moves or splits shards or changes placements: what is cached
 * from Citus's metadata is good for one generation.
 */
uint64 CitusMetadataGeneration();

/*
 * A statement over every shard of executions (an UPDATE or SELECT by id
 * without a workspace) runs, by Citus's default, on as many connections per
 * node as it has shards there, and Citus keeps one per node cached after the
 * transaction: a queue step then opens and closes backends on every node.
 * Between these two calls such statements use one connection per node
 * (citus.max_adaptive_executor_pool_size = 1), the shards of a node one
 * after the other, as a single node would.  Returns the GUC nest level to
 * restore, or -1 when executions is not distributed.  An ERROR in between
 * is fine: the transaction's abort restores the setting.
 */
int OneConnectionPerNode();
void RestoreConnectionsPerNode(int nest_level);

/* `sql` with runstore.executions named as its shard `shard_id`, in TopMemoryContext. */
char *ExecutionsShardStatement(const char *sql, int64 shard_id);

/* The statements of the recent-workflow upkeep, as run against one set of relations. */
struct RecentPlans {
	KeptPlan *append_inserted;
	KeptPlan *mark_deleted;
	KeptPlan *change_updated;
	KeptPlan *fold_recent;
	KeptPlan *truncate_recent;
};

/* The statements against runstore's own tables. */
RecentPlans TableRecentPlans();

enum class ExecutionsRole {
	kNone,  /* not runstore.executions nor a shard of it */
	kTable, /* runstore.executions, holding its rows */
	kShell, /* runstore.executions distributed by Citus: its shards' triggers do the work */
	kShard, /* runstore.executions_<shardid>, a Citus shard of it */
	/*
	 * runstore.executions_<shardid> on a Citus node whose metadata does not
	 * list that shard (yet): a shard Citus is filling while it creates,
	 * splits or moves shards, in a transaction whose metadata this node
	 * cannot see.  Its summary rows travel with the co-located summary
	 * shards, or runstore.distribute() rebuilds them: the upkeep skips it.
	 */
	kUnlistedShard,
};

/* The relation an executions trigger fired on, and where its summary work goes. */
struct ExecutionsTarget {
	ExecutionsRole role;
	int64 shard_id;         /* kShard: Citus's shard id; else -1 */
	Oid pending;            /* the pending table (kTable) or its co-located shard (kShard) */
	RecentPlans plans;      /* the upkeep's statements against those relations */
	bool summaries_present; /* false: a database still on 0.1.0's objects (no pending table) */
};

/*
 * Resolves `rel` (open): a kShard's co-located summary shards are looked up
 * in Citus's metadata once and kept until a relation cache invalidation.
 * ERRORs if a co-located shard is missing from this node.
 */
ExecutionsTarget ResolveExecutionsTarget(Relation rel);

/* The statements of recent_workflows(), as run against one set of relations. */
struct RecentReadPlans {
	KeptPlan *recent_in_workspace;
	KeptPlan *recent_for_user;
	KeptPlan *pending_in_workspace;
	KeptPlan *pending_for_user;
	KeptPlan *latest_in_workflow;
	KeptPlan *latest_for_user;
};

/* The read statements against runstore's own tables. */
RecentReadPlans TableRecentReadPlans();

/*
 * On a Citus node: whether this node holds the shards of workspace
 * `workspace_id` (of runstore.executions and the three recent-workflow
 * tables, one placement each, in one colocation group); if so, `plans` read
 * them directly, planned once per shard group.  Call inside an SPI
 * connection.  A call delegated by the coordinator to the workspace's node
 * (runstore.distribute() distributes recent_workflows by its workspace_id)
 * reads its shards this way, without a second distributed statement.
 */
bool LocalRecentShards(Datum workspace_id, RecentReadPlans *plans);

/* Registers the relcache callback that forgets resolved shards; called once from _PG_init. */
void RegisterShardInvalidation();

} // namespace runstore::pg
