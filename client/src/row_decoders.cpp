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

namespace {

// Every row of `r`, in order, through `decode_row(row index)`: the one loop
// behind each decoder below, which then only says how a row becomes a value.
template <typename DecodeRow>
auto decode_rows(const PGresult* r, DecodeRow decode_row) {
  std::vector<decltype(decode_row(0))> out;
  const int rows = PQntuples(r);
  out.reserve(static_cast<std::size_t>(rows));
  for (int i = 0; i < rows; ++i) out.push_back(decode_row(i));
  return out;
}

}  // namespace

std::vector<Uuid> decode_uuid_column(const PGresult* r) {
  return decode_rows(r, [r](int i) { return decode_uuid(value_at(r, i, 0)); });
}

std::vector<RecentWorkflow> decode_recent_workflows(const PGresult* r) {
  return decode_rows(r, [r](int i) {
    return RecentWorkflow{decode_int8(value_at(r, i, 0)), decode_timestamptz(value_at(r, i, 1)),
                          decode_uuid(value_at(r, i, 2))};
  });
}

std::vector<ExecutionState> decode_execution_states(const PGresult* r) {
  return decode_rows(r, [r](int i) {
    // An enum's binary form is its label.
    return ExecutionState{decode_uuid(value_at(r, i, 0)), parse_status(value_at(r, i, 1)),
                          decode_int4(value_at(r, i, 2)), decode_timestamptz(value_at(r, i, 3))};
  });
}

std::vector<QueueStatsRow> decode_queue_stats(const PGresult* r) {
  return decode_rows(r, [r](int i) {
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
    return s;
  });
}

}  // namespace runstore::detail
