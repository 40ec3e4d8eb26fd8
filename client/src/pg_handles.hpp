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

// Throws runstore::Error (or ConnectionError) unless `r` reports `expected`.
// A null result means libpq could not even send the query.
void check_result(const PGresult* r, PGconn* conn, ExecStatusType expected);

}  // namespace runstore::detail
