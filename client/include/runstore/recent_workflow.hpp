// runstore/recent_workflow.hpp: one row of runstore.recent_workflows.
#pragma once

#include <cstdint>

#include "runstore/execution.hpp"
#include "runstore/uuid.hpp"

namespace runstore {

struct RecentWorkflow {
  std::int64_t workflow_id = 0;
  TimePoint last_used_at{};
  Uuid last_execution_id;
};

}  // namespace runstore
