// connection.hpp: one libpq connection and the statements prepared on it.
//
// Knows nothing of retries (retrying.hpp) or of runstore's functions
// (client.cpp): it connects, runs a Statement with binary Params (prepared
// once, or unnamed), runs a batch of them in pipeline mode, and keeps a
// LISTEN alive across reconnects.
#pragma once

#include <chrono>
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

class Connection {
 public:
  Connection(std::string conninfo, StatementMode mode);

  // Opens the connection (again); throws ConnectionError (08001) on failure.
  void connect();
  [[nodiscard]] bool ok() const;
  // Drops the connection so that the next call reconnects.
  void reset();

  // Runs `s` with `p`, binary results; throws Error unless the result is
  // `expected`.
  ResultPtr run(const Statement& s, const Params& p, ExecStatusType expected = PGRES_TUPLES_OK);

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
  bool drain_notifications();

  std::string conninfo_;
  StatementMode mode_;
  ConnPtr conn_;
  std::unordered_set<const Statement*> prepared_;
  std::vector<std::string> channels_;
};

}  // namespace runstore::detail
