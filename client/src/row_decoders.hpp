// row_decoders.hpp: small binary results -> value types (executions are
// decoded by execution_decoder.hpp).
#pragma once

#include <libpq-fe.h>

#include <string_view>
#include <vector>

#include "runstore/execution.hpp"
#include "runstore/queue_stats.hpp"
#include "runstore/recent_workflow.hpp"
#include "runstore/uuid.hpp"

namespace runstore::detail {

// The value at (row, col) as bytes; throws on NULL.
std::string_view value_at(const PGresult* r, int row, int col);
// Column 0 of every row, as uuids.
std::vector<Uuid> decode_uuid_column(const PGresult* r);
std::vector<RecentWorkflow> decode_recent_workflows(const PGresult* r);
// Rows of (id, status, attempt, updated_at).
std::vector<ExecutionState> decode_execution_states(const PGresult* r);
// Rows of runstore.queue_stats(), its columns in order.
std::vector<QueueStatsRow> decode_queue_stats(const PGresult* r);

}  // namespace runstore::detail
