// client_worker_role_test.cpp: a worker login under docs/roles.sql holds no
// privilege on runstore.executions; with queue_function_schema set to
// "runstore_worker" the Client (and so the Worker) runs its queue calls
// through the recipe's SECURITY DEFINER wrappers, and nothing else.
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "runstore/client.hpp"
#include "runstore/worker.hpp"
#include "test_database.hpp"

namespace {

using runstore::Client;
using runstore::ClientOptions;
using runstore::FailOutcome;
using runstore::HeldLease;
using runstore::NewExecution;
using runstore::StatementMode;
using runstore::Status;
using runstore::testing::exec_sql;
using runstore::testing::test_conninfo;

std::string recipe_without_create_role() {
  std::ifstream in(RUNSTORE_ROLES_RECIPE);
  std::stringstream text, out;
  text << in.rdbuf();
  // Roles are cluster-wide: created once below, not by the recipe.
  std::string line;
  while (std::getline(text, line)) {
    if (line.rfind("CREATE ROLE ", 0) != 0) out << line << '\n';
  }
  return out.str();
}

class WorkerRole : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    exec_sql(
        "DO $$ BEGIN"
        " IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'runstore_worker') THEN"
        "  CREATE ROLE runstore_dashboard NOLOGIN; CREATE ROLE runstore_worker NOLOGIN;"
        "  CREATE ROLE runstore_admin NOLOGIN; CREATE ROLE runstore_queue_definer NOLOGIN;"
        " END IF; END $$");
    exec_sql(recipe_without_create_role());
    exec_sql("DROP ROLE IF EXISTS " + login());
    exec_sql("CREATE ROLE " + login() + " LOGIN IN ROLE runstore_worker");
  }
  static void TearDownTestSuite() {
    // The test database is dropped at exit; the roles are the cluster's.
    exec_sql("DROP OWNED BY " + login() +
             ", runstore_dashboard, runstore_worker, runstore_admin, runstore_queue_definer");
    exec_sql("DROP ROLE " + login());
    // Leave the cluster as it was (pg_regress's roles test creates these
    // roles itself); another database still using them keeps them.
    exec_sql(
        "DO $$ BEGIN DROP ROLE runstore_dashboard, runstore_worker, runstore_admin, runstore_queue_definer;"
        " EXCEPTION WHEN dependent_objects_still_exist THEN NULL; END $$");
  }
  static std::string login() { return "rs_client_worker_" + std::to_string(getpid()); }

  Client worker{ClientOptions{test_conninfo() + " user=" + login(), StatementMode::prepared, {}, "runstore_worker"}};
  Client admin{test_conninfo()};
};

TEST_F(WorkerRole, QueueCallsGoThroughTheWrappers) {
  exec_sql("UPDATE runstore.executions SET status = 'cancelled' WHERE status IN ('queued', 'running')");
  NewExecution job;
  job.workspace_id = 900001;
  job.max_attempts = 2;
  const auto ids = admin.enqueue(std::vector<NewExecution>(2, job));
  const auto claimed = worker.dequeue("wr", 2);
  ASSERT_EQ(claimed.size(), 2U);
  EXPECT_EQ(worker.heartbeat("wr", {{claimed[0].id, claimed[0].attempt}, {claimed[1].id, claimed[1].attempt}}).size(),
            2U);
  EXPECT_TRUE(worker.complete("wr", {claimed[0].id, claimed[0].attempt}, "{\"done\": 1}"));
  EXPECT_EQ(worker.fail("wr", {claimed[1].id, claimed[1].attempt}, "nope", false), FailOutcome::failed);
  EXPECT_EQ(admin.get_executions_by_ids({claimed[0].id}).at(0).status, Status::succeeded);
  EXPECT_EQ(admin.get_executions_by_ids({claimed[1].id}).at(0).status, Status::failed);
}

TEST_F(WorkerRole, EverythingElseIsRefused) {
  try {
    (void)worker.get_executions_by_ids({runstore::Uuid::v7()});
    FAIL() << "expected 42501";
  } catch (const runstore::Error& e) {
    EXPECT_EQ(e.sqlstate(), "42501");
  }
  Client direct{ClientOptions{test_conninfo() + " user=" + login()}};  // runstore.dequeue itself
  try {
    (void)direct.dequeue("wr", 1);
    FAIL() << "expected 42501";
  } catch (const runstore::Error& e) {
    EXPECT_EQ(e.sqlstate(), "42501");
  }
}

// The recipe has no wait_for_work wrapper (a SECURITY DEFINER procedure
// cannot commit, so it would hold a snapshot while it waits): a Worker under
// the role says once that it cannot wait, and finds work by polling.
TEST_F(WorkerRole, AWorkerThatMayNotWaitFindsWorkByPolling) {
  using namespace std::chrono_literals;
  exec_sql("UPDATE runstore.executions SET status = 'cancelled' WHERE status IN ('queued', 'running')");
  std::mutex m;
  std::vector<std::string> lines;
  runstore::WorkerOptions o;
  o.conninfo = test_conninfo() + " user=" + login();
  if (auto direct = runstore::testing::test_listen_conninfo()) o.listen_conninfo = *direct + " user=" + login();
  o.queue_function_schema = "runstore_worker";
  o.name = "wr-worker";
  o.poll_interval = 200ms;
  o.log = [&](const std::string& line) {
    std::lock_guard<std::mutex> lock(m);
    lines.push_back(line);
  };
  std::atomic<int> calls{0};
  runstore::Worker w(o, [&](const runstore::Execution&, runstore::JobContext&) {
    calls.fetch_add(1);
    return runstore::HandlerResult::success();
  });
  std::thread runner([&] { w.run(); });
  NewExecution job;
  job.workspace_id = 900002;
  const auto id = admin.enqueue(job);
  const auto said = [&] {
    std::lock_guard<std::mutex> lock(m);
    int n = 0;
    for (const auto& line : lines) n += line.find("cannot wait for work") != std::string::npos ? 1 : 0;
    return n;
  };
  const auto until = std::chrono::steady_clock::now() + 10s;
  while ((admin.get_executions_by_ids({id}).at(0).status != Status::succeeded || said() == 0) &&
         std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(20ms);
  }
  std::this_thread::sleep_for(500ms);  // it goes on polling, and says it no more
  w.request_stop();
  runner.join();
  EXPECT_EQ(admin.get_executions_by_ids({id}).at(0).status, Status::succeeded);
  EXPECT_EQ(calls.load(), 1);
  EXPECT_EQ(said(), 1);
}

}  // namespace
