// errors.cpp: SQLSTATE classification and libpq result checking.
#include "runstore/errors.hpp"

#include "pg_handles.hpp"

#include <string>

namespace runstore {

bool is_transient(std::string_view s) {
  if (s.size() != 5) return false;
  if (s.substr(0, 2) == "08") return true;  // connection exception
  return s == "40001" || s == "40P01" || s == "57P01" || s == "57P02" || s == "57P03" ||
         s == "53300";
}

bool Error::transient() const { return is_transient(sqlstate_); }

namespace detail {

namespace {
std::string field(const PGresult* r, int code) {
  const char* v = PQresultErrorField(r, code);
  return v != nullptr ? std::string(v) : std::string();
}

std::string trimmed(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}
}  // namespace

void check_result(const PGresult* r, PGconn* conn, ExecStatusType expected) {
  if (r != nullptr && PQresultStatus(r) == expected) return;
  // A broken connection is a ConnectionError whatever the result says.
  if (conn == nullptr || PQstatus(conn) != CONNECTION_OK) {
    throw ConnectionError(trimmed(conn != nullptr ? PQerrorMessage(conn) : "no connection"));
  }
  if (r == nullptr) throw ConnectionError(trimmed(PQerrorMessage(conn)));
  std::string state = field(r, PG_DIAG_SQLSTATE);
  std::string message = field(r, PG_DIAG_MESSAGE_PRIMARY);
  if (message.empty()) message = trimmed(PQresultErrorMessage(r));
  if (message.empty()) message = std::string("unexpected result status ") + PQresStatus(PQresultStatus(r));
  if (state.empty()) state = "XX000";
  throw Error(state, message, field(r, PG_DIAG_MESSAGE_DETAIL), field(r, PG_DIAG_MESSAGE_HINT));
}

}  // namespace detail
}  // namespace runstore
