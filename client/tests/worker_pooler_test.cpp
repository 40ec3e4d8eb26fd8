// worker_pooler_test.cpp: where a Worker waits for work.  Behind a pooler
// (RUNSTORE_TEST_BEHIND_POOLER=1: the PG* environment names one, as in
// tests/pgbouncer/run.sh) a worker with no connection of its own for the
// wait says so once and finds new work by polling; given one
// (WorkerOptions::listen_conninfo), it waits there and is woken at once.
// Connected directly, it waits over its own connection and says nothing.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <string>
#include <thread>

#include "runstore/client.hpp"
#include "runstore/worker.hpp"
#include "test_database.hpp"
#include "worker_test_support.hpp"

namespace {

using namespace std::chrono_literals;
using runstore::Client;
using runstore::Execution;
using runstore::HandlerResult;
using runstore::JobContext;
using runstore::NewExecution;
using runstore::Uuid;
using runstore::WorkerOptions;
using runstore::testing::CapturedLog;
using runstore::testing::count_sql;
using runstore::testing::eventually;
using runstore::testing::exec_sql;
using runstore::testing::test_conninfo;
using runstore::testing::test_listen_conninfo;
using runstore::testing::worker_options;
using runstore::testing::WorkerThread;

constexpr const char* kPollingNotice = "connected through a connection pooler";

bool behind_pooler() {
  const char* v = std::getenv("RUNSTORE_TEST_BEHIND_POOLER");
  return v != nullptr && std::string(v) == "1";
}

Uuid enqueue_one() {
  NewExecution e;
  e.workspace_id = 5;
  return Client(test_conninfo()).enqueue(e);
}

bool succeeded(const Uuid& id) {
  return exec_sql("SELECT status FROM runstore.executions WHERE id = '" + id.to_string() + "'") == "succeeded";
}

int times_said(const CapturedLog& log, const std::string& what) {
  const std::string all = log.all();
  int n = 0;
  for (auto at = all.find(what); at != std::string::npos; at = all.find(what, at + 1)) ++n;
  return n;
}

class WorkerWaits : public ::testing::Test {
 protected:
  void SetUp() override {
    exec_sql("UPDATE runstore.executions SET status = 'cancelled' WHERE status IN ('queued', 'running')");
  }
};

TEST_F(WorkerWaits, WithoutAConnectionForTheWaitBehindAPoolerItSaysOnceThatItPollsAndPolls) {
  WorkerOptions o = worker_options("w-pooled");
  o.listen_conninfo.reset();
  o.poll_interval = 200ms;
  CapturedLog log;
  o.log = log.sink();
  std::atomic<int> calls{0};
  WorkerThread w(o, [&](const Execution&, JobContext&) {
    calls.fetch_add(1);
    return HandlerResult::success();
  });
  // Idle from the start: the waiter looks at its connection first.
  if (behind_pooler()) {
    ASSERT_TRUE(eventually([&] { return log.contains(kPollingNotice); }, 5000ms)) << log.all();
  } else {
    std::this_thread::sleep_for(500ms);
  }
  const Uuid first = enqueue_one();
  ASSERT_TRUE(eventually([&] { return succeeded(first); }, 5000ms)) << log.all();
  std::this_thread::sleep_for(400ms);  // idle again, more than once
  const Uuid second = enqueue_one();
  ASSERT_TRUE(eventually([&] { return succeeded(second); }, 5000ms)) << log.all();
  w.stop();
  EXPECT_EQ(calls.load(), 2);
  EXPECT_EQ(times_said(log, kPollingNotice), behind_pooler() ? 1 : 0) << log.all();
  if (behind_pooler()) {
    EXPECT_NE(log.all().find("--listen-dsn"), std::string::npos) << "names the way out";
  }
}

TEST_F(WorkerWaits, GivenAConnectionForTheWaitItIsWokenAtOnceAndSaysNothingOfPolling) {
  WorkerOptions o = worker_options("w-listening");
  // Straight to the server (behind a pooler), else the same database.
  o.listen_conninfo = test_listen_conninfo().value_or(test_conninfo());
  o.poll_interval = 60000ms;  // a wake-up, not the poll, must start the work
  CapturedLog log;
  o.log = log.sink();
  WorkerThread w(o, [&](const Execution&, JobContext&) { return HandlerResult::success(); });
  // Until the waiter sleeps in wait_for_work on the direct connection.
  ASSERT_TRUE(eventually(
      [] {
        return count_sql(
                   "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                   " AND wait_event_type = 'Extension'") == 1;
      },
      5000ms))
      << log.all();
  const Uuid id = enqueue_one();
  EXPECT_TRUE(eventually([&] { return succeeded(id); }, 5000ms)) << "woken by the commit; " << log.all();
  w.stop();
  EXPECT_FALSE(log.contains(kPollingNotice)) << log.all();
}

}  // namespace
