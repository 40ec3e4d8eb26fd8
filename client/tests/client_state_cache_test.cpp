// client_state_cache_test.cpp: ClientOptions::state_cache_ttl against a
// real server.  A row changed behind the Client's back shows whether a poll
// was answered from the cache (old state) or by the server (new state);
// state_cache_stats() counts the round trips.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "runstore/client.hpp"
#include "test_database.hpp"

namespace {

using runstore::Client;
using runstore::ClientOptions;
using runstore::ExecutionState;
using runstore::StatementMode;
using runstore::Status;
using runstore::Uuid;
using runstore::testing::exec_sql;
using runstore::testing::test_conninfo;
using std::chrono::milliseconds;

Uuid insert_in(std::int64_t workspace) {
  return Uuid::parse(exec_sql("INSERT INTO runstore.executions (workspace_id) VALUES (" + std::to_string(workspace) +
                              ") RETURNING id"));
}

// Changes the row without the Client knowing: status running, attempt + 1.
void start_behind_its_back(const Uuid& id) {
  exec_sql("UPDATE runstore.executions SET status = 'running', attempt = attempt + 1 WHERE id = '" + id.to_string() +
           "'");
}

std::vector<Uuid> ids_of(const std::vector<ExecutionState>& states) {
  std::vector<Uuid> out;
  for (const auto& s : states) out.push_back(s.id);
  return out;
}

class StateCacheTest : public ::testing::TestWithParam<StatementMode> {
 protected:
  Client with_ttl(milliseconds ttl, std::size_t max_entries = 10000) {
    ClientOptions o{test_conninfo(), GetParam(), {}};
    o.state_cache_ttl = ttl;
    o.state_cache_max_entries = max_entries;
    return Client(o);
  }
};

TEST_P(StateCacheTest, OffByDefaultEveryPollSeesTheChange) {
  EXPECT_EQ(ClientOptions{}.state_cache_ttl, milliseconds(0));
  Client client{ClientOptions{test_conninfo(), GetParam(), {}}};
  const Uuid a = insert_in(1);
  EXPECT_EQ(client.get_execution_states({a}).at(0).status, Status::queued);
  start_behind_its_back(a);
  const auto again = client.get_execution_states({a});
  EXPECT_EQ(again.at(0).status, Status::running);
  EXPECT_EQ(again.at(0).attempt, 1);
  const auto stats = client.state_cache_stats();
  EXPECT_EQ(stats.round_trips, 0U);
  EXPECT_EQ(stats.hits, 0U);
  EXPECT_EQ(stats.entries, 0U);
}

TEST_P(StateCacheTest, WithinTheTtlAPollIsAnsweredFromTheCacheWithoutARoundTrip) {
  Client client = with_ttl(std::chrono::minutes(10));
  const Uuid a = insert_in(1);
  EXPECT_EQ(client.get_execution_states({a}).at(0).status, Status::queued);
  start_behind_its_back(a);
  const auto again = client.get_execution_states({a});
  ASSERT_EQ(again.size(), 1U);
  EXPECT_EQ(again[0].status, Status::queued) << "the cached state, though the row changed";
  EXPECT_EQ(again[0].attempt, 0);
  const auto stats = client.state_cache_stats();
  EXPECT_EQ(stats.round_trips, 1U);
  EXPECT_EQ(stats.misses, 1U);
  EXPECT_EQ(stats.hits, 1U);
  EXPECT_EQ(stats.entries, 1U);
}

TEST_P(StateCacheTest, AfterTheTtlAPollSeesTheChange) {
  Client client = with_ttl(milliseconds(1000));
  const Uuid a = insert_in(1);
  EXPECT_EQ(client.get_execution_states({a}).at(0).status, Status::queued);
  start_behind_its_back(a);
  std::this_thread::sleep_for(milliseconds(1100));
  EXPECT_EQ(client.get_execution_states({a}).at(0).status, Status::running);
  EXPECT_EQ(client.state_cache_stats().round_trips, 2U);
  // And the new state is cached in turn.
  exec_sql("UPDATE runstore.executions SET status = 'succeeded' WHERE id = '" + a.to_string() + "'");
  EXPECT_EQ(client.get_execution_states({a}).at(0).status, Status::running);
}

TEST_P(StateCacheTest, OnlyTheUncachedIdsAreFetchedAllInOneCall) {
  Client client = with_ttl(std::chrono::minutes(10));
  const Uuid a = insert_in(1), b = insert_in(1), c = insert_in(1), d = insert_in(1);
  ASSERT_EQ(client.get_execution_states({a, b}).size(), 2U);
  for (const Uuid& id : {a, b, c, d}) start_behind_its_back(id);
  const auto states = client.get_execution_states({c, a, d, b, c});
  // The lookup's rules hold: first appearance, duplicates once.
  ASSERT_EQ(ids_of(states), (std::vector<Uuid>{c, a, d, b}));
  EXPECT_EQ(states[0].status, Status::running) << "c was fetched";
  EXPECT_EQ(states[1].status, Status::queued) << "a came from the cache";
  EXPECT_EQ(states[2].status, Status::running) << "d was fetched";
  EXPECT_EQ(states[3].status, Status::queued) << "b came from the cache";
  const auto stats = client.state_cache_stats();
  EXPECT_EQ(stats.round_trips, 2U) << "c and d in one call";
  EXPECT_EQ(stats.misses, 4U);
  EXPECT_EQ(stats.hits, 2U);
  // All four cached now: no round trip.
  (void)client.get_execution_states({d, c, b, a});
  EXPECT_EQ(client.state_cache_stats().round_trips, 2U);
}

TEST_P(StateCacheTest, IdsNotFoundAreAskedForAgainEachPoll) {
  Client client = with_ttl(std::chrono::minutes(10));
  const Uuid later = Uuid::v7();
  EXPECT_TRUE(client.get_execution_states({later}).empty());
  exec_sql("INSERT INTO runstore.executions (id, workspace_id) VALUES ('" + later.to_string() + "', 1)");
  EXPECT_EQ(ids_of(client.get_execution_states({later})), (std::vector<Uuid>{later}));
  EXPECT_EQ(client.state_cache_stats().round_trips, 2U);
}

TEST_P(StateCacheTest, TheWorkspaceFilterIsPartOfTheKey) {
  Client client = with_ttl(std::chrono::minutes(10));
  const Uuid a = insert_in(7);
  EXPECT_EQ(client.get_execution_states({a}, 7).size(), 1U);
  start_behind_its_back(a);
  // Another filter (none, or another workspace) is another question.
  EXPECT_EQ(client.get_execution_states({a}).at(0).status, Status::running);
  EXPECT_TRUE(client.get_execution_states({a}, 8).empty());
  EXPECT_EQ(client.get_execution_states({a}, 7).at(0).status, Status::queued);
  EXPECT_EQ(client.state_cache_stats().round_trips, 3U);
}

TEST_P(StateCacheTest, WhenFullTheStatesFetchedLongestAgoMakeRoom) {
  Client client = with_ttl(std::chrono::minutes(10), 2);
  const Uuid a = insert_in(1), b = insert_in(1), c = insert_in(1);
  ASSERT_EQ(client.get_execution_states({a}).size(), 1U);
  ASSERT_EQ(client.get_execution_states({b, c}).size(), 2U);
  auto stats = client.state_cache_stats();
  EXPECT_EQ(stats.entries, 2U);
  EXPECT_EQ(stats.evictions, 1U);
  // b and c are cached, a was dropped.
  (void)client.get_execution_states({c, b});
  EXPECT_EQ(client.state_cache_stats().round_trips, 2U);
  (void)client.get_execution_states({a});
  stats = client.state_cache_stats();
  EXPECT_EQ(stats.round_trips, 3U);
  EXPECT_EQ(stats.entries, 2U);
}

TEST_P(StateCacheTest, AFailedFetchCachesNothingAndTheServerCapAppliesToTheIdsSent) {
  Client client = with_ttl(std::chrono::minutes(10));
  const Uuid a = insert_in(1);
  std::vector<Uuid> many;
  for (int i = 0; i < 501; ++i) {
    char tail[13];
    std::snprintf(tail, sizeof tail, "%012x", i);
    many.push_back(Uuid::parse(std::string("00000000-0000-7000-8000-") + tail));
  }
  try {
    (void)client.get_execution_states(many);
    FAIL() << "expected runstore::Error";
  } catch (const runstore::Error& e) {
    EXPECT_EQ(e.sqlstate(), "54000");
  }
  EXPECT_EQ(client.state_cache_stats().entries, 0U);
  // 501 ids of which only one is not cached: one id is sent, within the cap.
  ASSERT_EQ(client.get_execution_states({a}).size(), 1U);
  std::vector<Uuid> mostly_cached(500, a);
  mostly_cached.push_back(insert_in(1));
  EXPECT_EQ(client.get_execution_states(mostly_cached).size(), 2U);
}

INSTANTIATE_TEST_SUITE_P(Modes, StateCacheTest, ::testing::Values(StatementMode::prepared, StatementMode::unnamed),
                         [](const auto& info) {
                           return info.param == StatementMode::prepared ? std::string("prepared")
                                                                        : std::string("unnamed");
                         });

}  // namespace
