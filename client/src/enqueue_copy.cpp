// enqueue_copy.cpp: see enqueue_copy.hpp.
#include "enqueue_copy.hpp"

#include <limits>
#include <optional>
#include <stdexcept>

#include "params.hpp"

namespace runstore::detail {

namespace {

// The binary COPY header: signature, flags, header extension length.
constexpr char kSignature[] = "PGCOPY\n\377\r\n";  // and its terminating NUL: 11 bytes

template <typename T>
bool all_or_none(const std::vector<NewExecution>& executions, std::optional<T> NewExecution::*field) {
  bool any = false, all = true;
  for (const NewExecution& e : executions) {
    any = any || (e.*field).has_value();
    all = all && (e.*field).has_value();
  }
  return all || !any;
}

void field_length(std::string& out, std::size_t n) {
  if (n > static_cast<std::size_t>(std::numeric_limits<std::int32_t>::max())) {
    throw std::length_error("a value too long for one COPY field");
  }
  append_be(out, n, 4);
}

void null_field(std::string& out) { append_be(out, static_cast<std::uint32_t>(-1), 4); }

void bytes_field(std::string& out, const void* data, std::size_t n) {
  field_length(out, n);
  out.append(static_cast<const char*>(data), n);
}

// A value already in its binary form (params.hpp's binary_*).
void value_field(std::string& out, const std::string& binary) { bytes_field(out, binary.data(), binary.size()); }

}  // namespace

bool copy_can_send(const EnqueueShape& shape, const std::vector<NewExecution>& executions) {
  if (shape.skip_stored || executions.size() < kEnqueueCopyFrom) return false;
  return all_or_none(executions, &NewExecution::priority) && all_or_none(executions, &NewExecution::max_attempts) &&
         all_or_none(executions, &NewExecution::run_after);
}

std::string copy_sql(const EnqueueShape& shape) {
  std::string columns = "id, workspace_id";
  if (shape.workflow) columns += ", workflow_id";
  if (shape.user) columns += ", user_id";
  if (shape.tags) columns += ", tags";
  if (shape.payload) columns += ", payload";
  if (shape.priority) columns += ", priority";
  if (shape.max_attempts) columns += ", max_attempts";
  if (shape.run_after) columns += ", run_after";
  return "COPY runstore.executions (" + columns + ") FROM STDIN (FORMAT binary)";
}

std::string copy_data(const EnqueueShape& shape, const std::vector<NewExecution>& executions,
                      const std::vector<Uuid>& ids) {
  const int fields = 2 + static_cast<int>(shape.workflow) + static_cast<int>(shape.user) +
                     static_cast<int>(shape.tags) + static_cast<int>(shape.payload) + static_cast<int>(shape.priority) +
                     static_cast<int>(shape.max_attempts) + static_cast<int>(shape.run_after);
  std::string out(kSignature, sizeof kSignature);
  append_be(out, 0, 4);  // flags: no OIDs
  append_be(out, 0, 4);  // no header extension
  out.reserve(out.size() + executions.size() * (fields * 4 + 48));
  for (std::size_t i = 0; i < executions.size(); ++i) {
    const NewExecution& e = executions[i];
    append_be(out, static_cast<std::uint32_t>(fields), 2);
    bytes_field(out, ids[i].bytes().data(), ids[i].bytes().size());
    value_field(out, binary_int8(e.workspace_id));
    if (shape.workflow) {
      if (e.workflow_id)
        value_field(out, binary_int8(*e.workflow_id));
      else
        null_field(out);
    }
    if (shape.user) {
      if (e.user_id)
        bytes_field(out, e.user_id->data(), e.user_id->size());
      else
        null_field(out);
    }
    if (shape.tags) {
      std::vector<std::optional<std::string>> tags(e.tags.begin(), e.tags.end());
      value_field(out, binary_array(oid::kText, tags));
    }
    if (shape.payload) {
      if (e.payload)
        value_field(out, binary_jsonb(*e.payload));
      else
        null_field(out);
    }
    // copy_can_send: each of these is set by every execution.
    if (shape.priority) value_field(out, binary_int4(*e.priority));
    if (shape.max_attempts) value_field(out, binary_int4(*e.max_attempts));
    if (shape.run_after) value_field(out, binary_timestamptz(*e.run_after));
  }
  append_be(out, 0xFFFF, 2);  // trailer: a field count of -1
  return out;
}

}  // namespace runstore::detail
