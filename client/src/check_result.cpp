// check_result.cpp: a libpq result that is not what the call expected,
// turned into the runstore::Error subclass its SQLSTATE names.
#include <string>

#include "pg_handles.hpp"
#include "runstore/errors.hpp"

namespace runstore::detail {

namespace {

std::string field(const PGresult* r, int code) {
  const char* v = PQresultErrorField(r, code);
  return v != nullptr ? std::string(v) : std::string();
}

std::string trimmed(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

bool is_error_status(ExecStatusType s) { return s == PGRES_FATAL_ERROR || s == PGRES_BAD_RESPONSE; }

}  // namespace

void check_result(const PGresult* r, PGconn* conn, ExecStatusType expected) {
  if (r != nullptr && PQresultStatus(r) == expected) return;
  // A broken connection is a ConnectionError whatever the result says.
  if (conn == nullptr || PQstatus(conn) != CONNECTION_OK) {
    throw ConnectionError(trimmed(conn != nullptr ? PQerrorMessage(conn) : "no connection"));
  }
  if (r == nullptr) throw ConnectionError(trimmed(PQerrorMessage(conn)));
  const ExecStatusType status = PQresultStatus(r);
  std::string state = field(r, PG_DIAG_SQLSTATE);
  std::string message = field(r, PG_DIAG_MESSAGE_PRIMARY);
  if (message.empty()) message = trimmed(PQresultErrorMessage(r));
  if (message.empty()) message = std::string("unexpected result status ") + PQresStatus(status);
  // An error without a SQLSTATE was made by libpq about the connection
  // (throw_error makes it a ConnectionError).  A result that is no error but
  // of another kind than the statement returns is a bug in the client.
  if (state.empty() && !is_error_status(status)) state = sqlstate::kInternalError;
  throw_error(state, message, field(r, PG_DIAG_MESSAGE_DETAIL), field(r, PG_DIAG_MESSAGE_HINT));
}

}  // namespace runstore::detail
