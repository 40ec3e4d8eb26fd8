// test_database.hpp: a fresh database with runstore installed, per test
// process, on the server the PG* environment variables name.
#pragma once

#include <libpq-fe.h>

#include <memory>
#include <optional>
#include <string>

namespace runstore::testing {

// The conninfo of this process's database ("dbname=runstore_client_test_<pid>");
// created with CREATE EXTENSION runstore on first use, dropped at exit.
const std::string& test_conninfo();

// Where a Worker under test waits for work (WorkerOptions::listen_conninfo):
// when the PG* environment names a pooler, RUNSTORE_TEST_LISTEN_CONNINFO
// holds the server's own host and port (tests/pgbouncer/run.sh), and this is
// the test database there; otherwise unset, and workers wait over their
// own connection.
std::optional<std::string> test_listen_conninfo();

// Runs SQL on the test database (outside any runstore::Client) and returns the
// first column of the first row, or "" when there is none.  Throws on error.
std::string exec_sql(const std::string& sql);

// A session of the test's own that stays open, to hold a transaction (and
// its locks) while a client waits on them.
class Session {
 public:
  explicit Session(const std::string& conninfo = test_conninfo());
  // Runs `sql`; returns the first column of the first row, or "".  Throws on error.
  std::string run(const std::string& sql);

 private:
  std::unique_ptr<PGconn, decltype(&PQfinish)> c_;
};

}  // namespace runstore::testing
