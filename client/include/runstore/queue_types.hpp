// runstore/queue_types.hpp: the value types of enqueueing and of a worker's
// calls (dequeue, heartbeat, complete, fail).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "runstore/execution.hpp"
#include "runstore/uuid.hpp"

namespace runstore {

// One execution to enqueue.  Unset fields take the table's defaults
// (priority 0, max_attempts 3, run_after now()).  The id is made by the
// client (a version-7 UUID) unless given, so that a retried enqueue cannot
// insert the same execution twice.
struct NewExecution {
  std::int64_t workspace_id = 0;
  std::optional<std::int64_t> workflow_id;
  std::optional<std::string> user_id;
  std::vector<std::string> tags;
  std::optional<std::string> payload;  // JSON text; the server checks it
  std::optional<std::int32_t> priority;
  std::optional<std::int32_t> max_attempts;
  std::optional<TimePoint> run_after;
  std::optional<Uuid> id;
};

// A lease a worker holds: the execution and the attempt it was claimed at.
// The attempt is the fencing token: once the execution is claimed again its
// attempt moves on, and calls carrying the old one change nothing.
// workspace_id, when known (dequeue returns it), lets a Citus cluster route
// the call to the node holding the execution.
struct HeldLease {
  Uuid id;
  std::int32_t attempt = 0;
  std::optional<std::int64_t> workspace_id = std::nullopt;
};

// One completion in a batch (Client::complete_many).
struct Completion {
  Uuid id;
  std::int32_t attempt = 0;
  std::optional<std::string> result;                        // JSON text
  std::optional<std::int64_t> workspace_id = std::nullopt;  // as HeldLease's
};

// One failure in a batch (Client::report_and_dequeue).
struct Failure {
  Uuid id;
  std::int32_t attempt = 0;
  std::string error;
  bool retryable = true;
  std::optional<std::int64_t> workspace_id = std::nullopt;  // as HeldLease's
};

// What runstore.fail did.
enum class FailOutcome {
  requeued,  // attempts remain and the failure was retryable: queued again after a backoff
  failed,    // final: status failed
  refused,   // the worker no longer holds this lease (fenced off); nothing changed
};

}  // namespace runstore
