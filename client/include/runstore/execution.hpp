// runstore/execution.hpp: one row of runstore.executions as a value type.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "runstore/uuid.hpp"

namespace runstore {

enum class Status { queued, running, succeeded, failed, cancelled };

[[nodiscard]] std::string_view to_string(Status s);
// Throws std::invalid_argument for a label runstore does not define.
[[nodiscard]] Status parse_status(std::string_view label);

// Microsecond precision, as timestamptz stores it.  PostgreSQL's 'infinity'
// and '-infinity' map to TimePoint::max() and TimePoint::min().
using TimePoint = std::chrono::time_point<std::chrono::system_clock, std::chrono::microseconds>;

struct Execution {
  Uuid id;
  std::int64_t workspace_id = 0;
  std::optional<std::int64_t> workflow_id;
  std::optional<std::string> user_id;
  Status status = Status::queued;
  std::vector<std::string> tags;
  std::optional<std::string> payload;  // jsonb, as JSON text
  std::optional<std::string> result;   // jsonb, as JSON text
  std::optional<std::string> error;
  std::int32_t priority = 0;
  std::int32_t attempt = 0;
  std::int32_t max_attempts = 0;
  TimePoint run_after{};
  std::optional<std::string> lease_owner;
  std::optional<TimePoint> lease_expires_at;
  TimePoint created_at{};
  TimePoint updated_at{};
  std::optional<TimePoint> started_at;
  std::optional<TimePoint> finished_at;
};

// What a dashboard polls: an execution's state without its payload, result
// and the rest (Client::get_execution_states).
struct ExecutionState {
  Uuid id;
  Status status = Status::queued;
  std::int32_t attempt = 0;
  TimePoint updated_at{};
};

}  // namespace runstore
