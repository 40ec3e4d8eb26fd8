// execution_decoder.cpp: see execution_decoder.hpp.
#include "execution_decoder.hpp"

#include <stdexcept>
#include <string>
#include <string_view>

#include "binary_reader.hpp"

namespace runstore::detail {

namespace {

struct Columns {
  int id, workspace_id, workflow_id, user_id, status, tags, payload, result, error, priority, attempt, max_attempts,
      run_after, lease_owner, lease_expires_at, created_at, updated_at, started_at, finished_at;

  explicit Columns(const PGresult* r)
      : id(find(r, "id")),
        workspace_id(find(r, "workspace_id")),
        workflow_id(find(r, "workflow_id")),
        user_id(find(r, "user_id")),
        status(find(r, "status")),
        tags(find(r, "tags")),
        payload(find(r, "payload")),
        result(find(r, "result")),
        error(find(r, "error")),
        priority(find(r, "priority")),
        attempt(find(r, "attempt")),
        max_attempts(find(r, "max_attempts")),
        run_after(find(r, "run_after")),
        lease_owner(find(r, "lease_owner")),
        lease_expires_at(find(r, "lease_expires_at")),
        created_at(find(r, "created_at")),
        updated_at(find(r, "updated_at")),
        started_at(find(r, "started_at")),
        finished_at(find(r, "finished_at")) {}

  static int find(const PGresult* r, const char* name) {
    const int n = PQfnumber(r, name);
    if (n < 0) throw std::runtime_error(std::string("result lacks column \"") + name + "\"");
    if (PQfformat(r, n) != 1) throw std::runtime_error("expected a binary result");
    return n;
  }
};

class Row {
 public:
  Row(const PGresult* r, int row) : r_(r), row_(row) {}

  [[nodiscard]] bool null(int col) const { return PQgetisnull(r_, row_, col) != 0; }
  [[nodiscard]] std::string_view value(int col) const {
    if (null(col)) {
      throw std::runtime_error(std::string("unexpected NULL in column \"") + PQfname(r_, col) + "\"");
    }
    return {PQgetvalue(r_, row_, col), static_cast<std::size_t>(PQgetlength(r_, row_, col))};
  }
  template <typename F>
  auto optional(int col, F decode) const -> std::optional<decltype(decode(std::string_view{}))> {
    if (null(col)) return std::nullopt;
    return decode(value(col));
  }

 private:
  const PGresult* r_;
  int row_;
};

std::string as_text(std::string_view v) { return std::string(v); }

}  // namespace

std::vector<Execution> decode_executions(const PGresult* r) {
  std::vector<Execution> out;
  const int rows = PQntuples(r);
  if (rows == 0) return out;
  const Columns c(r);
  out.reserve(static_cast<std::size_t>(rows));
  for (int i = 0; i < rows; ++i) {
    const Row row(r, i);
    Execution e;
    e.id = decode_uuid(row.value(c.id));
    e.workspace_id = decode_int8(row.value(c.workspace_id));
    e.workflow_id = row.optional(c.workflow_id, decode_int8);
    e.user_id = row.optional(c.user_id, as_text);
    e.status = parse_status(row.value(c.status));  // an enum's binary form is its label
    e.tags = decode_text_array(row.value(c.tags));
    e.payload = row.optional(c.payload, decode_jsonb);
    e.result = row.optional(c.result, decode_jsonb);
    e.error = row.optional(c.error, as_text);
    e.priority = decode_int4(row.value(c.priority));
    e.attempt = decode_int4(row.value(c.attempt));
    e.max_attempts = decode_int4(row.value(c.max_attempts));
    e.run_after = decode_timestamptz(row.value(c.run_after));
    e.lease_owner = row.optional(c.lease_owner, as_text);
    e.lease_expires_at = row.optional(c.lease_expires_at, decode_timestamptz);
    e.created_at = decode_timestamptz(row.value(c.created_at));
    e.updated_at = decode_timestamptz(row.value(c.updated_at));
    e.started_at = row.optional(c.started_at, decode_timestamptz);
    e.finished_at = row.optional(c.finished_at, decode_timestamptz);
    out.push_back(std::move(e));
  }
  return out;
}

}  // namespace runstore::detail
