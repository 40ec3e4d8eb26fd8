// common.hpp: what the crash-test load generator, worker and checker share:
// a libpq connection that classifies outcomes, the journal of acknowledged
// operations, and small helpers (random ids, clocks).
//
// The journal is the test's memory of what the server acknowledged.  A line
// is written only after the acknowledgement arrived (the result of the
// autocommit statement, or of COMMIT); an operation whose acknowledgement
// never came is written as "unknown" and checked only for atomicity.
#pragma once

#include <libpq-fe.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <mutex>
#include <random>
#include <string>
#include <vector>

namespace crash {

// Microseconds since the Unix epoch: the clock the server's timestamps use
// (same machine), so a lease end can be compared with when a call was sent.
inline int64_t now_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

inline void sleep_ms(int ms) {
  struct timespec ts {
    ms / 1000, (ms % 1000) * 1000000L
  };
  nanosleep(&ts, nullptr);
}

struct Rng {
  std::mt19937_64 gen;
  explicit Rng(uint64_t seed) : gen(seed) {}
  int range(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(gen); }  // inclusive
  bool chance(double p) { return std::uniform_real_distribution<double>(0, 1)(gen) < p; }
  std::string hex(int n) {
    static const char* d = "0123456789abcdef";
    std::string s;
    for (int i = 0; i < n; ++i) s += d[gen() & 15];
    return s;
  }
  // A random (version 4) UUID: the client knows an id before the server
  // acknowledges it, so an insert of unknown outcome can be looked up.
  std::string uuid() {
    std::string h = hex(32);
    h[12] = '4';
    h[16] = "89ab"[gen() & 3];
    return h.substr(0, 8) + "-" + h.substr(8, 4) + "-" + h.substr(12, 4) + "-" + h.substr(16, 4) + "-" +
           h.substr(20, 12);
  }
};

// Process-wide counters, printed at the end of a phase.
struct Stats {
  std::atomic<long> acked{0}, unknown{0}, aborted{0}, refused{0}, unexpected{0};
  std::atomic<long> rows_inserted{0}, rows_deleted{0}, claims{0}, heartbeats{0}, completes{0}, fails{0}, cancels{0},
      rollbacks{0}, copies{0}, checkpoints{0};
};
extern Stats g_stats;

// Unexpected errors are printed (once each, under a lock) and fail the phase.
void report_unexpected(const std::string& where, const std::string& message);

// The outcome of sending one statement.
enum class Outcome {
  ok,      // acknowledged: the server answered with success
  failed,  // the server answered with an ERROR and the connection is fine: nothing committed
  lost,    // the connection broke: the statement may or may not have taken effect
};

class Conn {
 public:
  explicit Conn(const std::string& conninfo);
  ~Conn();
  Conn(const Conn&) = delete;
  Conn& operator=(const Conn&) = delete;

  bool ok() const { return conn_ != nullptr && PQstatus(conn_) == CONNECTION_OK; }
  PGconn* raw() { return conn_; }

  // Runs one statement with text parameters (nullptr element: NULL).  On
  // success `res` holds the result (the caller PQclear()s it via Result).
  Outcome exec(const std::string& sql, const std::vector<const char*>& params, PGresult** res);
  Outcome exec(const std::string& sql) { return exec(sql, {}, nullptr); }
  // COPY ... FROM STDIN with the given text-format data.
  Outcome copy_in(const std::string& sql, const std::string& data);

  const std::string& last_error() const { return last_error_; }
  const std::string& last_sqlstate() const { return last_sqlstate_; }

 private:
  Outcome classify(PGresult* r);
  PGconn* conn_ = nullptr;
  std::string last_error_, last_sqlstate_;
};

// RAII for a PGresult.
struct Result {
  PGresult* r = nullptr;
  ~Result() {
    if (r) PQclear(r);
  }
  int rows() const { return r ? PQntuples(r) : 0; }
  const char* get(int row, int col) const { return PQgetvalue(r, row, col); }
  bool null(int row, int col) const { return PQgetisnull(r, row, col); }
};

// One journal file, written by one thread.  Every line is flushed at once:
// the file must hold every acknowledged operation even if the process is
// stopped right after.
class Journal {
 public:
  explicit Journal(const std::string& path);
  ~Journal();
  void line(const std::string& s);

 private:
  FILE* f_;
};

// Deadlocks and serialization failures are legitimate outcomes of concurrent
// writers: the statement rolled back, nothing to record.
inline bool is_transient_error(const std::string& sqlstate) { return sqlstate == "40P01" || sqlstate == "40001"; }

std::string conninfo_from_env();

}  // namespace crash
