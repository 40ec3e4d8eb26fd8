// common.cpp: connection, journal and counters of the crash test.
#include "common.hpp"

#include <cstdlib>
#include <cstring>
#include <iostream>
#include <set>

namespace crash {

Stats g_stats;

namespace {
std::mutex g_report_mutex;
std::set<std::string> g_reported;
}  // namespace

void report_unexpected(const std::string& where, const std::string& message) {
  g_stats.unexpected++;
  std::lock_guard<std::mutex> lock(g_report_mutex);
  std::string key = where + ": " + message;
  if (g_reported.insert(key).second && g_reported.size() <= 20) std::cerr << "UNEXPECTED " << key << std::endl;
}

std::string conninfo_from_env() {
  // Empty: libpq reads PGHOST, PGPORT, PGUSER, PGDATABASE.  A short connect
  // timeout so a worker does not hang on a server that is gone.
  return "connect_timeout=5 application_name=runstore_crash";
}

Conn::Conn(const std::string& conninfo) {
  conn_ = PQconnectdb(conninfo.c_str());
  if (PQstatus(conn_) != CONNECTION_OK) {
    last_error_ = PQerrorMessage(conn_);
    return;
  }
  // Quiet: the server's goodbye on a crash ("terminating connection due to
  // unexpected postmaster exit") is expected here, and seen as a lost result.
  PQsetNoticeProcessor(
      conn_, [](void*, const char*) {}, nullptr);
  // The lease and backoff settings of the test: short, so that expired
  // leases and retries happen within seconds.
  PQclear(PQexec(conn_, "SET runstore.retry_backoff_base = '100ms'; SET runstore.retry_backoff_cap = '400ms'"));
}

Conn::~Conn() {
  if (conn_) PQfinish(conn_);
}

Outcome Conn::classify(PGresult* r) {
  ExecStatusType st = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
  if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) return Outcome::ok;
  const char* state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : nullptr;
  last_sqlstate_ = state ? state : "";
  last_error_ = r ? PQresultErrorMessage(r) : PQerrorMessage(conn_);
  if (last_error_.empty()) last_error_ = PQerrorMessage(conn_);
  while (!last_error_.empty() && last_error_.back() == '\n') last_error_.pop_back();
  // The connection is gone, or the server said it is going away (class 57P:
  // admin/crash shutdown, cannot connect now; class 08: connection
  // exception): the statement's outcome is unknown.
  if (PQstatus(conn_) != CONNECTION_OK || last_sqlstate_.empty() || last_sqlstate_.rfind("08", 0) == 0 ||
      last_sqlstate_.rfind("57P", 0) == 0)
    return Outcome::lost;
  return Outcome::failed;
}

Outcome Conn::exec(const std::string& sql, const std::vector<const char*>& params, PGresult** res) {
  if (res) *res = nullptr;
  if (!ok()) {
    last_error_ = "not connected";
    last_sqlstate_.clear();
    return Outcome::lost;
  }
  PGresult* r = params.empty() ? PQexec(conn_, sql.c_str())
                               : PQexecParams(conn_, sql.c_str(), static_cast<int>(params.size()), nullptr,
                                              params.data(), nullptr, nullptr, 0);
  Outcome o = classify(r);
  if (o == Outcome::ok && res) {
    *res = r;
  } else if (r) {
    PQclear(r);
  }
  return o;
}

Outcome Conn::copy_in(const std::string& sql, const std::string& data) {
  if (!ok()) return Outcome::lost;
  PGresult* r = PQexec(conn_, sql.c_str());
  if (!r || PQresultStatus(r) != PGRES_COPY_IN) {
    Outcome o = classify(r);
    if (r) PQclear(r);
    return o == Outcome::ok ? Outcome::failed : o;
  }
  PQclear(r);
  // Send in a few chunks, as a real loader would.
  size_t chunk = 4096;
  for (size_t off = 0; off < data.size(); off += chunk) {
    size_t n = std::min(chunk, data.size() - off);
    if (PQputCopyData(conn_, data.data() + off, static_cast<int>(n)) != 1) break;
  }
  PQputCopyEnd(conn_, nullptr);
  Outcome o = Outcome::ok;
  bool any = false;
  while ((r = PQgetResult(conn_)) != nullptr) {
    any = true;
    Outcome one = classify(r);
    if (one != Outcome::ok) o = one;
    PQclear(r);
  }
  if (!any) o = classify(nullptr);
  return o;
}

Journal::Journal(const std::string& path) {
  f_ = std::fopen(path.c_str(), "a");
  if (!f_) {
    std::perror(path.c_str());
    std::exit(2);
  }
}

Journal::~Journal() { std::fclose(f_); }

void Journal::line(const std::string& s) {
  std::fputs(s.c_str(), f_);
  std::fputc('\n', f_);
  std::fflush(f_);
}

}  // namespace crash
