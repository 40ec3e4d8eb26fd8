/*
 * worker_wakeups.hpp: waking idle workers without NOTIFY (PostgreSQL zone).
 *
 * A worker with nothing to do calls runstore.wait_for_work(), which holds a
 * session-level share lock on one advisory key (the waiters' key) while it
 * waits on its latch.  A transaction that made work due (an INSERT or UPDATE
 * leaving a queued row with run_after <= now) marks itself; after its commit
 * is visible it looks up the holders of that key in the lock table and sets
 * their latches.  Nothing is written and no lock is queued for: inserting
 * transactions keep group commit, which NOTIFY (a database-wide lock held
 * from pre-commit through the commit's WAL flush) takes away.
 *
 * A transaction prepared for two-phase commit (a Citus shard's part of a
 * multi-shard write) keeps its mark and wakes the waiters at its session's
 * next commit, which is Citus's COMMIT PREPARED of it.  On a Citus cluster
 * the waiter checks this node's shards and waits on the other nodes too
 * (remote_waits.hpp).
 *
 * No wake-up is lost: the waiter takes the lock, starts a transaction (from
 * then on, to the end of its sleep, the writers' lookup sees it), reads
 * whether work is due with a new snapshot, drops the snapshot and sleeps.  A
 * writer whose lookup misses the waiter looked, after its own commit became
 * visible, before that transaction began, so the waiter's check came later
 * and sees the work.
 */
#pragma once

extern "C" {
#include "storage/lock.h"
}

namespace runstore::pg {

/* Installs the end-of-transaction callback (from _PG_init). */
void RegisterWorkerWakeups();

/* This transaction made work due: wake the waiting workers once it commits. */
void NoteWorkMadeDue();

/* The advisory key waiters hold: pg_advisory_lock_shared(1920298611, 2002872692) ("runs", "wait"). */
void WaitersLockTag(LOCKTAG *tag);

/*
 * Waits up to timeout_ms for due work; true if some is due.  In a
 * non-atomic context (CALL outside a transaction block) it commits before
 * sleeping, so an idle worker holds no snapshot back.  On a Citus cluster
 * it waits for this node's shards and, unless this_node_only, for the other
 * nodes' (remote_waits.hpp).
 */
bool WaitForWork(int timeout_ms, bool atomic, bool this_node_only);

} // namespace runstore::pg
