/*
 * cluster_claim.hpp: the queue on a Citus cluster (PostgreSQL zone).
 *
 * Citus runs FOR UPDATE SKIP LOCKED only on one shard, so a claim on a
 * cluster is made where the rows are: on each node, by the single node's
 * claim statement run against that node's executions shards directly (a
 * plain local statement per shard, planned once per shard and kept).  A
 * call on any node claims first from one node, then the next:
 *   - its own shards, directly;
 *   - another node's, through runstore._claim_on_node(anchor, ...), a
 *     function distributed with force_delegation, co-located with
 *     executions: Citus sends the call, inside the caller's transaction, to
 *     the node holding the shard of `anchor` (a workspace id that hashes
 *     into one of that node's shards), where it claims from that node's
 *     shards.  One round trip per node, however many shards it holds.
 * Where each call starts: each backend keeps a position among the nodes and,
 * on each node, among its shards; every call starts one further on, so
 * concurrent workers spread over the cluster and a shard with due work is
 * read within as many calls of one worker as there are shards.  A shard or
 * node that had nothing due is passed over for kEmptyRecheckMs while others
 * fill the call, and read again when they do not: work in one of eight
 * shards costs no round trip per call to the seven empty ones.
 * What ordering holds: within a shard, priority, then due time, then id,
 * as on a single node; across shards, none beyond that rotation.
 */
#pragma once

extern "C" {
#include "postgres.h"

#include "fmgr.h"
#include "funcapi.h"
}

namespace runstore::pg {

/* How long a shard or node found with nothing due is passed over while others fill a call. */
constexpr int kEmptyRecheckMs = 50;

/* A transaction that wrote to a node claims there first, for at most this long per stay on a node. */
constexpr int kStayMs = 50;

/*
 * dequeue on a distributed runstore.executions: claims up to max_jobs for
 * `worker` (text) with `lease` (interval) across the cluster, appending the
 * claimed rows to rsinfo's result.  Inside an SPI connection.
 */
void ClaimAcrossCluster(ReturnSetInfo *rsinfo, Datum worker, int32 max_jobs, Datum lease);

/*
 * runstore._claim_on_node: claims up to max_jobs from this node's shards.
 * ERRORs (0A000) if the shard of `anchor` is not on this node: the call was
 * not delegated to the node it names.  Inside an SPI connection.
 */
void ClaimOnThisNode(ReturnSetInfo *rsinfo, Datum anchor, Datum worker, int32 max_jobs, Datum lease);

/*
 * ERRORs unless executions is distributed and this node holds the shard of
 * workspace `anchor`: a function Citus should have delegated here (named
 * `function` in the message) was not.  Inside an SPI connection.
 */
void RequireLocalAnchor(Datum anchor, const char *function);

/* Whether a claimable execution is due in this node's executions shards.  Inside an SPI connection. */
bool LocalShardsHaveDueWork();

/* A node, other than this one, holding executions shards: where remote waits go. */
struct ClusterNode {
	char host[256];
	int port;
};

/*
 * The other nodes holding executions shards (at most `max`), from Citus's
 * metadata; returns how many.  Inside an SPI connection.
 */
int OtherShardNodes(ClusterNode *nodes, int max);

} // namespace runstore::pg
