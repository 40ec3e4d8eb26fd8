// connection.hpp: one libpq connection and the statements prepared on it.
//
// Knows nothing of retries (retrying.hpp) or of runstore's functions
// (client.cpp): it connects, runs a Statement with binary Params (prepared
// once, or unnamed), runs a batch of them in pipeline mode, and keeps a
// LISTEN alive across reconnects.
//
// Prepared statements behind a transaction pooler.  A pooler such as
// PgBouncer in pool_mode=transaction may run each transaction of this
// connection on another server session, shared with other clients.  So a
// statement is prepared under a name derived from its text and parameter
// types (prepared_name): a session that already has that name has this very
// statement, whoever prepared it.  Hence a 42P05 (duplicate_prepared_statement)
// on prepare means it is there; and a 26000 (invalid_sql_statement_name) on
// execute means this session lacks it: nothing ran, so the call is sent
// again unnamed (parse, bind and execute in one transaction, which a pooler
// keeps on one session), after a prepare of the name on the session it
// reaches then.  docs/architecture.md ("Behind a transaction pooler") says
// why this is sound.
#pragma once

#include <chrono>
#include <mutex>
#include <string>
#include <unordered_set>
#include <vector>

#include "params.hpp"
#include "pg_handles.hpp"
#include "runstore/client.hpp"
#include "statement.hpp"

namespace runstore::detail {

// `name` as an SQL identifier in double quotes (LISTEN channels, the queue
// functions' schema): configuration is never spliced in as SQL.
std::string quote_identifier(const std::string& name);

// The name `s` is prepared as with parameters of `p`'s types: its label, "_",
// then 16 hex digits of a 64-bit FNV-1a hash of its text and parameter type
// OIDs.  Stable across processes, machines and client versions; shorter than
// PostgreSQL's 63-byte identifier limit.
std::string prepared_name(const Statement& s, const Params& p);

class Connection {
 public:
  Connection(std::string conninfo, StatementMode mode);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Opens the connection (again); throws ConnectionError (08001) on failure.
  void connect();
  [[nodiscard]] bool ok() const;
  // Drops the connection so that the next call reconnects.
  void reset();
  // From another thread: asks the server to cancel the statement this
  // connection runs now, if any (PQcancel).  The statement fails with 57014.
  void cancel_running() noexcept;

  // Runs `s` with `p`, binary results; throws Error unless the result is
  // `expected`.
  ResultPtr run(const Statement& s, const Params& p, ExecStatusType expected = PGRES_TUPLES_OK);

  // Runs `copy_from_stdin` (a COPY … FROM STDIN) and sends `data` as its
  // input; throws Error unless it completes.  A simple query: nothing is
  // prepared, so it runs the same behind a transaction pooler.
  ResultPtr copy_in(const std::string& copy_from_stdin, const std::string& data);

  // One statement of a pipeline.
  struct Call {
    const Statement* statement;
    const Params* params;
  };
  enum class Transactions {
    one_per_call,  // a sync after each call: one failing leaves the others standing
    one_for_all,   // one sync at the end: one commit (one WAL flush) for all;
                   // a failure rolls back every call (the rest report
                   // PGRES_PIPELINE_ABORTED)
  };
  // Runs the calls in one round trip (pipeline mode).  Returns one result
  // per call, in order, successful or not; check each with check_result.
  // Throws ConnectionError if the connection broke.
  std::vector<ResultPtr> run_pipelined(const std::vector<Call>& calls, Transactions transactions);

  // LISTEN on `channel` now and after every reconnect.
  void listen(const std::string& channel);
  // Waits up to `timeout` for a notification; drains them all.  Returns true
  // if one arrived, or if the connection broke (the caller cannot know what
  // it missed, so it should look for work).
  bool wait_for_notification(std::chrono::milliseconds timeout);

  [[nodiscard]] PGconn* raw() const { return conn_.get(); }

 private:
  void prepare_if_needed(const Statement& s, const Params& p);
  // Sends `calls` in one pipeline and reads their results.  `named`: as
  // prepared statements, else unnamed.  Before them, each of `prepare_first`
  // is prepared in a transaction of its own whose outcome is not looked at
  // (a 42P05 there means the name is already there, as wanted).
  std::vector<ResultPtr> pipeline(const std::vector<Call>& calls, Transactions transactions, bool named,
                                  const std::vector<Call>& prepare_first);
  bool drain_notifications();

  // Swaps conn_'s cancel handle; conn_ itself belongs to the calling thread.
  void set_cancel(PGcancel* cancel) noexcept;

  std::string conninfo_;
  StatementMode mode_;
  ConnPtr conn_;
  std::mutex cancel_mutex_;
  PGcancel* cancel_ = nullptr;                // for conn_, under cancel_mutex_
  std::unordered_set<std::string> prepared_;  // prepared_name()s prepared (or found) on this connection
  std::vector<std::string> channels_;
};

}  // namespace runstore::detail
