/*
 * cluster_map.hpp: where runstore.executions' shards are on a Citus
 * cluster, as the queue needs to know it (PostgreSQL zone).
 *
 * Read from Citus's metadata once per metadata generation (a relation cache
 * invalidation, which Citus causes whenever it creates, moves or splits
 * shards): every shard with its hash range and the node group holding it;
 * every node group, with an anchor (a workspace id hashing into one of its
 * shards) that routes a call distributed by workspace to it; and, for the
 * shards on this node, the queue's statements rewritten to name the shard,
 * each planned once and kept.
 */
#pragma once

extern "C" {
#include "postgres.h"

#include "storage/proc.h"
#include "utils/timestamp.h"
}

#include "runstore/pg/spi_plan.hpp"

namespace runstore::pg {

/* The queue's statements a local shard keeps a copy of, in ClusterShard::statements. */
enum ShardStatementKind {
	kShardClaim,        /* statements::dequeue */
	kShardWorkDue,      /* statements::work_due */
	kShardCompleteMany, /* statements::complete_many */
	kShardFailMany,     /* statements::fail_many */
	kShardReleaseMany,  /* statements::release_many */
	kShardHeartbeat,    /* statements::heartbeat_attempts */
	kShardStatementCount
};

struct ClusterShard {
	int64 shard_id;
	int32 group; /* the node group holding its placement */
	int32 min_hash;
	int32 max_hash;
	int64 anchor;                              /* a workspace id whose hash falls in this shard's range */
	bool placed_here;                          /* Citus places it on this node */
	bool local;                                /* placed here, and its table is here */
	TimestampTz empty_at;                      /* when a claim last found nothing due in it; 0: not since */
	KeptPlan statements[kShardStatementCount]; /* local shards only */
};

struct ClusterNodeEntry {
	int32 group;
	int64 anchor; /* of its first shard: routes runstore._claim_on_node and _outcomes_on_node to it */
	bool local;   /* this node */
	TimestampTz empty_at;
};

struct ClusterMap {
	uint64 generation; /* 0: never built */
	int shard_count;
	ClusterShard *shards; /* sorted by min_hash */
	int local_count;
	int *local_shards; /* indexes into shards */
	int node_count;
	ClusterNodeEntry *nodes; /* sorted by group */
	uint32 node_cursor;      /* where the next claim starts (cluster_claim.hpp) */
	uint32 shard_cursor;
	LocalTransactionId written_lxid; /* the transaction that last wrote outcomes on a node */
	int written_node;                /* that node's index in nodes */
	int stay_node;                   /* the node claims last started at, and since when */
	TimestampTz stay_since;
};

/* The map of a distributed runstore.executions, rebuilt first if the metadata changed.  Inside SPI. */
ClusterMap &CurrentClusterMap();

/* Citus's hash of a workspace id (hashint8). */
int32 WorkspaceHash(int64 workspace_id);

/* The index in map.shards of the shard holding workspace_id, or -1. */
int ShardOfWorkspace(const ClusterMap &map, int64 workspace_id);

/* This transaction wrote outcomes on map.nodes[node]: its next claim starts there. */
void NoteNodeWritten(ClusterMap &map, int node);

/* The index in map.nodes of group `group`, or -1. */
int NodeOfGroup(const ClusterMap &map, int32 group);

} // namespace runstore::pg
