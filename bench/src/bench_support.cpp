// bench_support.cpp: see bench_support.hpp.
#include "bench_support.hpp"

#include <algorithm>
#include <stdexcept>

namespace bench {

Conn connect(const std::string& conninfo) {
  Conn c(PQconnectdb(conninfo.c_str()), &PQfinish);
  if (PQstatus(c.get()) != CONNECTION_OK) {
    throw std::runtime_error("connect(" + conninfo + "): " + PQerrorMessage(c.get()));
  }
  return c;
}

Result exec(PGconn* c, const std::string& sql) {
  Result r(PQexec(c, sql.c_str()), &PQclear);
  const auto st = PQresultStatus(r.get());
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
    throw std::runtime_error(sql + ": " + PQresultErrorMessage(r.get()));
  }
  return r;
}

void prepare(PGconn* c, const char* name, const char* sql, int nparams, const Oid* types) {
  Result r(PQprepare(c, name, sql, nparams, types), &PQclear);
  if (PQresultStatus(r.get()) != PGRES_COMMAND_OK) {
    throw std::runtime_error(std::string("prepare ") + sql + ": " + PQresultErrorMessage(r.get()));
  }
}

long exec_prepared(PGconn* c, const char* name, const std::vector<std::string>& binary_params) {
  std::vector<const char*> values;
  std::vector<int> lengths;
  std::vector<int> formats(binary_params.size(), 1);
  for (const auto& p : binary_params) {
    values.push_back(p.data());
    lengths.push_back(static_cast<int>(p.size()));
  }
  Result r(PQexecPrepared(c, name, static_cast<int>(values.size()), values.data(), lengths.data(), formats.data(), 1),
           &PQclear);
  const auto st = PQresultStatus(r.get());
  if (st == PGRES_TUPLES_OK) return PQntuples(r.get());
  if (st == PGRES_COMMAND_OK) return std::stol(PQcmdTuples(r.get()));
  throw std::runtime_error(std::string(name) + ": " + PQresultErrorMessage(r.get()));
}

namespace {
void append_int4(std::string& out, std::uint32_t v) {
  for (int s = 24; s >= 0; s -= 8) out.push_back(static_cast<char>((v >> s) & 0xFF));
}
}  // namespace

std::string uuid_array_param(const Uuid16* first, std::size_t n) {
  std::string out;
  append_int4(out, 1);     // ndim
  append_int4(out, 0);     // no NULLs
  append_int4(out, 2950);  // uuid
  append_int4(out, static_cast<std::uint32_t>(n));
  append_int4(out, 1);  // lower bound
  for (std::size_t i = 0; i < n; ++i) {
    append_int4(out, 16);
    out += first[i];
  }
  return out;
}

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const std::size_t m = v.size() / 2;
  return v.size() % 2 == 1 ? v[m] : (v[m - 1] + v[m]) / 2;
}

}  // namespace bench
