// worker_ledger.cpp: see worker_ledger.hpp.  Every method takes the one
// mutex for its whole body; none calls out (no handler, no database call)
// while holding it.
#include "worker_ledger.hpp"

#include <climits>
#include <unordered_set>

namespace runstore::detail {

std::shared_ptr<JobContext> Ledger::add(const HeldLease& lease, Phase phase) {
  auto ctx = std::make_shared<JobContext>(lease);
  std::lock_guard<std::mutex> lock(mutex_);
  entries_[key(lease)] = Entry{ctx, phase, false};
  return ctx;
}

void Ledger::set_phase(const HeldLease& lease, Phase phase) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = entries_.find(key(lease));
  if (it != entries_.end()) it->second.phase = phase;
}

bool Ledger::start(const HeldLease& lease) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = entries_.find(key(lease));
  if (it == entries_.end() || it->second.lost || it->second.phase != Phase::buffered) return false;
  it->second.phase = Phase::running;
  return true;
}

bool Ledger::handler_active(const Uuid& id) const {
  std::lock_guard<std::mutex> lock(mutex_);
  // Keys sort by id first: the claims of one id are adjacent.
  for (auto it = entries_.lower_bound({id, INT32_MIN}); it != entries_.end() && it->first.first == id; ++it) {
    if (it->second.phase != Phase::waiting) return true;
  }
  return false;
}

void Ledger::erase(const HeldLease& lease) {
  std::lock_guard<std::mutex> lock(mutex_);
  entries_.erase(key(lease));
}

std::size_t Ledger::size() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return entries_.size();
}

std::size_t Ledger::running() const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::size_t n = 0;
  for (const auto& [k, e] : entries_) n += e.phase == Phase::running ? 1 : 0;
  return n;
}

bool Ledger::mark_lost(const HeldLease& lease) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = entries_.find(key(lease));
  if (it == entries_.end() || it->second.lost) return false;
  it->second.lost = true;
  it->second.ctx->mark_lost();
  return true;
}

bool Ledger::is_lost(const HeldLease& lease) const {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = entries_.find(key(lease));
  return it != entries_.end() && it->second.lost;
}

std::vector<HeldLease> Ledger::supersede(const HeldLease& lease) {
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<HeldLease> out;
  for (auto it = entries_.lower_bound({lease.id, INT32_MIN});
       it != entries_.end() && it->first.first == lease.id && it->first.second < lease.attempt; ++it) {
    if (it->second.lost) continue;
    it->second.lost = true;
    it->second.ctx->mark_lost();
    out.push_back(held(it->first, it->second));
  }
  return out;
}

bool Ledger::is_released(const HeldLease& lease) const {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = entries_.find(key(lease));
  return it != entries_.end() && it->second.phase == Phase::released;
}

std::vector<HeldLease> Ledger::live_leases() const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<HeldLease> out;
  for (const auto& [k, e] : entries_) {
    if (!e.lost && e.phase != Phase::released) out.push_back(held(k, e));
  }
  return out;
}

std::vector<HeldLease> Ledger::apply_heartbeat(const std::vector<HeldLease>& sent, const std::vector<Uuid>& kept) {
  const std::unordered_set<Uuid> kept_set(kept.begin(), kept.end());
  std::vector<HeldLease> newly_lost;
  std::lock_guard<std::mutex> lock(mutex_);
  for (const auto& lease : sent) {
    if (kept_set.count(lease.id) != 0) continue;
    auto it = entries_.find(key(lease));
    if (it == entries_.end() || it->second.lost) continue;
    auto& e = it->second;
    if (e.phase != Phase::running && e.phase != Phase::waiting && e.phase != Phase::buffered) continue;
    e.lost = true;
    e.ctx->mark_lost();
    newly_lost.push_back(lease);
  }
  return newly_lost;
}

Ledger::Finished Ledger::finish(Outcome outcome) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = entries_.find(key(outcome.lease));
  if (it != entries_.end() && it->second.phase == Phase::running) it->second.phase = Phase::finished;
  bool claim_waits = false;
  // Keys sort by id first: the claims of one id are adjacent.
  for (auto w = entries_.lower_bound({outcome.lease.id, INT32_MIN});
       w != entries_.end() && w->first.first == outcome.lease.id; ++w) {
    claim_waits = claim_waits || w->second.phase == Phase::waiting;
  }
  outcomes_.push_back(std::move(outcome));
  return Finished{outcomes_.size(), claim_waits};
}

std::vector<Outcome> Ledger::take_outcomes() {
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<Outcome> out;
  out.swap(outcomes_);
  return out;
}

bool Ledger::has_outcomes() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return !outcomes_.empty();
}

void Ledger::request_stop_all() {
  std::lock_guard<std::mutex> lock(mutex_);
  for (auto& [k, e] : entries_) e.ctx->mark_stopping();
}

std::vector<HeldLease> Ledger::release_unfinished() {
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<HeldLease> out;
  for (auto& [k, e] : entries_) {
    if (e.lost || (e.phase != Phase::running && e.phase != Phase::waiting && e.phase != Phase::buffered)) continue;
    e.phase = Phase::released;
    e.ctx->mark_stopping();
    out.push_back(held(k, e));
  }
  return out;
}

bool Ledger::any_unfinished() const {
  std::lock_guard<std::mutex> lock(mutex_);
  for (const auto& [k, e] : entries_) {
    if (e.phase == Phase::running || e.phase == Phase::waiting || e.phase == Phase::buffered) return true;
  }
  return false;
}

}  // namespace runstore::detail
