// enqueue_input.cpp: see enqueue_input.hpp.
#include "enqueue_input.hpp"

#include <cstdint>
#include <limits>

#include <nlohmann/json.hpp>

#include "json_format.hpp"
#include "text_util.hpp"

namespace runstore::cli {

namespace {

using nlohmann::json;

std::int64_t as_int64(const json& v, const char* key) {
  // Unsigned JSON numbers above INT64_MAX and any float (even 5.0) are
  // refused: a silently converted id is a wrong id.
  if (v.is_number_unsigned()) {
    if (v.get<std::uint64_t>() > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
      throw InputError(std::string(key) + " is out of range for a bigint");
    return static_cast<std::int64_t>(v.get<std::uint64_t>());
  }
  if (v.is_number_integer()) return v.get<std::int64_t>();
  throw InputError(std::string(key) + " must be an integer");
}

std::int32_t as_int32(const json& v, const char* key, std::int32_t min) {
  const std::int64_t n = as_int64(v, key);
  if (n < min || n > std::numeric_limits<std::int32_t>::max())
    throw InputError(std::string(key) + " must be an integer from " + std::to_string(min) + " to " +
                     std::to_string(std::numeric_limits<std::int32_t>::max()));
  return static_cast<std::int32_t>(n);
}

std::string as_string(const json& v, const char* key) {
  if (!v.is_string()) throw InputError(std::string(key) + " must be a string");
  std::string s = v.get<std::string>();
  // "\u0000" is valid JSON, but PostgreSQL text cannot hold a NUL byte.
  if (s.find('\0') != std::string::npos) throw InputError(std::string(key) + " must not contain NUL (\\u0000)");
  return s;
}

}  // namespace

bool is_blank(const std::string& line) { return line.find_first_not_of(" \t\r\n") == std::string::npos; }

NewExecution parse_execution_line(const std::string& line) {
  json j = json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) throw InputError("not valid JSON");
  if (!j.is_object()) throw InputError("expected a JSON object");

  NewExecution e;
  bool has_workspace = false;
  for (auto it = j.begin(); it != j.end(); ++it) {
    const std::string& key = it.key();
    const json& v = it.value();
    if (key == "workspace_id") {
      if (v.is_null()) throw InputError("workspace_id must not be null");
      e.workspace_id = as_int64(v, "workspace_id");
      has_workspace = true;
    } else if (key == "workflow_id") {
      if (!v.is_null()) e.workflow_id = as_int64(v, "workflow_id");
    } else if (key == "user_id") {
      if (!v.is_null()) e.user_id = as_string(v, "user_id");
    } else if (key == "tags") {
      if (v.is_null()) continue;
      if (!v.is_array()) throw InputError("tags must be an array of strings");
      for (const auto& t : v) {
        if (!t.is_string()) throw InputError("tags must be an array of strings");
        e.tags.push_back(as_string(t, "tags"));
      }
    } else if (key == "payload") {
      // Stored as given (re-serialized); a JSON null payload is SQL NULL.
      if (!v.is_null()) e.payload = dump_json(v);
    } else if (key == "priority") {
      if (!v.is_null()) e.priority = as_int32(v, "priority", std::numeric_limits<std::int32_t>::min());
    } else if (key == "max_attempts") {
      if (!v.is_null()) e.max_attempts = as_int32(v, "max_attempts", 1);
    } else if (key == "id") {
      if (v.is_null()) continue;
      try {
        e.id = Uuid::parse(as_string(v, "id"));
      } catch (const std::invalid_argument&) {
        throw InputError("id must be a UUID");
      }
    } else {
      throw InputError("unknown key " + quote_word(key) +
                       " (allowed: workspace_id, workflow_id, user_id, tags, payload, priority, "
                       "max_attempts, id)");
    }
  }
  if (!has_workspace) throw InputError("workspace_id is missing");
  return e;
}

}  // namespace runstore::cli
