// runstore/queue_stats.hpp: one row of runstore.queue_stats(), the live
// queue of one status and priority.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>

#include "runstore/execution.hpp"

namespace runstore {

// Counted at one instant (the server's statement time) over the queued and
// running executions the caller may see (privileges and row-level security
// apply); finished executions are never counted.
struct QueueStatsRow {
  Status status = Status::queued;  // queued or running
  std::int32_t priority = 0;
  std::int64_t executions = 0;
  // Claimable by dequeue now: queued with run_after reached, or running with
  // a lease that ended.  due_now + due_later == executions.
  std::int64_t due_now = 0;
  std::int64_t due_later = 0;
  // Running executions whose lease ended (due_now of a running row; 0 when queued).
  std::int64_t expired_leases = 0;
  // Queued after a failed attempt and still in their backoff (part of due_later).
  std::int64_t retrying = 0;
  // How long the oldest due execution has been due; none when none is due
  // (or only executions with run_after '-infinity' are).
  std::optional<std::chrono::microseconds> oldest_due_age;
};

}  // namespace runstore
