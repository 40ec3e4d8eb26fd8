// test_database.cpp: see test_database.hpp.
#include "test_database.hpp"

#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <unistd.h>

#include <cstdlib>
#include <memory>
#include <stdexcept>

namespace runstore::testing {

namespace {

using Conn = std::unique_ptr<PGconn, decltype(&PQfinish)>;
using Result = std::unique_ptr<PGresult, decltype(&PQclear)>;

Conn connect(const std::string& conninfo) {
  Conn c(PQconnectdb(conninfo.c_str()), &PQfinish);
  if (PQstatus(c.get()) != CONNECTION_OK) {
    throw std::runtime_error("cannot connect to the test server (set PG* variables): " +
                             std::string(PQerrorMessage(c.get())));
  }
  return c;
}

std::string run(PGconn* c, const std::string& sql) {
  Result r(PQexec(c, sql.c_str()), &PQclear);
  const auto st = PQresultStatus(r.get());
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
    throw std::runtime_error(sql + ": " + PQresultErrorMessage(r.get()));
  }
  if (st == PGRES_TUPLES_OK && PQntuples(r.get()) > 0 && PQnfields(r.get()) > 0) {
    return PQgetvalue(r.get(), 0, 0);
  }
  return {};
}

std::string database_name() { return "runstore_client_test_" + std::to_string(getpid()); }

class Database : public ::testing::Environment {
 public:
  void SetUp() override {
    Conn admin = connect("");
    run(admin.get(), "DROP DATABASE IF EXISTS " + database_name());
    run(admin.get(), "CREATE DATABASE " + database_name());
    Conn db = connect(test_conninfo());
    run(db.get(), "CREATE EXTENSION runstore");
  }
  void TearDown() override {
    Conn admin = connect("");
    run(admin.get(), "DROP DATABASE IF EXISTS " + database_name() + " WITH (FORCE)");
  }
};

[[maybe_unused]] auto* const kEnvironment = ::testing::AddGlobalTestEnvironment(new Database);

}  // namespace

const std::string& test_conninfo() {
  static const std::string conninfo = "dbname=" + database_name();
  return conninfo;
}

std::optional<std::string> test_listen_conninfo() {
  const char* direct = std::getenv("RUNSTORE_TEST_LISTEN_CONNINFO");
  if (direct == nullptr || *direct == '\0') return std::nullopt;
  return test_conninfo() + " " + direct;  // later keywords win: its host and port
}

std::string exec_sql(const std::string& sql) {
  Conn c = connect(test_conninfo());
  return run(c.get(), sql);
}

Session::Session(const std::string& conninfo) : c_(connect(conninfo)) {}

std::string Session::run(const std::string& sql) { return testing::run(c_.get(), sql); }

}  // namespace runstore::testing
