// pg_handles.hpp: RAII owners for libpq's C handles.
#pragma once

#include <libpq-fe.h>

#include <memory>

namespace runstore::detail {

struct ConnDeleter {
  void operator()(PGconn* c) const noexcept { PQfinish(c); }
};
struct ResultDeleter {
  void operator()(PGresult* r) const noexcept { PQclear(r); }
};
using ConnPtr = std::unique_ptr<PGconn, ConnDeleter>;
using ResultPtr = std::unique_ptr<PGresult, ResultDeleter>;

// Throws the runstore::Error subclass of the result's SQLSTATE
// (runstore::throw_error) unless `r` reports `expected`: a ConnectionError
// when the connection broke or libpq reported an error without a SQLSTATE.
// A null result means libpq could not even send the query.
void check_result(const PGresult* r, PGconn* conn, ExecStatusType expected);

}  // namespace runstore::detail
