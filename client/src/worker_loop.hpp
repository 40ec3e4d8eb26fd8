// worker_loop.hpp: the claim loop, the body of Worker::run().
//
// One thread: it claims (dequeue), hands executions to the handler threads
// (claiming ahead of them, up to a bound), and writes their outcomes in
// batches: the finished successes and failures and the next claim in one
// round trip and one commit (report_and_dequeue: one statement per kind
// over arrays), always at the claim's attempt.  Its round trips go out on
// two lanes (worker_lane.hpp), so a second step is on its way while the
// first waits for the server; the loop itself only decides.  It
// owns the heartbeat and waiter threads for the duration of run(), and tells
// the waiter after each step whether it is idle.  When nothing is due it
// sleeps on the Wakeup until the waiter finds work due, a handler finishes,
// request_stop() or the poll interval.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <vector>

#include "runstore/worker.hpp"
#include "worker_lane.hpp"
#include "worker_ledger.hpp"
#include "worker_pool.hpp"
#include "worker_support.hpp"
#include "worker_waiter.hpp"
#include "worker_wakeup.hpp"

namespace runstore::detail {

class ClaimLoop {
 public:
  // `options` is resolved: name set, heartbeat_interval nonzero.
  ClaimLoop(const WorkerOptions& options, const Handler& handler, const Wakeup& wakeup, const std::atomic<bool>& stop,
            WorkerCounters& counters, const WorkerLog& log);

  void run();

 private:
  // An outcome on its way to the database.  `tried`: an earlier write threw,
  // so it may have been applied; a refusal is then checked against the row.
  struct Pending {
    Outcome outcome;
    bool tried = false;
  };
  // A claim whose id still has an older claim's handler running here: it
  // starts when that handler returns (never two handlers for one id).
  struct Waiting {
    Execution execution;
    std::shared_ptr<JobContext> ctx;
  };

  void serve();
  void shut_down();
  // Sends the next step on an idle lane, if one is due: the outcomes ready
  // to write and, if `claim`, a claim for the places free.  True if sent.
  bool settle_and_claim(bool claim);
  // Takes the lanes' answers and acts on them; true if there was one.
  bool take_answers();
  // Writes the outcomes ready, synchronously, on the loop's own connection
  // (shutdown, once the lanes are quiet).  False if the call threw.
  bool settle();
  // Moves the handlers' finished outcomes into unwritten_ and takes one
  // batch of each kind out of it; drops those no longer ours.
  void gather_outcomes(std::vector<Pending>& successes, std::vector<Pending>& failures);
  // Acts on a step's answer: counts, fences, reads back; frees the places.
  void finish_step(std::vector<Pending>& successes, std::vector<Pending>& failures, Client::Reported& step);
  static std::vector<Completion> completions_of(const std::vector<Pending>& successes);
  static std::vector<Failure> failures_of(const std::vector<Pending>& failures);
  static void mark_tried(std::vector<Pending>& successes, std::vector<Pending>& failures);
  StepLane* idle_lane();
  [[nodiscard]] bool lanes_busy() const;
  [[nodiscard]] int in_flight_claims() const;
  [[nodiscard]] std::size_t in_flight_outcomes() const;
  void drain_lanes();
  bool accept_claims(std::vector<Execution>& rows, int n);  // true if a full batch came back
  // Completes `batch` and dequeues up to `claim` in one round trip; returns
  // the executions claimed.
  void keep_unwritten(std::vector<Pending>& successes, std::vector<Pending>& failures);
  // A refused failure that an earlier, lost try may have written.
  static bool failed_at(const Execution& row, const HeldLease& lease, const std::string& error);
  void write_failure(Pending& p);  // one failure on its own (a result the server refused)
  // How many executions may wait claimed ahead of the handlers now.
  int claim_ahead_limit();
  // Hands back claims whose handler never started (release_many).
  void release_unstarted(const std::vector<HeldLease>& leases);
  std::map<Uuid, Execution> read_back(const std::vector<Uuid>& ids);
  void done_with(const HeldLease& lease);
  void on_refused(const HeldLease& lease, const char* call);
  void start_waiting(const Uuid& id);
  void release(const HeldLease& lease);
  // Sleeps until `until` or request_stop(); true if stop was requested.
  bool sleep_until(std::chrono::steady_clock::time_point until);
  [[nodiscard]] ClientOptions client_options() const;
  // Shutdown's calls (once the lanes are quiet): on a lane's open connection.
  Client& shutdown_client();

  const WorkerOptions& options_;
  const Handler& handler_;
  const Wakeup& wakeup_;
  const std::atomic<bool>& stop_;
  WorkerCounters& counters_;
  const WorkerLog& log_;
  LazyClient client_;  // shutdown's writes, single failures, read-backs
  // A step on its way on a lane: what it writes and how many it claims.
  struct InFlight {
    std::vector<Pending> successes, failures;
    int claim = 0;
  };
  std::array<StepLane, 2> lanes_;
  std::array<InFlight, 2> in_flight_;
  bool last_error_ = false;  // an answer was an error: back off
  bool queue_dry_ = false;   // the last claim came back short
  Ledger ledger_;
  std::map<Uuid, Waiting> waiting_;
  std::vector<Pending> unwritten_;
  HandlerPool* pool_ = nullptr;  // set for the duration of run()
  std::chrono::milliseconds error_backoff_{0};
  // Automatic claim-ahead: the buffer holds about the executions the
  // handlers finished in the last kClaimAheadWindow, at most kMaxClaimAhead.
  static constexpr std::chrono::milliseconds kClaimAheadWindow{100};
  static constexpr std::size_t kMaxClaimAhead = 1000;
  std::chrono::steady_clock::time_point window_start_{};
  std::size_t window_finished_ = 0, last_window_finished_ = 0;
  // Outcomes (and executions claimed) per round trip: runstore.max_batch_size's
  // default, halved whenever the server refuses a batch as too large.
  int report_limit_ = 500;
  std::chrono::steady_clock::time_point first_unwritten_at_{};
  // The last step left outcomes for the next round trip: no waiting first.
  bool backlog_ = false;
  std::chrono::milliseconds wait_hint_ = std::chrono::milliseconds::max();
  // The last step's claim: executions asked for (0: none) and received.
  int last_asked_ = 0;
  std::size_t last_claimed_ = 0;
  IdleState idle_;  // what the waiter thread reads
};

}  // namespace runstore::detail
