// state_cache.cpp: see state_cache.hpp.
#include "state_cache.hpp"

#include <iterator>
#include <unordered_set>
#include <utility>

namespace runstore::detail {

StateCache::StateCache(std::chrono::milliseconds ttl, std::size_t max_entries) : ttl_(ttl), max_entries_(max_entries) {}

std::vector<ExecutionState> StateCache::get(const std::vector<Uuid>& ids, std::optional<std::int64_t> workspace_id,
                                            const Fetch& fetch) {
  Key key;
  key.scoped = workspace_id.has_value();
  key.workspace_id = workspace_id.value_or(0);
  drop_expired(Clock::now());

  // Every entry left is live: an id in the index is a hit.
  std::vector<Uuid> order;
  std::vector<Uuid> missing;
  std::unordered_set<Uuid> seen;
  std::unordered_map<Uuid, ExecutionState> answer;
  order.reserve(ids.size());
  for (const Uuid& id : ids) {
    if (!seen.insert(id).second) continue;
    order.push_back(id);
    key.id = id;
    const auto it = index_.find(key);
    if (it != index_.end()) {
      ++stats_.hits;
      answer.emplace(id, it->second->state);
    } else {
      ++stats_.misses;
      missing.push_back(id);
    }
  }

  if (!missing.empty()) {
    // Taken before the request: a state fetched now was current no earlier
    // than this, so its age is never understated.
    const Clock::time_point asked_at = Clock::now();
    ++stats_.round_trips;
    const std::vector<ExecutionState> fetched = fetch(missing);
    // What expired during the call goes first, so that only live states
    // count as evicted when the new ones need room.
    drop_expired(Clock::now());
    for (const ExecutionState& state : fetched) {
      key.id = state.id;
      store(key, state, asked_at);
      answer.emplace(state.id, state);
    }
  }

  std::vector<ExecutionState> out;
  out.reserve(answer.size());
  for (const Uuid& id : order) {
    const auto it = answer.find(id);
    if (it != answer.end()) out.push_back(it->second);
  }
  return out;
}

StateCacheStats StateCache::stats() const {
  StateCacheStats s = stats_;
  s.entries = entries_.size();
  return s;
}

void StateCache::drop_expired(Clock::time_point now) {
  while (!entries_.empty() && now - entries_.front().fetched_at >= ttl_) {
    index_.erase(entries_.front().key);
    entries_.pop_front();
  }
}

void StateCache::store(const Key& key, const ExecutionState& state, Clock::time_point fetched_at) {
  if (max_entries_ == 0) return;
  const auto old = index_.find(key);
  if (old != index_.end()) {
    entries_.erase(old->second);
    index_.erase(old);
  }
  while (entries_.size() >= max_entries_) {
    index_.erase(entries_.front().key);
    entries_.pop_front();
    ++stats_.evictions;
  }
  entries_.push_back(Entry{key, state, fetched_at});
  index_.emplace(key, std::prev(entries_.end()));
}

}  // namespace runstore::detail
