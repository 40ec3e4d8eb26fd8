// client_errors_test.cpp: each kind of server error arrives as its own class
// (runstore/errors.hpp), and a connection lost without any SQLSTATE is a
// ConnectionError that the client retries.
#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <unistd.h>

#include <chrono>
#include <future>
#include <stdexcept>
#include <string>
#include <thread>
#include <typeinfo>
#include <vector>

#include "connection.hpp"
#include "retrying.hpp"
#include "runstore/client.hpp"
#include "socket_proxy.hpp"
#include "test_database.hpp"

namespace {

using namespace std::chrono_literals;
using runstore::Client;
using runstore::ClientOptions;
using runstore::NewExecution;
using runstore::RetryPolicy;
using runstore::StatementMode;
using runstore::Uuid;
using runstore::testing::exec_sql;
using runstore::testing::Session;
using runstore::testing::SocketProxy;
using runstore::testing::test_conninfo;
namespace sqlstate = runstore::sqlstate;

// Runs `call`, which must throw exactly `E` (not a subclass) with `state`;
// returns the error for further checks.
template <typename E, typename Call>
runstore::Error thrown_by(Call call, const char* state) {
  try {
    call();
  } catch (const E& e) {
    EXPECT_EQ(typeid(e), typeid(E)) << e.what();
    EXPECT_EQ(e.sqlstate(), state) << e.what();
    return e;
  } catch (const runstore::Error& e) {
    ADD_FAILURE() << "expected " << typeid(E).name() << ", got " << typeid(e).name() << " (SQLSTATE " << e.sqlstate()
                  << "): " << e.what();
    return e;
  }
  ADD_FAILURE() << "expected " << typeid(E).name() << ", nothing thrown";
  return runstore::Error("", "nothing thrown");
}

Uuid insert_in(std::int64_t ws) {
  return Uuid::parse(
      exec_sql("INSERT INTO runstore.executions (workspace_id) VALUES (" + std::to_string(ws) + ") RETURNING id"));
}

// Waits until backend `pid` is blocked on a lock.
void wait_until_blocked(int pid) {
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (exec_sql("SELECT wait_event_type FROM pg_stat_activity WHERE pid = " + std::to_string(pid)) != "Lock") {
    if (std::chrono::steady_clock::now() > deadline) throw std::runtime_error("the call never blocked");
    std::this_thread::sleep_for(10ms);
  }
}

TEST(ClientErrors, ARevokedSelectIsAnInsufficientPrivilegeError) {
  const std::string role = "runstore_client_errors_" + std::to_string(getpid());
  exec_sql("DROP ROLE IF EXISTS " + role);
  exec_sql("CREATE ROLE " + role + " LOGIN");
  exec_sql("GRANT USAGE ON SCHEMA runstore TO " + role);
  exec_sql("GRANT SELECT ON runstore.executions TO " + role);
  const Uuid id = insert_in(900001);
  {
    Client reader(test_conninfo() + " user=" + role);
    ASSERT_EQ(reader.get_executions_by_ids({id}).size(), 1U) << "SELECT is enough to read";
    exec_sql("REVOKE SELECT ON runstore.executions FROM " + role);
    const auto e = thrown_by<runstore::InsufficientPrivilegeError>([&] { (void)reader.get_executions_by_ids({id}); },
                                                                   sqlstate::kInsufficientPrivilege);
    EXPECT_STREQ(e.what(), "permission denied for table executions");
    EXPECT_FALSE(e.transient());
    EXPECT_EQ(reader.retries(), 0U);
  }
  exec_sql("DROP OWNED BY " + role);
  exec_sql("DROP ROLE " + role);
}

TEST(ClientErrors, ABadArgumentIsADataError) {
  Client client(test_conninfo());
  thrown_by<runstore::DataError>([&] { client.dequeue("w", 0); }, sqlstate::kInvalidParameterValue);
  thrown_by<runstore::DataError>([&] { client.dequeue("", 1); }, sqlstate::kInvalidParameterValue);
  thrown_by<runstore::DataError>([&] { (void)client.recent_workflows(1, 1001); }, sqlstate::kInvalidParameterValue);
  thrown_by<runstore::DataError>([&] { client.delete_by_tag("t", 0); }, sqlstate::kInvalidParameterValue);
  NewExecution not_json;
  not_json.workspace_id = 900002;
  not_json.payload = "{not json";
  thrown_by<runstore::DataError>([&] { client.enqueue(not_json); }, sqlstate::kInvalidTextRepresentation);
  EXPECT_EQ(client.retries(), 0U);
}

TEST(ClientErrors, OverMaxBatchSizeIsAProgramLimitExceededError) {
  Client client(test_conninfo());
  const std::vector<Uuid> too_many(501, insert_in(900003));
  const auto e = thrown_by<runstore::ProgramLimitExceededError>([&] { (void)client.get_executions_by_ids(too_many); },
                                                                sqlstate::kProgramLimitExceeded);
  EXPECT_EQ(e.detail(), "The limit is set by runstore.max_batch_size.");
  EXPECT_FALSE(e.transient());
  thrown_by<runstore::ProgramLimitExceededError>([&] { client.delete_many(too_many); },
                                                 sqlstate::kProgramLimitExceeded);
  thrown_by<runstore::ProgramLimitExceededError>([&] { client.dequeue("w", 501); }, sqlstate::kProgramLimitExceeded);
  EXPECT_EQ(client.retries(), 0U);
}

TEST(ClientErrors, ARowTheTableRefusesIsAnIntegrityConstraintError) {
  Client client(test_conninfo());
  NewExecution never_runs;
  never_runs.workspace_id = 900004;
  never_runs.max_attempts = 0;
  thrown_by<runstore::IntegrityConstraintError>([&] { client.enqueue(never_runs); }, sqlstate::kCheckViolation);
}

TEST(ClientErrors, AMissingSchemaIsAnUndefinedObjectError) {
  ClientOptions options{test_conninfo(), StatementMode::prepared, {}};
  options.queue_function_schema = "runstore_no_such_schema";
  Client client(options);
  thrown_by<runstore::UndefinedObjectError>([&] { client.dequeue("w", 1); }, sqlstate::kInvalidSchemaName);
}

TEST(ClientErrors, ARacingDeleteUnderSerializableIsASerializationFailureAndIsRetried) {
  // Under SERIALIZABLE, a delete that waited for another transaction's update
  // of the same row fails with 40001 once that commits.
  const std::string serializable = test_conninfo() + " options='-c default_transaction_isolation=serializable'";
  const auto race = [&](Client& client) {
    const Uuid id = insert_in(900005);
    Session holder;
    holder.run("BEGIN");
    holder.run("UPDATE runstore.executions SET priority = 1 WHERE id = '" + id.to_string() + "'");
    const int pid = client.backend_pid();  // asked first: a Client is not thread-safe
    auto deleted = std::async(std::launch::async, [&] { return client.delete_many({id}); });
    wait_until_blocked(pid);
    holder.run("COMMIT");
    return deleted.get();
  };
  Client once(ClientOptions{serializable, StatementMode::prepared, RetryPolicy::none()});
  const auto e =
      thrown_by<runstore::SerializationFailureError>([&] { (void)race(once); }, sqlstate::kSerializationFailure);
  EXPECT_TRUE(e.transient());
  Client retrying(ClientOptions{serializable, StatementMode::prepared, {}});
  EXPECT_EQ(race(retrying).size(), 1U) << "the retry sees the committed update and deletes the row";
  EXPECT_EQ(retrying.retries(), 1U);
}

TEST(ClientErrors, AnErrorWithoutSqlstateIsAConnectionErrorAndIsRetriedOnANewConnection) {
  // libpq's own errors carry no SQLSTATE.  One made on a connection libpq
  // still calls open stands in for them here: the client can no longer trust
  // the session, so it reconnects and runs the call again.
  runstore::detail::Connection conn(test_conninfo(), StatementMode::unnamed);
  conn.connect();
  const auto libpq_error = [&] {
    runstore::detail::ResultPtr r(PQmakeEmptyPGresult(conn.raw(), PGRES_FATAL_ERROR));
    runstore::detail::check_result(r.get(), conn.raw(), PGRES_TUPLES_OK);
  };
  const auto e = thrown_by<runstore::ConnectionError>(libpq_error, sqlstate::kConnectionFailure);
  EXPECT_TRUE(e.transient());

  const int first_pid = PQbackendPID(conn.raw());
  RetryPolicy fast;
  fast.initial_backoff = 1ms;
  fast.max_backoff = 1ms;
  std::uint64_t retries = 0;
  std::vector<bool> reply_lost_seen;
  const std::string answer = runstore::detail::with_retries(conn, fast, retries, [&](bool reply_lost) {
    reply_lost_seen.push_back(reply_lost);
    if (reply_lost_seen.size() == 1) libpq_error();
    runstore::detail::ResultPtr r(PQexec(conn.raw(), "SELECT 42"));
    runstore::detail::check_result(r.get(), conn.raw(), PGRES_TUPLES_OK);
    return std::string(PQgetvalue(r.get(), 0, 0));
  });
  EXPECT_EQ(answer, "42");
  EXPECT_EQ(retries, 1U);
  EXPECT_EQ(reply_lost_seen, (std::vector<bool>{false, true})) << "what was sent may have been applied";
  EXPECT_NE(PQbackendPID(conn.raw()), first_pid) << "the retry ran on a new connection";
}

TEST(ClientErrors, AConnectionCutWithoutAWordIsAConnectionErrorAndIsRetried) {
  // A network failure: the socket closes and the server never says why, so
  // libpq reports the loss with no SQLSTATE.
  if (!SocketProxy::available()) GTEST_SKIP() << "needs a Unix-socket server (PGHOST a directory)";
  SocketProxy proxy;
  const Uuid id = insert_in(900006);
  Client once(ClientOptions{proxy.conninfo(), StatementMode::prepared, RetryPolicy::none()});
  ASSERT_EQ(once.get_executions_by_ids({id}).size(), 1U);
  proxy.cut();
  const auto e = thrown_by<runstore::ConnectionError>([&] { (void)once.get_executions_by_ids({id}); },
                                                      sqlstate::kConnectionFailure);
  EXPECT_TRUE(e.transient());

  Client client(proxy.conninfo());
  ASSERT_EQ(client.get_executions_by_ids({id}).size(), 1U);
  const int first_pid = client.backend_pid();
  proxy.cut();
  EXPECT_EQ(client.get_executions_by_ids({id}).size(), 1U);
  EXPECT_EQ(client.retries(), 1U);
  EXPECT_NE(client.backend_pid(), first_pid);
}

}  // namespace
