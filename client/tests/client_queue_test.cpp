// client_queue_test.cpp: enqueue, the worker's calls, recent workflows and
// delete_by_tag through runstore::Client, in both statement modes, against
// the real server.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <vector>

#include "runstore/client.hpp"
#include "test_database.hpp"

namespace {

using namespace std::chrono_literals;
using runstore::Client;
using runstore::ClientOptions;
using runstore::Completion;
using runstore::Execution;
using runstore::FailOutcome;
using runstore::HeldLease;
using runstore::NewExecution;
using runstore::StatementMode;
using runstore::Status;
using runstore::Uuid;
using runstore::testing::exec_sql;
using runstore::testing::test_conninfo;

// Each test works in a workspace of its own, so dequeue sees only its jobs.
std::int64_t fresh_workspace() {
  static std::int64_t next = 700000;
  return ++next;
}

NewExecution job(std::int64_t workspace, std::int32_t priority = 0) {
  NewExecution e;
  e.workspace_id = workspace;
  e.priority = priority;
  return e;
}

std::string sql_of(const Uuid& id, const std::string& column) {
  return exec_sql("SELECT " + column + " FROM runstore.executions WHERE id = '" + id.to_string() + "'");
}

HeldLease lease_of(const Execution& e) { return HeldLease{e.id, e.attempt}; }

void expect_sqlstate(const std::function<void()>& call, const std::string& sqlstate) {
  try {
    call();
    ADD_FAILURE() << "expected SQLSTATE " << sqlstate;
  } catch (const runstore::Error& e) {
    EXPECT_EQ(e.sqlstate(), sqlstate) << e.what();
  }
}

class ClientQueueTest : public ::testing::TestWithParam<StatementMode> {
 protected:
  void SetUp() override {
    // Nothing else may claim this test's jobs: other tests' jobs live in
    // other workspaces but dequeue is global, so drain what is due first.
    exec_sql("UPDATE runstore.executions SET status = 'cancelled' WHERE status IN ('queued', 'running')");
  }
  Client client{ClientOptions{test_conninfo(), GetParam(), {}}};
};

TEST_P(ClientQueueTest, EnqueueStoresEveryFieldAndReturnsIdsInOrder) {
  const auto ws = fresh_workspace();
  NewExecution full = job(ws, 7);
  full.workflow_id = 42;
  full.user_id = "ada";
  full.tags = {"nightly", "with \"quotes\", and ]"};
  full.payload = R"({"n": 1})";
  full.max_attempts = 9;
  full.run_after = runstore::TimePoint(std::chrono::microseconds(4102444800000000LL));  // 2100-01-01
  const auto ids = client.enqueue(std::vector<NewExecution>{full, job(ws)});
  ASSERT_EQ(ids.size(), 2U);
  const auto rows = client.get_executions_by_ids(ids);
  ASSERT_EQ(rows.size(), 2U);
  EXPECT_EQ(rows[0].workflow_id, 42);
  EXPECT_EQ(rows[0].user_id, "ada");
  EXPECT_EQ(rows[0].tags, full.tags);
  EXPECT_EQ(rows[0].payload, R"({"n": 1})");
  EXPECT_EQ(rows[0].priority, 7);
  EXPECT_EQ(rows[0].max_attempts, 9);
  EXPECT_EQ(rows[0].run_after, *full.run_after);
  EXPECT_EQ(rows[0].status, Status::queued);
  // Unset fields take the table's defaults.
  EXPECT_EQ(rows[1].priority, 0);
  EXPECT_EQ(rows[1].max_attempts, 3);
  EXPECT_TRUE(rows[1].tags.empty());
  EXPECT_FALSE(rows[1].payload.has_value());
  EXPECT_FALSE(rows[1].workflow_id.has_value());
  EXPECT_EQ(rows[1].run_after, rows[1].created_at);
  EXPECT_EQ(ids[0].bytes()[6] >> 4, 7) << "ids are version-7 UUIDs made by the client";
}

// A batch sends only the columns some execution sets (each shape its own
// statement): here two workspaces, a priority and tags on one execution
// only, the rest at the table's defaults.
TEST_P(ClientQueueTest, EnqueueOfMixedExecutionsKeepsEachOnesFieldsAndDefaults) {
  const auto ws = fresh_workspace();
  NewExecution tagged = job(ws + 1000, 5);
  tagged.tags = {"a"};
  NewExecution bare;
  bare.workspace_id = ws;
  const auto ids = client.enqueue(std::vector<NewExecution>{bare, tagged, bare});
  const auto rows = client.get_executions_by_ids(ids);
  ASSERT_EQ(rows.size(), 3U);
  EXPECT_EQ(rows[0].workspace_id, ws);
  EXPECT_EQ(rows[1].workspace_id, ws + 1000);
  EXPECT_EQ(rows[1].priority, 5);
  EXPECT_EQ(rows[1].tags, std::vector<std::string>{"a"});
  for (int i : {0, 2}) {
    EXPECT_EQ(rows[i].priority, 0);
    EXPECT_TRUE(rows[i].tags.empty());
    EXPECT_EQ(rows[i].max_attempts, 3);
    EXPECT_EQ(rows[i].run_after, rows[i].created_at);
  }
  // One workspace, payloads only: the narrowest shape.
  NewExecution with_payload = job(ws);
  with_payload.payload = R"({"k": [1, 2]})";
  const auto one = client.enqueue(std::vector<NewExecution>{with_payload, with_payload});
  const auto stored = client.get_executions_by_ids(one);
  ASSERT_EQ(stored.size(), 2U);
  EXPECT_EQ(stored[1].payload, R"({"k": [1, 2]})");
  EXPECT_EQ(stored[1].workspace_id, ws);
}

TEST_P(ClientQueueTest, EnqueueOfAnIdAlreadyStoredInsertsNothing) {
  const auto ws = fresh_workspace();
  NewExecution e = job(ws);
  e.id = Uuid::v7();
  EXPECT_EQ(client.enqueue(e), *e.id);
  EXPECT_EQ(client.enqueue(e), *e.id);
  EXPECT_EQ(exec_sql("SELECT count(*) FROM runstore.executions WHERE workspace_id = " + std::to_string(ws)), "1");
}

TEST_P(ClientQueueTest, ABadPayloadRefusesTheWholeBatch) {
  const auto ws = fresh_workspace();
  NewExecution bad = job(ws);
  bad.payload = "{not json";
  expect_sqlstate([&] { client.enqueue(std::vector<NewExecution>{job(ws), bad}); }, "22P02");
  EXPECT_EQ(exec_sql("SELECT count(*) FROM runstore.executions WHERE workspace_id = " + std::to_string(ws)), "0");
  EXPECT_TRUE(client.enqueue(std::vector<NewExecution>{}).empty());
}

// A large batch goes by COPY (enqueue_copy.hpp) when each of priority,
// max_attempts and run_after is set by all of it or by none: every field
// and every default must come out as the INSERT stores them.
constexpr std::size_t kLargeBatch = 150;

TEST_P(ClientQueueTest, ALargeBatchStoresEveryFieldAndEveryDefault) {
  const auto ws = fresh_workspace();
  const runstore::TimePoint later(std::chrono::microseconds(4102444800000000LL));  // 2100-01-01
  std::vector<NewExecution> all_set, none_set;
  for (std::size_t i = 0; i < kLargeBatch; ++i) {
    NewExecution e = job(ws, static_cast<std::int32_t>(i % 5));
    e.max_attempts = 9;
    e.run_after = later;
    // Every third leaves the nullable columns and the tags unset.
    if (i % 3 != 0) {
      e.workflow_id = static_cast<std::int64_t>(i);
      e.user_id = "user " + std::to_string(i);
      e.tags = {"t" + std::to_string(i), "with \"quotes\", and ]"};
      e.payload = R"({"n": )" + std::to_string(i) + "}";
    }
    all_set.push_back(e);
    NewExecution bare;
    bare.workspace_id = ws + 1 + static_cast<std::int64_t>(i % 2);
    none_set.push_back(bare);
  }
  const auto ids = client.enqueue(all_set);
  ASSERT_EQ(ids.size(), kLargeBatch);
  const auto rows = client.get_executions_by_ids(ids);
  ASSERT_EQ(rows.size(), kLargeBatch);
  for (std::size_t i = 0; i < kLargeBatch; ++i) {
    EXPECT_EQ(rows[i].id, ids[i]);
    EXPECT_EQ(rows[i].priority, all_set[i].priority);
    EXPECT_EQ(rows[i].max_attempts, 9);
    EXPECT_EQ(rows[i].run_after, later);
    EXPECT_EQ(rows[i].workflow_id, all_set[i].workflow_id);
    EXPECT_EQ(rows[i].user_id, all_set[i].user_id);
    EXPECT_EQ(rows[i].tags, all_set[i].tags);
    EXPECT_EQ(rows[i].payload, all_set[i].payload);
    EXPECT_EQ(rows[i].status, Status::queued);
  }
  const auto bare_ids = client.enqueue(none_set);
  const auto bare_rows = client.get_executions_by_ids(bare_ids);
  ASSERT_EQ(bare_rows.size(), kLargeBatch);
  for (std::size_t i = 0; i < kLargeBatch; ++i) {
    EXPECT_EQ(bare_rows[i].workspace_id, none_set[i].workspace_id);
    EXPECT_EQ(bare_rows[i].priority, 0);
    EXPECT_EQ(bare_rows[i].max_attempts, 3);
    EXPECT_TRUE(bare_rows[i].tags.empty());
    EXPECT_FALSE(bare_rows[i].payload.has_value());
    EXPECT_EQ(bare_rows[i].run_after, bare_rows[i].created_at) << "due from the insert's own instant";
  }
  // A priority on some only: each of the others takes the default.
  std::vector<NewExecution> mixed(kLargeBatch, job(ws));
  for (std::size_t i = 0; i < kLargeBatch; i += 2) mixed[i].priority.reset();
  const auto mixed_rows = client.get_executions_by_ids(client.enqueue(mixed));
  ASSERT_EQ(mixed_rows.size(), kLargeBatch);
  for (const auto& r : mixed_rows) {
    EXPECT_EQ(r.priority, 0);
    EXPECT_EQ(r.run_after, r.created_at);
  }
}

TEST_P(ClientQueueTest, ALargeBatchMeetingAStoredIdStoresTheRestOnce) {
  const auto ws = fresh_workspace();
  std::vector<NewExecution> batch(kLargeBatch, job(ws));
  for (auto& e : batch) e.id = Uuid::v7();
  EXPECT_EQ(client.enqueue(batch[kLargeBatch / 2]), *batch[kLargeBatch / 2].id);
  const auto ids = client.enqueue(batch);
  ASSERT_EQ(ids.size(), kLargeBatch);
  EXPECT_EQ(ids.back(), *batch.back().id);
  EXPECT_EQ(exec_sql("SELECT count(*) FROM runstore.executions WHERE workspace_id = " + std::to_string(ws)),
            std::to_string(kLargeBatch));
  // Again, whole: nothing new.
  (void)client.enqueue(batch);
  EXPECT_EQ(exec_sql("SELECT count(*) FROM runstore.executions WHERE workspace_id = " + std::to_string(ws)),
            std::to_string(kLargeBatch));
}

TEST_P(ClientQueueTest, ABadPayloadRefusesAWholeLargeBatch) {
  const auto ws = fresh_workspace();
  std::vector<NewExecution> batch(kLargeBatch, job(ws));
  batch[kLargeBatch - 1].payload = "{not json";
  expect_sqlstate([&] { client.enqueue(batch); }, "22P02");
  EXPECT_EQ(exec_sql("SELECT count(*) FROM runstore.executions WHERE workspace_id = " + std::to_string(ws)), "0");
}

// Binary COPY reads each field as the column's own type: into a column
// whose type was changed it fails (22P03), and the client inserts instead,
// which converts as an INSERT would.
TEST_P(ClientQueueTest, ALargeBatchIntoAColumnOfAnotherTypeIsInsertedAllTheSame) {
  const auto ws = fresh_workspace();
  exec_sql("ALTER TABLE runstore.executions ALTER COLUMN max_attempts TYPE smallint");
  std::vector<NewExecution> batch(kLargeBatch, job(ws));
  for (auto& e : batch) e.max_attempts = 7;
  EXPECT_EQ(client.enqueue(batch).size(), kLargeBatch);
  const std::string stored =
      "SELECT count(*) FROM runstore.executions WHERE max_attempts = 7 AND workspace_id = " + std::to_string(ws);
  EXPECT_EQ(exec_sql(stored), std::to_string(kLargeBatch));
  EXPECT_EQ(client.enqueue(batch).size(), kLargeBatch) << "and after: by INSERT from the start";
  EXPECT_EQ(exec_sql(stored), std::to_string(2 * kLargeBatch));
}

// PostgreSQL refuses COPY FROM into a table under row-level security
// (0A000); the client's large enqueues then insert as small ones do.
TEST_P(ClientQueueTest, ALargeBatchUnderRowLevelSecurityIsInsertedAllTheSame) {
  const auto ws = fresh_workspace();
  const std::string role = "runstore_client_rls_" + std::to_string(getpid());
  exec_sql("DROP ROLE IF EXISTS " + role);
  exec_sql("CREATE ROLE " + role + " LOGIN");
  exec_sql("GRANT USAGE ON SCHEMA runstore TO " + role);
  exec_sql("GRANT SELECT, INSERT ON runstore.executions TO " + role);
  exec_sql("ALTER TABLE runstore.executions ENABLE ROW LEVEL SECURITY");
  exec_sql("CREATE POLICY runstore_client_rls ON runstore.executions TO " + role +
           " USING (workspace_id = " + std::to_string(ws) + ")");
  {
    Client tenant(ClientOptions{test_conninfo() + " user=" + role, GetParam(), {}});
    const auto ids = tenant.enqueue(std::vector<NewExecution>(kLargeBatch, job(ws)));
    EXPECT_EQ(tenant.get_executions_by_ids(ids).size(), kLargeBatch);
    expect_sqlstate([&] { tenant.enqueue(std::vector<NewExecution>(kLargeBatch, job(ws + 1))); }, "42501");
    EXPECT_EQ(tenant.enqueue(std::vector<NewExecution>(kLargeBatch, job(ws))).size(), kLargeBatch);
  }
  exec_sql("DROP POLICY runstore_client_rls ON runstore.executions");
  exec_sql("ALTER TABLE runstore.executions DISABLE ROW LEVEL SECURITY");
  exec_sql("DROP OWNED BY " + role);
  exec_sql("DROP ROLE " + role);
  EXPECT_EQ(exec_sql("SELECT count(*) FROM runstore.executions WHERE workspace_id = " + std::to_string(ws)),
            std::to_string(2 * kLargeBatch));
}

// For applications that LISTEN themselves: the enqueuing session turns
// runstore.notify_enqueued on (runstore's own workers use wait_for_work;
// client_wait_test.cpp).
TEST_P(ClientQueueTest, OneEnqueueWakesAListenerWhenTheEnqueuerTurnsNotifyOn) {
  Client listener{ClientOptions{test_conninfo(), GetParam(), {}}};
  listener.listen_for_enqueues();
  EXPECT_FALSE(listener.wait_for_enqueue(50ms)) << "nothing enqueued yet";
  const auto ws = fresh_workspace();
  client.enqueue(std::vector<NewExecution>{job(ws), job(ws), job(ws)});
  EXPECT_FALSE(listener.wait_for_enqueue(300ms)) << "runstore.notify_enqueued is off by default";
  Client notifying{ClientOptions{test_conninfo() + " options='-c runstore.notify_enqueued=on'", GetParam(), {}}};
  notifying.enqueue(std::vector<NewExecution>{job(ws), job(ws), job(ws)});
  EXPECT_TRUE(listener.wait_for_enqueue(5000ms));
  EXPECT_FALSE(listener.wait_for_enqueue(50ms)) << "one statement, one notification";
}

TEST_P(ClientQueueTest, DequeueClaimsByPriorityWithALease) {
  const auto ws = fresh_workspace();
  const auto low = client.enqueue(job(ws, 1));
  const auto high = client.enqueue(job(ws, 5));
  const auto claimed = client.dequeue("w1", 1, 30000ms);
  ASSERT_EQ(claimed.size(), 1U);
  EXPECT_EQ(claimed[0].id, high);
  EXPECT_EQ(claimed[0].status, Status::running);
  EXPECT_EQ(claimed[0].attempt, 1);
  EXPECT_EQ(claimed[0].lease_owner, "w1");
  ASSERT_TRUE(claimed[0].lease_expires_at.has_value());
  const auto lease = *claimed[0].lease_expires_at - *claimed[0].started_at;
  EXPECT_EQ(lease, 30000000us);
  const auto next = client.dequeue("w2", 10);
  ASSERT_EQ(next.size(), 1U);
  EXPECT_EQ(next[0].id, low);
  EXPECT_TRUE(client.dequeue("w3", 10).empty());
}

TEST_P(ClientQueueTest, DequeueRefusesBadArgumentsWithTheirSqlstate) {
  expect_sqlstate([&] { client.dequeue("w", 0); }, "22023");
  expect_sqlstate([&] { client.dequeue("", 1); }, "22023");
  expect_sqlstate([&] { client.dequeue("w", 1, 0ms); }, "22023");
  expect_sqlstate([&] { client.dequeue("w", 501); }, "54000");
}

TEST_P(ClientQueueTest, HeartbeatExtendsOnlyLeasesStillHeldAtTheirAttempt) {
  const auto ws = fresh_workspace();
  client.enqueue(std::vector<NewExecution>{job(ws), job(ws)});
  const auto claimed = client.dequeue("w1", 2, 1000ms);
  ASSERT_EQ(claimed.size(), 2U);
  const HeldLease stale{claimed[1].id, claimed[1].attempt - 1};
  const auto extended = client.heartbeat("w1", {lease_of(claimed[0]), stale}, 60000ms);
  EXPECT_EQ(extended, (std::vector<Uuid>{claimed[0].id}));
  EXPECT_EQ(sql_of(claimed[0].id, "lease_expires_at - updated_at"), "00:01:00");
  EXPECT_TRUE(client.heartbeat("w2", {lease_of(claimed[0])}).empty()) << "another worker's lease";
  EXPECT_TRUE(client.heartbeat("w1", {}).empty());
}

TEST_P(ClientQueueTest, CompleteWritesTheResultOnceAndFencesStaleAttempts) {
  const auto ws = fresh_workspace();
  client.enqueue(job(ws));
  const auto e = client.dequeue("w1").at(0);
  EXPECT_FALSE(client.complete("w1", HeldLease{e.id, e.attempt + 1}, R"({"ok": false})"));
  EXPECT_FALSE(client.complete("w2", lease_of(e), R"({"ok": false})"));
  EXPECT_TRUE(client.complete("w1", lease_of(e), R"({"ok": true})"));
  EXPECT_FALSE(client.complete("w1", lease_of(e), R"({"ok": "again"})")) << "already succeeded";
  const auto now = client.get_executions_by_ids({e.id}).at(0);
  EXPECT_EQ(now.status, Status::succeeded);
  EXPECT_EQ(now.result, R"({"ok": true})");
  EXPECT_TRUE(now.finished_at.has_value());
}

TEST_P(ClientQueueTest, CompleteManyAnswersEachCompletionInOneCall) {
  const auto ws = fresh_workspace();
  client.enqueue(std::vector<NewExecution>(5, job(ws)));
  const auto claimed = client.dequeue("w1", 5);
  ASSERT_EQ(claimed.size(), 5U);
  std::vector<Completion> batch;
  for (const auto& e : claimed)
    batch.push_back(Completion{e.id, e.attempt, "{\"i\": " + std::to_string(batch.size()) + "}"});
  batch[2].attempt += 1;  // fenced off: a stale token
  const auto done = client.complete_many("w1", batch);
  EXPECT_EQ(done, (std::vector<bool>{true, true, false, true, true}));
  EXPECT_EQ(client.get_executions_by_ids({claimed[4].id}).at(0).result, R"({"i": 4})");
  EXPECT_EQ(client.get_executions_by_ids({claimed[2].id}).at(0).status, Status::running);
  EXPECT_TRUE(client.complete_many("w1", {}).empty());
}

TEST_P(ClientQueueTest, CompleteManyWithABadResultThrowsAndTheOthersStand) {
  const auto ws = fresh_workspace();
  client.enqueue(std::vector<NewExecution>(2, job(ws)));
  const auto claimed = client.dequeue("w1", 2);
  ASSERT_EQ(claimed.size(), 2U);
  expect_sqlstate(
      [&] {
        client.complete_many("w1", {Completion{claimed[0].id, claimed[0].attempt, "{bad"},
                                    Completion{claimed[1].id, claimed[1].attempt, "1"}});
      },
      "22P02");
  EXPECT_EQ(client.get_executions_by_ids({claimed[0].id}).at(0).status, Status::running);
  EXPECT_EQ(client.get_executions_by_ids({claimed[1].id}).at(0).status, Status::succeeded)
      << "each completion is its own transaction";
  EXPECT_TRUE(client.complete("w1", lease_of(claimed[0]), "2")) << "the connection is still usable";
}

TEST_P(ClientQueueTest, CompleteManyAndDequeueIsAWorkersWholeStep) {
  const auto ws = fresh_workspace();
  client.enqueue(std::vector<NewExecution>(4, job(ws)));
  const auto held = client.dequeue("w1", 2, 60000ms);
  ASSERT_EQ(held.size(), 2U);
  // The second completion's result is not JSON: refused on its own, and the
  // next batch is still claimed and handed over.
  const auto step = client.complete_many_and_dequeue(
      "w1", {Completion{held[0].id, held[0].attempt, "1"}, Completion{held[1].id, held[1].attempt, "{bad"}}, 5,
      60000ms);
  EXPECT_EQ(step.completed, (std::vector<bool>{true, false}));
  ASSERT_EQ(step.errors.size(), 1U);
  EXPECT_EQ(step.errors[0].first, 1U);
  EXPECT_EQ(step.errors[0].second.sqlstate(), "22P02");
  ASSERT_EQ(step.claimed.size(), 2U);
  for (const auto& e : step.claimed) EXPECT_EQ(e.lease_owner, "w1");
  const auto none = client.complete_many_and_dequeue("w1", {}, 0);
  EXPECT_TRUE(none.completed.empty());
  EXPECT_TRUE(none.claimed.empty());
}

TEST_P(ClientQueueTest, ReportAndDequeueWritesSuccessesAndFailuresWithTheNextClaim) {
  const auto ws = fresh_workspace();
  NewExecution last = job(ws);
  last.max_attempts = 1;
  client.enqueue({job(ws), job(ws), job(ws), last});
  const auto held = client.dequeue("w1", 4, 60000ms);
  ASSERT_EQ(held.size(), 4U);
  client.enqueue(std::vector<NewExecution>(3, job(ws)));
  // One completion at a stale attempt (fenced off): refused, the others
  // written; the failure of that same execution at its right attempt is
  // recorded (requeued: attempts remain).
  const auto step = client.report_and_dequeue(
      "w1", {Completion{held[0].id, held[0].attempt, R"({"n": 0})"}, Completion{held[1].id, held[1].attempt + 1, "1"}},
      {runstore::Failure{held[2].id, held[2].attempt, "try again", true},
       runstore::Failure{held[3].id, held[3].attempt, "out of attempts", true},
       runstore::Failure{held[1].id, held[1].attempt, "after all", true}},
      2, 60000ms);
  EXPECT_EQ(step.completed, (std::vector<bool>{true, false}));
  EXPECT_EQ(step.failed, (std::vector<FailOutcome>{FailOutcome::requeued, FailOutcome::failed, FailOutcome::requeued}));
  EXPECT_TRUE(step.errors.empty());
  EXPECT_EQ(step.claimed.size(), 2U);
  EXPECT_EQ(sql_of(held[0].id, "status || ' ' || result::text"), R"(succeeded {"n": 0})");
  EXPECT_EQ(sql_of(held[2].id, "status || ' ' || error"), "queued try again");
  EXPECT_EQ(sql_of(held[3].id, "status || ' ' || error"), "failed out of attempts");
  EXPECT_EQ(sql_of(held[1].id, "status || ' ' || error"), "queued after all");
  const auto other = client.report_and_dequeue("w2", {}, {runstore::Failure{step.claimed[0].id, 1, "x", false}}, 0);
  EXPECT_EQ(other.failed, (std::vector<FailOutcome>{FailOutcome::refused})) << "w2 holds nothing";
}

TEST_P(ClientQueueTest, ReleaseHandsBackUnstartedClaimsAtNoCostInAttempts) {
  const auto ws = fresh_workspace();
  NewExecution once = job(ws);
  once.max_attempts = 1;
  const Uuid id = client.enqueue(once);
  const auto held = client.dequeue("w1", 1, 60000ms);
  ASSERT_EQ(held.size(), 1U);
  EXPECT_TRUE(client.release("w2", {lease_of(held[0])}).empty()) << "not w2's to release";
  EXPECT_EQ(client.release("w1", {lease_of(held[0])}), (std::vector<Uuid>{id}));
  EXPECT_EQ(sql_of(id, "status || ' ' || attempt"), "queued 0");
  // Claimed again, it still has its one attempt.
  const auto again = client.dequeue("w1", 1, 60000ms);
  ASSERT_EQ(again.size(), 1U);
  EXPECT_EQ(again[0].attempt, 1);
  EXPECT_TRUE(client.complete("w1", lease_of(again[0])));
  EXPECT_TRUE(client.release("w1", {}).empty());
}

// A server whose queue functions predate the batch forms (here: a schema
// that wraps only dequeue, heartbeat, complete and fail): the client writes
// a step call by call, with the same answers.
TEST_P(ClientQueueTest, WithoutTheBatchFunctionsAStepRunsCallByCall) {
  exec_sql(R"(
    DROP SCHEMA IF EXISTS runstore_singles CASCADE;
    CREATE SCHEMA runstore_singles;
    CREATE FUNCTION runstore_singles.dequeue(text, integer, interval) RETURNS SETOF runstore.executions
      LANGUAGE sql AS $$ SELECT d FROM runstore.dequeue($1, $2, $3) AS d $$;
    CREATE FUNCTION runstore_singles.complete(uuid, text, jsonb, integer) RETURNS boolean
      LANGUAGE sql AS $$ SELECT runstore.complete($1, $2, $3, $4) $$;
    CREATE FUNCTION runstore_singles.fail(uuid, text, text, boolean, integer) RETURNS runstore.execution_status
      LANGUAGE sql AS $$ SELECT runstore.fail($1, $2, $3, $4, $5) $$;)");
  ClientOptions o{test_conninfo(), GetParam(), {}};
  o.queue_function_schema = "runstore_singles";
  Client old{o};
  const auto ws = fresh_workspace();
  old.enqueue(std::vector<NewExecution>(4, job(ws)));
  const auto held = old.dequeue("w1", 2, 60000ms);
  ASSERT_EQ(held.size(), 2U);
  for (int round = 0; round < 2; ++round) {  // the second knows to go call by call at once
    const auto step =
        old.report_and_dequeue("w1", {Completion{held[0].id, held[0].attempt, "1"}},
                               {runstore::Failure{held[1].id, held[1].attempt, "boom", false}}, round == 0 ? 2 : 0);
    if (round == 0) {
      EXPECT_EQ(step.completed, (std::vector<bool>{true}));
      EXPECT_EQ(step.failed, (std::vector<FailOutcome>{FailOutcome::failed}));
      EXPECT_EQ(step.claimed.size(), 2U);
    } else {
      EXPECT_EQ(step.completed, (std::vector<bool>{false})) << "already written";
      EXPECT_EQ(step.failed, (std::vector<FailOutcome>{FailOutcome::refused}));
    }
  }
  exec_sql("DROP SCHEMA runstore_singles CASCADE");
}

TEST_P(ClientQueueTest, FailRequeuesUntilMaxAttemptsThenFails) {
  exec_sql("ALTER DATABASE " + test_conninfo().substr(7) + " SET runstore.retry_backoff_base = 0");
  Client fresh{ClientOptions{test_conninfo(), GetParam(), {}}};  // picks the setting up
  const auto ws = fresh_workspace();
  NewExecution e = job(ws);
  e.max_attempts = 2;
  const Uuid id = fresh.enqueue(e);
  auto first = fresh.dequeue("w1").at(0);
  EXPECT_EQ(fresh.fail("w2", lease_of(first), "not mine"), FailOutcome::refused);
  EXPECT_EQ(fresh.fail("w1", lease_of(first), "boom 1"), FailOutcome::requeued);
  EXPECT_EQ(fresh.fail("w1", lease_of(first), "boom again"), FailOutcome::refused) << "no longer held";
  auto second = fresh.dequeue("w1").at(0);
  EXPECT_EQ(second.id, id);
  EXPECT_EQ(second.attempt, 2);
  EXPECT_EQ(fresh.fail("w1", lease_of(second), "boom 2"), FailOutcome::failed);
  const auto now = fresh.get_executions_by_ids({id}).at(0);
  EXPECT_EQ(now.status, Status::failed);
  EXPECT_EQ(now.error, "boom 2");
  exec_sql("ALTER DATABASE " + test_conninfo().substr(7) + " RESET runstore.retry_backoff_base");
}

TEST_P(ClientQueueTest, AFailureMarkedNotRetryableIsFinal) {
  const auto ws = fresh_workspace();
  client.enqueue(job(ws));
  const auto e = client.dequeue("w1").at(0);
  EXPECT_EQ(client.fail("w1", lease_of(e), "bad input", false), FailOutcome::failed);
}

TEST_P(ClientQueueTest, CancelStopsQueuedAndRunningAndFencesTheWorker) {
  const auto ws = fresh_workspace();
  const auto queued = client.enqueue(job(ws));
  const auto running_id = client.enqueue(job(ws, 9));
  const auto running = client.dequeue("w1").at(0);
  ASSERT_EQ(running.id, running_id);
  EXPECT_EQ(client.cancel({queued, running.id, queued}, ws), (std::vector<Uuid>{queued, running.id}));
  EXPECT_FALSE(client.complete("w1", lease_of(running), "1"));
  EXPECT_TRUE(client.heartbeat("w1", {lease_of(running)}).empty());
  EXPECT_TRUE(client.cancel({queued}).empty()) << "already cancelled";
  EXPECT_TRUE(client.cancel({client.enqueue(job(ws))}, ws + 1).empty()) << "other workspace";
}

TEST_P(ClientQueueTest, RecentWorkflowsNewestFirstAndPerUser) {
  const auto ws = fresh_workspace();
  auto at = [&](std::int64_t workflow, const char* user, const char* created) {
    return runstore::Uuid::parse(
        exec_sql("INSERT INTO runstore.executions (workspace_id, workflow_id, user_id, status, created_at) VALUES (" +
                 std::to_string(ws) + ", " + std::to_string(workflow) + ", '" + user + "', 'succeeded', '" + created +
                 "') RETURNING id"));
  };
  at(1, "ada", "2026-01-01");
  const Uuid latest2 = at(2, "bob", "2026-01-03");
  const Uuid latest1 = at(1, "ada", "2026-01-02");
  const auto all = client.recent_workflows(ws, 4);
  ASSERT_EQ(all.size(), 2U);
  EXPECT_EQ(all[0].workflow_id, 2);
  EXPECT_EQ(all[0].last_execution_id, latest2);
  EXPECT_EQ(all[1].workflow_id, 1);
  EXPECT_EQ(all[1].last_execution_id, latest1);
  EXPECT_EQ(client.recent_workflows(ws, 1).size(), 1U);
  const auto ada = client.recent_workflows(ws, 4, std::string("ada"));
  ASSERT_EQ(ada.size(), 1U);
  EXPECT_EQ(ada[0].workflow_id, 1);
  expect_sqlstate([&] { (void)client.recent_workflows(ws, -1); }, "22023");
  expect_sqlstate([&] { (void)client.recent_workflows(ws, 1001); }, "22023");
}

TEST_P(ClientQueueTest, DeleteByTagDeletesAtMostMaxRowsOldestFirst) {
  const auto ws = fresh_workspace();
  const std::string tag = "purge-" + std::to_string(ws);
  std::vector<NewExecution> batch(5, job(ws));
  for (auto& e : batch) e.tags = {tag};
  const auto ids = client.enqueue(batch);
  const auto first = client.delete_by_tag(tag, 3);
  EXPECT_EQ(first.size(), 3U);
  EXPECT_EQ(client.delete_by_tag(tag, 3).size(), 2U);
  EXPECT_TRUE(client.delete_by_tag(tag, 3).empty());
  EXPECT_TRUE(client.get_executions_by_ids(ids).empty());
  expect_sqlstate([&] { client.delete_by_tag(tag, 0); }, "22023");
}

INSTANTIATE_TEST_SUITE_P(Modes, ClientQueueTest, ::testing::Values(StatementMode::prepared, StatementMode::unnamed),
                         [](const auto& info) {
                           return info.param == StatementMode::prepared ? "prepared" : "unnamed";
                         });

}  // namespace
