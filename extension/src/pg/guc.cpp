/*
 * guc.cpp: definitions of the runstore.* configuration parameters.
 */
extern "C" {
#include "postgres.h"

#include "utils/guc.h"
}

#include "runstore/pg/guc.hpp"

namespace runstore::pg {

int max_batch_size = 500;
int lease_timeout_s = 60;
int retry_backoff_base_ms = 1000;
int retry_backoff_cap_ms = 3600 * 1000;
int claim_rescan_interval_ms = 10 * 1000;
bool notify_enqueued = false;
bool direct_paths = true;
bool background_fold = true;

void
DefineConfigurationParameters()
{
	/*
	 * PGC_SUSET: the cap protects the server from one caller sending a huge
	 * batch, so a caller must not be able to lift it for itself.  An
	 * administrator raises it per role or database with ALTER ROLE/DATABASE SET.
	 */
	DefineCustomIntVariable("runstore.max_batch_size",
	                        "Most ids one batch call (get_executions_by_ids, delete_many) accepts.",
	                        "A call with more array elements fails with SQLSTATE 54000. "
	                        "Valid range is 1..100000.",
	                        &max_batch_size, 500, 1, 100000, PGC_SUSET, 0, nullptr, nullptr, nullptr);

	/*
	 * Queue settings are USERSET: a worker or an application may choose its
	 * own lease and retry pace (dequeue and heartbeat also take a lease
	 * argument).  The bounds keep a typo from making leases endless or
	 * retries immediate forever.
	 */
	DefineCustomIntVariable("runstore.lease_timeout", "Lease of dequeue and heartbeat when the call passes none.",
	                        "A running execution whose lease ends without a heartbeat can be claimed again. "
	                        "Valid range is 1s..7d.",
	                        &lease_timeout_s, 60, 1, 7 * 24 * 3600, PGC_USERSET, GUC_UNIT_S, nullptr, nullptr, nullptr);
	DefineCustomIntVariable("runstore.retry_backoff_base",
	                        "Retry delay ceiling after the first failed attempt; doubles with every attempt.",
	                        "fail() re-queues with a delay drawn uniformly from [0, min(cap, base * 2^(attempt-1))). "
	                        "Valid range is 0..1h.",
	                        &retry_backoff_base_ms, 1000, 0, 3600 * 1000, PGC_USERSET, GUC_UNIT_MS, nullptr, nullptr,
	                        nullptr);
	DefineCustomIntVariable("runstore.retry_backoff_cap", "Largest retry delay ceiling.", "Valid range is 1ms..7d.",
	                        &retry_backoff_cap_ms, 3600 * 1000, 1, 7 * 24 * 3600 * 1000, PGC_USERSET, GUC_UNIT_MS,
	                        nullptr, nullptr, nullptr);

	/*
	 * Off by default: idle workers are woken through runstore.wait_for_work
	 * (worker_wakeups.hpp), which costs writers nothing.  A NOTIFY makes
	 * PostgreSQL serialize the commits of every notifying transaction (a
	 * database-wide lock held through the commit's WAL flush), which halves
	 * single-row insert throughput from many sessions; it is here for
	 * applications that LISTEN themselves, who turn it on per database or role.
	 */
	DefineCustomBoolVariable("runstore.notify_enqueued",
	                         "Whether writes that make executions due NOTIFY runstore_enqueued.",
	                         "For LISTENing applications; runstore's workers wait with runstore.wait_for_work.",
	                         &notify_enqueued, false, PGC_USERSET, 0, nullptr, nullptr, nullptr);

	/*
	 * USERSET: the frontier is this backend's own hint (claim_frontier.hpp);
	 * a session may trade how soon it claims rows that arrive below the
	 * frontier (an explicit past run_after) for how little it reads.
	 */
	DefineCustomIntVariable("runstore.claim_rescan_interval",
	                        "How often dequeue reads each priority class from its head instead of its frontier.",
	                        "Rows that arrive below a frontier (an explicit run_after in the past) are claimed "
	                        "by the next full read. 0 reads from the head on every call. Valid range is 0..1h.",
	                        &claim_rescan_interval_ms, 10 * 1000, 0, 3600 * 1000, PGC_USERSET, GUC_UNIT_MS, nullptr,
	                        nullptr, nullptr);

	/*
	 * USERSET: turning the direct paths off only makes this session run the
	 * SQL statements they stand in for (README "Direct paths"), which are
	 * the definition of each operation; no result changes.
	 */
	DefineCustomBoolVariable("runstore.direct_paths",
	                         "Whether runstore may use its direct heap and index paths where a table's shape allows.",
	                         "Off: every operation runs its SQL statement (batch lookups, the summaries' upkeep, "
	                         "the UPDATE check, recent_workflows' reads and the claim frontier).",
	                         &direct_paths, true, PGC_USERSET, 0, nullptr, nullptr, nullptr);

	/*
	 * USERSET: it decides only who folds, the writer or the fold worker;
	 * reads merge what is pending either way, so no result changes.
	 */
	DefineCustomBoolVariable("runstore.background_fold",
	                         "Whether writers hand the recent-workflows fold to a background worker.",
	                         "On: a writer whose fold turn comes starts the database's fold worker if none runs "
	                         "(a dynamic background worker, no shared_preload_libraries needed). Off: writers "
	                         "fold in their own transactions.",
	                         &background_fold, true, PGC_USERSET, 0, nullptr, nullptr, nullptr);

	MarkGUCPrefixReserved("runstore");
}

} // namespace runstore::pg
