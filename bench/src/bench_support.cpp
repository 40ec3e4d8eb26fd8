// bench_support.cpp: see bench_support.hpp.
#include "bench_support.hpp"

#include <algorithm>
#include <cstdio>
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

std::vector<int> int_list(const std::string& text, int most) {
  std::vector<int> out;
  std::size_t at = 0;
  while (at <= text.size()) {
    std::size_t end = text.find(',', at);
    if (end == std::string::npos) end = text.size();
    const std::string item = text.substr(at, end - at);
    std::size_t used = 0;
    int v = 0;
    try {
      v = std::stoi(item, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (item.empty() || used != item.size() || v < 1 || v > most)
      throw std::invalid_argument("\"" + text + "\": expected a list like 1,4,8 of numbers from 1 to " +
                                  std::to_string(most));
    out.push_back(v);
    at = end + 1;
  }
  return out;
}

std::string num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

std::string transport(PGconn* c) {
  const char* host = PQhost(c);
  return host != nullptr && host[0] == '/' ? "unix socket" : "TCP";
}

Csv::Csv(const std::string& path, const std::string& note, const std::string& header) : path_(path) {
  if (path.empty()) return;
  f_ = std::fopen(path.c_str(), "w");
  if (f_ == nullptr) throw std::runtime_error("cannot write " + path);
  std::fprintf(f_, "# %s\n%s\n", note.c_str(), header.c_str());
  std::fflush(f_);
}

Csv::~Csv() {
  if (f_ != nullptr) std::fclose(f_);
}

// Flushed row by row, so a run that fails later keeps what it measured.
void Csv::row(const std::string& line) {
  if (f_ == nullptr) return;
  if (std::fprintf(f_, "%s\n", line.c_str()) < 0 || std::fflush(f_) != 0)
    throw std::runtime_error("cannot write " + path_);
}

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const std::size_t m = v.size() / 2;
  return v.size() % 2 == 1 ? v[m] : (v[m - 1] + v[m]) / 2;
}

}  // namespace bench
