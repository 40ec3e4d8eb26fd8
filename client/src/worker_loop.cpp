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
      client_(client_options()) {}

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
    bool full = false;
    if (!settle_and_claim(true, full)) {
      idle_.report(false, 0);
      error_backoff_ = std::clamp(error_backoff_ * 2, kMinErrorBackoff, kMaxErrorBackoff);
      sleep_until(Clock::now() + error_backoff_);
      continue;
    }
    error_backoff_ = milliseconds(0);
    // Idle: it asked for more than was due and has nothing left to write.
    // Only then does the waiter wait for work in the database: with every
    // slot busy, due work would wake it again and again for nothing.
    idle_.report(last_asked_ > 0 && last_claimed_ < static_cast<std::size_t>(last_asked_) && unwritten_.empty(),
                 last_claimed_);
    // Run until empty: a claim found nothing, nothing runs or waits to run,
    // and every outcome is written.
    if (options_.stop_when_idle && last_asked_ > 0 && last_claimed_ == 0 && ledger_.size() == 0 && unwritten_.empty() &&
        waiting_.empty())
      return;
    if (!full) wakeup_.wait(std::min(options_.poll_interval, wait_hint_));
    wait_hint_ = options_.poll_interval;
  }
}

bool ClaimLoop::accept_claims(std::vector<Execution>& rows, int n) {
  counters_.claimed.fetch_add(rows.size());
  for (auto& e : rows) {
    const HeldLease lease{e.id, e.attempt};
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
      auto ctx = ledger_.add(lease, Ledger::Phase::running);
      pool_->submit(std::move(e), std::move(ctx));
    }
  }
  return static_cast<int>(rows.size()) == n;
}

bool ClaimLoop::settle() {
  bool full = false;
  return settle_and_claim(false, full);
}

bool ClaimLoop::settle_and_claim(bool claim, bool& full) {
  last_asked_ = 0;
  last_claimed_ = 0;
  for (auto& o : ledger_.take_outcomes()) unwritten_.push_back(Pending{std::move(o), false});
  std::vector<Pending> successes, failures;
  for (auto& p : unwritten_) {
    const HeldLease& l = p.outcome.lease;
    if (ledger_.is_lost(l) || ledger_.is_released(l)) {
      done_with(l);  // fenced off, or handed back at shutdown: never written
      continue;
    }
    (p.outcome.result.ok ? successes : failures).push_back(std::move(p));
  }
  unwritten_.clear();
  // The slots the successes hold are free once they are written, so the
  // next batch is claimed in the same round trip as they are completed.
  const int free = options_.slots - static_cast<int>(ledger_.size()) + static_cast<int>(successes.size());
  const int still_running = static_cast<int>(ledger_.size() - successes.size() - failures.size());
  // A claim is a scan of the claim index, the costliest call, and every
  // round trip ends in a commit: claim a whole batch at a time when it can.
  // Until a batch's worth of slots is free (or nothing runs any more), the
  // step waits a moment (kCoalesce) for the running handlers, so that one
  // round trip writes their successes with the next full claim; after that
  // moment it claims what is free.
  const bool batch_ready = free >= options_.batch_size || still_running == 0;
  if (claim && !stop_.load() && !batch_ready && failures.empty()) {
    const auto now = Clock::now();
    if (!deferred_since_) deferred_since_ = now;
    if (now < *deferred_since_ + kCoalesce) {
      for (auto& p : successes) unwritten_.push_back(std::move(p));
      wait_hint_ = std::chrono::duration_cast<milliseconds>(*deferred_since_ + kCoalesce - now) + milliseconds(1);
      return true;
    }
  }
  deferred_since_.reset();
  const bool want_claim = claim && !stop_.load() && free > 0;
  try {
    while (!failures.empty()) {
      write_failure(failures.back());
      failures.pop_back();
    }
    const int n = want_claim ? std::min(free, options_.batch_size) : 0;
    std::vector<Execution> claimed = write_successes(successes, n);
    last_asked_ = n;
    last_claimed_ = claimed.size();
    if (n > 0) full = accept_claims(claimed, n);
    return true;
  } catch (const std::exception& e) {
    // Kept, with their leases (the heartbeat goes on extending them), and
    // written on a later turn.
    for (auto* v : {&successes, &failures}) {
      for (auto& p : *v) unwritten_.push_back(std::move(p));
    }
    log_(unwritten_.empty()
             ? "dequeue failed: " + describe(e)
             : "writing " + std::to_string(unwritten_.size()) + " outcome(s) failed, will retry: " + describe(e));
    return false;
  }
}

std::vector<Execution> ClaimLoop::write_successes(std::vector<Pending>& batch, int claim) {
  if (batch.empty() && claim <= 0) return {};
  if (batch.empty()) return client_.get().dequeue(options_.name, claim, options_.lease);
  std::vector<Completion> completions;
  completions.reserve(batch.size());
  for (const auto& p : batch) {
    completions.push_back(Completion{p.outcome.lease.id, p.outcome.lease.attempt, p.outcome.result.result});
  }
  Client::CompletedAndClaimed step;
  try {
    step = client_.get().complete_many_and_dequeue(options_.name, completions, claim, options_.lease);
  } catch (...) {
    for (auto& p : batch) p.tried = true;
    throw;
  }
  std::vector<bool>& done = step.completed;
  // A result the server refused (not valid JSON, say) is the handler's
  // failure: recorded as one, so the execution is retried or fails for good
  // instead of holding its slot forever.
  std::vector<bool> refused_by_error(batch.size(), false);
  for (const auto& [i, error] : step.errors) {
    refused_by_error[i] = true;
    Pending failure{Outcome{batch[i].outcome.lease,
                            HandlerResult::failure("the server refused the handler's result: " +
                                                   std::string(error.what()) + " (SQLSTATE " + error.sqlstate() + ")")},
                    false};
    write_failure(failure);
  }
  // A refusal after an earlier try that threw may be that try's success:
  // the row tells (succeeded at this very attempt).  Read before counting
  // anything, so a throw here leaves the whole batch to be written again.
  std::vector<Uuid> check;
  for (std::size_t i = 0; i < batch.size(); ++i) {
    if (!done[i] && batch[i].tried) check.push_back(batch[i].outcome.lease.id);
  }
  const auto rows = read_back(check);
  for (std::size_t i = 0; i < batch.size(); ++i) {
    if (refused_by_error[i]) continue;  // written as a failure above
    const HeldLease& l = batch[i].outcome.lease;
    auto row = rows.find(l.id);
    const bool ours =
        done[i] || (row != rows.end() && row->second.status == Status::succeeded && row->second.attempt == l.attempt);
    if (ours) {
      counters_.succeeded.fetch_add(1);
    } else {
      on_refused(l, "complete");
    }
    done_with(l);
  }
  batch.clear();
  return std::move(step.claimed);
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
    ours = row != rows.end() && row->second.attempt == l.attempt &&
           (row->second.status == Status::queued || row->second.status == Status::failed) &&
           row->second.error == r.error;
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
  ledger_.set_phase(lease, Ledger::Phase::running);
  pool_->submit(std::move(w.execution), std::move(w.ctx));
}

void ClaimLoop::shut_down() {
  const auto deadline = Clock::now() + options_.shutdown_deadline;
  // Said only when there is something to wait for: a worker stopping idle
  // (or run until empty) stops silently.
  if (ledger_.size() > 0)
    log_("stopping: no new claims; waiting up to " + std::to_string(options_.shutdown_deadline.count()) + " ms for " +
         std::to_string(ledger_.size()) + " claimed execution(s)");
  ledger_.request_stop_all();
  // Claims that never started have nothing to finish: hand them back now.
  for (auto& [id, w] : waiting_) {
    const HeldLease lease = w.ctx->lease();
    ledger_.set_phase(lease, Ledger::Phase::released);
    release(lease);
    ledger_.erase(lease);
  }
  waiting_.clear();
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

void ClaimLoop::release(const HeldLease& lease) {
  try {
    const FailOutcome r =
        client_.get().fail(options_.name, lease, "released: worker " + options_.name + " shutting down", true);
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
