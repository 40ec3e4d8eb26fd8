// worker_heartbeat.cpp: see worker_heartbeat.hpp.
#include "worker_heartbeat.hpp"

#include <algorithm>
#include <exception>

namespace runstore::detail {

namespace {
// runstore.max_batch_size's default: more held leases than this (a worker
// with over 500 slots) take several calls.
constexpr std::size_t kMaxIdsPerCall = 500;
}  // namespace

Heartbeat::Heartbeat(Settings settings, ClientOptions client, Ledger& ledger, WorkerCounters& counters,
                     const WorkerLog& log)
    : settings_(std::move(settings)),
      client_(std::move(client)),
      ledger_(ledger),
      counters_(counters),
      log_(log),
      thread_([this](StopToken& stop) { thread_main(stop); }) {}

void Heartbeat::thread_main(StopToken& stop) {
  // Fixed cadence from the start of each beat, so a slow call does not
  // push every later beat back.
  auto next = std::chrono::steady_clock::now() + settings_.interval;
  for (;;) {
    const auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(next - std::chrono::steady_clock::now());
    if (stop.sleep_for(std::max(wait, std::chrono::milliseconds(0)))) return;
    next = std::max(next + settings_.interval, std::chrono::steady_clock::now());
    try {
      beat();
    } catch (const std::exception& e) {
      // The server stayed away longer than the retry policy: the leases are
      // still ours until they end, and the next beat tries again.  If one is
      // claimed again meanwhile, that beat reports it lost.
      log_("heartbeat failed, trying again in " + std::to_string(settings_.interval.count()) + " ms: " + describe(e));
    }
  }
}

void Heartbeat::beat() {
  const std::vector<HeldLease> held = ledger_.live_leases();
  for (std::size_t from = 0; from < held.size(); from += kMaxIdsPerCall) {
    const std::vector<HeldLease> part(
        held.begin() + static_cast<std::ptrdiff_t>(from),
        held.begin() + static_cast<std::ptrdiff_t>(std::min(held.size(), from + kMaxIdsPerCall)));
    const std::vector<Uuid> kept = client_.get().heartbeat(settings_.worker, part, settings_.lease);
    for (const auto& lost : ledger_.apply_heartbeat(part, kept)) {
      counters_.leases_lost.fetch_add(1);
      log_("lease lost on execution " + lost.id.to_string() + " (attempt " + std::to_string(lost.attempt) +
           "): its handler is told to stop, its outcome will not be written");
    }
  }
}

}  // namespace runstore::detail
