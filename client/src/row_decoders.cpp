// row_decoders.cpp: see row_decoders.hpp.
#include "row_decoders.hpp"

#include <stdexcept>
#include <string>

#include "binary_reader.hpp"

namespace runstore::detail {

std::string_view value_at(const PGresult* r, int row, int col) {
  if (PQgetisnull(r, row, col) != 0) {
    throw std::runtime_error(std::string("unexpected NULL in column \"") + PQfname(r, col) + "\"");
  }
  return {PQgetvalue(r, row, col), static_cast<std::size_t>(PQgetlength(r, row, col))};
}

std::vector<Uuid> decode_uuid_column(const PGresult* r) {
  std::vector<Uuid> out;
  const int rows = PQntuples(r);
  out.reserve(static_cast<std::size_t>(rows));
  for (int i = 0; i < rows; ++i) out.push_back(decode_uuid(value_at(r, i, 0)));
  return out;
}

std::vector<RecentWorkflow> decode_recent_workflows(const PGresult* r) {
  std::vector<RecentWorkflow> out;
  const int rows = PQntuples(r);
  out.reserve(static_cast<std::size_t>(rows));
  for (int i = 0; i < rows; ++i) {
    out.push_back(RecentWorkflow{decode_int8(value_at(r, i, 0)), decode_timestamptz(value_at(r, i, 1)),
                                 decode_uuid(value_at(r, i, 2))});
  }
  return out;
}

std::vector<ExecutionState> decode_execution_states(const PGresult* r) {
  std::vector<ExecutionState> out;
  const int rows = PQntuples(r);
  out.reserve(static_cast<std::size_t>(rows));
  for (int i = 0; i < rows; ++i) {
    // An enum's binary form is its label.
    out.push_back(ExecutionState{decode_uuid(value_at(r, i, 0)), parse_status(value_at(r, i, 1)),
                                 decode_int4(value_at(r, i, 2)), decode_timestamptz(value_at(r, i, 3))});
  }
  return out;
}

std::vector<QueueStatsRow> decode_queue_stats(const PGresult* r) {
  std::vector<QueueStatsRow> out;
  const int rows = PQntuples(r);
  out.reserve(static_cast<std::size_t>(rows));
  for (int i = 0; i < rows; ++i) {
    QueueStatsRow s;
    s.status = parse_status(value_at(r, i, 0));
    s.priority = decode_int4(value_at(r, i, 1));
    s.executions = decode_int8(value_at(r, i, 2));
    s.due_now = decode_int8(value_at(r, i, 3));
    s.due_later = decode_int8(value_at(r, i, 4));
    s.expired_leases = decode_int8(value_at(r, i, 5));
    s.retrying = decode_int8(value_at(r, i, 6));
    // NULL: nothing due.
    if (PQgetisnull(r, i, 7) == 0) s.oldest_due_age = decode_interval(value_at(r, i, 7));
    out.push_back(s);
  }
  return out;
}

}  // namespace runstore::detail
