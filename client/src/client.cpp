// client.cpp: runstore::Client: each method binds its parameters, runs one
// statement through the retry loop, and decodes the answer.
#include "runstore/client.hpp"

#include <algorithm>
#include <atomic>
#include <limits>
#include <stdexcept>
#include <unordered_map>
#include <unordered_set>

#include "binary_reader.hpp"
#include "connection.hpp"
#include "enqueue_copy.hpp"
#include "enqueue_statement.hpp"
#include "execution_decoder.hpp"
#include "json_text.hpp"
#include "params.hpp"
#include "retrying.hpp"
#include "row_decoders.hpp"
#include "state_cache.hpp"
#include "statement.hpp"

namespace runstore {

namespace st = detail::statements;
namespace oid = detail::oid;
using detail::Params;

namespace {

constexpr const char* kEnqueueChannel = "runstore_enqueued";

// Binds an optional argument: `value` through the Params setter `bind` when
// present, else an SQL NULL of `null_type` (the functions read NULL as "not
// given": any workspace, any user, no result).
template <typename T, typename Bind>
Params& bind_or_null(Params& p, const std::optional<T>& value, unsigned null_type, Bind bind) {
  return value ? (p.*bind)(*value) : p.null(null_type);
}

Params& optional_workspace(Params& p, std::optional<std::int64_t> workspace_id) {
  return bind_or_null(p, workspace_id, oid::kInt8, &Params::int8);
}

Params& optional_lease(Params& p, std::optional<std::chrono::milliseconds> lease) {
  return lease ? p.interval(std::chrono::duration_cast<std::chrono::microseconds>(*lease)) : p.null(oid::kInterval);
}

}  // namespace

// dequeue, heartbeat, complete, fail, their batch forms and wait_for_work, in the schema the
// options name.
//
// wait_for_work is a procedure: CALL, with NULL for its OUT parameter, and
// its one row back as for a SELECT.  It must run outside a transaction
// block, where CALL is non-atomic and the procedure commits before it
// sleeps (no snapshot held while waiting).  Both statement modes keep that:
// a CALL sent through the extended protocol, as a named prepared statement
// or unnamed, runs at top level in an implicit transaction, not in a block
// (checked with pg_stat_activity.backend_xmin staying NULL during the wait:
// client_wait_test.cpp, HoldsNoSnapshotWhileItWaits).  It is never
// pipelined with other calls: every Client call commits on its own.
class QueueStatements {
 public:
  explicit QueueStatements(const std::string& schema)
      : dequeue_(make(schema, "dequeue", "SELECT * FROM %s.dequeue($1, $2, $3)")),
        heartbeat_(make(schema, "heartbeat", "SELECT h FROM %s.heartbeat($1, $2, $3, $4) AS h")),
        heartbeat_routed_(make(schema, "heartbeat_routed", "SELECT h FROM %s.heartbeat($1, $2, $3, $4, $5) AS h")),
        complete_(make(schema, "complete", "SELECT %s.complete($1, $2, $3, $4)")),
        fail_(make(schema, "fail", "SELECT %s.fail($1, $2, $3, $4, $5)")),
        complete_many_(make(schema, "complete_many", "SELECT c FROM %s.complete_many($1, $2, $3, $4, $5) AS c")),
        fail_many_(make(schema, "fail_many", "SELECT f.id, f.status FROM %s.fail_many($1, $2, $3, $4, $5, $6) AS f")),
        release_many_(make(schema, "release_many", "SELECT r FROM %s.release_many($1, $2, $3, $4) AS r")),
        wait_for_work_(make(schema, "wait_for_work", "CALL %s.wait_for_work($1, NULL)")) {}

  const detail::Statement& dequeue() const { return dequeue_.statement; }
  const detail::Statement& heartbeat() const { return heartbeat_.statement; }
  // With workspace_ids (0.4.0 and later): routed to each execution's node on Citus.
  const detail::Statement& heartbeat_routed() const { return heartbeat_routed_.statement; }
  const detail::Statement& complete() const { return complete_.statement; }
  const detail::Statement& fail() const { return fail_.statement; }
  const detail::Statement& complete_many() const { return complete_many_.statement; }
  const detail::Statement& fail_many() const { return fail_many_.statement; }
  const detail::Statement& release_many() const { return release_many_.statement; }
  const detail::Statement& wait_for_work() const { return wait_for_work_.statement; }

 private:
  // A statement whose text lives here; the Statement points into it.
  struct Owned {
    std::string name, sql;
    detail::Statement statement;
    Owned(std::string n, std::string q) : name(std::move(n)), sql(std::move(q)), statement{name.c_str(), sql.c_str()} {}
    Owned(const Owned&) = delete;
    Owned& operator=(const Owned&) = delete;
  };
  static Owned make(const std::string& schema, const char* function, const std::string& pattern) {
    const std::string quoted = detail::quote_identifier(schema);
    const std::size_t at = pattern.find("%s");
    std::string sql = pattern.substr(0, at) + quoted + pattern.substr(at + 2);
    // Two schemas never share a prepared name: the name hashes the text.
    std::string name = "runstore_" + std::string(function) + "_v1";
    return Owned(std::move(name), std::move(sql));
  }
  Owned dequeue_, heartbeat_, heartbeat_routed_, complete_, fail_, complete_many_, fail_many_, release_many_,
      wait_for_work_;
};

struct Client::Impl {
  ClientOptions options;
  QueueStatements queue;
  detail::Connection conn;
  std::uint64_t retries = 0;
  detail::StateCache states;
  detail::EnqueueStatements enqueues;
  // runstore.complete_many and fail_many exist (until a call finds not).
  bool batch_outcomes = true;
  // Large enqueues go by COPY (enqueue_copy.hpp), until the server refuses it.
  bool copy_enqueue = true;
  // Whether heartbeat takes workspace_ids (0.4.0 and later); learned from a 42883.
  bool routed_heartbeat = true;
  std::atomic<bool> waits_interrupted{false};  // interrupt_waits() was called

  explicit Impl(ClientOptions o)
      : options(std::move(o)),
        queue(options.queue_function_schema),
        conn(options.conninfo, options.statement_mode),
        states(options.state_cache_ttl, options.state_cache_max_entries) {
    if (options.queue_function_schema.empty()) throw std::invalid_argument("queue_function_schema must not be empty");
    conn.connect();
  }

  template <typename Body>
  auto call(Body&& body) {
    return detail::with_retries(conn, options.retry, retries, std::forward<Body>(body));
  }

  // The executions as they are now, to settle a lost reply.  A role that
  // may not read them (a worker under docs/roles.sql) learns nothing: the
  // outcome stays as the retry answered.
  std::vector<Execution> read_back(const std::vector<Uuid>& ids) {
    Params p;
    p.uuid_array(ids).null(oid::kInt8);
    try {
      auto r = conn.run(st::kGetByIds, p);
      return detail::decode_executions(r.get());
    } catch (const InsufficientPrivilegeError&) {
      return {};
    }
  }
};

Client::Client(const std::string& conninfo) : Client(ClientOptions{conninfo, StatementMode::prepared, {}}) {}
Client::Client(ClientOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}
Client::~Client() = default;
Client::Client(Client&&) noexcept = default;
Client& Client::operator=(Client&&) noexcept = default;

std::vector<Execution> Client::get_executions_by_ids(const std::vector<Uuid>& ids,
                                                     std::optional<std::int64_t> workspace_id) {
  Params p;
  optional_workspace(p.uuid_array(ids), workspace_id);
  return impl_->call([&](bool) { return detail::decode_executions(impl_->conn.run(st::kGetByIds, p).get()); });
}

std::vector<ExecutionState> Client::get_execution_states(const std::vector<Uuid>& ids,
                                                         std::optional<std::int64_t> workspace_id) {
  auto fetch = [&](const std::vector<Uuid>& wanted) {
    Params p;
    optional_workspace(p.uuid_array(wanted), workspace_id);
    return impl_->call(
        [&](bool) { return detail::decode_execution_states(impl_->conn.run(st::kGetStatesByIds, p).get()); });
  };
  if (!impl_->states.enabled()) return fetch(ids);
  return impl_->states.get(ids, workspace_id, fetch);
}

std::vector<RecentWorkflow> Client::recent_workflows(std::int64_t workspace_id, std::int32_t max_results,
                                                     const std::optional<std::string>& user_id) {
  Params p;
  bind_or_null(p.int8(workspace_id).int4(max_results), user_id, oid::kText, &Params::text);
  return impl_->call(
      [&](bool) { return detail::decode_recent_workflows(impl_->conn.run(st::kRecentWorkflows, p).get()); });
}

std::vector<QueueStatsRow> Client::queue_stats() {
  const Params none;
  return impl_->call([&](bool) { return detail::decode_queue_stats(impl_->conn.run(st::kQueueStats, none).get()); });
}

std::vector<Uuid> Client::delete_many(const std::vector<Uuid>& ids, std::optional<std::int64_t> workspace_id) {
  Params p;
  optional_workspace(p.uuid_array(ids), workspace_id);
  return impl_->call([&](bool) { return detail::decode_uuid_column(impl_->conn.run(st::kDeleteMany, p).get()); });
}

std::vector<Uuid> Client::delete_by_tag(const std::string& tag, std::int32_t max_rows,
                                        std::optional<std::int64_t> workspace_id) {
  Params p;
  optional_workspace(p.text(tag).int4(max_rows), workspace_id);
  return impl_->call([&](bool) { return detail::decode_uuid_column(impl_->conn.run(st::kDeleteByTag, p).get()); });
}

Uuid Client::enqueue(const NewExecution& execution) { return enqueue(std::vector<NewExecution>{execution}).front(); }

std::vector<Uuid> Client::enqueue(const std::vector<NewExecution>& executions) {
  std::vector<Uuid> ids;
  if (executions.empty()) return ids;
  // Only the columns some execution sets are sent (enqueue_statement.hpp).
  detail::EnqueueShape shape;
  shape.one_workspace = true;
  for (const NewExecution& e : executions) {
    shape.one_workspace = shape.one_workspace && e.workspace_id == executions.front().workspace_id;
    shape.workflow = shape.workflow || e.workflow_id.has_value();
    shape.user = shape.user || e.user_id.has_value();
    shape.tags = shape.tags || !e.tags.empty();
    shape.payload = shape.payload || e.payload.has_value();
    shape.priority = shape.priority || e.priority.has_value();
    shape.max_attempts = shape.max_attempts || e.max_attempts.has_value();
    shape.run_after = shape.run_after || e.run_after.has_value();
  }
  ids.reserve(executions.size());
  for (const NewExecution& e : executions) ids.push_back(e.id ? *e.id : Uuid::v7());
  shape.single = executions.size() == 1;
  detail::EnqueueShape skipping = shape;
  skipping.skip_stored = true;
  const detail::Statement& plain = impl_->enqueues.get(shape);
  const detail::Statement& skip_stored = impl_->enqueues.get(skipping);
  // The INSERT's parameters, made only if the INSERT runs.
  std::optional<Params> insert_params;
  const auto params = [&]() -> const Params& {
    if (!insert_params) insert_params = detail::enqueue_params(shape, executions, ids);
    return *insert_params;
  };
  const bool by_copy = impl_->copy_enqueue && detail::copy_can_send(shape, executions);
  // The first try is a plain INSERT (a large batch: a COPY).  A retry after
  // a lost reply inserts nothing new: the ids are already there, and it
  // skips them.  So does a batch that meets an id already stored (23505
  // rolled its first try back whole).
  impl_->call([&](bool reply_lost) {
    if (reply_lost) return impl_->conn.run(skip_stored, params(), PGRES_COMMAND_OK);
    try {
      if (by_copy && impl_->copy_enqueue) {
        try {
          return impl_->conn.copy_in(detail::copy_sql(shape), detail::copy_data(shape, executions, ids));
        } catch (const Error& e) {
          // Row-level security on the table (COPY FROM is refused, INSERT is
          // not), or a column whose type was changed (COPY's binary values
          // are of the shipped types; INSERT converts): insert from now on.
          if (e.sqlstate() != sqlstate::kFeatureNotSupported && e.sqlstate() != sqlstate::kInvalidBinaryRepresentation)
            throw;
          impl_->copy_enqueue = false;
        }
      }
      return impl_->conn.run(plain, params(), PGRES_COMMAND_OK);
    } catch (const IntegrityConstraintError& e) {
      if (e.sqlstate() != sqlstate::kUniqueViolation) throw;
      return impl_->conn.run(skip_stored, params(), PGRES_COMMAND_OK);
    }
  });
  return ids;
}

std::vector<Execution> Client::dequeue(const std::string& worker, std::int32_t max_jobs,
                                       std::optional<std::chrono::milliseconds> lease) {
  Params p;
  optional_lease(p.text(worker).int4(max_jobs), lease);
  return impl_->call([&](bool) { return detail::decode_executions(impl_->conn.run(impl_->queue.dequeue(), p).get()); });
}

std::vector<Uuid> Client::heartbeat(const std::string& worker, const std::vector<HeldLease>& leases,
                                    std::optional<std::chrono::milliseconds> lease) {
  if (leases.empty()) return {};
  std::vector<Uuid> ids;
  std::vector<std::int32_t> attempts;
  std::vector<std::optional<std::int64_t>> workspaces;
  ids.reserve(leases.size());
  attempts.reserve(leases.size());
  bool any_workspace = false;
  for (const HeldLease& l : leases) {
    ids.push_back(l.id);
    attempts.push_back(l.attempt);
    workspaces.push_back(l.workspace_id);
    any_workspace = any_workspace || l.workspace_id.has_value();
  }
  Params p;
  p.text(worker).uuid_array(ids);
  optional_lease(p, lease).int4_array(attempts);
  if (any_workspace && impl_->routed_heartbeat) {
    Params routed = p;
    routed.int8_array_or_null(workspaces);
    try {
      return impl_->call([&](bool) {
        return detail::decode_uuid_column(impl_->conn.run(impl_->queue.heartbeat_routed(), routed).get());
      });
    } catch (const Error& e) {
      // An extension older than heartbeat's workspace_ids: without them from now on.
      if (e.sqlstate() != sqlstate::kUndefinedFunction) throw;
      impl_->routed_heartbeat = false;
    }
  }
  return impl_->call(
      [&](bool) { return detail::decode_uuid_column(impl_->conn.run(impl_->queue.heartbeat(), p).get()); });
}

namespace {

Params complete_params(const std::string& worker, const Uuid& id, std::int32_t attempt,
                       const std::optional<std::string>& result) {
  Params p;
  bind_or_null(p.uuid(id).text(worker), result, oid::kJsonb, &Params::jsonb).int4(attempt);
  return p;
}

bool decode_bool(const PGresult* r) {
  const auto v = detail::value_at(r, 0, 0);
  return v.size() == 1 && v[0] != 0;
}

// Whether a completion whose reply was lost went through: the execution is
// succeeded at that attempt, under that worker (complete keeps lease_owner).
bool completed_by(const Execution& e, const std::string& worker, std::int32_t attempt) {
  return e.status == Status::succeeded && e.attempt == attempt && e.lease_owner == worker;
}

}  // namespace

bool Client::complete(const std::string& worker, const HeldLease& lease, const std::optional<std::string>& result) {
  return complete_many(worker, {Completion{lease.id, lease.attempt, result, lease.workspace_id}}).front();
}

std::vector<bool> Client::complete_many(const std::string& worker, const std::vector<Completion>& completions) {
  if (completions.empty()) return {};
  auto out = report_and_dequeue(worker, completions, {}, 0);
  if (!out.errors.empty()) throw out.errors.front().second;
  return out.completed;
}

Client::CompletedAndClaimed Client::complete_many_and_dequeue(const std::string& worker,
                                                              const std::vector<Completion>& completions,
                                                              std::int32_t max_jobs,
                                                              std::optional<std::chrono::milliseconds> lease) {
  Reported r = report_and_dequeue(worker, completions, {}, max_jobs, lease);
  return CompletedAndClaimed{std::move(r.completed), std::move(r.claimed), std::move(r.errors)};
}

namespace {

FailOutcome outcome_of(Status status) { return status == Status::queued ? FailOutcome::requeued : FailOutcome::failed; }

// Whether a failure whose reply was lost was recorded: requeued, queued at
// the same attempt with this error (a new claim would have moved the
// attempt on); final, failed at the same attempt under this worker.
std::optional<FailOutcome> recorded_failure(const Execution& e, const std::string& worker, std::int32_t attempt,
                                            const std::string& error) {
  if (e.attempt != attempt || e.error != error) return std::nullopt;
  if (e.status == Status::queued) return FailOutcome::requeued;
  if (e.status == Status::failed && e.lease_owner == worker) return FailOutcome::failed;
  return std::nullopt;
}

}  // namespace

Client::Reported Client::report_and_dequeue(const std::string& worker, const std::vector<Completion>& completions,
                                            const std::vector<Failure>& failures, std::int32_t max_jobs,
                                            std::optional<std::chrono::milliseconds> lease) {
  if (!impl_->batch_outcomes) return report_call_by_call(worker, completions, failures, max_jobs, lease);
  // One statement per kind of outcome, each over arrays aligned with the ids.
  Params done, failed, claim;
  std::vector<detail::Connection::Call> calls;
  if (!completions.empty()) {
    std::vector<Uuid> ids;
    std::vector<std::int32_t> attempts;
    std::vector<std::optional<std::string>> results;
    std::vector<std::optional<std::int64_t>> workspaces;
    for (const Completion& c : completions) {
      ids.push_back(c.id);
      attempts.push_back(c.attempt);
      results.push_back(detail::optional_binary(c.result.has_value(), c.result ? detail::binary_jsonb(*c.result) : ""));
      workspaces.push_back(c.workspace_id);
    }
    done.text(worker).uuid_array(ids).int4_array(attempts).array(oid::kJsonbArray, oid::kJsonb, results);
    done.int8_array_or_null(workspaces);
    calls.push_back({&impl_->queue.complete_many(), &done});
  }
  if (!failures.empty()) {
    std::vector<Uuid> ids;
    std::vector<std::int32_t> attempts;
    std::vector<std::optional<std::string>> errors, retryable;
    std::vector<std::optional<std::int64_t>> workspaces;
    for (const Failure& f : failures) {
      ids.push_back(f.id);
      attempts.push_back(f.attempt);
      errors.emplace_back(f.error);  // text's binary form is its bytes
      retryable.emplace_back(std::string(1, f.retryable ? '\1' : '\0'));
      workspaces.push_back(f.workspace_id);
    }
    failed.text(worker).uuid_array(ids).int4_array(attempts);
    failed.array(oid::kTextArray, oid::kText, errors).array(oid::kBoolArray, oid::kBool, retryable);
    failed.int8_array_or_null(workspaces);
    calls.push_back({&impl_->queue.fail_many(), &failed});
  }
  if (max_jobs > 0) {
    optional_lease(claim.text(worker).int4(max_jobs), lease);
    calls.push_back({&impl_->queue.dequeue(), &claim});
  }
  if (calls.empty()) return {};
  try {
    return impl_->call([&](bool reply_lost) {
      std::vector<detail::ResultPtr> results;
      if (calls.size() == 1) {
        results.push_back(impl_->conn.run(*calls[0].statement, *calls[0].params));
      } else {
        // One transaction for the whole step: one commit, one WAL flush.
        results = impl_->conn.run_pipelined(calls, detail::Connection::Transactions::one_for_all);
        for (const auto& r : results) {
          if (PQresultStatus(r.get()) != PGRES_TUPLES_OK && !impl_->conn.ok())
            throw ConnectionError("the connection broke in a pipeline");
        }
        // The first error is the one that rolled the step back (the calls
        // after it report PGRES_PIPELINE_ABORTED).
        for (const auto& r : results) detail::check_result(r.get(), impl_->conn.raw(), PGRES_TUPLES_OK);
      }
      Reported out;
      std::size_t next = 0;
      if (!completions.empty()) {
        std::unordered_set<Uuid> changed;
        for (const Uuid& id : detail::decode_uuid_column(results[next++].get())) changed.insert(id);
        for (const Completion& c : completions) out.completed.push_back(changed.count(c.id) != 0);
      }
      if (!failures.empty()) {
        const PGresult* r = results[next++].get();
        std::unordered_map<Uuid, FailOutcome> changed;
        for (int i = 0; i < PQntuples(r); ++i) {
          changed.emplace(detail::decode_uuid(detail::value_at(r, i, 0)),
                          outcome_of(parse_status(detail::value_at(r, i, 1))));
        }
        for (const Failure& f : failures) {
          const auto it = changed.find(f.id);
          out.failed.push_back(it == changed.end() ? FailOutcome::refused : it->second);
        }
      }
      if (max_jobs > 0) out.claimed = detail::decode_executions(results[next].get());
      if (reply_lost) settle_lost_reply(worker, completions, failures, out);
      return out;
    });
  } catch (const Error& e) {
    if (e.transient()) throw;
    // An extension older than complete_many: call by call from now on.
    if (e.sqlstate() == sqlstate::kUndefinedFunction) impl_->batch_outcomes = false;
    // Otherwise one outcome failed the whole statement (a result that is not
    // JSON), and nothing was written: once more call by call, so the others
    // stand and the refused one is reported alone.
    return report_call_by_call(worker, completions, failures, max_jobs, lease);
  }
}

void Client::settle_lost_reply(const std::string& worker, const std::vector<Completion>& completions,
                               const std::vector<Failure>& failures, Reported& out) {
  // An earlier try may have written some outcomes before its reply was
  // lost: those are refused now.  Read them back.
  std::vector<Uuid> unsure;
  for (std::size_t i = 0; i < completions.size(); ++i) {
    if (!out.completed[i]) unsure.push_back(completions[i].id);
  }
  for (std::size_t i = 0; i < failures.size(); ++i) {
    if (out.failed[i] == FailOutcome::refused) unsure.push_back(failures[i].id);
  }
  if (unsure.empty()) return;
  std::unordered_map<Uuid, Execution> now;
  for (auto& e : impl_->read_back(unsure)) now.emplace(e.id, std::move(e));
  for (std::size_t i = 0; i < completions.size(); ++i) {
    const auto it = now.find(completions[i].id);
    if (!out.completed[i] && it != now.end())
      out.completed[i] = completed_by(it->second, worker, completions[i].attempt);
  }
  for (std::size_t i = 0; i < failures.size(); ++i) {
    const auto it = now.find(failures[i].id);
    if (out.failed[i] != FailOutcome::refused || it == now.end()) continue;
    if (auto o = recorded_failure(it->second, worker, failures[i].attempt, failures[i].error)) out.failed[i] = *o;
  }
}

Client::Reported Client::report_call_by_call(const std::string& worker, const std::vector<Completion>& completions,
                                             const std::vector<Failure>& failures, std::int32_t max_jobs,
                                             std::optional<std::chrono::milliseconds> lease) {
  Reported out;
  for (const Failure& f : failures)
    out.failed.push_back(fail(worker, HeldLease{f.id, f.attempt, f.workspace_id}, f.error, f.retryable));
  std::vector<Params> params;
  params.reserve(completions.size() + 1);
  for (const Completion& c : completions) params.push_back(complete_params(worker, c.id, c.attempt, c.result));
  std::vector<detail::Connection::Call> calls;
  for (const Params& p : params) calls.push_back({&impl_->queue.complete(), &p});
  Params dequeue_params;
  if (max_jobs > 0) {
    optional_lease(dequeue_params.text(worker).int4(max_jobs), lease);
    calls.push_back({&impl_->queue.dequeue(), &dequeue_params});
  }
  if (calls.empty()) return out;
  Reported step = impl_->call([&](bool reply_lost) {
    Reported r;
    r.completed.assign(completions.size(), false);
    using Transactions = detail::Connection::Transactions;
    std::vector<detail::ResultPtr> results;
    if (calls.size() == 1) {
      results.push_back(impl_->conn.run(*calls[0].statement, *calls[0].params));
    } else {
      // One transaction for the whole step, as report_and_dequeue.  If any
      // call fails, all were rolled back: run them again each in its own
      // transaction, so the others stand and the failure is reported alone.
      results = impl_->conn.run_pipelined(calls, Transactions::one_for_all);
      bool all_ok = true;
      for (const auto& res : results) all_ok = all_ok && PQresultStatus(res.get()) == PGRES_TUPLES_OK;
      if (!all_ok) {
        if (!impl_->conn.ok()) throw ConnectionError("the connection broke in a pipeline");
        results = impl_->conn.run_pipelined(calls, Transactions::one_per_call);
      }
    }
    // Each call stands on its own: a refused completion is reported beside
    // the others, never at the cost of the executions just claimed.
    for (std::size_t i = 0; i < results.size(); ++i) {
      if (i == completions.size()) {
        detail::check_result(results[i].get(), impl_->conn.raw(), PGRES_TUPLES_OK);
        r.claimed = detail::decode_executions(results[i].get());
        continue;
      }
      try {
        detail::check_result(results[i].get(), impl_->conn.raw(), PGRES_TUPLES_OK);
        r.completed[i] = decode_bool(results[i].get());
      } catch (const Error& e) {
        if (e.transient()) throw;  // the connection broke: retry the step
        r.errors.emplace_back(i, e);
      }
    }
    if (reply_lost) settle_lost_reply(worker, completions, {}, r);
    return r;
  });
  out.completed = std::move(step.completed);
  out.claimed = std::move(step.claimed);
  out.errors = std::move(step.errors);
  return out;
}

FailOutcome Client::fail(const std::string& worker, const HeldLease& lease, const std::string& error, bool retryable) {
  Params p;
  p.uuid(lease.id).text(worker).text(error).boolean(retryable).int4(lease.attempt);
  return impl_->call([&](bool reply_lost) {
    auto r = impl_->conn.run(impl_->queue.fail(), p);
    if (PQgetisnull(r.get(), 0, 0) == 0) {
      // runstore.fail returns the new status: queued (requeued) or failed.
      return parse_status(detail::value_at(r.get(), 0, 0)) == Status::queued ? FailOutcome::requeued
                                                                             : FailOutcome::failed;
    }
    if (reply_lost) {
      // Refused now; did a lost earlier try record this very failure?
      for (const Execution& e : impl_->read_back({lease.id})) {
        if (auto o = recorded_failure(e, worker, lease.attempt, error)) return *o;
      }
    }
    return FailOutcome::refused;
  });
}

std::vector<Uuid> Client::release(const std::string& worker, const std::vector<HeldLease>& leases) {
  if (leases.empty()) return {};
  std::vector<Uuid> ids;
  std::vector<std::int32_t> attempts;
  std::vector<std::optional<std::int64_t>> workspaces;
  for (const HeldLease& l : leases) {
    ids.push_back(l.id);
    attempts.push_back(l.attempt);
    workspaces.push_back(l.workspace_id);
  }
  Params p;
  p.text(worker).uuid_array(ids).int4_array(attempts).int8_array_or_null(workspaces);
  return impl_->call([&](bool reply_lost) {
    std::vector<Uuid> released = detail::decode_uuid_column(impl_->conn.run(impl_->queue.release_many(), p).get());
    if (reply_lost && released.size() < leases.size()) {
      std::unordered_set<Uuid> got(released.begin(), released.end());
      std::vector<Uuid> unsure;
      for (const HeldLease& l : leases) {
        if (got.count(l.id) == 0) unsure.push_back(l.id);
      }
      std::unordered_map<Uuid, std::int32_t> attempt_of;
      for (const HeldLease& l : leases) attempt_of.emplace(l.id, l.attempt);
      for (const Execution& e : impl_->read_back(unsure)) {
        if (e.status == Status::queued && e.attempt == attempt_of[e.id] - 1) released.push_back(e.id);
      }
    }
    return released;
  });
}

std::vector<Uuid> Client::cancel(const std::vector<Uuid>& ids, std::optional<std::int64_t> workspace_id) {
  Params p;
  optional_workspace(p.uuid_array(ids), workspace_id);
  return impl_->call([&](bool) { return detail::decode_uuid_column(impl_->conn.run(st::kCancel, p).get()); });
}

bool Client::wait_for_work(std::chrono::milliseconds timeout) {
  using std::chrono::milliseconds;
  if (timeout.count() < std::numeric_limits<std::int32_t>::min() ||
      timeout.count() > std::numeric_limits<std::int32_t>::max()) {
    throw DataError(sqlstate::kInvalidParameterValue,
                    "wait_for_work: a timeout of " + std::to_string(timeout.count()) +
                        " ms is out of range (runstore.wait_for_work takes 0 to 3600000 ms)");
  }
  const auto start = std::chrono::steady_clock::now();
  if (impl_->waits_interrupted.load()) return false;
  try {
    return impl_->call([&](bool) {
      // Interrupted (the retry after the cancelled wait's 57014): done.
      if (impl_->waits_interrupted.load()) return false;
      // A retry waits only for what is left of the timeout (at least the
      // check for due work, which the procedure makes before it sleeps).
      auto left = timeout;
      if (timeout.count() > 0) {
        const auto spent = std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - start);
        left = std::max(milliseconds(0), timeout - spent);
      }
      Params p;
      p.int4(static_cast<std::int32_t>(left.count()));
      return decode_bool(impl_->conn.run(impl_->queue.wait_for_work(), p).get());
    });
  } catch (const Error&) {
    if (impl_->waits_interrupted.load()) return false;  // the cancelled wait (57014)
    throw;
  }
}

void Client::interrupt_waits() noexcept {
  impl_->waits_interrupted.store(true);
  impl_->conn.cancel_running();
}

void Client::listen_for_enqueues() {
  impl_->conn.listen(kEnqueueChannel);
  impl_->call([&](bool) { return impl_->conn.ok(); });  // reconnects (and LISTENs) if needed
}

bool Client::wait_for_enqueue(std::chrono::milliseconds timeout) {
  if (!impl_->conn.ok()) {
    // Reconnect (LISTEN again); what arrived meanwhile is unknown: look.
    impl_->call([&](bool) { return true; });
    return true;
  }
  return impl_->conn.wait_for_notification(timeout);
}

int Client::server_version() const { return PQserverVersion(impl_->conn.raw()); }

int Client::backend_pid() const { return PQbackendPID(impl_->conn.raw()); }

bool Client::connected_through_pooler() {
  return impl_->call([&](bool) {
    auto r = impl_->conn.run(st::kBackendPid, Params{});
    // Read in the same try as the query: a reconnect changes both.
    return detail::decode_int4(detail::value_at(r.get(), 0, 0)) != PQbackendPID(impl_->conn.raw());
  });
}

std::uint64_t Client::retries() const { return impl_->retries; }

StateCacheStats Client::state_cache_stats() const { return impl_->states.stats(); }

}  // namespace runstore
