// fuzz_harness.hpp: what the targeted generator (fuzz_calls.cpp) and its
// reshape phase (fuzz_reshape.cpp) run their statements with: one libpq
// connection that tells a lost backend from an error, the record of every
// outcome per function with the failures among them, and the report made of
// that record.
#pragma once

#include <libpq-fe.h>

#include <cstddef>
#include <map>
#include <string>
#include <vector>

namespace fuzz {

std::string Trunc(const std::string &s, size_t n = 300);

// ---------------------------------------------------------------- the session
struct Outcome {
	bool ok = false;
	bool lost = false; // connection gone: the backend died
	std::string sqlstate;
	std::string message;
	std::string first_value;  // first column of the first row, if any
	std::string second_value; // second column of the first row, if any
};

class Session {
public:
	bool Connect();
	~Session();
	int Pid() const { return pid_; }
	bool InTransaction() const { return PQtransactionStatus(conn_) == PQTRANS_INTRANS; }

	// keep_transaction: leave a transaction the statement opened (or one
	// already open) as it is, for the caller to end; otherwise it is rolled
	// back, so that every call starts outside a transaction.
	Outcome Exec(const std::string &sql, bool keep_transaction = false);

private:
	PGconn *conn_ = nullptr;
	int pid_ = 0;
};

// ---------------------------------------------------------------- the record
struct Stats {
	std::map<std::string, std::map<std::string, long>> per_fn; // fn -> sqlstate ("ok") -> count
	std::map<std::string, long> total;
	std::map<std::string, std::string> sample; // "fn sqlstate" -> one statement
	long calls = 0;
	std::vector<std::string> failures;        // crashes, XX/58 SQLSTATEs
	std::vector<std::string> oracle_failures; // silently wrong answers
};

// Counts the outcome of `sql` under `fn`; a lost connection or an XX/58
// SQLSTATE (but the XX000 _boundary_selftest raises by design) is a failure.
void Record(Stats &st, const std::string &fn, const Outcome &o, const std::string &sql, const std::string &shape);

// The per-function outcome counts, the SQLSTATE histogram, the oracle
// violations and the failures; the exit status (0 clean, 1 failures).
int Report(const Stats &st, bool verbose, bool oracles_strict);

// The session must still be the backend it started with: a crash anywhere resets every session.
void CheckSameBackend(Session &s, Stats &st, int pid);

} // namespace fuzz
