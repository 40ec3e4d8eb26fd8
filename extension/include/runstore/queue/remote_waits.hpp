/*
 * remote_waits.hpp: an idle worker's wait that spans a Citus cluster
 * (PostgreSQL zone).
 *
 * Writes to executions land on the shards, on the nodes holding them, and
 * each node wakes its own waiters when such a write commits
 * (worker_wakeups.hpp; a multi-shard write's two-phase commit included).
 * A worker waiting on one node must also learn of commits on the others: its
 * wait_for_work sends CALL runstore._wait_on_node(...) to every other node
 * holding executions shards, over libpq connections of its own (kept for the
 * backend's life, like Citus's), and returns as soon as any of them, or its
 * own node, has work due.  Remote waits run for at most a second and are
 * sent again while the caller still waits; one no longer needed is left to
 * end by itself, on one of two connections per node, rather than cancelled
 * (remote_waits.cpp says why).  A node that cannot be reached is logged once
 * and left out of the waits, tried again every 5 s: its work is found by the
 * worker's next dequeue.
 *
 * The connections use the node names and ports in pg_dist_node, this
 * database, the current user and citus.node_conninfo: what Citus's own
 * connections use, so a cluster Citus can reach, this can.
 */
#pragma once

extern "C" {
#include "postgres.h"

#include "storage/latch.h"
}

namespace runstore::pg {

/*
 * Starts a wait of up to timeout_ms on every other node holding executions
 * shards (inside an SPI connection, to read the metadata); returns how many
 * are running.
 */
int StartRemoteWaits(int timeout_ms);

/*
 * Waits up to timeout_ms for this backend's latch or a reply to a remote
 * wait; true if a reply says work is due.  Call after StartRemoteWaits.
 */
bool WaitLatchOrRemoteWork(long timeout_ms);

/* Cancels the remote waits still running and reads what they sent; safe to call on every exit. */
void EndRemoteWaits();

} // namespace runstore::pg
