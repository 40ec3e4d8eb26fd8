// worker_ledger.hpp: the leases a worker holds and the outcomes waiting to be
// written, shared by the claim loop, the handler threads and the heartbeat.
//
// A claim is named by (id, attempt): the attempt is the fencing token, and
// the same id may come back later at a higher attempt (after a retryable
// failure, or when our own lease ran out and we claimed it again).  A claim
// stays here from dequeue until its outcome was written or dropped: the
// number of entries is what the worker holds (running, claimed ahead and
// waiting for a handler thread, or finished with its outcome unwritten).
#pragma once

#include <cstddef>
#include <map>
#include <memory>
#include <mutex>
#include <utility>
#include <vector>

#include "runstore/queue_types.hpp"
#include "runstore/uuid.hpp"
#include "runstore/worker.hpp"

namespace runstore::detail {

// What a handler returned for one claim.
struct Outcome {
  HeldLease lease;
  HandlerResult result;
};

class Ledger {
 public:
  enum class Phase {
    waiting,   // claimed, handler not started (an older claim of its id still runs here)
    buffered,  // claimed ahead: queued for a handler thread, not started
    running,   // handler running
    finished,  // handler returned; outcome queued for the claim loop
    released,  // handed back at shutdown: whatever the handler returns is dropped
  };

  // A new claim; returns the context its handler will get.
  std::shared_ptr<JobContext> add(const HeldLease& lease, Phase phase);
  void set_phase(const HeldLease& lease, Phase phase);
  // A handler thread takes a buffered claim: true (and now running) unless
  // it was lost or released meanwhile, when the handler must not run.
  bool start(const HeldLease& lease);
  // Whether a handler for some claim of `id` is running (or has not yet had
  // its outcome consumed): a newer claim of `id` must wait for it.
  [[nodiscard]] bool handler_active(const Uuid& id) const;
  // Forgets a claim whose outcome was written or dropped.
  void erase(const HeldLease& lease);
  [[nodiscard]] std::size_t size() const;
  // Claims whose handler is running now.
  [[nodiscard]] std::size_t running() const;
  [[nodiscard]] bool empty() const { return size() == 0; }

  // Fencing: the database no longer lets us hold this claim.  Tells its
  // handler; true the first time (for the leases_lost counter).
  bool mark_lost(const HeldLease& lease);
  [[nodiscard]] bool is_lost(const HeldLease& lease) const;
  // The database just gave us `lease` (a new claim of its id): every older
  // claim of that id we still hold was lost, its lease having ended.
  // Returns those newly marked lost.
  std::vector<HeldLease> supersede(const HeldLease& lease);
  [[nodiscard]] bool is_released(const HeldLease& lease) const;

  // The leases to extend: every claim not lost nor released.
  [[nodiscard]] std::vector<HeldLease> live_leases() const;
  // After a heartbeat of `sent`: the claims missing from `kept` whose
  // handler still runs (or waits) are lost; returns them, newly lost only.
  // Finished claims are left to the claim loop: their outcome may just have
  // been written, which also ends the lease.
  std::vector<HeldLease> apply_heartbeat(const std::vector<HeldLease>& sent, const std::vector<Uuid>& kept);

  // Handler threads report here; the outcome is queued for the claim loop.
  // Returns what the claim loop may want to hear of at once.
  struct Finished {
    std::size_t outcomes_waiting;  // queued for the claim loop, this one included
    bool claim_waits;              // a newer claim of the same id waits for this handler
  };
  Finished finish(Outcome outcome);
  std::vector<Outcome> take_outcomes();
  [[nodiscard]] bool has_outcomes() const;

  // Shutdown: every handler is told to finish soon.
  void request_stop_all();
  // The claims whose handler has not finished (running or waiting) and are
  // not lost; each is marked released and its handler told to stop.
  std::vector<HeldLease> release_unfinished();
  // Whether any handler is running or waiting (lost ones included: their
  // threads are still busy).
  [[nodiscard]] bool any_unfinished() const;

 private:
  struct Entry {
    std::shared_ptr<JobContext> ctx;
    Phase phase = Phase::waiting;
    bool lost = false;
  };
  using Key = std::pair<Uuid, std::int32_t>;
  static Key key(const HeldLease& l) { return {l.id, l.attempt}; }
  // The lease an entry stands for, with its workspace when the claim gave one.
  static HeldLease held(const Key& k, const Entry& e) {
    return e.ctx != nullptr ? e.ctx->lease() : HeldLease{k.first, k.second};
  }

  mutable std::mutex mutex_;
  std::map<Key, Entry> entries_;
  std::vector<Outcome> outcomes_;
};

}  // namespace runstore::detail
