// worker_loop.cpp: see worker_loop.hpp.
#include "worker_loop.hpp"

#include <algorithm>
#include <exception>

#include "worker_heartbeat.hpp"
#include "worker_waiter.hpp"

namespace runstore::detail {

namespace {
using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

// When the database stays unreachable past the client's own retries, the
// loop waits this long (doubling) before it tries again.
constexpr milliseconds kMinErrorBackoff{100};
constexpr milliseconds kMaxErrorBackoff{5000};

// The waiter's longest wait_for_work call: also about how long it may take
// to stop.  Its own connection's retries stop after kWaitRetryBudget, then
// it backs off and tries again by itself.
constexpr milliseconds kMaxWaitSlice{500};
constexpr milliseconds kWaitRetryBudget{1000};

std::string lease_text(const HeldLease& l) {
  return "execution " + l.id.to_string() + " (attempt " + std::to_string(l.attempt) + ")";
}
}  // namespace

ClaimLoop::ClaimLoop(const WorkerOptions& options, const Handler& handler, const Wakeup& wakeup,
                     const std::atomic<bool>& stop, WorkerCounters& counters, const WorkerLog& log)
    : options_(options),
      handler_(handler),
      wakeup_(wakeup),
      stop_(stop),
      counters_(counters),
      log_(log),
      client_(client_options()),
      lanes_{StepLane(client_options(), options_.name, options_.lease, wakeup_),
             StepLane(client_options(), options_.name, options_.lease, wakeup_)} {}

Client& ClaimLoop::shutdown_client() {
  StepLane& lane = lanes_.front();
  return lane.busy() ? client_.get() : lane.idle_client();
}

ClientOptions ClaimLoop::client_options() const {
  return ClientOptions{options_.conninfo, options_.statement_mode, options_.retry, options_.queue_function_schema};
}

void ClaimLoop::run() {
  // Declared in this order so that an unexpected exception stops the
  // waiter and the heartbeat before it joins the handler threads.
  HandlerPool pool(options_.slots, handler_, ledger_, wakeup_);
  pool_ = &pool;
  // A beat that cannot get through within one interval gives way to the
  // next one (which carries the current set of leases) rather than retrying
  // on past the lease's end.
  ClientOptions beat_client = client_options();
  beat_client.retry.max_elapsed = std::min(beat_client.retry.max_elapsed, options_.heartbeat_interval);
  Heartbeat heartbeat({options_.name, options_.lease, options_.heartbeat_interval}, std::move(beat_client), ledger_,
                      counters_, log_);
  // Nothing is lost between the first claim and the waiter's first wait:
  // wait_for_work looks for due work before it sleeps.
  ClientOptions wait_client = client_options();
  if (options_.listen_conninfo) wait_client.conninfo = *options_.listen_conninfo;
  wait_client.retry.max_elapsed = std::min(wait_client.retry.max_elapsed, kWaitRetryBudget);
  WorkWaiter waiter(
      std::move(wait_client), idle_, wakeup_, log_,
      {std::min(options_.poll_interval, kMaxWaitSlice), std::min(options_.poll_interval, milliseconds(1000)),
       options_.poll_interval, !options_.listen_conninfo.has_value()});
  try {
    serve();
    waiter.stop();  // no more claims: nothing to wait for
    shut_down();
  } catch (...) {
    // Not a database error (those are logged and retried): out of memory
    // or the like.  Tell the handlers, so the pool's join ends.
    ledger_.request_stop_all();
    pool_ = nullptr;
    throw;
  }
  heartbeat.stop();  // after the last outcome is written: leases held to the end
  pool_ = nullptr;
}

void ClaimLoop::serve() {
  while (!stop_.load()) {
    // Answers first: what they claimed, and the places they freed.
    const bool answered = take_answers();
    if (last_error_) {
      last_error_ = false;
      idle_.report(false, 0);
      error_backoff_ = std::clamp(error_backoff_ * 2, kMinErrorBackoff, kMaxErrorBackoff);
      if (sleep_until(Clock::now() + error_backoff_)) break;
      continue;
    }
    if (answered) error_backoff_ = milliseconds(0);
    const bool sent = settle_and_claim(true);
    const bool in_flight = lanes_busy();
    // Idle: its last claim asked for more than was due, and nothing is left
    // to write or on its way.  Only then does the waiter wait for work in
    // the database: with every slot busy, due work would wake it again and
    // again for nothing.
    if (answered || !in_flight) {
      idle_.report(
          last_asked_ > 0 && last_claimed_ < static_cast<std::size_t>(last_asked_) && unwritten_.empty() && !in_flight,
          last_claimed_);
    }
    // Run until empty: a claim found nothing, nothing runs or waits to run,
    // and every outcome is written.
    if (options_.stop_when_idle && last_asked_ > 0 && last_claimed_ == 0 && ledger_.size() == 0 && unwritten_.empty() &&
        waiting_.empty() && !in_flight)
      return;
    // Look again at once after news, or with outcomes left over for a lane
    // that is free; otherwise sleep until a handler, a lane or the waiter
    // rings.
    if (sent || answered || (backlog_ && idle_lane() != nullptr)) continue;
    wakeup_.wait(std::min(options_.poll_interval, wait_hint_));
    wait_hint_ = options_.poll_interval;
    queue_dry_ = false;
  }
}

bool ClaimLoop::accept_claims(std::vector<Execution>& rows, int n) {
  counters_.claimed.fetch_add(rows.size());
  std::vector<HandlerPool::Job> buffered;
  buffered.reserve(rows.size());
  for (auto& e : rows) {
    const HeldLease lease{e.id, e.attempt, e.workspace_id};
    // We hold an older claim of this id: its lease ended (heartbeats failed
    // while the server was away) and the database gave the execution out
    // again, to us.  The older run is fenced off.
    for (const auto& old : ledger_.supersede(lease)) {
      counters_.leases_lost.fetch_add(1);
      log_("lease lost on " + lease_text(old) + ": claimed again at attempt " + std::to_string(lease.attempt));
      auto w = waiting_.find(old.id);
      if (w != waiting_.end() && w->second.ctx->lease().attempt == old.attempt) {
        ledger_.erase(old);  // never started: nothing to wait for
        waiting_.erase(w);
      }
    }
    if (ledger_.handler_active(e.id)) {
      // Never two handlers for one execution in this process: the new claim
      // starts when the fenced-off handler returns.
      auto ctx = ledger_.add(lease, Ledger::Phase::waiting);
      waiting_[e.id] = Waiting{std::move(e), std::move(ctx)};
    } else {
      auto ctx = ledger_.add(lease, Ledger::Phase::buffered);
      buffered.push_back(HandlerPool::Job{std::move(e), std::move(ctx)});
    }
  }
  pool_->submit(std::move(buffered));
  return static_cast<int>(rows.size()) == n;
}

bool ClaimLoop::settle() {
  // At shutdown every step is written here, on the loop's own connection,
  // once the lanes are quiet.
  std::vector<Pending> successes, failures;
  gather_outcomes(successes, failures);
  if (successes.empty() && failures.empty()) return true;
  try {
    Client::Reported step;
    try {
      step = shutdown_client().report_and_dequeue(options_.name, completions_of(successes), failures_of(failures), 0,
                                                  options_.lease);
    } catch (...) {
      mark_tried(successes, failures);
      throw;
    }
    finish_step(successes, failures, step);
    return true;
  } catch (const std::exception& e) {
    keep_unwritten(successes, failures);
    log_("writing " + std::to_string(unwritten_.size()) + " outcome(s) failed, will retry: " + describe(e));
    return false;
  }
}

int ClaimLoop::claim_ahead_limit() {
  if (options_.claim_ahead >= 0) return options_.claim_ahead;
  // Automatic: as many as the handlers finished in the last window, so the
  // buffer holds about kClaimAheadWindow of work.  Handlers that take long
  // get next to nothing claimed ahead (no executions hoarded from other
  // workers, no lease held idle); short ones keep the buffer full while a
  // round trip is on its way.
  const auto now = Clock::now();
  if (now - window_start_ >= kClaimAheadWindow) {
    last_window_finished_ = now - window_start_ < 2 * kClaimAheadWindow ? window_finished_ : 0;
    window_finished_ = 0;
    window_start_ = now;
  }
  return static_cast<int>(std::min<std::size_t>(std::max(last_window_finished_, window_finished_), kMaxClaimAhead));
}

void ClaimLoop::gather_outcomes(std::vector<Pending>& successes, std::vector<Pending>& failures) {
  auto finished = ledger_.take_outcomes();
  window_finished_ += finished.size();
  if (unwritten_.empty() && !finished.empty()) first_unwritten_at_ = Clock::now();
  for (auto& o : finished) unwritten_.push_back(Pending{std::move(o), false});
  std::vector<Pending> later;
  for (auto& p : unwritten_) {
    const HeldLease& l = p.outcome.lease;
    if (ledger_.is_lost(l) || ledger_.is_released(l)) {
      done_with(l);  // fenced off, or handed back at shutdown: never written
      continue;
    }
    auto& kind = p.outcome.result.ok ? successes : failures;
    // At most one batch of each kind per round trip (runstore.max_batch_size).
    (static_cast<int>(kind.size()) < report_limit_ ? kind : later).push_back(std::move(p));
  }
  unwritten_ = std::move(later);
  backlog_ = !unwritten_.empty();
}

bool ClaimLoop::settle_and_claim(bool claim) {
  StepLane* lane = idle_lane();
  if (lane == nullptr) return false;  // both round trips in flight: wait for one
  const auto now = Clock::now();
  std::vector<Pending> successes, failures;
  gather_outcomes(successes, failures);
  const std::size_t writing = successes.size() + failures.size();
  // What the worker holds and has not run yet (running, claimed ahead, or
  // on its way from a claim in flight); the rest of its capacity (slots
  // plus claim-ahead) is free for the next claim.  Finished executions
  // whose outcomes wait or are being written hold no place.
  const int held =
      static_cast<int>(ledger_.size() - writing - unwritten_.size() - in_flight_outcomes()) + in_flight_claims();
  const int capacity = options_.slots + claim_ahead_limit();
  const int free = std::max(0, capacity - held);
  const int batch = options_.batch_size > 0 ? std::min(options_.batch_size, report_limit_) : report_limit_;
  pool_->set_batch(static_cast<std::size_t>(batch));
  // Outcomes wait to be written together (one statement per kind, one
  // commit) until a batch's worth is ready, the oldest has waited
  // report_delay, or nothing else runs (no reason to wait then).  A claim
  // goes out when the handler threads may soon run dry (fewer queued than
  // threads) or a whole batch is free, and always with outcomes being
  // written: in the same round trip, it costs no extra commit.
  const bool nothing_running = held == 0;
  const bool report_now =
      writing > 0 && (!unwritten_.empty() || static_cast<int>(writing) >= batch ||
                      now >= first_unwritten_at_ + options_.report_delay || nothing_running || stop_.load() || !claim);
  // After a claim came back short (nothing more was due), a claim on its
  // own waits for news: a handler finished, the waiter found work due, or
  // the poll interval passed.
  const bool claim_now = claim && !stop_.load() && free > 0 && !queue_dry_ &&
                         (pool_->queued() < static_cast<std::size_t>(options_.slots) || free >= batch);
  if (!report_now && !claim_now) {
    backlog_ = false;
    for (auto* v : {&successes, &failures}) {
      for (auto& p : *v) unwritten_.push_back(std::move(p));
    }
    if (writing > 0) {
      wait_hint_ =
          std::chrono::duration_cast<milliseconds>(first_unwritten_at_ + options_.report_delay - now) + milliseconds(1);
    }
    return false;
  }
  if (unwritten_.empty()) first_unwritten_at_ = now;
  const int n = claim && !stop_.load() ? std::min(free, batch) : 0;
  if (n == 0 && writing == 0) return false;
  StepLane::Request request{completions_of(successes), failures_of(failures), n};
  InFlight& slot = in_flight_[static_cast<std::size_t>(lane - lanes_.data())];
  slot = InFlight{std::move(successes), std::move(failures), n};
  lane->send(std::move(request));
  return true;
}

bool ClaimLoop::take_answers() {
  bool any = false;
  for (std::size_t i = 0; i < lanes_.size(); ++i) {
    auto answer = lanes_[i].take();
    if (!answer) continue;
    any = true;
    InFlight step = std::move(in_flight_[i]);
    in_flight_[i] = InFlight{};
    last_asked_ = step.claim;
    last_claimed_ = 0;
    try {
      if (answer->error) std::rethrow_exception(answer->error);
      finish_step(step.successes, step.failures, answer->reported);
      last_claimed_ = answer->reported.claimed.size();
      if (step.claim > 0) queue_dry_ = !accept_claims(answer->reported.claimed, step.claim);
    } catch (const ProgramLimitExceededError& e) {
      // The server's runstore.max_batch_size is below our batch: halve it.
      mark_tried(step.successes, step.failures);
      keep_unwritten(step.successes, step.failures);
      report_limit_ = std::max(1, report_limit_ / 2);
      log_("the server refused a batch (" + std::string(e.what()) + "); batches are now at most " +
           std::to_string(report_limit_));
      last_error_ = true;
    } catch (const std::exception& e) {
      // Kept, with their leases (the heartbeat goes on extending them), and
      // written on a later turn.
      mark_tried(step.successes, step.failures);
      keep_unwritten(step.successes, step.failures);
      log_(unwritten_.empty()
               ? "dequeue failed: " + describe(e)
               : "writing " + std::to_string(unwritten_.size()) + " outcome(s) failed, will retry: " + describe(e));
      last_error_ = true;
    }
  }
  return any;
}

StepLane* ClaimLoop::idle_lane() {
  for (auto& lane : lanes_) {
    if (!lane.busy()) return &lane;
  }
  return nullptr;
}

bool ClaimLoop::lanes_busy() const {
  return std::any_of(lanes_.begin(), lanes_.end(), [](const StepLane& l) { return l.busy(); });
}

std::size_t ClaimLoop::in_flight_outcomes() const {
  std::size_t n = 0;
  for (std::size_t i = 0; i < lanes_.size(); ++i) {
    if (lanes_[i].busy()) n += in_flight_[i].successes.size() + in_flight_[i].failures.size();
  }
  return n;
}

int ClaimLoop::in_flight_claims() const {
  int n = 0;
  for (std::size_t i = 0; i < lanes_.size(); ++i) {
    if (lanes_[i].busy()) n += in_flight_[i].claim;
  }
  return n;
}

// Waits for every step in flight and takes its answer (shutdown).
void ClaimLoop::drain_lanes() {
  while (lanes_busy()) {
    take_answers();
    if (lanes_busy()) wakeup_.wait(milliseconds(100));
  }
  take_answers();
  last_error_ = false;
}

std::vector<Completion> ClaimLoop::completions_of(const std::vector<Pending>& successes) {
  std::vector<Completion> out;
  out.reserve(successes.size());
  for (const auto& p : successes) {
    out.push_back(
        Completion{p.outcome.lease.id, p.outcome.lease.attempt, p.outcome.result.result, p.outcome.lease.workspace_id});
  }
  return out;
}

std::vector<Failure> ClaimLoop::failures_of(const std::vector<Pending>& failures) {
  std::vector<Failure> out;
  out.reserve(failures.size());
  for (const auto& p : failures) {
    const HandlerResult& r = p.outcome.result;
    out.push_back(
        Failure{p.outcome.lease.id, p.outcome.lease.attempt, r.error, r.retryable, p.outcome.lease.workspace_id});
  }
  return out;
}

void ClaimLoop::mark_tried(std::vector<Pending>& successes, std::vector<Pending>& failures) {
  for (auto* v : {&successes, &failures}) {
    for (auto& p : *v) p.tried = true;
  }
}

void ClaimLoop::keep_unwritten(std::vector<Pending>& successes, std::vector<Pending>& failures) {
  for (auto* v : {&successes, &failures}) {
    for (auto& p : *v) unwritten_.push_back(std::move(p));
  }
}

void ClaimLoop::finish_step(std::vector<Pending>& successes, std::vector<Pending>& failures, Client::Reported& step) {
  // A result the server refused (not valid JSON, say) is the handler's
  // failure: recorded as one, so the execution is retried or fails for good
  // instead of holding its slot forever.
  std::vector<bool> refused_by_error(successes.size(), false);
  for (const auto& [i, error] : step.errors) {
    refused_by_error[i] = true;
    Pending failure{Outcome{successes[i].outcome.lease,
                            HandlerResult::failure("the server refused the handler's result: " +
                                                   std::string(error.what()) + " (SQLSTATE " + error.sqlstate() + ")")},
                    false};
    write_failure(failure);
  }
  // A refusal after an earlier try that threw may be that try's write: the
  // row tells (succeeded, or failed with our error, at this very attempt).
  // Read before counting anything, so a throw here leaves the whole batch
  // to be written again.
  std::vector<Uuid> check;
  for (std::size_t i = 0; i < successes.size(); ++i) {
    if (!step.completed[i] && successes[i].tried) check.push_back(successes[i].outcome.lease.id);
  }
  for (std::size_t i = 0; i < failures.size(); ++i) {
    if (step.failed[i] == FailOutcome::refused && failures[i].tried) check.push_back(failures[i].outcome.lease.id);
  }
  const auto rows = read_back(check);
  for (std::size_t i = 0; i < successes.size(); ++i) {
    if (refused_by_error[i]) continue;  // written as a failure above
    const HeldLease& l = successes[i].outcome.lease;
    auto row = rows.find(l.id);
    const bool ours = step.completed[i] || (row != rows.end() && row->second.status == Status::succeeded &&
                                            row->second.attempt == l.attempt);
    if (ours) {
      counters_.succeeded.fetch_add(1);
    } else {
      on_refused(l, "complete");
    }
    done_with(l);
  }
  for (std::size_t i = 0; i < failures.size(); ++i) {
    const HeldLease& l = failures[i].outcome.lease;
    auto row = rows.find(l.id);
    const bool ours = step.failed[i] != FailOutcome::refused ||
                      (row != rows.end() && failed_at(row->second, l, failures[i].outcome.result.error));
    if (ours) {
      counters_.failed.fetch_add(1);
    } else {
      on_refused(l, "fail");
    }
    done_with(l);
  }
  successes.clear();
  failures.clear();
}

bool ClaimLoop::failed_at(const Execution& row, const HeldLease& lease, const std::string& error) {
  return row.attempt == lease.attempt && (row.status == Status::queued || row.status == Status::failed) &&
         row.error == error;
}

void ClaimLoop::write_failure(Pending& p) {
  const HeldLease& l = p.outcome.lease;
  const HandlerResult& r = p.outcome.result;
  FailOutcome outcome;
  try {
    outcome = client_.get().fail(options_.name, l, r.error, r.retryable);
  } catch (...) {
    p.tried = true;
    throw;
  }
  bool ours = outcome != FailOutcome::refused;
  if (!ours && p.tried) {
    // As for complete: an earlier try may have applied it.
    const auto rows = read_back({l.id});
    auto row = rows.find(l.id);
    ours = row != rows.end() && failed_at(row->second, l, r.error);
  }
  if (ours) {
    counters_.failed.fetch_add(1);
  } else {
    on_refused(l, "fail");
  }
  done_with(l);
}

std::map<Uuid, Execution> ClaimLoop::read_back(const std::vector<Uuid>& ids) {
  std::map<Uuid, Execution> out;
  if (ids.empty()) return out;
  try {
    for (auto& e : client_.get().get_executions_by_ids(ids)) out.emplace(e.id, std::move(e));
  } catch (const InsufficientPrivilegeError&) {
    // A worker role without SELECT (docs/roles.sql) cannot look: the
    // refusal stands, and the outcome counts as not ours.
  }
  return out;
}

// The claim is settled (written, dropped or released): it frees its slot,
// and a newer claim of the same id may now start.
void ClaimLoop::done_with(const HeldLease& lease) {
  ledger_.erase(lease);
  start_waiting(lease.id);
}

void ClaimLoop::on_refused(const HeldLease& lease, const char* call) {
  if (ledger_.mark_lost(lease)) counters_.leases_lost.fetch_add(1);
  log_(std::string(call) + " refused for " + lease_text(lease) +
       ": the lease was lost (cancelled, or expired and claimed again); outcome dropped");
}

void ClaimLoop::start_waiting(const Uuid& id) {
  if (stop_.load()) return;  // at shutdown, waiting claims are released instead
  auto it = waiting_.find(id);
  if (it == waiting_.end() || ledger_.handler_active(id)) return;
  Waiting w = std::move(it->second);
  waiting_.erase(it);
  const HeldLease lease = w.ctx->lease();
  if (ledger_.is_lost(lease)) {
    ledger_.erase(lease);
    return;
  }
  ledger_.set_phase(lease, Ledger::Phase::buffered);
  pool_->submit(std::move(w.execution), std::move(w.ctx));
}

void ClaimLoop::shut_down() {
  const auto deadline = Clock::now() + options_.shutdown_deadline;
  // Steps on their way come back first: what they claimed is handed back below.
  drain_lanes();
  ledger_.request_stop_all();
  // Claims that never started (claimed ahead, or waiting for an older claim
  // of their id) have nothing to finish: hand them back now, in one call,
  // with their attempts given back.
  std::vector<HeldLease> unstarted = pool_->take_queued();
  for (auto& [id, w] : waiting_) unstarted.push_back(w.ctx->lease());
  waiting_.clear();
  for (const auto& lease : unstarted) ledger_.set_phase(lease, Ledger::Phase::released);
  release_unstarted(unstarted);
  for (const auto& lease : unstarted) ledger_.erase(lease);
  // Said only when there is something to wait for: a worker stopping idle
  // (or run until empty) stops silently, and outcomes merely waiting to be
  // written are no handler to wait for.
  if (const std::size_t running = ledger_.running(); running > 0)
    log_("stopping: no new claims; waiting up to " + std::to_string(options_.shutdown_deadline.count()) + " ms for " +
         std::to_string(running) + " claimed execution(s) whose handlers run");
  // Let running handlers finish, writing outcomes as they come.
  for (;;) {
    const bool ok = settle();
    if (ok && unwritten_.empty() && !ledger_.any_unfinished()) break;
    const auto now = Clock::now();
    if (now >= deadline) break;
    const auto left = std::chrono::duration_cast<milliseconds>(deadline - now) + milliseconds(1);
    wakeup_.wait(ok ? left : std::min(left, milliseconds(200)));
  }
  // Past the deadline: release what still runs, so another worker retries
  // it now rather than when our lease would have ended.
  const auto overran = ledger_.release_unfinished();
  for (const auto& lease : overran) release(lease);
  if (!overran.empty()) {
    log_("released " + std::to_string(overran.size()) +
         " execution(s) whose handler overran the shutdown deadline; waiting for those handlers to return");
  }
  pool_->stop_and_join();
  // Outcomes that arrived meanwhile: released ones are dropped, the others
  // written (a few tries: the client retries within each).
  for (int i = 0; i < 3 && !settle(); ++i) wakeup_.wait(milliseconds(500));
  if (!unwritten_.empty()) {
    log_("could not write " + std::to_string(unwritten_.size()) +
         " outcome(s) before exiting; those executions return to the queue when their leases end");
  }
}

void ClaimLoop::release_unstarted(const std::vector<HeldLease>& leases) {
  if (leases.empty()) return;
  try {
    const auto released = shutdown_client().release(options_.name, leases);
    counters_.released.fetch_add(released.size());
    if (released.size() < leases.size()) {
      log_(std::to_string(leases.size() - released.size()) +
           " execution(s) claimed ahead were no longer ours to release (lease lost)");
    }
  } catch (const std::exception& e) {
    log_("could not release " + std::to_string(leases.size()) +
         " execution(s) claimed ahead (they return to the queue when their leases end): " + describe(e));
  }
}

void ClaimLoop::release(const HeldLease& lease) {
  try {
    const FailOutcome r =
        shutdown_client().fail(options_.name, lease, "released: worker " + options_.name + " shutting down", true);
    if (r == FailOutcome::refused) {
      on_refused(lease, "release");
    } else {
      counters_.released.fetch_add(1);
    }
  } catch (const std::exception& e) {
    log_("could not release " + lease_text(lease) + " (it returns to the queue when its lease ends): " + describe(e));
  }
}

bool ClaimLoop::sleep_until(Clock::time_point until) {
  for (;;) {
    if (stop_.load()) return true;
    const auto now = Clock::now();
    if (now >= until) return false;
    wakeup_.wait(std::chrono::duration_cast<milliseconds>(until - now) + milliseconds(1));
  }
}

}  // namespace runstore::detail
