// worker_test.cpp: runstore::Worker against a real server, in a database of
// this process's own (one process per test under ctest).  Each test asserts
// what the database ends up holding, not only what the worker says.
#include <gtest/gtest.h>

#include <atomic>
#include <csignal>
#include <map>
#include <mutex>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

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
using runstore::Worker;
using runstore::WorkerOptions;
using runstore::testing::CapturedLog;
using runstore::testing::Clock;
using runstore::testing::count_sql;
using runstore::testing::eventually;
using runstore::testing::exec_sql;
using runstore::testing::test_conninfo;
using runstore::testing::worker_options;
using runstore::testing::WorkerThread;

std::vector<Uuid> enqueue(int n, std::optional<int> max_attempts = std::nullopt) {
  std::vector<NewExecution> batch(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) {
    batch[static_cast<std::size_t>(i)].workspace_id = 1;
    batch[static_cast<std::size_t>(i)].payload = "{\"n\": " + std::to_string(i) + "}";
    batch[static_cast<std::size_t>(i)].max_attempts = max_attempts;
  }
  Client c(test_conninfo());
  return c.enqueue(batch);
}

std::string column(const Uuid& id, const std::string& expr) {
  return exec_sql("SELECT " + expr + " FROM runstore.executions WHERE id = '" + id.to_string() + "'");
}

int count_status(const std::string& status) {
  return count_sql("SELECT count(*) FROM runstore.executions WHERE status = '" + status + "'");
}

// Counts handlers running at once, and the most ever seen.
struct Concurrency {
  std::atomic<int> now{0};
  std::atomic<int> max{0};
  void enter() {
    const int n = now.fetch_add(1) + 1;
    int m = max.load();
    while (n > m && !max.compare_exchange_weak(m, n)) {
    }
  }
  void leave() { now.fetch_sub(1); }
};

// Fast retries for the failure tests: a failed attempt is due again at once.
void fast_retry_backoff() {
  exec_sql(
      "DO $$ BEGIN EXECUTE format('ALTER DATABASE %I SET runstore.retry_backoff_base = ''1ms''',"
      " current_database()); END $$");
}

TEST(Worker, RejectsOptionsTheDatabaseWouldRefuse) {
  auto handler = [](const Execution&, JobContext&) { return HandlerResult::success(); };
  WorkerOptions o = worker_options("w");
  o.slots = 0;
  EXPECT_THROW(Worker(o, handler), std::invalid_argument);
  o = worker_options("w");
  o.lease = 0ms;
  EXPECT_THROW(Worker(o, handler), std::invalid_argument);
  o = worker_options("w");
  o.lease = 600ms;
  o.heartbeat_interval = 600ms;
  EXPECT_THROW(Worker(o, handler), std::invalid_argument);
  EXPECT_THROW(Worker(worker_options("w"), nullptr), std::invalid_argument);
  o = worker_options("");
  Worker unnamed(o, handler);
  EXPECT_NE(unnamed.name().find(':'), std::string::npos) << unnamed.name();  // <host>:<pid>
}

TEST(Worker, RunsEveryJobExactlyOnceAndStoresResults) {
  const auto ids = enqueue(30);
  std::mutex m;
  std::map<Uuid, int> calls;
  WorkerOptions o = worker_options("w-all");
  o.slots = 3;
  o.batch_size = 2;
  WorkerThread w(o, [&](const Execution& e, JobContext& ctx) {
    {
      std::lock_guard<std::mutex> lock(m);
      ++calls[e.id];
    }
    EXPECT_EQ(ctx.lease().id, e.id);
    EXPECT_EQ(ctx.lease().attempt, e.attempt);
    return HandlerResult::success("{\"echo\": " + e.payload.value_or("null") + "}");
  });
  ASSERT_TRUE(eventually([] { return count_status("succeeded") == 30; }));
  w.stop();
  EXPECT_EQ(calls.size(), 30U);
  for (const auto& [id, n] : calls) EXPECT_EQ(n, 1) << id.to_string();
  EXPECT_EQ(count_sql("SELECT count(*) FROM runstore.executions"
                      " WHERE result = jsonb_build_object('echo', payload) AND attempt = 1"),
            30);
  const auto s = w.worker().stats();
  EXPECT_EQ(s.claimed, 30U);
  EXPECT_EQ(s.succeeded, 30U);
  EXPECT_EQ(s.failed, 0U);
  EXPECT_EQ(s.leases_lost, 0U);
  EXPECT_EQ(s.released, 0U);
}

TEST(Worker, RunsAsManyHandlersAtOnceAsSlotsAndClaimsAtMostBatchSize) {
  enqueue(8);
  Concurrency c;
  WorkerOptions o = worker_options("w-slots");
  o.slots = 4;
  o.batch_size = 2;
  WorkerThread w(o, [&](const Execution&, JobContext&) {
    c.enter();
    std::this_thread::sleep_for(300ms);
    c.leave();
    return HandlerResult::success();
  });
  ASSERT_TRUE(eventually([] { return count_status("succeeded") == 8; }));
  w.stop();
  EXPECT_EQ(c.max.load(), 4);
  // One dequeue call claims its rows at one statement_timestamp(): group by it.
  EXPECT_EQ(count_sql("SELECT max(n) FROM (SELECT count(*) AS n FROM runstore.executions"
                      " GROUP BY started_at) g"),
            2);
}

TEST(Worker, WithoutClaimAheadClaimsNoMoreThanItsFreeSlots) {
  enqueue(12);
  Concurrency c;
  WorkerOptions o = worker_options("w-free");
  o.slots = 3;
  o.batch_size = 10;
  o.claim_ahead = 0;
  WorkerThread w(o, [&](const Execution&, JobContext&) {
    c.enter();
    std::this_thread::sleep_for(100ms);
    c.leave();
    return HandlerResult::success();
  });
  ASSERT_TRUE(eventually([] { return count_status("succeeded") == 12; }));
  w.stop();
  EXPECT_LE(c.max.load(), 3);
  EXPECT_LE(count_sql("SELECT max(n) FROM (SELECT count(*) AS n FROM runstore.executions"
                      " GROUP BY started_at) g"),
            3);
  // Each claim held a lease: no execution was claimed twice.
  EXPECT_EQ(count_sql("SELECT count(*) FROM runstore.executions WHERE attempt <> 1"), 0);
}

// Short jobs: the worker claims ahead of its handlers (more executions in one
// dequeue than it has slots) and still runs no more than slots at once, each
// job once.
TEST(Worker, ClaimsAheadOfShortJobsAndStillRunsSlotsAtOnce) {
  const auto ids = enqueue(400);
  Concurrency c;
  WorkerOptions o = worker_options("w-ahead");
  o.slots = 2;
  std::atomic<int> calls{0};
  WorkerThread w(o, [&](const Execution&, JobContext&) {
    c.enter();
    calls.fetch_add(1);
    c.leave();
    return HandlerResult::success();
  });
  ASSERT_TRUE(eventually([] { return count_status("succeeded") == 400; }));
  w.stop();
  EXPECT_LE(c.max.load(), 2);
  EXPECT_EQ(calls.load(), 400);
  EXPECT_EQ(count_sql("SELECT count(*) FROM runstore.executions WHERE attempt <> 1"), 0);
  // Claimed together share their claim's started_at.
  EXPECT_GT(count_sql("SELECT max(n) FROM (SELECT count(*) AS n FROM runstore.executions GROUP BY started_at) g"), 2);
}

// What waits claimed ahead is handed back unstarted when the worker stops:
// queued again at its attempt before the claim (a job with one attempt
// keeps it), and counted as released.
TEST(Worker, StopHandsBackClaimedAheadExecutionsWithTheirAttempts) {
  enqueue(6, 1);
  WorkerOptions o = worker_options("w-handback");
  o.slots = 1;
  o.claim_ahead = 5;
  std::atomic<int> calls{0};
  WorkerThread w(o, [&](const Execution&, JobContext& ctx) {
    calls.fetch_add(1);
    while (!ctx.stop_requested()) std::this_thread::sleep_for(10ms);
    return HandlerResult::success();
  });
  ASSERT_TRUE(eventually([&] { return w.worker().stats().claimed == 6; }));
  w.stop();
  EXPECT_EQ(calls.load(), 1);
  EXPECT_EQ(w.worker().stats().released, 5U);
  EXPECT_EQ(count_status("succeeded"), 1);
  EXPECT_EQ(count_sql("SELECT count(*) FROM runstore.executions"
                      " WHERE status = 'queued' AND attempt = 0 AND lease_owner IS NULL AND started_at IS NULL"),
            5);
}

// A claimed-ahead execution cancelled while it waits never starts: the
// heartbeat finds its lease gone and the handler thread skips it.
TEST(Worker, AClaimedAheadExecutionWhoseLeaseIsLostNeverStarts) {
  const auto ids = enqueue(2);
  WorkerOptions o = worker_options("w-lost-ahead");
  o.slots = 1;
  o.claim_ahead = 1;
  o.lease = 600ms;  // a heartbeat every 200 ms
  std::atomic<bool> release_first{false};
  std::vector<Uuid> ran;
  std::mutex ran_mutex;
  WorkerThread w(o, [&](const Execution& e, JobContext&) {
    {
      std::lock_guard<std::mutex> lock(ran_mutex);
      ran.push_back(e.id);
    }
    while (!release_first.load()) std::this_thread::sleep_for(10ms);
    return HandlerResult::success();
  });
  ASSERT_TRUE(eventually([&] { return w.worker().stats().claimed == 2; }));
  Client c(test_conninfo());
  ASSERT_EQ(c.cancel({ids[1]}).size(), 1U);
  ASSERT_TRUE(eventually([&] { return w.worker().stats().leases_lost == 1; }, 5000ms));
  release_first = true;
  ASSERT_TRUE(eventually([] { return count_status("succeeded") == 1; }));
  w.stop();
  std::lock_guard<std::mutex> lock(ran_mutex);
  EXPECT_EQ(ran, (std::vector<Uuid>{ids[0]}));
  EXPECT_EQ(column(ids[1], "status"), "cancelled");
}

// Failures are written in batches as successes are: each retried until its
// attempts run out, then failed with its error.
TEST(Worker, ManyFailuresAreEachRecordedWithTheirError) {
  fast_retry_backoff();
  enqueue(60, 2);
  WorkerOptions o = worker_options("w-many-fail");
  o.slots = 3;
  std::atomic<int> calls{0};
  WorkerThread w(o, [&](const Execution& e, JobContext&) {
    calls.fetch_add(1);
    return HandlerResult::failure("no " + std::string(e.payload->substr(6, e.payload->size() - 7)));
  });
  ASSERT_TRUE(eventually([] { return count_status("failed") == 60; }));
  w.stop();
  EXPECT_EQ(calls.load(), 120);
  EXPECT_EQ(count_sql("SELECT count(*) FROM runstore.executions"
                      " WHERE attempt = 2 AND error = 'no ' || (payload->>'n')"),
            60);
  EXPECT_EQ(w.worker().stats().failed, 120U);
}

TEST(Worker, FailingHandlerIsRetriedUntilMaxAttemptsThenFailed) {
  fast_retry_backoff();
  const auto ids = enqueue(2, 3);
  std::atomic<int> calls{0};
  WorkerThread w(worker_options("w-fail"), [&](const Execution&, JobContext&) {
    calls.fetch_add(1);
    return HandlerResult::failure("boom");
  });
  ASSERT_TRUE(eventually([] { return count_status("failed") == 2; }));
  w.stop();
  EXPECT_EQ(calls.load(), 6);
  for (const auto& id : ids) {
    EXPECT_EQ(column(id, "attempt"), "3");
    EXPECT_EQ(column(id, "error"), "boom");
    EXPECT_EQ(column(id, "finished_at IS NOT NULL"), "t");
  }
  EXPECT_EQ(w.worker().stats().failed, 6U);
  EXPECT_EQ(w.worker().stats().succeeded, 0U);
}

TEST(Worker, NonRetryableFailureIsFinalAtOnce) {
  const auto ids = enqueue(1, 5);
  std::atomic<int> calls{0};
  WorkerThread w(worker_options("w-final"), [&](const Execution&, JobContext&) {
    calls.fetch_add(1);
    return HandlerResult::failure("bad input", /*retryable=*/false);
  });
  ASSERT_TRUE(eventually([] { return count_status("failed") == 1; }));
  w.stop();
  EXPECT_EQ(calls.load(), 1);
  EXPECT_EQ(column(ids[0], "attempt"), "1");
  EXPECT_EQ(column(ids[0], "error"), "bad input");
}

TEST(Worker, AResultTheServerRefusesIsRecordedAsAFailure) {
  // Not JSON: complete is refused with 22P02.  The execution must not hold
  // its slot forever; it fails like any handler failure, and the worker
  // goes on claiming.
  const auto ids = enqueue(2, 1);
  WorkerThread w(worker_options("w-badresult"), [&](const Execution& e, JobContext&) {
    if (e.id == ids[0]) return HandlerResult::success("{not json");
    return HandlerResult::success("{\"ok\": true}");
  });
  ASSERT_TRUE(eventually([] { return count_status("failed") == 1 && count_status("succeeded") == 1; }));
  w.stop();
  EXPECT_NE(column(ids[0], "error").find("refused the handler's result"), std::string::npos) << column(ids[0], "error");
  EXPECT_NE(column(ids[0], "error").find("22P02"), std::string::npos);
  EXPECT_EQ(column(ids[1], "result"), "{\"ok\": true}");
}

TEST(Worker, HandlerExceptionIsARetryableFailureWithItsMessage) {
  fast_retry_backoff();
  const auto ids = enqueue(1, 3);
  std::atomic<int> calls{0};
  WorkerThread w(worker_options("w-throw"), [&](const Execution& e, JobContext&) -> HandlerResult {
    calls.fetch_add(1);
    if (e.attempt < 3) throw std::runtime_error("kaput on attempt " + std::to_string(e.attempt));
    return HandlerResult::success("{\"third\": true}");
  });
  ASSERT_TRUE(eventually([] { return count_status("succeeded") == 1; }));
  w.stop();
  EXPECT_EQ(calls.load(), 3);
  EXPECT_EQ(column(ids[0], "attempt"), "3");
  EXPECT_EQ(column(ids[0], "error"), "kaput on attempt 2");  // the last failure stays recorded
  EXPECT_EQ(column(ids[0], "result::text"), "{\"third\": true}");
  EXPECT_EQ(w.worker().stats().failed, 2U);
}

TEST(Worker, HeartbeatKeepsALongHandlersLeaseAlive) {
  const auto ids = enqueue(1);
  WorkerOptions o = worker_options("w-beat");
  o.lease = 600ms;  // heartbeat every 200 ms
  std::atomic<bool> started{false};
  std::atomic<bool> lost_seen{false};
  WorkerThread w(o, [&](const Execution&, JobContext& ctx) {
    started = true;
    std::this_thread::sleep_for(2000ms);
    lost_seen = ctx.lease_lost();
    return HandlerResult::success("{\"slow\": true}");
  });
  ASSERT_TRUE(eventually([&] { return started.load(); }));
  // Another worker keeps trying to claim: the lease never ends, so it never can.
  Client thief(test_conninfo());
  int stolen = 0;
  const auto until = Clock::now() + 2500ms;
  while (Clock::now() < until && count_status("succeeded") == 0) {
    stolen += static_cast<int>(thief.dequeue("thief", 1, 600ms).size());
    std::this_thread::sleep_for(50ms);
  }
  ASSERT_TRUE(eventually([] { return count_status("succeeded") == 1; }));
  w.stop();
  EXPECT_EQ(stolen, 0);
  EXPECT_FALSE(lost_seen.load());
  EXPECT_EQ(column(ids[0], "attempt"), "1");
  EXPECT_EQ(column(ids[0], "lease_owner"), "w-beat");
  EXPECT_EQ(w.worker().stats().leases_lost, 0U);
}

// Runs a handler that waits until it is told its lease is lost, then
// returns a result that must not be written.
struct FencedHandler {
  std::atomic<bool> started{false};
  std::atomic<bool> saw_lost{false};
  std::atomic<bool> saw_stop{false};
  HandlerResult operator()(const Execution&, JobContext& ctx) {
    started = true;
    const auto until = Clock::now() + 10s;
    while (!ctx.lease_lost() && Clock::now() < until) std::this_thread::sleep_for(10ms);
    saw_lost = ctx.lease_lost();
    saw_stop = ctx.stop_requested();
    return HandlerResult::success("{\"by\": \"fenced worker\"}");
  }
};

TEST(Worker, CancelledExecutionIsFencedOffAndItsResultDropped) {
  const auto ids = enqueue(1);
  WorkerOptions o = worker_options("w-cancel");
  o.lease = 600ms;
  FencedHandler h;
  WorkerThread w(o, [&](const Execution& e, JobContext& ctx) { return h(e, ctx); });
  ASSERT_TRUE(eventually([&] { return h.started.load(); }));
  Client c(test_conninfo());
  ASSERT_EQ(c.cancel({ids[0]}).size(), 1U);
  ASSERT_TRUE(eventually([&] { return w.worker().stats().leases_lost == 1; }, 5000ms));
  ASSERT_TRUE(eventually([&] { return h.saw_lost.load(); }, 5000ms));
  w.stop();
  EXPECT_TRUE(h.saw_stop.load());
  EXPECT_EQ(column(ids[0], "status"), "cancelled");
  EXPECT_EQ(column(ids[0], "result IS NULL"), "t");
  const auto s = w.worker().stats();
  EXPECT_EQ(s.leases_lost, 1U);
  EXPECT_EQ(s.succeeded, 0U);
  EXPECT_EQ(s.failed, 0U);
}

TEST(Worker, ExpiredLeaseClaimedByAnotherWorkerIsFencedOff) {
  const auto ids = enqueue(1);
  WorkerOptions o = worker_options("w-victim");
  o.lease = 900ms;
  FencedHandler h;
  WorkerThread w(o, [&](const Execution& e, JobContext& ctx) { return h(e, ctx); });
  ASSERT_TRUE(eventually([&] { return h.started.load(); }));
  // End the lease and claim the execution again in one transaction, so the
  // victim's heartbeat cannot extend it in between.
  const std::string id = ids[0].to_string();
  const std::string attempt = exec_sql(
      "UPDATE runstore.executions SET lease_expires_at = now() - interval '1 s',"
      " run_after = now() - interval '1 s' WHERE id = '" +
      id +
      "';"
      " SELECT attempt FROM runstore.dequeue('thief', 1, interval '1 h')");
  ASSERT_EQ(attempt, "2");
  ASSERT_TRUE(eventually([&] { return h.saw_lost.load(); }, 5000ms));
  ASSERT_EQ(exec_sql("SELECT runstore.complete('" + id + "', 'thief', '{\"by\": \"thief\"}', 2)"), "t");
  // The victim's outcome comes back now; give the loop time to (not) write it.
  std::this_thread::sleep_for(300ms);
  w.stop();
  EXPECT_EQ(column(ids[0], "result->>'by'"), "thief");
  EXPECT_EQ(column(ids[0], "lease_owner"), "thief");
  EXPECT_EQ(w.worker().stats().leases_lost, 1U);
  EXPECT_EQ(w.worker().stats().succeeded, 0U);
}

TEST(Worker, ANewExecutionWakesAnIdleOneSlotWorkerBeforeItsNextPoll) {
  WorkerOptions o = worker_options("w-wake");
  o.slots = 1;
  o.poll_interval = 10s;
  std::mutex m;
  std::vector<Clock::time_point> starts;
  WorkerThread w(o, [&](const Execution&, JobContext&) {
    std::lock_guard<std::mutex> lock(m);
    starts.push_back(Clock::now());
    return HandlerResult::success();
  });
  // The first job proves the worker is up; the second arrives while it is
  // idle, waiting in runstore.wait_for_work, with its next poll 10 s away.
  enqueue(1);
  ASSERT_TRUE(eventually([] { return count_status("succeeded") == 1; }, 15000ms));
  std::this_thread::sleep_for(300ms);
  const auto enqueued_at = Clock::now();
  enqueue(1);
  ASSERT_TRUE(eventually([] { return count_status("succeeded") == 2; }, 5000ms));
  w.stop();
  std::lock_guard<std::mutex> lock(m);
  ASSERT_EQ(starts.size(), 2U);
  EXPECT_LT(starts[1] - enqueued_at, 2s);
}

TEST(Worker, FindsRetriesComingDueAfterTheirBackoff) {
  fast_retry_backoff();
  const auto ids = enqueue(1, 2);
  std::atomic<int> calls{0};
  WorkerOptions o = worker_options("w-poll");
  o.poll_interval = 100ms;
  WorkerThread w(o, [&](const Execution& e, JobContext&) {
    calls.fetch_add(1);
    return e.attempt == 1 ? HandlerResult::failure("once") : HandlerResult::success();
  });
  ASSERT_TRUE(eventually([] { return count_status("succeeded") == 1; }, 5000ms));
  w.stop();
  EXPECT_EQ(calls.load(), 2);
}

// A run scheduled for later commits no wake-up when it comes due; the idle
// worker's next wait (each lasts at most 500 ms) finds it, long before the
// next poll.
TEST(Worker, FindsAScheduledRunComingDueBeforeItsNextPoll) {
  WorkerOptions o = worker_options("w-scheduled");
  o.poll_interval = 30s;
  std::atomic<int> calls{0};
  WorkerThread w(o, [&](const Execution&, JobContext&) {
    calls.fetch_add(1);
    return HandlerResult::success();
  });
  std::this_thread::sleep_for(300ms);  // idle by now
  exec_sql("INSERT INTO runstore.executions (workspace_id, run_after) VALUES (1, clock_timestamp() + interval '1 s')");
  ASSERT_TRUE(eventually([] { return count_status("succeeded") == 1; }, 10000ms));
  w.stop();
  EXPECT_EQ(calls.load(), 1);
}

// Connections whose calls of runstore.wait_for_work are counted in
// pg_stat_user_functions, and whose claims read each priority class from the
// head of the claim index (so a row skipped while locked is found as soon as
// the lock goes).
std::string counted_conninfo() {
  return test_conninfo() + " options='-c track_functions=all -c runstore.claim_rescan_interval=0'";
}

// The wait_for_work calls counted so far, once every other session of the
// test database (but `still_open`) has ended and flushed its statistics.
int wait_for_work_calls(const std::string& still_open = "0") {
  EXPECT_TRUE(eventually(
      [&] {
        return count_sql(
                   "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                   " AND pid <> pg_backend_pid() AND pid <> " +
                   still_open) == 0;
      },
      5000ms));
  return count_sql(
      "SELECT coalesce(sum(calls), 0) FROM pg_stat_user_functions"
      " WHERE schemaname = 'runstore' AND funcname = 'wait_for_work'");
}

// Work is due all along, but the one slot is busy: the worker does not wait
// for work then (the wait would return at once, again and again).
TEST(Worker, DoesNotWaitForWorkWhileEverySlotIsBusy) {
  enqueue(3);
  WorkerOptions o = worker_options("w-busy");
  o.conninfo = counted_conninfo();
  o.slots = 1;
  o.poll_interval = 10s;
  WorkerThread w(o, [&](const Execution&, JobContext&) {
    std::this_thread::sleep_for(700ms);
    return HandlerResult::success();
  });
  ASSERT_TRUE(eventually([] { return count_status("succeeded") == 3; }, 10000ms));
  w.stop();
  // Idle only after the last job: a few half-second waits at most.  A wait
  // made while busy would have returned at once, thousands of times.
  EXPECT_LE(wait_for_work_calls(), 10);
}

// Work is due that the worker cannot claim (another transaction holds the
// row locked): the wait keeps answering "due" at once, so the worker asks no
// faster than it polls instead of spinning.
TEST(Worker, DueWorkItCannotClaimDoesNotMakeItSpin) {
  const auto ids = enqueue(1);
  runstore::testing::Session locker;
  locker.run("BEGIN");
  locker.run("SELECT id FROM runstore.executions WHERE id = '" + ids[0].to_string() + "' FOR UPDATE");
  WorkerOptions o = worker_options("w-locked");
  o.conninfo = counted_conninfo();
  o.poll_interval = 1s;
  std::atomic<int> calls{0};
  WorkerThread w(o, [&](const Execution&, JobContext&) {
    calls.fetch_add(1);
    return HandlerResult::success();
  });
  std::this_thread::sleep_for(3s);
  EXPECT_EQ(calls.load(), 0);
  locker.run("ROLLBACK");
  ASSERT_TRUE(eventually([] { return count_status("succeeded") == 1; }, 10000ms));
  w.stop();
  // About two a second while the row was locked; spinning would be thousands.
  EXPECT_LE(wait_for_work_calls(locker.run("SELECT pg_backend_pid()")), 40);
}

// Stopping an idle worker does not wait out a long wait: each lasts 500 ms
// at most.
TEST(Worker, StopWhenIdleRunsWhatIsDueThenReturns) {
  enqueue(25);
  // Comes due after the run: left for another one.
  Client c(test_conninfo());
  NewExecution later;
  later.workspace_id = 1;
  later.run_after = std::chrono::time_point_cast<std::chrono::microseconds>(std::chrono::system_clock::now() + 1h);
  c.enqueue({later});
  CapturedLog log;
  WorkerOptions o = worker_options("w-until-empty");
  o.slots = 4;
  o.batch_size = 4;
  o.poll_interval = 30s;  // returning must not wait for a poll
  o.stop_when_idle = true;
  o.log = log.sink();
  std::atomic<int> handled{0};
  Worker w(o, [&](const Execution&, JobContext&) {
    ++handled;
    std::this_thread::sleep_for(5ms);
    return HandlerResult::success();
  });
  const auto started = Clock::now();
  w.run();  // returns by itself
  EXPECT_LT(Clock::now() - started, 20s);
  EXPECT_EQ(handled.load(), 25);
  EXPECT_EQ(count_status("succeeded"), 25);
  EXPECT_EQ(count_status("queued"), 1);
  EXPECT_EQ(w.stats().succeeded, 25U);
  // Nothing was running at the end: a quiet stop.
  EXPECT_FALSE(log.contains("stopping")) << log.all();
}

TEST(Worker, StopWhenIdleOnAnEmptyQueueReturnsAtOnce) {
  WorkerOptions o = worker_options("w-until-empty-none");
  o.poll_interval = 30s;
  o.stop_when_idle = true;
  CapturedLog log;
  o.log = log.sink();
  Worker w(o, [&](const Execution&, JobContext&) { return HandlerResult::success(); });
  const auto started = Clock::now();
  w.run();
  EXPECT_LT(Clock::now() - started, 5s);
  EXPECT_EQ(w.stats().claimed, 0U);
  EXPECT_EQ(log.all(), "");
}

TEST(Worker, AStopWithHandlersRunningSaysWhatItWaitsFor) {
  enqueue(1);
  CapturedLog log;
  WorkerOptions o = worker_options("w-stop-busy");
  o.log = log.sink();
  std::atomic<bool> running{false};
  WorkerThread w(o, [&](const Execution&, JobContext& ctx) {
    running = true;
    while (!ctx.stop_requested()) std::this_thread::sleep_for(5ms);
    return HandlerResult::success();
  });
  ASSERT_TRUE(eventually([&] { return running.load(); }));
  w.stop();
  EXPECT_TRUE(log.contains("stopping: no new claims; waiting up to")) << log.all();
  EXPECT_TRUE(log.contains("for 1 claimed execution(s) whose handlers run")) << log.all();
  EXPECT_EQ(count_status("succeeded"), 1);
}

TEST(Worker, StopsPromptlyWhileWaitingForWork) {
  WorkerOptions o = worker_options("w-stop");
  o.poll_interval = 30s;
  WorkerThread w(o, [&](const Execution&, JobContext&) { return HandlerResult::success(); });
  std::this_thread::sleep_for(700ms);  // idle, waiting
  const auto asked = Clock::now();
  const auto returned = w.stop();
  EXPECT_LT(returned - asked, 3s);
}

TEST(Worker, GracefulStopLetsARunningHandlerFinishAndWritesIt) {
  const auto ids = enqueue(1);
  WorkerOptions o = worker_options("w-graceful");
  o.shutdown_deadline = 5s;
  std::atomic<bool> started{false};
  std::atomic<bool> saw_stop{false};
  Clock::time_point handler_end{};
  WorkerThread w(o, [&](const Execution&, JobContext& ctx) {
    started = true;
    std::this_thread::sleep_for(300ms);
    saw_stop = ctx.stop_requested();
    handler_end = Clock::now();
    return HandlerResult::success("{\"finished\": true}");
  });
  ASSERT_TRUE(eventually([&] { return started.load(); }));
  const auto returned = w.stop();
  EXPECT_GE(returned, handler_end);
  EXPECT_TRUE(saw_stop.load());  // told, but allowed to finish
  EXPECT_EQ(column(ids[0], "status"), "succeeded");
  EXPECT_EQ(column(ids[0], "result->>'finished'"), "true");
  EXPECT_EQ(w.worker().stats().succeeded, 1U);
  EXPECT_EQ(w.worker().stats().released, 0U);
}

TEST(Worker, StopClaimsNothingMore) {
  enqueue(5);
  WorkerOptions o = worker_options("w-noclaim");
  o.slots = 1;
  std::atomic<int> calls{0};
  WorkerThread w(o, [&](const Execution&, JobContext&) {
    calls.fetch_add(1);
    std::this_thread::sleep_for(200ms);
    return HandlerResult::success();
  });
  ASSERT_TRUE(eventually([&] { return calls.load() == 1; }));
  w.stop();
  EXPECT_EQ(calls.load(), 1);
  EXPECT_EQ(count_status("succeeded"), 1);
  EXPECT_EQ(count_status("queued"), 4);
}

TEST(Worker, HandlerOverrunningTheDeadlineIsReleasedAndJoined) {
  const auto ids = enqueue(1);
  WorkerOptions o = worker_options("w-overrun");
  o.shutdown_deadline = 300ms;
  CapturedLog log;
  o.log = log.sink();
  std::atomic<bool> started{false};
  Clock::time_point handler_end{};
  WorkerThread w(o, [&](const Execution&, JobContext&) {
    started = true;
    std::this_thread::sleep_for(1500ms);  // ignores stop_requested()
    handler_end = Clock::now();
    return HandlerResult::success("{\"too\": \"late\"}");
  });
  ASSERT_TRUE(eventually([&] { return started.load(); }));
  const auto stop_at = Clock::now();
  // While the handler still runs, the execution is handed back already.
  std::thread stopper([&] { w.stop(); });
  EXPECT_TRUE(eventually([&] { return column(ids[0], "status") == "queued"; }, 1200ms)) << column(ids[0], "status");
  stopper.join();
  const auto returned = w.join();
  EXPECT_GE(returned, handler_end);  // run() waited for the handler
  EXPECT_GE(returned - stop_at, 1000ms);
  EXPECT_EQ(column(ids[0], "status"), "queued");
  EXPECT_EQ(column(ids[0], "attempt"), "1");  // the release counted as attempt 1
  EXPECT_NE(column(ids[0], "error").find("released"), std::string::npos) << column(ids[0], "error");
  EXPECT_EQ(column(ids[0], "result IS NULL"), "t");
  EXPECT_EQ(w.worker().stats().released, 1U);
  EXPECT_EQ(w.worker().stats().succeeded, 0U);
  EXPECT_TRUE(log.contains("released")) << log.all();
}

TEST(Worker, SigtermStopsTheWorkerGracefully) {
  const auto ids = enqueue(1);
  std::atomic<bool> started{false};
  WorkerThread w(worker_options("w-signal"), [&](const Execution&, JobContext&) {
    started = true;
    std::this_thread::sleep_for(200ms);
    return HandlerResult::success();
  });
  runstore::install_stop_signal_handlers(w.worker());
  ASSERT_TRUE(eventually([&] { return started.load(); }));
  std::raise(SIGTERM);
  w.join();  // returns only because the signal asked it to
  std::signal(SIGTERM, SIG_DFL);
  std::signal(SIGINT, SIG_DFL);
  EXPECT_EQ(column(ids[0], "status"), "succeeded");
}

TEST(Worker, KeepsGoingWhenCallsFailPastTheRetryPolicy) {
  WorkerOptions o = worker_options("w-resilient");
  o.retry = runstore::RetryPolicy::none();  // every lost connection surfaces
  o.poll_interval = 100ms;
  CapturedLog log;
  o.log = log.sink();
  std::atomic<int> calls{0};
  WorkerThread w(o, [&](const Execution&, JobContext&) {
    calls.fetch_add(1);
    return HandlerResult::success();
  });
  enqueue(1);
  ASSERT_TRUE(eventually([] { return count_status("succeeded") == 1; }));
  // Kill every session of the worker: its next calls fail once, unretried.
  exec_sql(
      "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
      " WHERE datname = current_database() AND pid <> pg_backend_pid()");
  ASSERT_TRUE(eventually([&] { return log.contains("failed"); }, 5000ms)) << log.all();
  enqueue(3);
  ASSERT_TRUE(eventually([] { return count_status("succeeded") == 4; }, 10000ms)) << log.all();
  w.stop();
  EXPECT_EQ(calls.load(), 4);
}

}  // namespace
