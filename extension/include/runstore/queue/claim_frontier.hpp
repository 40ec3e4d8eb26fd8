/*
 * claim_frontier.hpp: where dequeue starts reading each priority class
 * (PostgreSQL zone).  docs/architecture.md "Claim frontier" tells the whole story.
 *
 * Why.  dequeue reads executions_claimable_idx from the head of each
 * priority class.  A claimed execution leaves a dead entry there; while a
 * long transaction holds the xmin horizon nothing may remove those entries,
 * and every claim would walk (and fetch from the heap) every entry claimed
 * since the horizon was held: O(claims so far) per call.
 *
 * What.  Each backend remembers, per priority class, a run_after below which
 * it found nothing to claim (the frontier), and starts the class's index
 * range there.  It is a hint kept in backend memory: no delivery depends on
 * it (claims still lock and re-check each row), and a backend that has none
 * reads from the head.  The frontier is only ever set to a time no row could
 * still arrive below:
 *   - the first row this call claimed in the class (or as far as the next
 *     rule allows, when the call read every class to its end), and
 *   - the start of every transaction that holds a write lock on executions
 *     when the call begins, less a margin: a row such a transaction commits
 *     later carries a run_after at or after its start, because the
 *     run_after default is its statement's start and claims, heartbeats and
 *     retries set run_after from their statement's time forward.  A
 *     statement that takes its lock after the call read the locks began
 *     after the call did, unless it ran for a while before it first wrote
 *     executions (next paragraph).
 * Rows that can still arrive below it:
 *   - an INSERT or UPDATE giving run_after an explicit time before its
 *     statement began.  The trigger runstore._register_priorities() sees
 *     those (run_after more than the margin before the statement's start)
 *     and bumps the sequence
 *     runstore.claim_epoch: shared and outside MVCC, so every backend sees
 *     the bump at once.  A backend that sees a new value reads from the head
 *     until a read starts after every transaction that could have bumped it
 *     has ended; from then on those rows are visible and were read.
 *   - a row another call skipped because a claim, heartbeat or UPDATE had
 *     it locked, which then rolled back; and a row written by a statement
 *     (a long function, or a later statement of one multi-statement query
 *     string, which share one start time) that first locked executions more
 *     than the margin after it began.  A full
 *     read from the head every runstore.claim_rescan_interval claims those.
 */
#pragma once

extern "C" {
#include "postgres.h"

#include "datatype/timestamp.h"
#include "utils/relcache.h"
}

namespace runstore::pg {

/*
 * Why the frontier cannot be used on the executions table `rel` (open and
 * locked) at all, or nullptr: runstore.direct_paths off, or a shape whose
 * writers it cannot see (ExecutionsShape: a partitioned, foreign or
 * distributed table, whose rows are written under other relations' locks)
 * or whose late rows it is not told of (the runstore._register_priorities()
 * triggers missing or disabled).
 */
const char *FrontierUnusable(Relation rel);

/* How far below the oldest writer's start a frontier stays (microseconds). */
constexpr TimestampTz kFrontierMargin = 100 * 1000;

/* Most priority classes the frontier handles; beyond, dequeue reads from the head. */
constexpr int kMaxFrontierClasses = 64;

/*
 * The earliest run_after that a transaction still open when this is called
 * can commit into `relid`: the oldest start among the transactions holding a
 * write lock on it (see above), never later than `own_start`;
 * DT_NOBEGIN when some writer's start is unknown (activity tracking off, a
 * prepared transaction).  Call it before the statement whose snapshot must
 * cover every row committed at or after the returned time.
 */
TimestampTz OldestOpenWriteTime(Oid relid, TimestampTz own_start);

/*
 * This backend's frontiers for table `relid`; all are forgotten when the
 * table's OID changes (the extension was re-created).
 */
/* The frontier of `priority`; DT_NOBEGIN when there is none. */
TimestampTz FrontierOf(Oid relid, int32 priority);

/* Sets the frontier of `priority` (ignored beyond kMaxFrontierClasses classes). */
void SetFrontier(Oid relid, int32 priority, TimestampTz frontier);

/* Whether a full read from the head is due at `now`; `interval_ms` 0: always. */
bool FrontierRescanDue(Oid relid, TimestampTz now, int interval_ms);

/* Records a full read from the head at `now`. */
void NoteFrontierRescan(Oid relid, TimestampTz now);

/* The trigger's half: rows arrived that may lie below some backend's frontier. */
void AnnounceLateRows();

/*
 * dequeue's half, asked before its claim's snapshot: whether rows announced
 * since this backend last read from the head may be waiting below its
 * frontiers (then this call reads from the head).  `*covered` says whether
 * that read will see all of them, every announcing transaction having
 * ended; if so, call NoteLateRowsRead after it.
 */
bool LateRowsPending(Oid relid, bool *covered);
void NoteLateRowsRead(Oid relid);

} // namespace runstore::pg
