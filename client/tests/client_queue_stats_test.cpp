// client_queue_stats_test.cpp: Client::queue_stats against a real server,
// on a queue crafted row by row.
#include <gtest/gtest.h>

#include <unistd.h>

#include <chrono>
#include <string>
#include <vector>

#include "runstore/client.hpp"
#include "test_database.hpp"

namespace {

using runstore::Client;
using runstore::ClientOptions;
using runstore::QueueStatsRow;
using runstore::StatementMode;
using runstore::Status;
using runstore::testing::exec_sql;
using runstore::testing::test_conninfo;
using std::chrono::microseconds;
using std::chrono::minutes;

class QueueStatsTest : public ::testing::TestWithParam<StatementMode> {
 protected:
  // The counts cover the whole table: start from an empty one.
  void SetUp() override { exec_sql("TRUNCATE runstore.executions"); }
  Client client{ClientOptions{test_conninfo(), GetParam(), {}}};
};

// The age is measured at the call, a moment after the rows were written.
void expect_age(const QueueStatsRow& row, minutes at_least) {
  ASSERT_TRUE(row.oldest_due_age.has_value());
  EXPECT_GE(*row.oldest_due_age, microseconds(at_least));
  EXPECT_LT(*row.oldest_due_age, microseconds(at_least + minutes(1)));
}

TEST_P(QueueStatsTest, AnEmptyQueueHasNoRows) { EXPECT_TRUE(client.queue_stats().empty()); }

TEST_P(QueueStatsTest, CountsEachStatusAndPriorityOfTheLiveQueue) {
  exec_sql(
      "INSERT INTO runstore.executions (workspace_id, status, priority, attempt, run_after, lease_owner,"
      " lease_expires_at) VALUES"
      " (1, 'queued', 5, 0, now() - interval '10 minutes', NULL, NULL),"                           // due
      " (1, 'queued', 5, 0, now() - interval '2 minutes', NULL, NULL),"                            // due
      " (2, 'queued', 5, 1, now() + interval '1 hour', NULL, NULL),"                               // in backoff
      " (1, 'queued', 5, 0, 'infinity', NULL, NULL),"                                              // never due
      " (1, 'queued', -3, 0, now() + interval '1 hour', NULL, NULL),"                              // scheduled
      " (2, 'running', 5, 1, now() - interval '20 minutes', 'w', now() - interval '20 minutes'),"  // lease ended
      " (1, 'running', 5, 1, now() + interval '1 hour', 'w', now() + interval '1 hour'),"
      " (1, 'succeeded', 5, 1, now() - interval '1 day', 'w', NULL),"
      " (1, 'failed', 9, 3, now() - interval '1 day', 'w', NULL),"
      " (1, 'cancelled', 0, 0, now() - interval '1 day', NULL, NULL)");
  const auto rows = client.queue_stats();
  ASSERT_EQ(rows.size(), 3U);

  EXPECT_EQ(rows[0].status, Status::queued);
  EXPECT_EQ(rows[0].priority, 5);
  EXPECT_EQ(rows[0].executions, 4);
  EXPECT_EQ(rows[0].due_now, 2);
  EXPECT_EQ(rows[0].due_later, 2);
  EXPECT_EQ(rows[0].expired_leases, 0);
  EXPECT_EQ(rows[0].retrying, 1);
  expect_age(rows[0], minutes(10));

  EXPECT_EQ(rows[1].status, Status::queued);
  EXPECT_EQ(rows[1].priority, -3);
  EXPECT_EQ(rows[1].executions, 1);
  EXPECT_EQ(rows[1].due_now, 0);
  EXPECT_EQ(rows[1].due_later, 1);
  EXPECT_FALSE(rows[1].oldest_due_age.has_value()) << "nothing due, no age";

  EXPECT_EQ(rows[2].status, Status::running);
  EXPECT_EQ(rows[2].priority, 5);
  EXPECT_EQ(rows[2].executions, 2);
  EXPECT_EQ(rows[2].due_now, 1);
  EXPECT_EQ(rows[2].due_later, 1);
  EXPECT_EQ(rows[2].expired_leases, 1);
  EXPECT_EQ(rows[2].retrying, 0);
  expect_age(rows[2], minutes(20));
}

TEST_P(QueueStatsTest, FollowsTheQueueFunctions) {
  exec_sql(
      "INSERT INTO runstore.executions (workspace_id, priority, run_after)"
      " SELECT 1, 0, now() - interval '1 minute' FROM generate_series(1, 3)");
  const auto claimed = client.dequeue("stats-worker", 2, std::chrono::minutes(10));
  ASSERT_EQ(claimed.size(), 2U);
  EXPECT_TRUE(client.complete("stats-worker", {claimed[0].id, claimed[0].attempt}));
  const auto rows = client.queue_stats();
  ASSERT_EQ(rows.size(), 2U);
  EXPECT_EQ(rows[0].status, Status::queued);
  EXPECT_EQ(rows[0].executions, 1);
  EXPECT_EQ(rows[0].due_now, 1);
  EXPECT_EQ(rows[1].status, Status::running);
  EXPECT_EQ(rows[1].executions, 1);
  EXPECT_EQ(rows[1].due_later, 1) << "a live lease is due later";
  EXPECT_EQ(rows[1].expired_leases, 0);
}

TEST_P(QueueStatsTest, WithoutSelectPrivilegeRaises42501) {
  const std::string role = "runstore_client_stats_nopriv_" + std::to_string(getpid());
  exec_sql("DROP ROLE IF EXISTS " + role);
  exec_sql("CREATE ROLE " + role + " LOGIN");
  exec_sql("GRANT USAGE ON SCHEMA runstore TO " + role);
  {
    Client restricted(ClientOptions{test_conninfo() + " user=" + role, GetParam(), {}});
    try {
      (void)restricted.queue_stats();
      ADD_FAILURE() << "expected runstore::InsufficientPrivilegeError";
    } catch (const runstore::InsufficientPrivilegeError& e) {
      EXPECT_EQ(e.sqlstate(), "42501");
    }
  }
  exec_sql("DROP OWNED BY " + role);
  exec_sql("DROP ROLE " + role);
}

INSTANTIATE_TEST_SUITE_P(Modes, QueueStatsTest, ::testing::Values(StatementMode::prepared, StatementMode::unnamed),
                         [](const auto& info) {
                           return info.param == StatementMode::prepared ? std::string("prepared")
                                                                        : std::string("unnamed");
                         });

}  // namespace
