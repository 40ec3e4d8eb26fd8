// json_format.hpp: executions and recent workflows as JSON, for --json.
#pragma once

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "runstore/execution.hpp"
#include "runstore/recent_workflow.hpp"

namespace runstore::cli {

// Every column of runstore.executions; payload and result as JSON values
// (not strings), timestamps as UTC ISO-8601 with microseconds.
nlohmann::json execution_to_json(const Execution& e);
nlohmann::json recent_workflow_to_json(const RecentWorkflow& r);

// Stored jsonb text as a JSON value: null when absent.
nlohmann::json stored_json(const std::optional<std::string>& text);

// Serializes without throwing on invalid UTF-8 (replaced with U+FFFD).
std::string dump_json(const nlohmann::json& j, int indent = -1);

}  // namespace runstore::cli
