// connection.cpp: see connection.hpp.
#include "connection.hpp"

#include <poll.h>

#include <cerrno>

namespace runstore::detail {

namespace {

std::string trimmed(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

}  // namespace

std::string quote_identifier(const std::string& name) {
  std::string q = "\"";
  for (char c : name) {
    if (c == '"') q.push_back('"');
    q.push_back(c);
  }
  return q + "\"";
}

Connection::Connection(std::string conninfo, StatementMode mode) : conninfo_(std::move(conninfo)), mode_(mode) {}

void Connection::connect() {
  prepared_.clear();
  conn_.reset(PQconnectdb(conninfo_.c_str()));
  if (!conn_) throw ConnectionError("out of memory allocating a connection", "08001");
  if (PQstatus(conn_.get()) != CONNECTION_OK) {
    const std::string msg = trimmed(PQerrorMessage(conn_.get()));
    conn_.reset();
    throw ConnectionError(msg, "08001");
  }
  for (const auto& channel : channels_) {
    ResultPtr r(PQexec(conn_.get(), ("LISTEN " + quote_identifier(channel)).c_str()));
    check_result(r.get(), conn_.get(), PGRES_COMMAND_OK);
  }
}

bool Connection::ok() const { return conn_ && PQstatus(conn_.get()) == CONNECTION_OK; }

void Connection::reset() {
  conn_.reset();
  prepared_.clear();
}

void Connection::prepare_if_needed(const Statement& s, const Params& p) {
  if (mode_ != StatementMode::prepared || prepared_.count(&s) != 0) return;
  ResultPtr r(PQprepare(conn_.get(), s.name, s.sql, p.count(), p.types()));
  check_result(r.get(), conn_.get(), PGRES_COMMAND_OK);
  prepared_.insert(&s);
}

ResultPtr Connection::run(const Statement& s, const Params& p, ExecStatusType expected) {
  if (!ok()) throw ConnectionError("not connected");
  const auto values = p.values();
  ResultPtr r;
  if (mode_ == StatementMode::unnamed) {
    r.reset(PQexecParams(conn_.get(), s.sql, p.count(), p.types(), values.data(), p.lengths(), p.formats(), 1));
  } else {
    prepare_if_needed(s, p);
    r.reset(PQexecPrepared(conn_.get(), s.name, p.count(), values.data(), p.lengths(), p.formats(), 1));
  }
  check_result(r.get(), conn_.get(), expected);
  return r;
}

std::vector<ResultPtr> Connection::run_pipelined(const std::vector<Call>& calls, Transactions transactions) {
  std::vector<ResultPtr> out;
  if (calls.empty()) return out;
  if (!ok()) throw ConnectionError("not connected");
  // PQprepare is not allowed inside a pipeline: prepare first.
  for (const Call& call : calls) prepare_if_needed(*call.statement, *call.params);
  PGconn* c = conn_.get();
  const auto broken = [&] { return ConnectionError(trimmed(PQerrorMessage(c))); };
  if (PQenterPipelineMode(c) != 1) throw broken();
  // Leave pipeline mode however this ends, or the connection is unusable.
  struct Exit {
    PGconn* c;
    ~Exit() {
      if (PQpipelineStatus(c) != PQ_PIPELINE_OFF && PQexitPipelineMode(c) != 1) {
        // Results are left unread only when the connection broke: drop it.
        while (PGresult* r = PQgetResult(c)) PQclear(r);
        PQexitPipelineMode(c);
      }
    }
  } exit_guard{c};
  for (const Call& call : calls) {
    const Statement& s = *call.statement;
    const Params& p = *call.params;
    const auto values = p.values();
    const int sent = mode_ == StatementMode::unnamed
                         ? PQsendQueryParams(c, s.sql, p.count(), p.types(), values.data(), p.lengths(), p.formats(), 1)
                         : PQsendQueryPrepared(c, s.name, p.count(), values.data(), p.lengths(), p.formats(), 1);
    if (sent != 1) throw broken();
    if (transactions == Transactions::one_per_call && PQpipelineSync(c) != 1) throw broken();
  }
  if (transactions == Transactions::one_for_all && PQpipelineSync(c) != 1) throw broken();
  const auto expect_sync = [&] {
    ResultPtr sync(PQgetResult(c));
    if (!sync || PQresultStatus(sync.get()) != PGRES_PIPELINE_SYNC) throw broken();
  };
  out.reserve(calls.size());
  for (std::size_t i = 0; i < calls.size(); ++i) {
    ResultPtr r(PQgetResult(c));
    if (!r) throw broken();
    // Each statement's result is followed by a NULL (then, per call, by
    // the sync's result).
    while (PGresult* extra = PQgetResult(c)) PQclear(extra);
    if (transactions == Transactions::one_per_call) expect_sync();
    out.push_back(std::move(r));
  }
  if (transactions == Transactions::one_for_all) expect_sync();
  return out;
}

void Connection::listen(const std::string& channel) {
  for (const auto& c : channels_) {
    if (c == channel) return;
  }
  channels_.push_back(channel);
  if (ok()) {
    ResultPtr r(PQexec(conn_.get(), ("LISTEN " + quote_identifier(channel)).c_str()));
    check_result(r.get(), conn_.get(), PGRES_COMMAND_OK);
  }
}

bool Connection::drain_notifications() {
  bool any = false;
  while (PGnotify* n = PQnotifies(conn_.get())) {
    PQfreemem(n);
    any = true;
  }
  return any;
}

bool Connection::wait_for_notification(std::chrono::milliseconds timeout) {
  if (!ok()) return true;
  if (PQconsumeInput(conn_.get()) != 1) return true;
  if (drain_notifications()) return true;
  pollfd pfd{PQsocket(conn_.get()), POLLIN, 0};
  const int ready = ::poll(&pfd, 1, static_cast<int>(timeout.count()));
  if (ready < 0) return false;  // EINTR: a signal, e.g. a stop request; let the caller look
  if (ready == 0) return false;
  if (PQconsumeInput(conn_.get()) != 1) return true;
  return drain_notifications() || !ok();
}

}  // namespace runstore::detail
