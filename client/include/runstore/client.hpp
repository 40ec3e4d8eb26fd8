// runstore/client.hpp: one connection to a database with runstore installed.
//
//   runstore::Client db("dbname=app");          // or "" for the PG* environment
//   auto rows = db.get_executions_by_ids(ids);  // one round trip
//   auto gone = db.delete_many(ids);
//
// Every method calls one runstore SQL function (or one INSERT, for enqueue):
// each decision stays in the database.  A Client owns one libpq connection
// and is not thread-safe: use one per thread (or a pool of them).
// Parameters are always bound, never spliced into SQL text; results come back
// in binary and are decoded into value types.
//
// Retries.  A transient fault (see retry_policy.hpp) is retried per
// ClientOptions::retry, reconnecting first when the connection was lost.
// Every method is safe to retry, each for the reason given at it; where a
// lost reply leaves the outcome unknown, the method says how it settles it.
// Any other error is thrown as runstore::Error with the SQLSTATE and the
// server's message.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "runstore/errors.hpp"
#include "runstore/execution.hpp"
#include "runstore/queue_stats.hpp"
#include "runstore/queue_types.hpp"
#include "runstore/recent_workflow.hpp"
#include "runstore/retry_policy.hpp"
#include "runstore/uuid.hpp"

namespace runstore {

enum class StatementMode {
  // Each statement is prepared once per connection (PQprepare) and then only
  // executed: the server skips parsing and planning on every later call.
  // Safe behind a transaction-pooling pooler (PgBouncer
  // pool_mode=transaction) too: the prepared name is derived from the
  // statement's text, a name already there is taken as this statement, and
  // a server session that lacks it gets the call unnamed instead.
  prepared,
  // Each call sends its statement unnamed (PQexecParams): one parse and plan
  // per call, and no statement kept on the server.  For poolers or proxies
  // that refuse named statements.
  unnamed,
};

struct ClientOptions {
  // Every field has a default, so ClientOptions{conninfo, mode} is complete
  // (and draws no missing-initializer warning).
  ClientOptions(std::string conninfo_ = {}, StatementMode statement_mode_ = StatementMode::prepared,
                RetryPolicy retry_ = {}, std::string queue_function_schema_ = "runstore")
      : conninfo(std::move(conninfo_)),
        statement_mode(statement_mode_),
        retry(retry_),
        queue_function_schema(std::move(queue_function_schema_)) {}

  // A libpq connection string or URI; empty means the PG* environment.
  std::string conninfo;
  StatementMode statement_mode = StatementMode::prepared;
  RetryPolicy retry;
  // The schema of dequeue, heartbeat, complete, fail and wait_for_work.
  // "runstore_worker" calls the SECURITY DEFINER wrappers of docs/roles.sql,
  // for a worker role that holds no privilege on runstore.executions.  (Such
  // a role cannot read executions back either: a lost reply's outcome then
  // stays unknown, and complete/fail answer as the retry did.  The recipe
  // has no wait_for_work: a SECURITY DEFINER wrapper cannot commit, so it
  // would hold a snapshot while it waits.  A Worker under that role logs
  // that it cannot wait and finds new work by polling.)
  std::string queue_function_schema = "runstore";
  // How long get_execution_states may answer an id from this Client's cache
  // instead of the server; 0 (the default) turns the cache off.  A cached
  // state is at most state_cache_ttl old, counted from when the request that
  // fetched it was sent: within the TTL a poll does not see changes made
  // since, by anyone, this Client included.  A poll whose ids are all cached
  // costs no round trip; the ids not cached (or expired) are fetched
  // together in one call.  Ids the server did not return (unknown, other
  // workspace, hidden) are not cached: each poll asks for them again.  The
  // server's runstore.max_batch_size then applies to the ids sent.  The
  // cache is the Client's own, not shared, and like the Client not
  // thread-safe (no locks: one Client per thread).
  std::chrono::milliseconds state_cache_ttl{0};
  // Most states the cache holds.  When it is full, states fetched longest
  // ago make room: expired ones first, then the oldest live ones.
  std::size_t state_cache_max_entries = 10000;
};

// What the get_execution_states cache did over a Client's life.
struct StateCacheStats {
  std::uint64_t hits = 0;         // ids answered from the cache
  std::uint64_t misses = 0;       // ids asked of the server (not cached, or expired)
  std::uint64_t round_trips = 0;  // calls that went to the server (each asks for all its misses)
  std::uint64_t evictions = 0;    // live states dropped because the cache was full
  std::size_t entries = 0;        // states held now, expired ones included until dropped
};

class Client {
 public:
  explicit Client(const std::string& conninfo);
  explicit Client(ClientOptions options);
  ~Client();
  Client(Client&&) noexcept;
  Client& operator=(Client&&) noexcept;
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // ---- reads (retried: they change nothing) ----

  // runstore.get_executions_by_ids: the executions with these ids, in the
  // order of first appearance; duplicates once, unknown ids omitted.  With a
  // workspace, executions of other workspaces are omitted too.  More ids than
  // runstore.max_batch_size raise Error with SQLSTATE 54000.
  [[nodiscard]] std::vector<Execution> get_executions_by_ids(const std::vector<Uuid>& ids,
                                                             std::optional<std::int64_t> workspace_id = std::nullopt);

  // The same lookup, for polling: only id, status, attempt and updated_at of
  // each execution cross the wire and get decoded (four columns of the
  // nineteen), same order and rules as get_executions_by_ids.  With
  // ClientOptions::state_cache_ttl set, answered from a cache where it can
  // (see there).
  [[nodiscard]] std::vector<ExecutionState> get_execution_states(
      const std::vector<Uuid>& ids, std::optional<std::int64_t> workspace_id = std::nullopt);

  // runstore.recent_workflows: the workspace's (or, with a user, that user's)
  // most recently used workflows, newest first.
  [[nodiscard]] std::vector<RecentWorkflow> recent_workflows(std::int64_t workspace_id, std::int32_t max_results = 4,
                                                             const std::optional<std::string>& user_id = std::nullopt);

  // runstore.queue_stats: the live queue per status and priority (queued
  // before running, higher priorities first), read from the claim index
  // only.  Needs SELECT on runstore.executions (InsufficientPrivilegeError
  // otherwise, as for the worker role of docs/roles.sql).
  [[nodiscard]] std::vector<QueueStatsRow> queue_stats();

  // ---- deletes (retried: deleting twice deletes once) ----

  // runstore.delete_many: deletes in one statement; returns the ids deleted,
  // in the order given.  After a retry the list holds what the successful try
  // deleted: ids a lost try had already deleted are gone but not listed.
  std::vector<Uuid> delete_many(const std::vector<Uuid>& ids, std::optional<std::int64_t> workspace_id = std::nullopt);

  // runstore.delete_by_tag: deletes up to max_rows executions carrying tag,
  // oldest first.  Callers loop until it returns nothing.
  std::vector<Uuid> delete_by_tag(const std::string& tag, std::int32_t max_rows = 1000,
                                  std::optional<std::int64_t> workspace_id = std::nullopt);

  // ---- enqueueing (retried: ids are made here, and an id already stored
  // is not inserted again) ----

  // Inserts one execution; returns its id.
  Uuid enqueue(const NewExecution& execution);
  // Inserts all of them in one statement (its commit wakes the workers
  // waiting in wait_for_work); returns their ids in the same order.
  std::vector<Uuid> enqueue(const std::vector<NewExecution>& executions);

  // ---- the worker's calls ----

  // runstore.dequeue: claims up to max_jobs due executions for `worker`, with
  // a lease of `lease` (runstore.lease_timeout when unset).  Retried: a claim
  // whose reply was lost is not delivered twice; it returns to the queue
  // when its lease ends.
  std::vector<Execution> dequeue(const std::string& worker, std::int32_t max_jobs = 1,
                                 std::optional<std::chrono::milliseconds> lease = std::nullopt);

  // runstore.heartbeat with attempts: extends the leases `worker` still
  // holds at those attempts, in one call; returns the ids extended.  An id
  // missing from the answer is a lease lost (expired and claimed again,
  // cancelled, or finished).  Retried: extending twice is extending once.
  std::vector<Uuid> heartbeat(const std::string& worker, const std::vector<HeldLease>& leases,
                              std::optional<std::chrono::milliseconds> lease = std::nullopt);

  // runstore.complete at the lease's attempt: true if the execution is now
  // succeeded with `result`; false if `worker` no longer held it (fenced
  // off), with nothing changed.  Retried; when a reply was lost the outcome
  // is read back: the execution succeeded at this attempt by this worker.
  bool complete(const std::string& worker, const HeldLease& lease,
                const std::optional<std::string>& result = std::nullopt);

  // Many completions in one call of runstore.complete_many (one statement
  // over arrays), as if complete() were called for each in turn; one bool
  // per completion, in order.  A completion refused with an error throws it,
  // after the others were written (see report_and_dequeue).
  std::vector<bool> complete_many(const std::string& worker, const std::vector<Completion>& completions);

  // A worker's whole step between two batches, in one round trip and one
  // transaction (one commit): runstore.complete_many over `completions`,
  // runstore.fail_many over `failures` (one statement each, over arrays),
  // then dequeue(worker, max_jobs, lease); with max_jobs 0 nothing is
  // claimed.  Every outcome is fenced by its attempt.  If a completion is
  // refused with an error (a result that is not JSON), the step runs again
  // with each call in its own transaction, so the others stand; the refused
  // one is false in `completed` and listed in `errors` (no throw: claimed
  // executions are never dropped).  A failed dequeue throws.  Retried; after
  // a lost reply, the outcomes now refused are read back (as for complete()
  // and fail()).  Against a server whose extension predates complete_many,
  // the same step runs as one complete and one fail call per outcome.
  struct Reported {
    std::vector<bool> completed;      // one per completion
    std::vector<FailOutcome> failed;  // one per failure
    std::vector<Execution> claimed;   // as dequeue
    // (completion index, error); held as the base Error: sqlstate() says
    // which kind.
    std::vector<std::pair<std::size_t, Error>> errors;
  };
  Reported report_and_dequeue(const std::string& worker, const std::vector<Completion>& completions,
                              const std::vector<Failure>& failures, std::int32_t max_jobs,
                              std::optional<std::chrono::milliseconds> lease = std::nullopt);

  // report_and_dequeue without failures.
  struct CompletedAndClaimed {
    std::vector<bool> completed;     // one per completion, as complete_many
    std::vector<Execution> claimed;  // as dequeue
    std::vector<std::pair<std::size_t, Error>> errors;
  };
  CompletedAndClaimed complete_many_and_dequeue(const std::string& worker, const std::vector<Completion>& completions,
                                                std::int32_t max_jobs,
                                                std::optional<std::chrono::milliseconds> lease = std::nullopt);

  // runstore.fail at the lease's attempt: requeued with a backoff while
  // `retryable` and attempts remain, failed otherwise; refused if `worker`
  // no longer held it.  Retried; a lost reply's outcome is read back as for
  // complete().
  FailOutcome fail(const std::string& worker, const HeldLease& lease, const std::string& error, bool retryable = true);

  // runstore.release_many: hands back claims `worker` holds at those
  // attempts whose handler never started (queued again, due at once, the
  // attempt given back); returns the ids released.  Retried; after a lost
  // reply, one refused now that reads back queued at the attempt before
  // counts as released.
  std::vector<Uuid> release(const std::string& worker, const std::vector<HeldLease>& leases);

  // runstore.cancel: cancels those of ids that are queued or running;
  // returns the ids cancelled.  Retried, like delete_many.
  std::vector<Uuid> cancel(const std::vector<Uuid>& ids, std::optional<std::int64_t> workspace_id = std::nullopt);

  // ---- waiting for work ----

  // CALL runstore.wait_for_work (in queue_function_schema): returns true as
  // soon as an execution is due (at once if one already is), false once
  // `timeout` passed without one.  A transaction that makes work due wakes
  // the wait when it commits; nothing is sent for a run coming due later
  // (a scheduled run_after, a retry's backoff, a lease ending), which the
  // next call finds.  Each call is one transaction that holds no snapshot
  // while it waits, so it is safe behind a transaction pooler; it keeps the
  // connection for up to `timeout`.  The server takes 0 to 3,600,000 ms
  // (DataError 22023 otherwise).  Retried: a retry waits for what is left of
  // `timeout` (the procedure looks for due work before it sleeps).
  bool wait_for_work(std::chrono::milliseconds timeout);
  // From any other thread (the only Client method that may be): ends a
  // wait_for_work in progress at once (a cancel request to the server) and
  // makes every later one return false without waiting.  For stopping a
  // thread that waits; the Client is then good for nothing but waits that
  // return false.
  void interrupt_waits() noexcept;

  // ---- notifications, for applications that LISTEN themselves ----
  //
  // The server sends NOTIFY runstore_enqueued only from sessions with
  // runstore.notify_enqueued = on (off by default: a NOTIFY serializes the
  // commits of every notifying transaction), and only for statements that
  // leave a due queued execution.  runstore::Worker does not use these: it
  // waits with wait_for_work().

  // LISTEN runstore_enqueued on this connection (again after a reconnect).
  void listen_for_enqueues();
  // Waits up to `timeout` for an enqueue notification; true if one (or more:
  // all pending ones are consumed) arrived.  Needs listen_for_enqueues(),
  // and runstore.notify_enqueued = on in the enqueuing sessions.
  bool wait_for_enqueue(std::chrono::milliseconds timeout);

  // ---- the connection ----

  // The server's version number, e.g. 150018.
  [[nodiscard]] int server_version() const;
  // The server process this connection was told of at startup
  // (PQbackendPID): pg_backend_pid() of its session when connected directly;
  // behind a pooler, a number the pooler made up.
  [[nodiscard]] int backend_pid() const;
  // Whether the connection goes through a connection pooler that hands out
  // server sessions (PgBouncer in any pool mode, and poolers like it): the
  // server process that answers pg_backend_pid() is not the one the
  // connection was told of at startup, which a pooler makes up and a plain
  // TCP proxy passes on unchanged.  One round trip; retried as a read.
  [[nodiscard]] bool connected_through_pooler();
  // How many times a transient fault was retried over this Client's life.
  [[nodiscard]] std::uint64_t retries() const;
  // The get_execution_states cache's counts (all 0 while it is off).
  [[nodiscard]] StateCacheStats state_cache_stats() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;

  // report_and_dequeue one call per outcome: for a step the batch functions
  // refused, and for servers without them.
  Reported report_call_by_call(const std::string& worker, const std::vector<Completion>& completions,
                               const std::vector<Failure>& failures, std::int32_t max_jobs,
                               std::optional<std::chrono::milliseconds> lease);
  // After a lost reply: reads back the outcomes refused now, which an
  // earlier try may have written.
  void settle_lost_reply(const std::string& worker, const std::vector<Completion>& completions,
                         const std::vector<Failure>& failures, Reported& out);
};

}  // namespace runstore
