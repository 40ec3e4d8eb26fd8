// client_wait_test.cpp: Client::wait_for_work (CALL runstore.wait_for_work)
// in both statement modes, against the real server: what wakes it, what does
// not, that no wake-up is lost, and that it holds no snapshot while it waits.
// The timing bounds are generous: they tell a wake-up from a timeout, not a
// fast wake-up from a slow one.
#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <random>
#include <string>
#include <thread>

#include "runstore/client.hpp"
#include "test_database.hpp"

namespace {

using namespace std::chrono_literals;
using runstore::Client;
using runstore::ClientOptions;
using runstore::StatementMode;
using runstore::testing::exec_sql;
using runstore::testing::Session;
using runstore::testing::test_conninfo;
using Clock = std::chrono::steady_clock;

// A due execution, as an application inserts one.
constexpr const char* kInsertDue = "INSERT INTO runstore.executions (workspace_id) VALUES (800001)";

// A duration in whole milliseconds, for readable assertions.
long long ms(Clock::duration d) { return std::chrono::duration_cast<std::chrono::milliseconds>(d).count(); }

struct WaitOutcome {
  bool due = false;
  Clock::time_point returned;
};

class ClientWaitTest : public ::testing::TestWithParam<StatementMode> {
 protected:
  void SetUp() override {
    // Nothing may be due when a test starts (ended leases are due too).
    exec_sql("UPDATE runstore.executions SET status = 'cancelled' WHERE status IN ('queued', 'running')");
  }

  // waiter.wait_for_work(timeout) on a thread of its own.
  std::future<WaitOutcome> wait_async(std::chrono::milliseconds timeout) {
    return std::async(std::launch::async, [this, timeout] {
      WaitOutcome out;
      out.due = waiter.wait_for_work(timeout);
      out.returned = Clock::now();
      return out;
    });
  }

  // Until the waiter's backend sleeps in the procedure (wait event
  // Extension), so what the test does next happens during the wait.
  void until_waiting() {
    const std::string sql = "SELECT count(*) FROM pg_stat_activity WHERE pid = " + std::to_string(waiter_pid) +
                            " AND wait_event_type = 'Extension'";
    const auto until = Clock::now() + 5s;
    while (exec_sql(sql) != "1") {
      ASSERT_LT(Clock::now(), until) << "the waiter never went to sleep";
      std::this_thread::sleep_for(5ms);
    }
  }

  Client waiter{ClientOptions{test_conninfo(), GetParam(), {}}};
  const int waiter_pid = waiter.backend_pid();
};

TEST_P(ClientWaitTest, ACommittedDueExecutionWakesAWaiterWellBeforeItsTimeout) {
  auto wait = wait_async(5000ms);
  until_waiting();
  Session writer;
  writer.run(kInsertDue);
  const auto committed = Clock::now();
  const WaitOutcome out = wait.get();
  EXPECT_TRUE(out.due);
  EXPECT_LT(ms(out.returned - committed), 3000) << "woken by the commit, not by the 5 s timeout";
}

// A worker stopping ends its waiter's wait at once (a cancel request), not
// when the wait's slice runs out; later waits return false without waiting.
TEST_P(ClientWaitTest, InterruptWaitsEndsAWaitInProgressAndEveryLaterOne) {
  auto wait = wait_async(30000ms);
  until_waiting();
  const auto asked = Clock::now();
  waiter.interrupt_waits();
  const WaitOutcome out = wait.get();
  EXPECT_FALSE(out.due);
  EXPECT_LT(ms(out.returned - asked), 15000) << "ended by the interrupt, not by the 30 s timeout";
  EXPECT_FALSE(waiter.wait_for_work(30000ms));
}

TEST_P(ClientWaitTest, AnUncommittedOrRolledBackInsertDoesNotWakeAWaiter) {
  Session writer;
  writer.run("BEGIN");
  writer.run(kInsertDue);
  // Uncommitted: not due for anyone else, before or during the wait.
  EXPECT_FALSE(waiter.wait_for_work(300ms));
  auto wait = wait_async(1500ms);
  until_waiting();
  writer.run("ROLLBACK");
  EXPECT_FALSE(wait.get().due) << "a rolled-back insert woke the waiter";
  EXPECT_FALSE(waiter.wait_for_work(0ms));
}

TEST_P(ClientWaitTest, InsertingRunsThatAreNotDueDoesNotWakeAWaiter) {
  auto wait = wait_async(1500ms);
  until_waiting();
  Session writer;
  // Already finished, and scheduled for later: nothing for a worker now.
  writer.run("INSERT INTO runstore.executions (workspace_id, status) VALUES (800002, 'succeeded')");
  writer.run(
      "INSERT INTO runstore.executions (workspace_id, run_after)"
      " VALUES (800002, pg_catalog.now() + interval '1 hour')");
  EXPECT_FALSE(wait.get().due);
}

TEST_P(ClientWaitTest, ReturnsAtOnceWhenWorkIsAlreadyDue) {
  exec_sql(kInsertDue);
  const auto start = Clock::now();
  EXPECT_TRUE(waiter.wait_for_work(5000ms));
  EXPECT_LT(ms(Clock::now() - start), 2000);
  EXPECT_TRUE(waiter.wait_for_work(0ms)) << "a zero timeout still looks";
}

TEST_P(ClientWaitTest, ReturnsFalseAfterItsTimeoutWhenNothingComes) {
  const auto start = Clock::now();
  EXPECT_FALSE(waiter.wait_for_work(200ms));
  EXPECT_GE(ms(Clock::now() - start), 190);
  EXPECT_FALSE(waiter.wait_for_work(0ms));
}

// The waiter races an inserter, each starting after its own random short
// delay, 200 times; returns the rounds whose wait lasted to the timeout.
// Whichever comes first, the insert is seen: true, within the timeout.  A
// wake-up missed between the waiter's look and its sleep does not make the
// answer false (the procedure looks once more at the timeout and answers
// true), only the wait as long as the timeout.
int race_an_inserter(Client& waiter) {
  Session writer;
  Session cleaner;
  std::mt19937 rng(std::random_device{}());
  std::uniform_int_distribution<int> delay_us(0, 3000);
  int slept = 0;
  int missed = 0;
  for (int round = 0; round < 200; ++round) {
    const int writer_delay = delay_us(rng);
    const int waiter_delay = delay_us(rng);
    std::thread inserter([&] {
      std::this_thread::sleep_for(std::chrono::microseconds(writer_delay));
      writer.run(kInsertDue);
    });
    std::this_thread::sleep_for(std::chrono::microseconds(waiter_delay));
    const auto start = Clock::now();
    const bool due = waiter.wait_for_work(3000ms);
    const auto took = Clock::now() - start;
    inserter.join();
    EXPECT_TRUE(due) << "round " << round << ": the insert was not seen (writer delay " << writer_delay
                     << " us, waiter delay " << waiter_delay << " us)";
    if (took > 1ms) ++slept;
    if (took >= 2900ms) ++missed;
    cleaner.run("UPDATE runstore.executions SET status = 'cancelled' WHERE status = 'queued'");
  }
  // How many rounds the waiter went to sleep before the commit (about half,
  // with these delays): the race was run, not only its easy side.
  ::testing::Test::RecordProperty("rounds_woken_from_sleep", slept);
  ::testing::Test::RecordProperty("rounds_waited_to_the_timeout", missed);
  EXPECT_GE(slept, 10);
  return missed;
}

TEST_P(ClientWaitTest, EveryInsertRacingAWaiterIsSeenWithinTheTimeout) { (void)race_an_inserter(waiter); }

// The strict form: no round waits to the timeout.
TEST_P(ClientWaitTest, NoWakeUpIsMissedRacingAnInserter) {
  EXPECT_EQ(race_an_inserter(waiter), 0) << "rounds that waited to the timeout";
}

// A commit that lands after the CALL began but before the waiter registered
// (took the waiters' advisory lock) must still be seen by its first look.
// Here another session holds the key exclusively, so the waiter's CALL
// blocks in between while the insert commits: a look with the snapshot the
// CALL took when it began would miss the row and sleep to the timeout.
TEST_P(ClientWaitTest, ACommitBeforeTheWaiterRegistersIsSeenAtOnce) {
  Session blocker;
  blocker.run("SELECT pg_advisory_lock(1920298611, 2002872692)");
  auto wait = wait_async(5000ms);
  // Until the waiter's CALL waits for the lock.
  const auto until = Clock::now() + 5s;
  while (exec_sql("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND pid = " +
                  std::to_string(waiter_pid)) != "1") {
    ASSERT_LT(Clock::now(), until) << "the waiter never queued for the lock";
    std::this_thread::sleep_for(5ms);
  }
  // Past deadlock_timeout (1 s): the deadlock check's alarm would otherwise
  // set the waiter's latch later on and hide the miss.
  std::this_thread::sleep_for(1200ms);
  exec_sql(kInsertDue);
  const auto committed = Clock::now();
  blocker.run("SELECT pg_advisory_unlock(1920298611, 2002872692)");
  const WaitOutcome out = wait.get();
  EXPECT_TRUE(out.due);
  EXPECT_LT(ms(out.returned - committed), 2000) << "the first look missed a row committed before it";
}

TEST_P(ClientWaitTest, HoldsNoSnapshotWhileItWaits) {
  auto wait = wait_async(3000ms);
  until_waiting();
  EXPECT_EQ(exec_sql("SELECT backend_xmin IS NULL AND backend_xid IS NULL FROM pg_stat_activity WHERE pid = " +
                     std::to_string(waiter_pid)),
            "t")
      << "the wait holds a snapshot (not run outside a transaction block?)";
  exec_sql(kInsertDue);
  EXPECT_TRUE(wait.get().due);
}

TEST_P(ClientWaitTest, RefusesBadTimeoutsWithTheirSqlstate) {
  for (const auto timeout : {-1ms, 3600001ms, std::chrono::milliseconds(1LL << 40)}) {
    try {
      (void)waiter.wait_for_work(timeout);
      ADD_FAILURE() << "expected 22023 for " << timeout.count() << " ms";
    } catch (const runstore::DataError& e) {
      EXPECT_EQ(e.sqlstate(), "22023") << e.what();
    }
  }
  EXPECT_FALSE(waiter.wait_for_work(0ms)) << "the connection stays usable";
}

// A backend killed in the middle of a wait: the call is retried on a new
// connection, and still sees the work committed meanwhile.
TEST_P(ClientWaitTest, AWaitWhoseBackendIsKilledIsRetried) {
  auto wait = wait_async(5000ms);
  until_waiting();
  exec_sql("SELECT pg_terminate_backend(" + std::to_string(waiter_pid) + ")");
  exec_sql(kInsertDue);
  const auto committed = Clock::now();
  const WaitOutcome out = wait.get();
  EXPECT_TRUE(out.due);
  EXPECT_LT(ms(out.returned - committed), 2000);
  EXPECT_GE(waiter.retries(), 1U);
  EXPECT_NE(waiter.backend_pid(), waiter_pid);
}

INSTANTIATE_TEST_SUITE_P(Modes, ClientWaitTest, ::testing::Values(StatementMode::prepared, StatementMode::unnamed),
                         [](const auto& info) {
                           return info.param == StatementMode::prepared ? "prepared" : "unnamed";
                         });

}  // namespace
