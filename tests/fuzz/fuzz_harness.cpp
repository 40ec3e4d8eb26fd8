// fuzz_harness.cpp: the fuzzing session's connection, the record of
// outcomes and the report (see fuzz_harness.hpp).
#include "fuzz_harness.hpp"

#include <cstdio>

namespace fuzz {

namespace {

// Rows for COPY runstore.executions (workspace_id, workflow_id, user_id, tags,
// created_at, run_after, priority) FROM STDIN: extremes, NULLs, a 2-D tag array.
std::string
CopyData()
{
	return "1\t1\tu\t{fz,copy}\tinfinity\t-infinity\t2147483647\n"
	       "2\t\\N\t\\N\t{}\t-infinity\tinfinity\t-2147483648\n"
	       "9223372036854775807\t-9223372036854775808\t" +
	       std::string(100000, 'u') +
	       "\t{{a,b},{c,d}}\t2026-01-01 00:00:00+00\t2026-01-01 00:00:00+00\t0\n"
	       "-9223372036854775808\t9223372036854775807\t\\N\t[0:1]={fz,NULL}\t1970-01-01 00:00:00+00\t"
	       "4713-01-01 00:00:00+00 BC\t1\n";
}

bool
BadSqlstate(const std::string &code)
{
	return code.rfind("XX", 0) == 0 || code.rfind("58", 0) == 0 || code == "(none)";
}

} // namespace

std::string
Trunc(const std::string &s, size_t n)
{
	if (s.size() <= n)
		return s;
	return s.substr(0, n) + "...(" + std::to_string(s.size()) + " bytes)";
}

bool
Session::Connect()
{
	if (conn_)
		PQfinish(conn_);
	conn_ = PQconnectdb("");
	if (PQstatus(conn_) != CONNECTION_OK) {
		std::fprintf(stderr, "fuzz_calls: cannot connect: %s", PQerrorMessage(conn_));
		return false;
	}
	PQsetNoticeProcessor(
	    conn_, [](void *, const char *) {}, nullptr);
	pid_ = PQbackendPID(conn_);
	return true;
}

Session::~Session()
{
	if (conn_)
		PQfinish(conn_);
}

Outcome
Session::Exec(const std::string &sql, bool keep_transaction)
{
	Outcome out;
	PGresult *res = PQexec(conn_, sql.c_str());
	if (!res || PQstatus(conn_) != CONNECTION_OK) {
		out.lost = true;
		out.message = res ? PQresultErrorMessage(res) : PQerrorMessage(conn_);
		if (res)
			PQclear(res);
		return out;
	}
	ExecStatusType st = PQresultStatus(res);
	if (st == PGRES_COPY_IN || st == PGRES_COPY_OUT) {
		// COPY ... FROM STDIN gets hostile rows; COPY ... TO STDOUT is drained.
		PQclear(res);
		if (st == PGRES_COPY_IN) {
			const std::string data = CopyData();
			PQputCopyData(conn_, data.data(), static_cast<int>(data.size()));
			PQputCopyEnd(conn_, nullptr);
		} else {
			char *buf = nullptr;
			while (PQgetCopyData(conn_, &buf, 0) > 0)
				PQfreemem(buf);
		}
		res = PQgetResult(conn_);
		for (PGresult *more = PQgetResult(conn_); more; more = PQgetResult(conn_))
			PQclear(more);
		if (!res || PQstatus(conn_) != CONNECTION_OK) {
			out.lost = true;
			out.message = res ? PQresultErrorMessage(res) : PQerrorMessage(conn_);
			if (res)
				PQclear(res);
			return out;
		}
		st = PQresultStatus(res);
	}
	if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) {
		out.ok = true;
		if (st == PGRES_TUPLES_OK && PQntuples(res) > 0 && PQnfields(res) > 0 && !PQgetisnull(res, 0, 0))
			out.first_value = PQgetvalue(res, 0, 0);
		if (st == PGRES_TUPLES_OK && PQntuples(res) > 0 && PQnfields(res) > 1 && !PQgetisnull(res, 0, 1))
			out.second_value = PQgetvalue(res, 0, 1);
	} else {
		const char *code = PQresultErrorField(res, PG_DIAG_SQLSTATE);
		out.sqlstate = code ? code : "(none)";
		out.message = PQresultErrorMessage(res);
	}
	PQclear(res);
	if (!keep_transaction &&
	    (PQtransactionStatus(conn_) == PQTRANS_INERROR || PQtransactionStatus(conn_) == PQTRANS_INTRANS)) {
		PGresult *rb = PQexec(conn_, "ROLLBACK");
		if (rb)
			PQclear(rb);
	}
	if (PQstatus(conn_) != CONNECTION_OK)
		out.lost = true;
	return out;
}

void
Record(Stats &st, const std::string &fn, const Outcome &o, const std::string &sql, const std::string &shape)
{
	const std::string key = o.lost ? "CONNECTION LOST" : (o.ok ? "ok" : o.sqlstate);
	st.per_fn[fn][key]++;
	st.total[key]++;
	st.calls++;
	if (!st.sample.count(fn + " " + key))
		st.sample[fn + " " + key] = Trunc(sql, 400);
	if (o.lost) {
		st.failures.push_back("connection lost (backend crash?) in " + fn + " [" + shape + "]: " + Trunc(sql, 2000) +
		                      "\n    " + Trunc(o.message, 400));
	} else if (!o.ok && BadSqlstate(o.sqlstate)) {
		// _boundary_selftest('unknown_exception') raises XX000 by design.
		if (!(fn == "_boundary_selftest" && o.message.find("unknown C++ exception") != std::string::npos &&
		      sql.find("'unknown_exception'") != std::string::npos))
			st.failures.push_back("SQLSTATE " + o.sqlstate + " in " + fn + " [" + shape + "]: " + Trunc(sql, 2000) +
			                      "\n    " + Trunc(o.message, 400));
	}
}

int
Report(const Stats &st, bool verbose, bool oracles_strict)
{
	std::printf("\nper function (calls: outcome counts)\n");
	for (const auto &f : st.per_fn) {
		long n = 0;
		for (const auto &kv : f.second)
			n += kv.second;
		std::printf("  %-28s %5ld:", f.first.c_str(), n);
		for (const auto &kv : f.second)
			std::printf(" %s=%ld", kv.first.c_str(), kv.second);
		std::printf("\n");
	}
	std::printf("\nSQLSTATE histogram (all calls)\n");
	for (const auto &kv : st.total)
		std::printf("  %-16s %6ld\n", kv.first.c_str(), kv.second);
	if (verbose) {
		std::printf("\none statement per (function, outcome)\n");
		for (const auto &kv : st.sample)
			std::printf("  %s: %s\n", kv.first.c_str(), kv.second.c_str());
	}
	int rc = 0;
	if (!st.oracle_failures.empty()) {
		// Deduplicate: the same violation tends to recur.
		std::map<std::string, int> seen;
		for (const auto &f : st.oracle_failures)
			seen[f]++;
		std::printf("\nORACLE VIOLATIONS (%zu; silently wrong answers)%s\n", st.oracle_failures.size(),
		            oracles_strict ? "" : " [not counted: --oracles-warn]");
		for (const auto &kv : seen)
			std::printf("  %dx %s\n", kv.second, kv.first.c_str());
		if (oracles_strict)
			rc = 1;
	}
	if (!st.failures.empty()) {
		std::map<std::string, int> seen;
		for (const auto &f : st.failures)
			seen[f]++;
		std::printf("\nFAILURES (%zu, %zu distinct)\n", st.failures.size(), seen.size());
		size_t shown = 0;
		for (const auto &kv : seen) {
			if (++shown > 20) {
				std::printf("  ... %zu more distinct\n", seen.size() - 20);
				break;
			}
			std::printf("  %dx %s\n", kv.second, kv.first.c_str());
		}
		rc = 1;
	}
	return rc;
}

void
CheckSameBackend(Session &s, Stats &st, int pid)
{
	const Outcome o = s.Exec("SELECT pg_backend_pid()");
	if (!o.ok || o.first_value != std::to_string(pid))
		st.failures.push_back("the fuzzing session is not the backend it started with (pid " + std::to_string(pid) +
		                      ", now " + o.first_value + ")");
}

} // namespace fuzz
