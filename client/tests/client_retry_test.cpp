// client_retry_test.cpp: transient faults are retried (a backend killed in
// the middle of a call, a lost reply whose outcome must be read back), other
// errors are not, and the retry budget is bounded.
#include <gtest/gtest.h>
#include <libpq-fe.h>

#include <chrono>
#include <algorithm>
#include <future>
#include <set>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "retrying.hpp"
#include "runstore/client.hpp"
#include "test_database.hpp"

namespace {

using namespace std::chrono_literals;
using runstore::Client;
using runstore::ClientOptions;
using runstore::HeldLease;
using runstore::NewExecution;
using runstore::RetryPolicy;
using runstore::StatementMode;
using runstore::Status;
using runstore::Uuid;
using runstore::testing::exec_sql;
using runstore::testing::Session;
using runstore::testing::test_conninfo;

// Waits until backend `pid` is blocked on a lock, then terminates it.
void terminate_when_waiting(Session& s, int pid) {
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (s.run("SELECT wait_event_type FROM pg_stat_activity WHERE pid = " + std::to_string(pid)) != "Lock") {
    if (std::chrono::steady_clock::now() > deadline) throw std::runtime_error("the call never blocked");
    std::this_thread::sleep_for(10ms);
  }
  s.run("SELECT pg_terminate_backend(" + std::to_string(pid) + ")");
}

NewExecution job_in(std::int64_t ws) {
  NewExecution e;
  e.workspace_id = ws;
  return e;
}

// Claims one execution of workspace `ws` for `worker`, then runs `call` on
// the client while another session holds the row; kills the client's backend
// once the call waits, applies `meanwhile` (an UPDATE ... SET list) to the
// row in the holder's transaction and commits.  The client's first try is
// lost; its retry sees the row as `meanwhile` left it.  Returns the answer.
template <typename Call>
auto lose_reply(Client& client, std::int64_t ws, const std::string& worker, const std::string& meanwhile, Call call) {
  exec_sql("UPDATE runstore.executions SET status = 'cancelled' WHERE status IN ('queued', 'running')");
  client.enqueue(job_in(ws));
  const auto e = client.dequeue(worker).at(0);
  const std::string row = " WHERE id = '" + e.id.to_string() + "'";
  Session holder;
  holder.run("BEGIN");
  holder.run("SELECT 1 FROM runstore.executions" + row + " FOR UPDATE");
  const int pid = client.backend_pid();
  auto answer = std::async(std::launch::async, [&] { return call(HeldLease{e.id, e.attempt}); });
  terminate_when_waiting(holder, pid);
  holder.run("UPDATE runstore.executions SET " + meanwhile + row);
  holder.run("COMMIT");
  return std::make_pair(answer.get(), e.id);
}

TEST(ClientRetry, ABackendKilledMidCallIsRetriedToSuccess) {
  Client client(test_conninfo());
  const Uuid id = client.enqueue(job_in(800001));
  Session holder;
  holder.run("BEGIN");
  holder.run("LOCK TABLE runstore.executions IN ACCESS EXCLUSIVE MODE");
  const int pid = client.backend_pid();
  auto call = std::async(std::launch::async, [&] { return client.get_executions_by_ids({id}); });
  terminate_when_waiting(holder, pid);
  holder.run("COMMIT");
  const auto rows = call.get();
  ASSERT_EQ(rows.size(), 1U);
  EXPECT_EQ(rows[0].id, id);
  EXPECT_GE(client.retries(), 1U);
  EXPECT_NE(client.backend_pid(), pid);
}

TEST(ClientRetry, ALargeEnqueueWhoseBackendDiedIsStoredOnceByTheRetry) {
  // A batch this large goes by COPY; the retry after the broken connection
  // inserts what is not stored yet, skipping any id that is.
  Client client(test_conninfo());
  const std::int64_t ws = 800010;
  std::vector<NewExecution> batch(500, job_in(ws));
  Session holder;
  holder.run("BEGIN");
  holder.run("LOCK TABLE runstore.executions IN ACCESS EXCLUSIVE MODE");
  const int pid = client.backend_pid();
  auto call = std::async(std::launch::async, [&] { return client.enqueue(batch); });
  terminate_when_waiting(holder, pid);
  holder.run("COMMIT");
  const auto ids = call.get();
  ASSERT_EQ(ids.size(), batch.size());
  EXPECT_GE(client.retries(), 1U);
  EXPECT_EQ(exec_sql("SELECT count(DISTINCT id) FROM runstore.executions WHERE workspace_id = " + std::to_string(ws)),
            "500");
  EXPECT_EQ(client.get_executions_by_ids(ids).size(), batch.size());
}

TEST(ClientRetry, ACompletionWhoseReplyWasLostIsReadBackAsDone) {
  // The completion lands (here: another session applies exactly what the
  // client's statement would) and the client's connection dies before it
  // hears so.  The retry is refused (the execution is no longer running);
  // the client reads it back and reports the completion as done.
  Client client(test_conninfo());
  const auto [done, id] =
      lose_reply(client, 800002, "w-lost", "status = 'succeeded', result = '7', finished_at = now()",
                 [&](const HeldLease& l) { return client.complete("w-lost", l, "7"); });
  EXPECT_TRUE(done);
  EXPECT_GE(client.retries(), 1U);
}

TEST(ClientRetry, ACompletionFencedOffAfterALostReplyStaysRefused) {
  // Same, but meanwhile the lease expired and another worker claimed it:
  // the read-back sees a newer attempt and the answer is false.
  Client client(test_conninfo());
  const auto [done, id] = lose_reply(client, 800003, "w-old", "attempt = attempt + 1, lease_owner = 'w-new'",
                                     [&](const HeldLease& l) { return client.complete("w-old", l, "7"); });
  EXPECT_FALSE(done);
  const auto now = client.get_executions_by_ids({id}).at(0);
  EXPECT_EQ(now.status, Status::running);
  EXPECT_EQ(now.lease_owner, "w-new");
}

TEST(ClientRetry, AFailureWhoseReplyWasLostIsReadBack) {
  Client client(test_conninfo());
  const auto [outcome, id] =
      lose_reply(client, 800004, "w-f", "status = 'queued', error = 'disk full', lease_owner = NULL",
                 [&](const HeldLease& l) { return client.fail("w-f", l, "disk full"); });
  EXPECT_EQ(outcome, runstore::FailOutcome::requeued);
}

TEST(ClientRetry, OtherErrorsAreNotRetried) {
  Client client(test_conninfo());
  try {
    (void)client.dequeue("w", 0);
    FAIL() << "expected 22023";
  } catch (const runstore::Error& e) {
    EXPECT_EQ(e.sqlstate(), "22023");
  }
  EXPECT_EQ(client.retries(), 0U);
}

TEST(ClientRetry, TheRetryBudgetIsBounded) {
  // The database stops taking connections; the client's backend is killed.
  // Every reconnect fails, so the call gives up after max_attempts tries.
  const std::string db = test_conninfo().substr(std::string("dbname=").size());
  RetryPolicy policy;
  policy.max_attempts = 4;
  policy.initial_backoff = 10ms;
  policy.max_backoff = 40ms;
  policy.max_elapsed = 10s;
  Client client(ClientOptions{test_conninfo(), StatementMode::prepared, policy});
  Session admin("dbname=postgres");  // a database cannot shut itself off
  admin.run("ALTER DATABASE " + db + " ALLOW_CONNECTIONS false");
  admin.run("SELECT pg_terminate_backend(" + std::to_string(client.backend_pid()) + ")");
  const auto start = std::chrono::steady_clock::now();
  EXPECT_THROW((void)client.get_executions_by_ids({}), runstore::ConnectionError);
  const auto took = std::chrono::steady_clock::now() - start;
  admin.run("ALTER DATABASE " + db + " ALLOW_CONNECTIONS true");
  EXPECT_EQ(client.retries(), 3U);
  EXPECT_LT(took, 5s);
  EXPECT_TRUE(client.get_executions_by_ids({}).empty()) << "recovers once connections are allowed again";
}

TEST(ClientRetry, MaxElapsedStopsRetryingEarly) {
  const std::string db = test_conninfo().substr(std::string("dbname=").size());
  RetryPolicy policy;
  policy.max_attempts = 1000;
  policy.initial_backoff = 20ms;
  policy.max_backoff = 20ms;
  policy.max_elapsed = 300ms;
  Client client(ClientOptions{test_conninfo(), StatementMode::prepared, policy});
  Session admin("dbname=postgres");  // a database cannot shut itself off
  admin.run("ALTER DATABASE " + db + " ALLOW_CONNECTIONS false");
  admin.run("SELECT pg_terminate_backend(" + std::to_string(client.backend_pid()) + ")");
  const auto start = std::chrono::steady_clock::now();
  EXPECT_THROW((void)client.get_executions_by_ids({}), runstore::ConnectionError);
  const auto took = std::chrono::steady_clock::now() - start;
  admin.run("ALTER DATABASE " + db + " ALLOW_CONNECTIONS true");
  EXPECT_LT(took, 3s);
  EXPECT_LT(client.retries(), 1000U);
}

TEST(RetryDelay, FullJitterStaysUnderTheDoublingCeiling) {
  RetryPolicy policy;
  policy.initial_backoff = 10ms;
  policy.max_backoff = 100ms;
  for (int retry = 1; retry <= 40; ++retry) {
    const auto ceiling = std::min<std::int64_t>(100, 10LL << std::min(retry - 1, 20));
    for (int i = 0; i < 200; ++i) {
      const auto d = runstore::detail::full_jitter_delay(policy, retry);
      ASSERT_GE(d.count(), 0);
      ASSERT_LE(d.count(), ceiling) << "retry " << retry;
    }
  }
  // Jitter: not every delay is the same.
  std::set<std::int64_t> seen;
  for (int i = 0; i < 100; ++i) seen.insert(runstore::detail::full_jitter_delay(policy, 5).count());
  EXPECT_GT(seen.size(), 10U);
}

TEST(RetryDelay, NoBackoffIsNoDelay) {
  // RetryPolicy::none() and policies with zero (or nonsensical negative)
  // backoffs never sleep.
  RetryPolicy zero = RetryPolicy::none();
  RetryPolicy negative;
  negative.initial_backoff = -5ms;
  negative.max_backoff = -1ms;
  for (int retry = 1; retry <= 40; ++retry) {
    EXPECT_EQ(runstore::detail::full_jitter_delay(zero, retry).count(), 0);
    EXPECT_EQ(runstore::detail::full_jitter_delay(negative, retry).count(), 0);
  }
}

}  // namespace
