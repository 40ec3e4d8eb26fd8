// state_cache.hpp: the cache behind Client::get_execution_states
// (ClientOptions::state_cache_ttl, state_cache_max_entries).
//
// One entry per (workspace filter, id): a call with a workspace answers
// differently from one without (ids of other workspaces are left out), so
// the two never share an entry.  Entries sit in a list in the order they
// were fetched, oldest first; since every entry lives for the same TTL,
// that is also the order they expire in, so dropping expired entries and,
// when full, the oldest live ones is popping the list's front.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <list>
#include <optional>
#include <unordered_map>
#include <vector>

#include "runstore/client.hpp"
#include "runstore/execution.hpp"
#include "runstore/uuid.hpp"

namespace runstore::detail {

class StateCache {
 public:
  using Clock = std::chrono::steady_clock;
  // Asks the server for the states of these ids (distinct, in order).
  using Fetch = std::function<std::vector<ExecutionState>(const std::vector<Uuid>&)>;

  StateCache(std::chrono::milliseconds ttl, std::size_t max_entries);

  [[nodiscard]] bool enabled() const { return ttl_.count() > 0; }

  // get_execution_states' answer for `ids`: same order and rules (first
  // appearance, duplicates once, ids not found omitted), the live cached
  // states taken from the cache and all the others asked for in one call
  // of `fetch` (none when every id is cached).
  std::vector<ExecutionState> get(const std::vector<Uuid>& ids, std::optional<std::int64_t> workspace_id,
                                  const Fetch& fetch);

  [[nodiscard]] StateCacheStats stats() const;

 private:
  struct Key {
    Uuid id;
    bool scoped = false;  // a workspace filter was given
    std::int64_t workspace_id = 0;
    bool operator==(const Key& o) const { return id == o.id && scoped == o.scoped && workspace_id == o.workspace_id; }
  };
  struct KeyHash {
    std::size_t operator()(const Key& k) const {
      return std::hash<Uuid>{}(k.id) ^ (std::hash<std::int64_t>{}(k.workspace_id) * 31U + (k.scoped ? 1U : 0U));
    }
  };
  struct Entry {
    Key key;
    ExecutionState state;
    Clock::time_point fetched_at;  // when the request that fetched it was sent
  };

  void drop_expired(Clock::time_point now);
  void store(const Key& key, const ExecutionState& state, Clock::time_point fetched_at);

  std::chrono::milliseconds ttl_;
  std::size_t max_entries_;
  std::list<Entry> entries_;  // oldest fetch first
  std::unordered_map<Key, std::list<Entry>::iterator, KeyHash> index_;
  StateCacheStats stats_;
};

}  // namespace runstore::detail
