// connection.cpp: see connection.hpp.
#include "connection.hpp"

#include <poll.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>

namespace runstore::detail {

namespace {

// The two SQLSTATEs a shared server session answers with when it has, or
// lacks, a prepared statement of a given name.
constexpr const char* kDuplicatePreparedStatement = "42P05";
constexpr const char* kInvalidStatementName = "26000";

std::string trimmed(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

bool has_sqlstate(const PGresult* r, const char* state) {
  if (r == nullptr) return false;
  const char* got = PQresultErrorField(r, PG_DIAG_SQLSTATE);
  return got != nullptr && std::strcmp(got, state) == 0;
}

}  // namespace

std::string prepared_name(const Statement& s, const Params& p) {
  std::uint64_t h = 0xcbf29ce484222325ULL;  // FNV-1a, 64 bits
  const auto mix = [&h](unsigned char byte) {
    h ^= byte;
    h *= 0x100000001b3ULL;
  };
  for (const char* c = s.sql; *c != '\0'; ++c) mix(static_cast<unsigned char>(*c));
  // SQL text holds no NUL: the types start unambiguously after this one.
  mix(0);
  for (int i = 0; i < p.count(); ++i) {
    const unsigned type = p.types()[i];
    for (int shift = 24; shift >= 0; shift -= 8) mix(static_cast<unsigned char>(type >> shift));
  }
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string name = std::string(s.name) + "_";
  for (int shift = 60; shift >= 0; shift -= 4) name.push_back(kDigits[(h >> shift) & 0xF]);
  return name;
}

std::string quote_identifier(const std::string& name) {
  std::string q = "\"";
  for (char c : name) {
    if (c == '"') q.push_back('"');
    q.push_back(c);
  }
  return q + "\"";
}

Connection::Connection(std::string conninfo, StatementMode mode) : conninfo_(std::move(conninfo)), mode_(mode) {}

Connection::~Connection() { set_cancel(nullptr); }

void Connection::set_cancel(PGcancel* cancel) noexcept {
  std::lock_guard<std::mutex> lock(cancel_mutex_);
  if (cancel_ != nullptr) PQfreeCancel(cancel_);
  cancel_ = cancel;
}

void Connection::cancel_running() noexcept {
  std::lock_guard<std::mutex> lock(cancel_mutex_);
  if (cancel_ == nullptr) return;
  char error[256];
  (void)PQcancel(cancel_, error, sizeof error);  // best effort: the caller does not wait for it
}

void Connection::connect() {
  prepared_.clear();
  set_cancel(nullptr);
  conn_.reset(PQconnectdb(conninfo_.c_str()));
  if (!conn_) throw ConnectionError("out of memory allocating a connection", "08001");
  if (PQstatus(conn_.get()) != CONNECTION_OK) {
    const std::string msg = trimmed(PQerrorMessage(conn_.get()));
    conn_.reset();
    throw ConnectionError(msg, "08001");
  }
  set_cancel(PQgetCancel(conn_.get()));
  for (const auto& channel : channels_) {
    ResultPtr r(PQexec(conn_.get(), ("LISTEN " + quote_identifier(channel)).c_str()));
    check_result(r.get(), conn_.get(), PGRES_COMMAND_OK);
  }
}

bool Connection::ok() const { return conn_ && PQstatus(conn_.get()) == CONNECTION_OK; }

void Connection::reset() {
  set_cancel(nullptr);
  conn_.reset();
  prepared_.clear();
}

void Connection::prepare_if_needed(const Statement& s, const Params& p) {
  if (mode_ != StatementMode::prepared) return;
  std::string name = prepared_name(s, p);
  if (prepared_.count(name) != 0) return;
  ResultPtr r(PQprepare(conn_.get(), name.c_str(), s.sql, p.count(), p.types()));
  // The session (shared, behind a pooler) has the name, hence this statement.
  if (!has_sqlstate(r.get(), kDuplicatePreparedStatement)) check_result(r.get(), conn_.get(), PGRES_COMMAND_OK);
  prepared_.insert(std::move(name));
}

ResultPtr Connection::run(const Statement& s, const Params& p, ExecStatusType expected) {
  if (!ok()) throw ConnectionError("not connected");
  const auto values = p.values();
  ResultPtr r;
  if (mode_ == StatementMode::unnamed) {
    r.reset(PQexecParams(conn_.get(), s.sql, p.count(), p.types(), values.data(), p.lengths(), p.formats(), 1));
  } else {
    prepare_if_needed(s, p);
    const std::string name = prepared_name(s, p);
    r.reset(PQexecPrepared(conn_.get(), name.c_str(), p.count(), values.data(), p.lengths(), p.formats(), 1));
    if (has_sqlstate(r.get(), kInvalidStatementName) && ok()) {
      // This server session lacks the statement (a pooler moved us, or it
      // was deallocated): the bind failed, so nothing ran.  Once more,
      // unnamed, with the name prepared again for the calls after this one.
      const std::vector<Call> call{{&s, &p}};
      r = std::move(pipeline(call, Transactions::one_per_call, false, call).front());
    }
  }
  check_result(r.get(), conn_.get(), expected);
  return r;
}

ResultPtr Connection::copy_in(const std::string& copy_from_stdin, const std::string& data) {
  if (!ok()) throw ConnectionError("not connected");
  PGconn* c = conn_.get();
  ResultPtr r(PQexec(c, copy_from_stdin.c_str()));
  check_result(r.get(), c, PGRES_COPY_IN);
  // In pieces, so that no single message is larger than it need be.
  constexpr std::size_t kPiece = 1 << 20;
  bool sent = true;
  for (std::size_t at = 0; sent && at < data.size(); at += kPiece) {
    const std::size_t n = std::min(kPiece, data.size() - at);
    sent = PQputCopyData(c, data.data() + at, static_cast<int>(n)) == 1;
  }
  if (!sent || PQputCopyEnd(c, nullptr) != 1) throw ConnectionError(trimmed(PQerrorMessage(c)));
  r.reset(PQgetResult(c));
  // The COPY's own result, then the end of the query.
  while (PGresult* more = PQgetResult(c)) PQclear(more);
  check_result(r.get(), c, PGRES_COMMAND_OK);
  return r;
}

std::vector<ResultPtr> Connection::run_pipelined(const std::vector<Call>& calls, Transactions transactions) {
  if (calls.empty()) return {};
  if (!ok()) throw ConnectionError("not connected");
  // PQprepare is not allowed inside a pipeline: prepare first.
  for (const Call& call : calls) prepare_if_needed(*call.statement, *call.params);
  const bool named = mode_ == StatementMode::prepared;
  std::vector<ResultPtr> out = pipeline(calls, transactions, named, {});
  if (!named) return out;
  std::vector<std::size_t> missing;  // calls whose bind found no statement
  for (std::size_t i = 0; i < out.size(); ++i) {
    if (has_sqlstate(out[i].get(), kInvalidStatementName)) missing.push_back(i);
  }
  if (missing.empty()) return out;
  std::vector<Call> lacking, to_prepare;  // to_prepare: one per name
  std::unordered_set<std::string> names;
  for (std::size_t i : missing) {
    lacking.push_back(calls[i]);
    if (names.insert(prepared_name(*calls[i].statement, *calls[i].params)).second) to_prepare.push_back(calls[i]);
  }
  if (transactions == Transactions::one_for_all) {
    // The failed bind rolled the one transaction back: nothing ran.  All of
    // it once more, unnamed, still as one transaction.
    return pipeline(calls, transactions, false, to_prepare);
  }
  // Each call was a transaction of its own: those that ran stand, and only
  // the ones that found no statement go once more, unnamed.
  std::vector<ResultPtr> again = pipeline(lacking, transactions, false, to_prepare);
  for (std::size_t k = 0; k < missing.size(); ++k) out[missing[k]] = std::move(again[k]);
  return out;
}

std::vector<ResultPtr> Connection::pipeline(const std::vector<Call>& calls, Transactions transactions, bool named,
                                            const std::vector<Call>& prepare_first) {
  std::vector<ResultPtr> out;
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
  for (const Call& call : prepare_first) {
    const std::string name = prepared_name(*call.statement, *call.params);
    if (PQsendPrepare(c, name.c_str(), call.statement->sql, call.params->count(), call.params->types()) != 1 ||
        PQpipelineSync(c) != 1) {
      throw broken();
    }
  }
  for (const Call& call : calls) {
    const Statement& s = *call.statement;
    const Params& p = *call.params;
    const auto values = p.values();
    const int sent =
        named
            ? PQsendQueryPrepared(c, prepared_name(s, p).c_str(), p.count(), values.data(), p.lengths(), p.formats(), 1)
            : PQsendQueryParams(c, s.sql, p.count(), p.types(), values.data(), p.lengths(), p.formats(), 1);
    if (sent != 1) throw broken();
    if (transactions == Transactions::one_per_call && PQpipelineSync(c) != 1) throw broken();
  }
  if (transactions == Transactions::one_for_all && PQpipelineSync(c) != 1) throw broken();
  const auto expect_sync = [&] {
    ResultPtr sync(PQgetResult(c));
    if (!sync || PQresultStatus(sync.get()) != PGRES_PIPELINE_SYNC) throw broken();
  };
  for (std::size_t i = 0; i < prepare_first.size(); ++i) {
    // Prepared, or already there (42P05): either serves.  Any other
    // failure shows again in the call itself.
    if (ResultPtr r{PQgetResult(c)}; !r) throw broken();
    while (PGresult* extra = PQgetResult(c)) PQclear(extra);
    expect_sync();
  }
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
