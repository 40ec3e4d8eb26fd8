// worker_restart_test.cpp: a worker survives a restart of the database
// server mid-run without losing or doubling work.
//
// Restarts the whole test cluster (tests/scripts/cluster.sh restart, or the
// command in RUNSTORE_TEST_RESTART_CMD; set it empty to skip), so ctest runs
// it alone (RUN_SERIAL, see CMakeLists.txt).
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "runstore/client.hpp"
#include "runstore/worker.hpp"
#include "test_database.hpp"
#include "worker_test_support.hpp"

namespace {

using namespace std::chrono_literals;
using runstore::Execution;
using runstore::HandlerResult;
using runstore::JobContext;
using runstore::Uuid;
using runstore::testing::CapturedLog;
using runstore::testing::Clock;
using runstore::testing::count_sql;
using runstore::testing::eventually;
using runstore::testing::exec_sql;
using runstore::testing::test_conninfo;
using runstore::testing::worker_options;
using runstore::testing::WorkerThread;

std::string restart_command() {
  if (const char* cmd = std::getenv("RUNSTORE_TEST_RESTART_CMD")) return cmd;
#ifdef RUNSTORE_CLUSTER_SCRIPT
  return std::string(RUNSTORE_CLUSTER_SCRIPT) + " restart";
#else
  return {};
#endif
}

struct HandlerRun {
  int attempt;
  Clock::time_point start;
  Clock::time_point end;
};

TEST(WorkerRestart, ServerRestartLosesNoWorkAndNeverRunsAJobTwiceAtOnce) {
  const std::string restart = restart_command();
  if (restart.empty()) GTEST_SKIP() << "RUNSTORE_TEST_RESTART_CMD is empty: no way to restart the server";

  constexpr int kJobs = 200;
  exec_sql(
      "INSERT INTO runstore.executions (workspace_id, max_attempts, payload)"
      " SELECT 1, 10, jsonb_build_object('n', n) FROM generate_series(1, " +
      std::to_string(kJobs) + ") n");

  std::mutex m;
  std::map<Uuid, std::vector<HandlerRun>> runs;
  int finished = 0;
  runstore::WorkerOptions o = worker_options("w-restart");
  o.slots = 4;
  o.batch_size = 4;
  o.lease = 3s;  // a claim whose reply the restart swallowed comes back after this
  o.poll_interval = 200ms;
  o.shutdown_deadline = 5s;
  // A retry budget shorter than the restart: some calls fail past the
  // client's retries, and the worker's own recovery (log, back off, try
  // again, keep the outcome and its lease) is what gets tested.
  o.retry.max_attempts = 3;
  o.retry.max_elapsed = 100ms;
  CapturedLog log;
  o.log = log.sink();
  WorkerThread w(o, [&](const Execution& e, JobContext&) {
    const auto start = Clock::now();
    std::this_thread::sleep_for(30ms);
    std::lock_guard<std::mutex> lock(m);
    runs[e.id].push_back(HandlerRun{e.attempt, start, Clock::now()});
    ++finished;
    return HandlerResult::success("{\"attempt\": " + std::to_string(e.attempt) + "}");
  });

  ASSERT_TRUE(eventually([&] {
    std::lock_guard<std::mutex> lock(m);
    return finished >= 40;
  }));
  const std::string started_before = exec_sql("SELECT pg_postmaster_start_time()");
  const int rc = std::system(restart.c_str());
  ASSERT_EQ(rc, 0) << "restart command failed: " << restart;

  // Bounded: every wait below ends, and the worker is stopped on the way out.
  const bool all_done = eventually(
      [] { return count_sql("SELECT count(*) FROM runstore.executions WHERE status = 'succeeded'") == kJobs; },
      40000ms);
  w.stop();
  ASSERT_TRUE(all_done) << exec_sql(
                               "SELECT string_agg(status || ':' || n, ', ') FROM (SELECT status::text,"
                               " count(*) n FROM runstore.executions GROUP BY 1) s")
                        << "\n"
                        << log.all();

  // The server really restarted under the worker (or the test proved nothing).
  EXPECT_NE(exec_sql("SELECT pg_postmaster_start_time()"), started_before);

  std::lock_guard<std::mutex> lock(m);
  EXPECT_EQ(runs.size(), static_cast<std::size_t>(kJobs));
  for (auto& [id, list] : runs) {
    std::sort(list.begin(), list.end(), [](const HandlerRun& a, const HandlerRun& b) { return a.start < b.start; });
    for (std::size_t i = 1; i < list.size(); ++i) {
      EXPECT_GE(list[i].start, list[i - 1].end) << id.to_string() << ": two handler runs overlapped";
      EXPECT_GT(list[i].attempt, list[i - 1].attempt) << id.to_string();
    }
  }
  // Each stored result comes from the claim that finished the execution.
  EXPECT_EQ(count_sql("SELECT count(*) FROM runstore.executions WHERE (result->>'attempt')::int = attempt"), kJobs);
  EXPECT_EQ(w.worker().stats().succeeded, static_cast<std::uint64_t>(kJobs));
  EXPECT_EQ(w.worker().stats().leases_lost, 0U);
}

}  // namespace
