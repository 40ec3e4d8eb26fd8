// client_pooler_test.cpp: prepared statements that a server session shares
// with other clients, as behind a transaction pooler, where a client's next
// transaction may run on a session where another client already prepared a
// statement's name (42P05 on prepare), or where nobody did (26000 on
// execute).  Both are made here on one direct session, deterministically: a
// PREPARE by hand under the name the client derives, and a DEALLOCATE behind
// the client's back.  Every call must still succeed, and run exactly once.
// Also: the pooler detection, on the server the PG* environment names
// (RUNSTORE_TEST_BEHIND_POOLER=1 says it is a pooler: tests/pgbouncer/run.sh).
#include <gtest/gtest.h>
#include <libpq-fe.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "connection.hpp"
#include "enqueue_statement.hpp"
#include "params.hpp"
#include "row_decoders.hpp"
#include "runstore/client.hpp"
#include "socket_proxy.hpp"
#include "statement.hpp"
#include "test_database.hpp"

namespace {

using runstore::Client;
using runstore::StatementMode;
using runstore::Uuid;
using runstore::detail::Connection;
using runstore::detail::Params;
using runstore::detail::prepared_name;
using runstore::detail::ResultPtr;
using runstore::testing::exec_sql;
using runstore::testing::SocketProxy;
using runstore::testing::test_conninfo;
namespace st = runstore::detail::statements;
namespace oid = runstore::detail::oid;

// SQL on the connection's own session, beside the client's statements.
std::string on_session(const Connection& conn, const std::string& sql) {
  ResultPtr r(PQexec(conn.raw(), sql.c_str()));
  const auto status = PQresultStatus(r.get());
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
    ADD_FAILURE() << sql << ": " << PQresultErrorMessage(r.get());
    return {};
  }
  return status == PGRES_TUPLES_OK && PQntuples(r.get()) > 0 ? PQgetvalue(r.get(), 0, 0) : "";
}

std::string prepared_count(const Connection& conn, const std::string& name) {
  return on_session(conn, "SELECT count(*) FROM pg_prepared_statements WHERE name = '" + name + "'");
}

Params recent_params(std::int64_t workspace) {
  Params p;
  p.int8(workspace).int4(4).null(oid::kText);
  return p;
}

Params delete_params(const Uuid& id) {
  Params p;
  p.uuid_array({id}).null(oid::kInt8);
  return p;
}

Uuid insert_one() {
  return Uuid::parse(exec_sql("INSERT INTO runstore.executions (workspace_id) VALUES (71) RETURNING id"));
}

std::vector<Uuid> deleted(const ResultPtr& r) {
  EXPECT_EQ(PQresultStatus(r.get()), PGRES_TUPLES_OK) << PQresultErrorMessage(r.get());
  return runstore::detail::decode_uuid_column(r.get());
}

TEST(PreparedNames, FollowTheTextAndTheParameterTypesOnly) {
  const Params a = recent_params(1), b = recent_params(2);
  // The values do not matter: the same statement, the same name.
  EXPECT_EQ(prepared_name(st::kRecentWorkflows, a), prepared_name(st::kRecentWorkflows, b));
  // Another text under the same label, or other types: another name.
  const runstore::detail::Statement other_text{st::kRecentWorkflows.name,
                                               "SELECT workflow_id FROM runstore.recent_workflows($1, $2, $3)"};
  EXPECT_NE(prepared_name(st::kRecentWorkflows, a), prepared_name(other_text, a));
  Params other_types;
  other_types.int8(1).int4(4).int4(0);
  EXPECT_NE(prepared_name(st::kRecentWorkflows, a), prepared_name(st::kRecentWorkflows, other_types));
  // Fixed across builds and machines: this is the name any client uses.
  EXPECT_EQ(prepared_name(st::kRecentWorkflows, a).rfind("runstore_recent_workflows_v1_", 0), 0U);
  EXPECT_EQ(prepared_name(st::kRecentWorkflows, a).size(), std::string("runstore_recent_workflows_v1_").size() + 16);
}

TEST(PreparedNames, FitPostgresIdentifiers) {
  // Longer than 63 bytes, PostgreSQL would cut the hash off.
  const Params none;
  for (const auto* s : {&st::kGetByIds, &st::kGetStatesByIds, &st::kRecentWorkflows, &st::kDeleteMany,
                        &st::kDeleteByTag, &st::kCancel, &st::kBackendPid}) {
    EXPECT_LE(prepared_name(*s, none).size(), 63U) << s->name;
  }
  // Enqueue's, whatever the batch's shape (all columns sent, skipping stored ids).
  runstore::detail::EnqueueStatements enqueues;
  runstore::detail::EnqueueShape widest{false, true, true, true, true, true, true, true, true};
  EXPECT_LE(prepared_name(enqueues.get(widest), none).size(), 63U);
}

TEST(SharedSession, ANameAnotherClientPreparedIsTakenAsThisStatement) {
  Connection conn(test_conninfo(), StatementMode::prepared);
  conn.connect();
  const Params p = recent_params(71);
  const std::string name = prepared_name(st::kRecentWorkflows, p);
  // As another client on the same server session would have left it.
  on_session(conn, "PREPARE " + name + "(int8, int4, text) AS " + st::kRecentWorkflows.sql);
  ResultPtr r = conn.run(st::kRecentWorkflows, p);  // PQprepare meets 42P05
  EXPECT_EQ(PQresultStatus(r.get()), PGRES_TUPLES_OK);
  EXPECT_EQ(prepared_count(conn, name), "1");
  // Run again: the name is known, nothing is prepared.
  r = conn.run(st::kRecentWorkflows, p);
  EXPECT_EQ(PQresultStatus(r.get()), PGRES_TUPLES_OK);
  EXPECT_EQ(on_session(conn, "SELECT from_sql FROM pg_prepared_statements WHERE name = '" + name + "'"), "t");
}

TEST(SharedSession, AStatementMissingFromTheSessionIsRunOnceAndPreparedAgain) {
  Connection conn(test_conninfo(), StatementMode::prepared);
  conn.connect();
  const Uuid first = insert_one(), second = insert_one();
  const Params p1 = delete_params(first), p2 = delete_params(second);
  const std::string name = prepared_name(st::kDeleteMany, p1);
  EXPECT_EQ(deleted(conn.run(st::kDeleteMany, p1)), std::vector<Uuid>{first});
  // As on a server session the client had not used before (26000 on execute).
  on_session(conn, "DEALLOCATE " + name);
  EXPECT_EQ(deleted(conn.run(st::kDeleteMany, p2)), std::vector<Uuid>{second});
  EXPECT_EQ(exec_sql("SELECT count(*) FROM runstore.executions WHERE id IN ('" + first.to_string() + "', '" +
                     second.to_string() + "')"),
            "0");
  EXPECT_EQ(prepared_count(conn, name), "1") << "prepared again for the calls after it";
}

TEST(SharedSession, OneTransactionPipelineMissingAStatementRunsOnceWhole) {
  Connection conn(test_conninfo(), StatementMode::prepared);
  conn.connect();
  const Uuid a = insert_one(), b = insert_one();
  const Params pa = delete_params(a), pb = delete_params(b), recent = recent_params(71);
  // Both statements prepared, then gone from the session.
  (void)conn.run(st::kRecentWorkflows, recent);
  (void)conn.run(st::kDeleteMany, delete_params(insert_one()));
  on_session(conn, "DEALLOCATE ALL");
  const std::vector<Connection::Call> calls{
      {&st::kDeleteMany, &pa}, {&st::kRecentWorkflows, &recent}, {&st::kDeleteMany, &pb}};
  const auto results = conn.run_pipelined(calls, Connection::Transactions::one_for_all);
  ASSERT_EQ(results.size(), 3U);
  // The first try rolled back whole: the second deleted both, once each.
  EXPECT_EQ(deleted(results[0]), std::vector<Uuid>{a});
  EXPECT_EQ(PQresultStatus(results[1].get()), PGRES_TUPLES_OK) << PQresultErrorMessage(results[1].get());
  EXPECT_EQ(deleted(results[2]), std::vector<Uuid>{b});
  EXPECT_EQ(prepared_count(conn, prepared_name(st::kDeleteMany, pa)), "1");
}

TEST(SharedSession, TransactionPerCallPipelineRunsAgainOnlyTheCallsMissingAStatement) {
  Connection conn(test_conninfo(), StatementMode::prepared);
  conn.connect();
  const Uuid a = insert_one(), b = insert_one();
  const Params pa = delete_params(a), pb = delete_params(b), recent = recent_params(71);
  (void)conn.run(st::kRecentWorkflows, recent);
  (void)conn.run(st::kDeleteMany, delete_params(insert_one()));
  // The deletes' statement stays; recent_workflows' goes.
  on_session(conn, "DEALLOCATE " + prepared_name(st::kRecentWorkflows, recent));
  const std::vector<Connection::Call> calls{
      {&st::kDeleteMany, &pa}, {&st::kRecentWorkflows, &recent}, {&st::kDeleteMany, &pb}};
  const auto results = conn.run_pipelined(calls, Connection::Transactions::one_per_call);
  ASSERT_EQ(results.size(), 3U);
  // The deletes ran (and committed) once: sent again, they would find nothing.
  EXPECT_EQ(deleted(results[0]), std::vector<Uuid>{a});
  EXPECT_EQ(PQresultStatus(results[1].get()), PGRES_TUPLES_OK) << PQresultErrorMessage(results[1].get());
  EXPECT_EQ(deleted(results[2]), std::vector<Uuid>{b});
  EXPECT_EQ(prepared_count(conn, prepared_name(st::kRecentWorkflows, recent)), "1");
}

TEST(SharedSession, AnErrorOtherThanAMissingStatementIsReportedAsIs) {
  Connection conn(test_conninfo(), StatementMode::prepared);
  conn.connect();
  Params p;
  p.int8(71).int4(5000).null(oid::kText);  // max_results above 1000
  try {
    (void)conn.run(st::kRecentWorkflows, p);
    ADD_FAILURE() << "no error";
  } catch (const runstore::Error& e) {
    EXPECT_EQ(e.sqlstate(), "22023") << e.what();
  }
}

bool behind_pooler() {
  const char* v = std::getenv("RUNSTORE_TEST_BEHIND_POOLER");
  return v != nullptr && std::string(v) == "1";
}

TEST(PoolerDetection, TellsAPoolerFromADirectConnection) {
  Client client(test_conninfo());
  EXPECT_EQ(client.connected_through_pooler(), behind_pooler());
}

TEST(PoolerDetection, APlainRelayIsNotAPooler) {
  if (!SocketProxy::available()) GTEST_SKIP() << "the relay needs a Unix-socket server";
  SocketProxy proxy;
  Client client(proxy.conninfo());
  // It passes the server's startup answer on unchanged.
  EXPECT_EQ(client.connected_through_pooler(), behind_pooler());
}

}  // namespace
