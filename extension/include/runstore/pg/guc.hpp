/*
 * guc.hpp: runstore's configuration parameters (PostgreSQL zone).
 */
#pragma once

namespace runstore::pg {

/* runstore.max_batch_size: most array elements one batch call accepts. */
extern int max_batch_size;

/* runstore.lease_timeout: default lease of dequeue and heartbeat, in seconds. */
extern int lease_timeout_s;

/* runstore.retry_backoff_base / _cap: retry delay after a failure, in milliseconds. */
extern int retry_backoff_base_ms;
extern int retry_backoff_cap_ms;

/* runstore.notify_enqueued: whether writes that make work due NOTIFY runstore_enqueued (default off). */
extern bool notify_enqueued;

/* runstore.claim_rescan_interval: how often dequeue reads every class from its head, in ms (0: always). */
extern int claim_rescan_interval_ms;

/* runstore.direct_paths: whether the direct heap and index paths may be used (default on). */
extern bool direct_paths;

/* runstore.background_fold: whether writers hand the recent-workflows fold to a fold worker (default on). */
extern bool background_fold;

/* Registers every runstore.* parameter; called once from _PG_init. */
void DefineConfigurationParameters();

} // namespace runstore::pg
