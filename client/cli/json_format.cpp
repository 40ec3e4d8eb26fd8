// json_format.cpp: see json_format.hpp.
#include "json_format.hpp"

#include "time_format.hpp"

namespace runstore::cli {

namespace {

nlohmann::json optional_time(const std::optional<TimePoint>& t) {
  return t ? nlohmann::json(format_utc(*t, true)) : nlohmann::json(nullptr);
}

template <typename T>
nlohmann::json optional_value(const std::optional<T>& v) {
  return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
}

}  // namespace

nlohmann::json stored_json(const std::optional<std::string>& text) {
  if (!text) return nullptr;
  // jsonb text from the server always parses; should it not, show the text
  // rather than fail the whole listing.
  auto parsed = nlohmann::json::parse(*text, nullptr, /*allow_exceptions=*/false);
  return parsed.is_discarded() ? nlohmann::json(*text) : parsed;
}

nlohmann::json execution_to_json(const Execution& e) {
  // nlohmann::ordered_json would keep column order but is a different type;
  // key order carries no meaning in JSON, so the plain type is fine.
  return nlohmann::json{
      {"id", e.id.to_string()},
      {"workspace_id", e.workspace_id},
      {"workflow_id", optional_value(e.workflow_id)},
      {"user_id", optional_value(e.user_id)},
      {"status", std::string(to_string(e.status))},
      {"tags", e.tags},
      {"payload", stored_json(e.payload)},
      {"result", stored_json(e.result)},
      {"error", optional_value(e.error)},
      {"priority", e.priority},
      {"attempt", e.attempt},
      {"max_attempts", e.max_attempts},
      {"run_after", format_utc(e.run_after, true)},
      {"lease_owner", optional_value(e.lease_owner)},
      {"lease_expires_at", optional_time(e.lease_expires_at)},
      {"created_at", format_utc(e.created_at, true)},
      {"updated_at", format_utc(e.updated_at, true)},
      {"started_at", optional_time(e.started_at)},
      {"finished_at", optional_time(e.finished_at)},
  };
}

nlohmann::json recent_workflow_to_json(const RecentWorkflow& r) {
  return nlohmann::json{
      {"workflow_id", r.workflow_id},
      {"last_used_at", format_utc(r.last_used_at, true)},
      {"last_execution_id", r.last_execution_id.to_string()},
  };
}

std::string dump_json(const nlohmann::json& j, int indent) {
  return j.dump(indent, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace runstore::cli
