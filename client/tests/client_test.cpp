// client_test.cpp: runstore::Client against a real server (the throwaway
// cluster scripts/test.sh starts), in a database of this process's own.
#include <gtest/gtest.h>

#include <unistd.h>

#include <ostream>
#include <string>

#include "runstore/client.hpp"
#include "test_database.hpp"

namespace runstore {
// Readable test names in ctest ("GetParam() = unnamed", not raw bytes).
void PrintTo(StatementMode m, std::ostream* os) { *os << (m == StatementMode::prepared ? "prepared" : "unnamed"); }
}  // namespace runstore

namespace {

using runstore::Client;
using runstore::ClientOptions;
using runstore::Execution;
using runstore::StatementMode;
using runstore::Status;
using runstore::Uuid;
using runstore::testing::exec_sql;
using runstore::testing::test_conninfo;

Uuid insert(const std::string& values_sql) {
  return Uuid::parse(exec_sql("INSERT INTO runstore.executions " + values_sql + " RETURNING id"));
}

Uuid insert_in(std::int64_t workspace) { return insert("(workspace_id) VALUES (" + std::to_string(workspace) + ")"); }

std::vector<Uuid> ids_of(const std::vector<Execution>& rows) {
  std::vector<Uuid> out;
  for (const auto& e : rows) out.push_back(e.id);
  return out;
}

int count_rows(const std::vector<Uuid>& ids) {
  std::string list;
  for (const auto& id : ids) list += (list.empty() ? "'" : ",'") + id.to_string() + "'";
  return std::stoi(exec_sql("SELECT count(*) FROM runstore.executions WHERE id IN (" + list + ")"));
}

class ClientTest : public ::testing::TestWithParam<StatementMode> {
 protected:
  Client client{ClientOptions{test_conninfo(), GetParam(), {}}};
};

TEST_P(ClientTest, GetReturnsFirstAppearanceOrderDuplicatesOnceUnknownOmitted) {
  const Uuid a = insert_in(1), b = insert_in(1), c = insert_in(1);
  const Uuid unknown = Uuid::parse("00000000-0000-7000-8000-000000000000");
  const auto rows = client.get_executions_by_ids({c, a, unknown, c, b, a});
  EXPECT_EQ(ids_of(rows), (std::vector<Uuid>{c, a, b}));
}

TEST_P(ClientTest, GetDecodesEveryColumn) {
  const Uuid id = insert(
      "(workspace_id, workflow_id, user_id, status, tags, payload, result, error, priority, attempt,"
      " max_attempts, run_after, lease_owner, lease_expires_at, created_at, started_at)"
      " VALUES (-42, 9000000000, 'ada', 'running', '{nightly,\"with space\"}', '{\"x\": [1, 2]}',"
      " 'null', 'boom', -5, 2, 7, 'infinity', 'w1', '-infinity',"
      " '2001-02-03 04:05:06.789012+00', '1999-12-31 23:59:59.5+00')");
  const auto rows = client.get_executions_by_ids({id});
  ASSERT_EQ(rows.size(), 1U);
  const Execution& e = rows[0];
  EXPECT_EQ(e.id, id);
  EXPECT_EQ(e.workspace_id, -42);
  EXPECT_EQ(e.workflow_id, 9000000000LL);
  EXPECT_EQ(e.user_id, "ada");
  EXPECT_EQ(e.status, Status::running);
  EXPECT_EQ(e.tags, (std::vector<std::string>{"nightly", "with space"}));
  EXPECT_EQ(e.payload, R"({"x": [1, 2]})");
  EXPECT_EQ(e.result, "null");  // JSON null is a value, not SQL NULL
  EXPECT_EQ(e.error, "boom");
  EXPECT_EQ(e.priority, -5);
  EXPECT_EQ(e.attempt, 2);
  EXPECT_EQ(e.max_attempts, 7);
  EXPECT_EQ(e.run_after, runstore::TimePoint::max());
  EXPECT_EQ(e.lease_owner, "w1");
  EXPECT_EQ(e.lease_expires_at, runstore::TimePoint::min());
  EXPECT_EQ(e.created_at.time_since_epoch().count(), 981173106789012LL);
  ASSERT_TRUE(e.started_at.has_value());
  EXPECT_EQ(e.started_at->time_since_epoch().count(), 946684799500000LL);  // before PG's epoch
  EXPECT_FALSE(e.finished_at.has_value());
}

TEST_P(ClientTest, GetDecodesDefaultsAndNulls) {
  const Uuid id = insert_in(3);
  const auto rows = client.get_executions_by_ids({id});
  ASSERT_EQ(rows.size(), 1U);
  const Execution& e = rows[0];
  EXPECT_EQ(e.status, Status::queued);
  EXPECT_FALSE(e.workflow_id.has_value());
  EXPECT_FALSE(e.user_id.has_value());
  EXPECT_FALSE(e.payload.has_value());
  EXPECT_TRUE(e.tags.empty());
  EXPECT_EQ(e.attempt, 0);
  EXPECT_EQ(e.max_attempts, 3);
  EXPECT_EQ(e.created_at, e.updated_at);
  EXPECT_EQ(std::stoll(exec_sql("SELECT (extract(epoch FROM created_at) * 1000000)::bigint"
                                " FROM runstore.executions WHERE id = '" +
                                id.to_string() + "'")),
            e.created_at.time_since_epoch().count());
}

TEST_P(ClientTest, GetWithWorkspaceOmitsOtherWorkspaces) {
  const Uuid mine = insert_in(10), theirs = insert_in(11);
  EXPECT_EQ(ids_of(client.get_executions_by_ids({theirs, mine}, 10)), (std::vector<Uuid>{mine}));
  EXPECT_EQ(ids_of(client.get_executions_by_ids({theirs, mine})), (std::vector<Uuid>{theirs, mine}));
}

TEST_P(ClientTest, StatesFollowTheLookupRulesAndCarryTheState) {
  const Uuid a = insert(
      "(workspace_id, status, attempt, updated_at) VALUES (20, 'running', 2,"
      " '2001-02-03 04:05:06.789012+00')");
  const Uuid b = insert_in(20), other = insert_in(21);
  const Uuid unknown = Uuid::parse("00000000-0000-7000-8000-000000000000");
  const auto states = client.get_execution_states({b, unknown, a, b, other});
  ASSERT_EQ(states.size(), 3U);
  EXPECT_EQ(states[0].id, b);
  EXPECT_EQ(states[0].status, Status::queued);
  EXPECT_EQ(states[0].attempt, 0);
  EXPECT_EQ(states[1].id, a);
  EXPECT_EQ(states[1].status, Status::running);
  EXPECT_EQ(states[1].attempt, 2);
  EXPECT_EQ(states[1].updated_at.time_since_epoch().count(), 981173106789012LL);
  EXPECT_EQ(states[2].id, other);
  const auto scoped = client.get_execution_states({other, a}, 20);
  ASSERT_EQ(scoped.size(), 1U);
  EXPECT_EQ(scoped[0].id, a);
  EXPECT_TRUE(client.get_execution_states({}).empty());
}

TEST_P(ClientTest, EmptyBatchesReturnNothing) {
  EXPECT_TRUE(client.get_executions_by_ids({}).empty());
  EXPECT_TRUE(client.delete_many({}).empty());
}

TEST_P(ClientTest, OversizedBatchRaises54000AndTheConnectionStaysUsable) {
  const Uuid id = insert_in(1);
  const std::vector<Uuid> too_many(501, id);
  try {
    (void)client.get_executions_by_ids(too_many);
    FAIL() << "expected runstore::Error";
  } catch (const runstore::Error& e) {
    EXPECT_EQ(e.sqlstate(), "54000");
    EXPECT_STREQ(e.what(), "ids has 501 elements, more than the limit of 500");
    EXPECT_EQ(e.detail(), "The limit is set by runstore.max_batch_size.");
    EXPECT_FALSE(e.transient());
  }
  try {
    (void)client.get_execution_states(too_many);
    FAIL() << "expected runstore::Error";
  } catch (const runstore::Error& e) {
    EXPECT_EQ(e.sqlstate(), "54000");
  }
  EXPECT_THROW(client.delete_many(too_many), runstore::Error);
  EXPECT_EQ(count_rows({id}), 1) << "a refused delete_many deleted nothing";
  EXPECT_EQ(client.get_executions_by_ids({id}).size(), 1U);
}

TEST_P(ClientTest, DeleteManyReturnsDeletedIdsInGivenOrder) {
  const Uuid a = insert_in(5), b = insert_in(5), keep = insert_in(5);
  const Uuid unknown = Uuid::parse("00000000-0000-7000-8000-000000000001");
  EXPECT_EQ(client.delete_many({b, unknown, a, b}), (std::vector<Uuid>{b, a}));
  EXPECT_EQ(count_rows({a, b}), 0);
  EXPECT_EQ(count_rows({keep}), 1);
  EXPECT_TRUE(client.delete_many({a, b}).empty()) << "already gone";
}

TEST_P(ClientTest, DeleteManyWithWorkspaceLeavesOtherWorkspacesAlone) {
  const Uuid mine = insert_in(20), theirs = insert_in(21);
  EXPECT_EQ(client.delete_many({mine, theirs}, 20), (std::vector<Uuid>{mine}));
  EXPECT_EQ(count_rows({theirs}), 1);
}

TEST_P(ClientTest, PrivilegeErrorsCarryTheirSqlstate) {
  const std::string role = "runstore_client_nopriv_" + std::to_string(getpid());
  exec_sql("DROP ROLE IF EXISTS " + role);
  exec_sql("CREATE ROLE " + role + " LOGIN");
  exec_sql("GRANT USAGE ON SCHEMA runstore TO " + role);
  {
    Client restricted(ClientOptions{test_conninfo() + " user=" + role, GetParam(), {}});
    try {
      (void)restricted.get_executions_by_ids({insert_in(1)});
      ADD_FAILURE() << "expected runstore::Error";
    } catch (const runstore::Error& e) {
      EXPECT_EQ(e.sqlstate(), "42501");
      EXPECT_STREQ(e.what(), "permission denied for table executions");
    }
  }
  exec_sql("DROP OWNED BY " + role);
  exec_sql("DROP ROLE " + role);
}

TEST_P(ClientTest, WithoutRetriesATerminatedBackendIsATransientErrorAndTheNextCallReconnects) {
  Client once(ClientOptions{test_conninfo(), GetParam(), runstore::RetryPolicy::none()});
  const Uuid id = insert_in(1);
  ASSERT_EQ(once.get_executions_by_ids({id}).size(), 1U);  // prepares on this backend
  exec_sql("SELECT pg_terminate_backend(" + std::to_string(once.backend_pid()) + ")");
  try {
    (void)once.get_executions_by_ids({id});
    ADD_FAILURE() << "expected the call on the terminated connection to fail";
  } catch (const runstore::Error& e) {
    EXPECT_TRUE(e.transient()) << e.sqlstate() << ": " << e.what();
  }
  EXPECT_EQ(ids_of(once.get_executions_by_ids({id})), (std::vector<Uuid>{id}));
  EXPECT_EQ(once.retries(), 0U);
}

TEST_P(ClientTest, ATerminatedBackendIsRetriedOnANewConnection) {
  const Uuid id = insert_in(1);
  ASSERT_EQ(client.get_executions_by_ids({id}).size(), 1U);
  const int old_pid = client.backend_pid();
  exec_sql("SELECT pg_terminate_backend(" + std::to_string(old_pid) + ")");
  EXPECT_EQ(ids_of(client.get_executions_by_ids({id})), (std::vector<Uuid>{id}));
  EXPECT_EQ(client.retries(), 1U);
  EXPECT_NE(client.backend_pid(), old_pid);
}

INSTANTIATE_TEST_SUITE_P(Modes, ClientTest, ::testing::Values(StatementMode::prepared, StatementMode::unnamed),
                         [](const auto& info) {
                           return info.param == StatementMode::prepared ? "prepared" : "unnamed";
                         });

TEST(ClientConnect, AnUnreachableServerIsAConnectionError) {
  try {
    Client c("host=127.0.0.1 port=1 connect_timeout=2");
    FAIL() << "expected runstore::ConnectionError";
  } catch (const runstore::ConnectionError& e) {
    EXPECT_EQ(e.sqlstate(), "08001");
    EXPECT_TRUE(e.transient());
    EXPECT_NE(std::string(e.what()).find("127.0.0.1"), std::string::npos) << e.what();
  }
}

TEST(ClientConnect, AMissingDatabaseIsAConnectionError) {
  EXPECT_THROW(Client("dbname=runstore_no_such_database"), runstore::ConnectionError);
}

TEST(ClientConnect, ReportsTheServerVersion) {
  Client c(test_conninfo());
  EXPECT_GE(c.server_version(), 150000);
}

}  // namespace
