// fuzz_calls.cpp: a seeded, bounded generator of hostile calls to every
// runstore function (tests/fuzz/run.sh builds and runs it).
//
// Each call is one statement sent over one libpq connection (some wrapped in
// a transaction, a savepoint, a cursor, a PL/pgSQL exception block, EXPLAIN
// ANALYZE, a prepared statement, a 1 ms statement_timeout, an unprivileged
// role or a hostile search_path).  Arguments come from pools of hostile
// values: NULL in every position, empty / 100k-element / multidimensional /
// odd-lower-bound arrays and arrays of NULLs, int and bigint extremes,
// intervals from -1 s to a million years with mixed-sign fields, ±infinity
// timestamps in the rows, invalid and huge JSON, 1 MB and multibyte strings.
// GUCs and table rows are made hostile between calls, and the trigger
// functions are attached where they do not belong.
//
// It asserts: the connection never drops (a backend crash takes every
// session with it), no error has SQLSTATE class XX (internal) or 58 (system),
// and a few oracles hold (_retry_delay stays below its ceiling; a lease never
// ends more than 7 days after the call).  It prints the number of calls and
// a SQLSTATE histogram per function.  Exit status: 0 clean, 1 failures,
// 2 usage or set-up error.
//
// With --reshape it fires the same calls at reshaped tables instead (see
// "reshaped tables" below): it drops and recreates the extension, case by
// case, so it runs against a database nothing else is using at the time.
//
//   fuzz_calls [--seed N] [--calls N] [--seconds S] [--verbose] [--oracles-warn]
//   fuzz_calls --reshape [--seed N] [--calls-per-case N] [--seconds S] [--case TEXT] [--verbose]
//              [--oracles-warn]
// Connection: libpq environment (PGHOST, PGPORT, PGUSER, PGDATABASE).

#include <libpq-fe.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <map>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace {

// splitmix64: the same sequence on every platform and standard library.
class Rng {
public:
	explicit Rng(uint64_t seed) : state_(seed) {}
	uint64_t Next()
	{
		uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
		z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
		z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
		return z ^ (z >> 31);
	}
	size_t Below(size_t n) { return n == 0 ? 0 : static_cast<size_t>(Next() % n); }
	bool Chance(double p) { return static_cast<double>(Next() >> 11) * (1.0 / 9007199254740992.0) < p; }
	template <typename T> const T &Pick(const std::vector<T> &v) { return v[Below(v.size())]; }

private:
	uint64_t state_;
};

std::string Trunc(const std::string &s, size_t n = 300)
{
	if (s.size() <= n)
		return s;
	return s.substr(0, n) + "...(" + std::to_string(s.size()) + " bytes)";
}

// Seeded ids: 300 "known" executions re-inserted now and then, so calls keep
// finding rows to read, delete, cancel and claim.
std::string KnownId(int n)
{
	char buf[64];
	std::snprintf(buf, sizeof buf, "00000000-0000-7000-8000-%012x", n);
	return buf;
}

constexpr int kKnownIds = 300;

// ---------------------------------------------------------------- value pools
struct Pools {
	std::vector<std::string> uuid;       // scalar uuid expressions
	std::vector<std::string> uuid_array; // uuid[] expressions
	std::vector<std::string> int4;
	std::vector<std::string> int8;
	std::vector<std::string> text;     // worker names, tags, user ids, errors, modes
	std::vector<std::string> interval;
	std::vector<std::string> jsonb;
	std::vector<std::string> boolean;
	std::vector<std::string> int_array;
};

std::string Quote(const std::string &s)
{
	std::string out = "'";
	for (char c : s) {
		if (c == '\'')
			out += "''";
		else
			out += c;
	}
	return out + "'";
}

std::string UuidArrayLiteral(Rng &rng, int n, bool with_nulls, bool with_unknown, const std::string &bounds = "")
{
	std::string s = bounds.empty() ? "{" : bounds + "={";
	for (int i = 0; i < n; ++i) {
		if (i)
			s += ',';
		if (with_nulls && rng.Chance(0.2))
			s += "NULL";
		else if (with_unknown && rng.Chance(0.3))
			s += KnownId(100000 + static_cast<int>(rng.Below(1000000)));
		else
			s += KnownId(1 + static_cast<int>(rng.Below(kKnownIds)));
	}
	return Quote(s + "}") + "::uuid[]";
}

Pools MakePools(Rng &rng)
{
	Pools p;
	p.uuid = {"NULL",
	          "NULL::uuid",
	          Quote(KnownId(1)) + "::uuid",
	          Quote(KnownId(7)) + "::uuid",
	          Quote(KnownId(299)) + "::uuid",
	          "'00000000-0000-0000-0000-000000000000'::uuid",
	          "'ffffffff-ffff-ffff-ffff-ffffffffffff'::uuid",
	          "runstore.uuid_v7()",
	          "gen_random_uuid()",
	          "(SELECT e.id FROM runstore.executions e WHERE e.status = 'running' ORDER BY e.id LIMIT 1)",
	          "(SELECT e.id FROM runstore.executions e WHERE e.status = 'queued' ORDER BY e.id LIMIT 1)",
	          "(SELECT e.id FROM runstore.executions e ORDER BY e.id DESC LIMIT 1)"};
	p.uuid_array = {
		"NULL",
		"NULL::uuid[]",
		"'{}'::uuid[]",
		"'{NULL}'::uuid[]",
		"'{NULL,NULL,NULL}'::uuid[]",
		"ARRAY[NULL]::uuid[]",
		"'{{}}'::uuid[]",
		UuidArrayLiteral(rng, 1, false, false),
		UuidArrayLiteral(rng, 10, true, true),
		UuidArrayLiteral(rng, 100, false, false),
		UuidArrayLiteral(rng, 100, true, true),
		UuidArrayLiteral(rng, 2, false, false, "[5:6]"),
		UuidArrayLiteral(rng, 3, true, false, "[-2147483648:-2147483646]"),
		UuidArrayLiteral(rng, 1, false, false, "[2147483647:2147483647]"),
		UuidArrayLiteral(rng, 2, false, false, "[2147483646:2147483647]"),
		UuidArrayLiteral(rng, 3, false, false, "[0:2]"),
		"'{{" + KnownId(1) + "," + KnownId(2) + "},{" + KnownId(3) + ",NULL}}'::uuid[]",
		"'[2:3][-1:0]={{" + KnownId(1) + "," + KnownId(2) + "},{" + KnownId(3) + "," + KnownId(4) + "}}'::uuid[]",
		"'{{{" + KnownId(5) + "}}}'::uuid[]",
		"array_fill(" + Quote(KnownId(1)) + "::uuid, ARRAY[2,2,2])",
		"array_fill(" + Quote(KnownId(1)) + "::uuid, ARRAY[1,1,1,1,1,1])",
		"array_fill(NULL::uuid, ARRAY[0])",
		"array_fill(NULL::uuid, ARRAY[0,0])",
		"array_fill(" + Quote(KnownId(2)) + "::uuid, ARRAY[3], ARRAY[-7])",
		"array_fill(" + Quote(KnownId(2)) + "::uuid, ARRAY[500])",
		"array_fill(" + Quote(KnownId(2)) + "::uuid, ARRAY[501])",
		"array_fill(NULL::uuid, ARRAY[100000])",
		"array_fill(NULL::uuid, ARRAY[100001])",
		"ARRAY(SELECT runstore.uuid_v7() FROM generate_series(1, 500))",
		"ARRAY(SELECT runstore.uuid_v7() FROM generate_series(1, 100000))",
		"ARRAY(SELECT ('00000000-0000-7000-8000-' || lpad(to_hex(g % 400), 12, '0'))::uuid FROM generate_series(1, "
		"100000) g)",
		"ARRAY(SELECT e.id FROM runstore.executions e ORDER BY e.id)",
		"ARRAY(SELECT e.id FROM runstore.executions e WHERE e.status = 'running')",
		"(SELECT array_agg(e.id) FROM runstore.executions e WHERE e.lease_owner = 'w1')",
		"(SELECT array_agg(e.id ORDER BY e.id DESC) FROM runstore.executions e WHERE e.status = 'running')",
		"'[1:0]={}'::uuid[]",
	};
	// A 100,000-element literal sent from the client (3.8 MB of SQL).
	{
		std::string big = "'{";
		for (int i = 0; i < 100000; ++i) {
			if (i)
				big += ',';
			big += KnownId(1 + (i % 400));
		}
		p.uuid_array.push_back(big + "}'::uuid[]");
	}
	p.int4 = {"NULL",  "NULL::int", "-2147483648", "-2147483647", "-1",       "0",          "1",
	          "2",     "3",         "4",           "16",          "499",      "500",        "501",
	          "1000",  "1001",      "99999",       "100000",      "100001",   "2147483646", "2147483647",
	          "(-1)", "(2147483647)::int"};
	p.int8 = {"NULL",
	          "NULL::bigint",
	          "0",
	          "1",
	          "2",
	          "3",
	          "5",
	          "-1",
	          "9223372036854775807",
	          "-9223372036854775808",
	          "2147483648",
	          "(SELECT e.workspace_id FROM runstore.executions e ORDER BY e.id LIMIT 1)"};
	p.text = {"NULL",
	          "NULL::text",
	          "''",
	          "'w1'",
	          "'w2'",
	          "'fz'",
	          "'tag1'",
	          "'user1'",
	          "repeat('a', 255)",
	          "repeat('a', 256)",
	          "repeat('a', 257)",
	          "repeat('é', 128)",
	          "repeat('é', 129)",
	          "repeat('a', 255) || 'é'",
	          "repeat('x', 1048576)",
	          "repeat('😀', 300000)",
	          "repeat('x', 10485760)",
	          "E'tab\\there\\nnew line'",
	          "'%s%n%p%x%%%s%s%s'",
	          "'''; DROP TABLE runstore.executions; --'",
	          "'\\'",
	          "chr(1) || 'ctl' || chr(127)",
	          "U&'\\200B\\202E\\FEFF'",
	          "chr(1114111)",
	          "chr(0)",
	          "E'nul\\x00byte'",
	          "convert_from('\\xff'::bytea, 'UTF8')",
	          "'ﬀ ǅ İ ß'",
	          "'select_by_ids'",
	          "'delete_by_tag_in_workspace'",
	          "'cpp_exception'",
	          "'pg_error_beneath_cpp'",
	          "'out_of_memory'",
	          "'destructors_run'",
	          "(SELECT e.lease_owner FROM runstore.executions e WHERE e.status = 'running' ORDER BY e.id LIMIT 1)",
	          "'42'::text"};
	p.interval = {"NULL",
	              "NULL::interval",
	              "'0'::interval",
	              "'-1 s'::interval",
	              "'1 microsecond'::interval",
	              "'999 microseconds'::interval",
	              "'1 ms'::interval",
	              "'1 s'::interval",
	              "'60 s'::interval",
	              "'7 days'::interval",
	              "'7 days 1 microsecond'::interval",
	              "'168 hours'::interval",
	              "'1 mon'::interval",
	              "'-1 mon'::interval",
	              "'1 mon -30 days'::interval",
	              "'1 mon -23 days'::interval",
	              "'-1 mon 37 days'::interval",
	              "'12 mons -353 days'::interval",
	              "'-1 mon 30 days 00:00:00.001'::interval",
	              "'1 day -86399.999 s'::interval",
	              "'1000000 years'::interval",
	              "'-1000000 years'::interval",
	              "'178000000 years'::interval",
	              "'2147483647 days'::interval",
	              "'-2147483648 days'::interval",
	              "'2147483647 days 2147483647 mons'::interval",
	              "'-2147483648 mons 1 day'::interval",
	              "make_interval(secs => 9.2e12)",
	              "'infinity'::interval",
	              "'P1Y2M3DT4H5M6S'::interval"};
	p.jsonb = {"NULL",
	           "NULL::jsonb",
	           "'null'::jsonb",
	           "'{}'::jsonb",
	           "'[]'::jsonb",
	           "'\"x\"'::jsonb",
	           "'{\"ok\": true, \"n\": 1e308}'::jsonb",
	           "'{invalid'::jsonb",
	           "'{\"a\": \"\\u0000\"}'::jsonb",
	           "(SELECT jsonb_agg(g) FROM generate_series(1, 100000) g)",
	           "jsonb_build_object('s', repeat('x', 1048576))",
	           "(repeat('[', 3000) || repeat(']', 3000))::jsonb",
	           "(repeat('[', 100000) || repeat(']', 100000))::jsonb",
	           "to_jsonb(repeat('é', 100000))"};
	p.boolean = {"NULL", "NULL::boolean", "true", "false"};
	p.int_array = {"NULL",
	               "NULL::int[]",
	               "'{}'::int[]",
	               "'{1}'::int[]",
	               "'{NULL}'::int[]",
	               "'{1,2}'::int[]",
	               "'{1,NULL,3}'::int[]",
	               "'{-2147483648,2147483647}'::int[]",
	               "'[5:6]={1,1}'::int[]",
	               "'{{1},{1}}'::int[]",
	               "array_fill(1, ARRAY[100000])",
	               "array_fill(1, ARRAY[100001])",
	               "array_fill(1, ARRAY[10])",
	               "(SELECT array_agg(e.attempt) FROM runstore.executions e WHERE e.lease_owner = 'w1')",
	               "(SELECT array_agg(e.attempt ORDER BY e.id DESC) FROM runstore.executions e WHERE e.status = "
	               "'running')"};
	return p;
}

// ---------------------------------------------------------------- functions
enum class T { Uuid, UuidArray, Int4, Int8, Text, Interval, Jsonb, Bool, IntArray };

struct Param {
	const char *name;
	T type;
	bool has_default;
};

struct Function {
	const char *name;
	std::vector<Param> params;
	bool set_returning;
	bool callable; // false: trigger functions, called directly only to see them refused
};

const std::vector<Function> &Functions()
{
	static const std::vector<Function> fns = {
		{"get_executions_by_ids", {{"ids", T::UuidArray, false}, {"workspace_id", T::Int8, true}}, true, true},
		{"delete_many", {{"ids", T::UuidArray, false}, {"workspace_id", T::Int8, true}}, true, true},
		{"delete_by_tag",
		 {{"tag", T::Text, false}, {"max_rows", T::Int4, true}, {"workspace_id", T::Int8, true}},
		 true,
		 true},
		{"recent_workflows",
		 {{"workspace_id", T::Int8, false}, {"max_results", T::Int4, true}, {"user_id", T::Text, true}},
		 true,
		 true},
		{"rebuild_recent_workflows", {{"workspace_id", T::Int8, true}}, false, true},
		{"verify_recent_workflows", {}, true, true},
		{"dequeue",
		 {{"worker", T::Text, false}, {"max_jobs", T::Int4, true}, {"lease", T::Interval, true}},
		 true,
		 true},
		{"heartbeat",
		 {{"worker", T::Text, false},
		  {"ids", T::UuidArray, false},
		  {"lease", T::Interval, true},
		  {"attempts", T::IntArray, true}},
		 true,
		 true},
		{"complete",
		 {{"id", T::Uuid, false}, {"worker", T::Text, false}, {"result", T::Jsonb, true}, {"attempt", T::Int4, true}},
		 false,
		 true},
		{"fail",
		 {{"id", T::Uuid, false},
		  {"worker", T::Text, false},
		  {"error", T::Text, false},
		  {"retryable", T::Bool, true},
		  {"attempt", T::Int4, true}},
		 false,
		 true},
		{"cancel", {{"ids", T::UuidArray, false}, {"workspace_id", T::Int8, true}}, true, true},
		{"uuid_v7", {}, false, true},
		{"_retry_delay", {{"attempt", T::Int4, false}}, false, true},
		{"_statement_text", {{"name", T::Text, false}}, false, true},
		{"_boundary_selftest", {{"mode", T::Text, false}}, false, true},
		{"_maintain_recent_workflows", {}, false, false},
		{"_notify_enqueued", {}, false, false},
	};
	return fns;
}

const char *SqlType(T t)
{
	switch (t) {
	case T::Uuid: return "uuid";
	case T::UuidArray: return "uuid[]";
	case T::Int4: return "integer";
	case T::Int8: return "bigint";
	case T::Text: return "text";
	case T::Interval: return "interval";
	case T::Jsonb: return "jsonb";
	case T::Bool: return "boolean";
	case T::IntArray: return "integer[]";
	}
	return "text";
}

const std::vector<std::string> &PoolFor(const Pools &p, T t)
{
	switch (t) {
	case T::Uuid: return p.uuid;
	case T::UuidArray: return p.uuid_array;
	case T::Int4: return p.int4;
	case T::Int8: return p.int8;
	case T::Text: return p.text;
	case T::Interval: return p.interval;
	case T::Jsonb: return p.jsonb;
	case T::Bool: return p.boolean;
	case T::IntArray: return p.int_array;
	}
	return p.text;
}

// ---------------------------------------------------------------- the session
struct Outcome {
	bool ok = false;
	bool lost = false; // connection gone: the backend died
	std::string sqlstate;
	std::string message;
	std::string first_value;  // first column of the first row, if any
	std::string second_value; // second column of the first row, if any
};

// Rows for COPY runstore.executions (workspace_id, workflow_id, user_id, tags,
// created_at, run_after, priority) FROM STDIN: extremes, NULLs, a 2-D tag array.
std::string CopyData()
{
	return "1\t1\tu\t{fz,copy}\tinfinity\t-infinity\t2147483647\n"
	       "2\t\\N\t\\N\t{}\t-infinity\tinfinity\t-2147483648\n"
	       "9223372036854775807\t-9223372036854775808\t" +
	       std::string(100000, 'u') +
	       "\t{{a,b},{c,d}}\t2026-01-01 00:00:00+00\t2026-01-01 00:00:00+00\t0\n"
	       "-9223372036854775808\t9223372036854775807\t\\N\t[0:1]={fz,NULL}\t1970-01-01 00:00:00+00\t"
	       "4713-01-01 00:00:00+00 BC\t1\n";
}

class Session {
public:
	bool Connect()
	{
		if (conn_)
			PQfinish(conn_);
		conn_ = PQconnectdb("");
		if (PQstatus(conn_) != CONNECTION_OK) {
			std::fprintf(stderr, "fuzz_calls: cannot connect: %s", PQerrorMessage(conn_));
			return false;
		}
		PQsetNoticeProcessor(conn_, [](void *, const char *) {}, nullptr);
		pid_ = PQbackendPID(conn_);
		return true;
	}
	~Session()
	{
		if (conn_)
			PQfinish(conn_);
	}
	int Pid() const { return pid_; }
	bool InTransaction() const { return PQtransactionStatus(conn_) == PQTRANS_INTRANS; }

	// keep_transaction: leave a transaction the statement opened (or one
	// already open) as it is, for the caller to end; otherwise it is rolled
	// back, so that every call starts outside a transaction.
	Outcome Exec(const std::string &sql, bool keep_transaction = false)
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

private:
	PGconn *conn_ = nullptr;
	int pid_ = 0;
};

// ---------------------------------------------------------------- statements
// Values that cost 0.1-1 s each (100k-element arrays, 1-10 MB strings, big
// JSON) are drawn a sixth as often as the others, so that a run of under a
// minute still makes thousands of calls.
bool Heavy(const std::string &v)
{
	return v.size() > 100000 || v.find("100000") != std::string::npos || v.find("1048576") != std::string::npos ||
	       v.find("300000") != std::string::npos;
}

const std::string &PickArg(Rng &rng, const std::vector<std::string> &pool)
{
	const std::string *v = &rng.Pick(pool);
	if (Heavy(*v) && !rng.Chance(1.0 / 6))
		v = &rng.Pick(pool);
	return *v;
}

std::string CallExpr(Rng &rng, const Pools &pools, const Function &fn, std::vector<std::string> *types_out,
                     std::vector<std::string> *args_out)
{
	// Named notation (any order) now and then; trailing defaults left out now and then.
	const bool named = !fn.params.empty() && rng.Chance(0.2);
	size_t n = fn.params.size();
	while (n > 0 && fn.params[n - 1].has_default && rng.Chance(0.3))
		--n;
	std::vector<size_t> order;
	for (size_t i = 0; i < n; ++i)
		order.push_back(i);
	if (named)
		for (size_t i = order.size(); i > 1; --i)
			std::swap(order[i - 1], order[rng.Below(i)]);
	std::string s = std::string("runstore.") + fn.name + "(";
	for (size_t k = 0; k < order.size(); ++k) {
		const Param &p = fn.params[order[k]];
		std::string v = PickArg(rng, PoolFor(pools, p.type));
		// A NULL must still select this overload: cast bare NULLs.
		if (v == "NULL")
			v = std::string("NULL::") + SqlType(p.type);
		if (k)
			s += ", ";
		if (named)
			s += std::string(p.name) + " => ";
		if (types_out) {
			types_out->push_back(SqlType(p.type));
			args_out->push_back(v);
			s += "$" + std::to_string(k + 1);
		} else {
			s += v;
		}
	}
	return s + ")";
}

std::string Wrap(Rng &rng, const Pools &pools, const Function &fn, std::string *shape)
{
	const std::string call = CallExpr(rng, pools, fn, nullptr, nullptr);
	const std::string from = fn.set_returning ? "SELECT * FROM " + call : "SELECT " + call;
	switch (rng.Below(14)) {
	case 0: *shape = "target list"; return "SELECT " + call;
	case 1: *shape = "count"; return "SELECT count(*) FROM (" + from + ") q";
	case 2: *shape = "limit 1"; return from + " LIMIT 1";
	case 3:
		*shape = "lateral x3";
		return "SELECT * FROM generate_series(1, 3) g, LATERAL (" + from + ") x";
	case 4:
		*shape = "explain analyze";
		return "EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) " + from;
	case 5:
		*shape = "savepoint";
		return "BEGIN; SAVEPOINT s; " + from + "; ROLLBACK TO SAVEPOINT s; " + from + "; COMMIT";
	case 6:
		*shape = "cursor";
		return "BEGIN; DECLARE c NO SCROLL CURSOR FOR " + from + "; FETCH 1 FROM c; CLOSE c; COMMIT";
	case 7:
		*shape = "plpgsql exception block";
		return "DO $fz$ BEGIN BEGIN PERFORM * FROM (" + from +
		       ") q; EXCEPTION WHEN others THEN NULL; END; PERFORM * FROM (" + from + ") q; END $fz$";
	case 8:
		*shape = "statement_timeout 1ms";
		return "BEGIN; SET LOCAL statement_timeout = '1ms'; " + from + "; COMMIT";
	case 9:
		*shape = "unprivileged role";
		return "BEGIN; SET LOCAL ROLE runstore_fuzz_noprivs; " + from + "; COMMIT";
	case 10:
		*shape = "hostile search_path";
		return "BEGIN; SET LOCAL search_path = runstore_fuzz_evil, public; " + from + "; COMMIT";
	case 11: {
		*shape = "prepared";
		std::vector<std::string> types, args;
		const std::string pcall = CallExpr(rng, pools, fn, &types, &args);
		std::string tl, al;
		for (size_t i = 0; i < types.size(); ++i) {
			tl += (i ? ", " : "") + types[i];
			al += (i ? ", " : "") + args[i];
		}
		const std::string body = fn.set_returning ? "SELECT * FROM " + pcall : "SELECT " + pcall;
		return "DEALLOCATE ALL; BEGIN; PREPARE fzp" + std::string(types.empty() ? "" : "(" + tl + ")") + " AS " + body +
		       "; EXECUTE fzp" + (types.empty() ? "" : "(" + al + ")") + "; EXECUTE fzp" +
		       (types.empty() ? "" : "(" + al + ")") + "; DEALLOCATE fzp; COMMIT";
	}
	case 12:
		*shape = "cte";
		return "WITH a AS MATERIALIZED (" + from + ") SELECT count(*) FROM a";
	default: *shape = "plain"; return from;
	}
}

// Hostile settings, rows and trigger attachments between calls.
std::vector<std::string> GucStatements()
{
	std::vector<std::string> v;
	const std::vector<std::pair<std::string, std::vector<std::string>>> gucs = {
		{"runstore.max_batch_size", {"0", "-1", "1", "500", "100000", "100001", "2147483647", "'abc'", "''"}},
		{"runstore.lease_timeout", {"0", "'-1s'", "'1ms'", "'1s'", "'7d'", "'8d'", "'1 mon'", "'1000000 years'"}},
		{"runstore.retry_backoff_base", {"0", "'-1'", "'1h'", "'61min'", "'1ms'", "'1000000 years'"}},
		{"runstore.retry_backoff_cap", {"'1ms'", "0", "'7d'", "'8d'", "'1h'"}},
		{"runstore.summary_slot", {"-2", "-1", "0", "15", "16", "2147483647"}},
	};
	for (const auto &g : gucs)
		for (const auto &val : g.second)
			v.push_back("SET " + g.first + " = " + val);
	v.push_back("RESET ALL");
	return v;
}

std::string Reseed()
{
	return "INSERT INTO runstore.executions (id, workspace_id, workflow_id, user_id, tags, payload, priority, "
	       "created_at, run_after) "
	       "SELECT ('00000000-0000-7000-8000-' || lpad(to_hex(g), 12, '0'))::uuid, g % 5 + 1, g % 7 + 1, "
	       "'user' || (g % 3), ARRAY['fz', 'tag' || (g % 4)], jsonb_build_object('g', g), g % 3, "
	       "statement_timestamp() - g * interval '1 s', statement_timestamp() - interval '1 s' "
	       "FROM generate_series(1, " +
	       std::to_string(kKnownIds) + ") g ON CONFLICT (id) DO NOTHING";
}

std::vector<std::string> RowStatements()
{
	return {
		// Extreme values in every column the functions read.
		"INSERT INTO runstore.executions (workspace_id, workflow_id, user_id, created_at, run_after, priority) "
		"VALUES (1, 1, 'u', 'infinity', '-infinity', 2147483647), (1, 2, 'u', '-infinity', 'infinity', "
		"-2147483648)",
		"INSERT INTO runstore.executions (workspace_id, workflow_id, user_id, tags) VALUES "
		"(9223372036854775807, -9223372036854775808, repeat('u', 1048576), '{{fz,a},{b,c}}'), "
		"(-9223372036854775808, 9223372036854775807, '', '[5:6]={fz,NULL}')",
		"INSERT INTO runstore.executions (workspace_id, workflow_id, tags) SELECT 2, 3, "
		"ARRAY(SELECT 'fz' || g FROM generate_series(1, 10000) g)",
		"INSERT INTO runstore.executions (workspace_id, tags, payload) VALUES (3, ARRAY[repeat('t', 1048576)], "
		"jsonb_build_object('s', repeat('x', 1048576)))",
		"INSERT INTO runstore.executions (workspace_id, workflow_id, attempt, max_attempts, run_after) VALUES "
		"(4, 4, 0, 1, '-infinity'), (4, 4, 5, 2, '-infinity')",
		// Rows whose attempt is about to overflow: a clean 22003 from dequeue is
		// acceptable; they are removed again right away so that they do not
		// stall the rest of the run.
		"BEGIN; INSERT INTO runstore.executions (workspace_id, attempt, max_attempts, run_after, priority) "
		"VALUES (5, 2147483647, 2147483647, '-infinity', 2147483647); "
		"SELECT count(*) FROM runstore.dequeue('w1', 5, '1 s'); COMMIT",
		"UPDATE runstore.executions SET created_at = 'infinity' WHERE id IN (SELECT id FROM runstore.executions "
		"ORDER BY id LIMIT 3)",
		"UPDATE runstore.executions SET created_at = '-infinity', workflow_id = -1 WHERE id IN (SELECT id FROM "
		"runstore.executions ORDER BY id DESC LIMIT 3)",
		"UPDATE runstore.executions SET workspace_id = -workspace_id WHERE workspace_id BETWEEN 1 AND 2",
		"UPDATE runstore.executions SET user_id = NULL, workflow_id = NULL WHERE workspace_id = 3",
		"UPDATE runstore.executions SET lease_expires_at = '-infinity', run_after = '-infinity', updated_at = "
		"'-infinity' "
		"WHERE status = 'running'",
		"UPDATE runstore.executions SET run_after = 'infinity' WHERE status = 'queued' AND priority > 1",
		"UPDATE runstore.executions SET id = runstore.uuid_v7() WHERE workspace_id = 4",
		"DELETE FROM runstore.executions WHERE workspace_id < 0 OR attempt > 1000",
		"BEGIN; DELETE FROM runstore.executions WHERE workspace_id = 1; ROLLBACK",
		"TRUNCATE runstore.executions",
		"COPY runstore.executions (workspace_id, workflow_id, user_id, tags, created_at, run_after, priority) FROM "
		"STDIN",
		"COPY (SELECT * FROM runstore.get_executions_by_ids(ARRAY(SELECT e.id FROM runstore.executions e))) TO "
		"STDOUT",
		"SELECT runstore.rebuild_recent_workflows()",
		// Trigger functions where they do not belong.
		"CREATE TEMP TABLE IF NOT EXISTS fz_t (id uuid, workspace_id bigint)",
		"DROP TRIGGER IF EXISTS fz_trg ON fz_t; CREATE TRIGGER fz_trg BEFORE INSERT ON fz_t FOR EACH ROW "
		"EXECUTE FUNCTION runstore._maintain_recent_workflows(); INSERT INTO fz_t VALUES (NULL, 1)",
		"DROP TRIGGER IF EXISTS fz_trg ON fz_t; CREATE TRIGGER fz_trg AFTER INSERT ON fz_t FOR EACH ROW "
		"EXECUTE FUNCTION runstore._maintain_recent_workflows(); INSERT INTO fz_t VALUES (NULL, 1)",
		"DROP TRIGGER IF EXISTS fz_trg ON fz_t; CREATE TRIGGER fz_trg AFTER INSERT ON fz_t FOR EACH STATEMENT "
		"EXECUTE FUNCTION runstore._maintain_recent_workflows(); INSERT INTO fz_t VALUES (NULL, 1)",
		"DROP TRIGGER IF EXISTS fz_trg ON fz_t; CREATE TRIGGER fz_trg AFTER INSERT ON fz_t REFERENCING NEW TABLE "
		"AS runstore_new FOR EACH STATEMENT EXECUTE FUNCTION runstore._maintain_recent_workflows(); "
		"INSERT INTO fz_t VALUES (NULL, 1), (gen_random_uuid(), NULL)",
		"DROP TRIGGER IF EXISTS fz_trg ON fz_t; CREATE TRIGGER fz_trg AFTER DELETE ON fz_t REFERENCING OLD TABLE "
		"AS runstore_old FOR EACH STATEMENT EXECUTE FUNCTION runstore._maintain_recent_workflows(); "
		"INSERT INTO fz_t VALUES (NULL, 1); DELETE FROM fz_t",
		"DROP TRIGGER IF EXISTS fz_trg ON fz_t; CREATE TRIGGER fz_trg AFTER UPDATE ON fz_t REFERENCING OLD TABLE "
		"AS runstore_old NEW TABLE AS runstore_new FOR EACH STATEMENT EXECUTE FUNCTION "
		"runstore._maintain_recent_workflows(); INSERT INTO fz_t VALUES (NULL, 1); UPDATE fz_t SET workspace_id = "
		"2",
		"DROP TRIGGER IF EXISTS fz_trg ON fz_t; CREATE TRIGGER fz_trg AFTER TRUNCATE ON fz_t FOR EACH STATEMENT "
		"EXECUTE FUNCTION runstore._maintain_recent_workflows(); TRUNCATE fz_t",
		"DROP TRIGGER IF EXISTS fz_trg ON fz_t; CREATE TRIGGER fz_trg BEFORE INSERT ON fz_t FOR EACH ROW "
		"EXECUTE FUNCTION runstore._notify_enqueued(); INSERT INTO fz_t VALUES (NULL, 1)",
		"DROP TRIGGER IF EXISTS fz_trg ON fz_t; CREATE TRIGGER fz_trg AFTER DELETE ON fz_t FOR EACH STATEMENT "
		"EXECUTE FUNCTION runstore._notify_enqueued(); DELETE FROM fz_t",
		// A look-alike executions table with the transition-table names runstore expects.
		"CREATE TEMP TABLE IF NOT EXISTS fz_lookalike (LIKE runstore.executions)",
		"DROP TRIGGER IF EXISTS fz_trg2 ON fz_lookalike; CREATE TRIGGER fz_trg2 AFTER INSERT ON fz_lookalike "
		"REFERENCING NEW TABLE AS runstore_new FOR EACH STATEMENT EXECUTE FUNCTION "
		"runstore._maintain_recent_workflows(); INSERT INTO fz_lookalike (id, workspace_id, workflow_id, user_id, "
		"created_at) VALUES (gen_random_uuid(), 77, 1, 'u', now())",
	};
}

struct Stats {
	std::map<std::string, std::map<std::string, long>> per_fn; // fn -> sqlstate ("ok") -> count
	std::map<std::string, long> total;
	std::map<std::string, std::string> sample; // "fn sqlstate" -> one statement
	long calls = 0;
	std::vector<std::string> failures;        // crashes, XX/58 SQLSTATEs
	std::vector<std::string> oracle_failures; // silently wrong answers
};

bool BadSqlstate(const std::string &code)
{
	return code.rfind("XX", 0) == 0 || code.rfind("58", 0) == 0 || code == "(none)";
}

void Record(Stats &st, const std::string &fn, const Outcome &o, const std::string &sql, const std::string &shape)
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

// Oracles: properties checked on successful results.
void Oracles(Session &s, Stats &st, Rng &rng)
{
	// _retry_delay(a) < min(cap, base * 2^(clamp(a-1, 0, 62))) and >= 0, for extreme attempts.
	static const std::vector<std::string> attempts = {"-2147483648", "-2147483647", "-1", "0", "1", "2", "30",
	                                                  "62", "63", "2147483647"};
	const std::string a = rng.Pick(attempts);
	const std::string sql =
		"SELECT d >= interval '0' AND (extract(epoch FROM d) * 1000 < least(c, b * power(2::numeric, greatest(0, "
		"least(62, " +
		a +
		"::bigint - 1)))) OR d = interval '0' AND least(c, b) = 0) FROM (SELECT runstore._retry_delay(" + a +
		") d, extract(epoch FROM current_setting('runstore.retry_backoff_cap')::interval) * 1000 c, "
		"extract(epoch FROM current_setting('runstore.retry_backoff_base')::interval) * 1000 b) q";
	Outcome o = s.Exec(sql);
	Record(st, "oracle:_retry_delay", o, sql, "oracle");
	if (o.ok && o.first_value != "t")
		st.oracle_failures.push_back("runstore._retry_delay(" + a +
		                      ") is outside [0, min(cap, base * 2^(max(attempt, 1) - 1))): " + sql);
	// A lease ends 1 ms to 7 days after the statement that set it (the
	// documented bounds of `lease`).
	const std::string lsql = "SELECT count(*) FILTER (WHERE lease_expires_at > updated_at + interval '7 days'), "
	                         "count(*) FILTER (WHERE lease_expires_at < updated_at + interval '1 ms') "
	                         "FROM runstore.executions WHERE status = 'running'";
	o = s.Exec(lsql);
	Record(st, "oracle:lease bounds", o, lsql, "oracle");
	if (o.ok && (o.first_value != "0" || o.second_value != "0"))
		st.oracle_failures.push_back("a lease set by dequeue/heartbeat is outside 1 ms - 7 days: " + o.first_value +
		                             " running executions end more than 7 days, " + o.second_value +
		                             " less than 1 ms after the call that set them: " + lsql);
}

// ---------------------------------------------------------------- reshaped tables
// --reshape: runstore.executions and the slot tables changed the way users
// change them (a primary key (workspace_id, id), as Citus needs; extra
// indexes; columns added, dropped or retyped; triggers disabled), one case
// at a time on a freshly created extension, with the hostile calls fired in
// between, half with direct paths on and half off.  A direct path (heap and
// index access standing in for an SQL statement) proves the shape it needs
// and caches the proof per relation: a proof kept past a change would read
// an index or a column as something it no longer is, which crashes the
// backend or answers wrongly.  So a committed change is made by a second
// session after the fuzzing session has cached every shape (its backend
// learns of the change only from the shared invalidation queue); other
// cases change the tables inside the fuzzing session's own transaction and
// roll back, with calls before and after; one changes them under an older
// snapshot.  Oracles compare the answers with plain SQL after each change
// and at the end of each case.

enum class Txn {
	kCommitted,           // reshaped and committed, then the calls
	kRolledBack,          // calls inside the reshaping transaction, ROLLBACK, then calls
	kSavepointRolledBack, // reshaped after a savepoint, calls, ROLLBACK TO it, calls, COMMIT, then calls
};

struct ReshapeCase {
	std::string name;
	std::vector<std::string> ddl; // each must succeed: a case that could not reshape tests nothing
	Txn txn = Txn::kCommitted;
	// verify_recent_workflows() exists and must come back empty after the
	// calls: not when the columns it compares were retyped (it had to be
	// dropped), nor when the triggers that keep the summaries were disabled.
	bool summaries_exact = true;
	// The SQLSTATE the last statement fails with, leaving its trace behind
	// (a failed CREATE INDEX CONCURRENTLY leaves an invalid index); nullptr: it succeeds.
	const char *last_fails_with = nullptr;
	// Run by another session while the fuzzing session holds a REPEATABLE
	// READ snapshot taken after `ddl`; the lookups are checked in that
	// snapshot, then after it.
	std::vector<std::string> under_old_snapshot = {};
};

const char *const kKeyWithWorkspace =
	"ALTER TABLE runstore.executions DROP CONSTRAINT executions_pkey, ADD PRIMARY KEY (workspace_id, id)";

// verify_recent_workflows() is BEGIN ATOMIC: PostgreSQL refuses to retype or
// drop a column it reads, so a user who does drops it first.
const char *const kDropVerify = "ALTER EXTENSION runstore DROP FUNCTION runstore.verify_recent_workflows(); "
                                "DROP FUNCTION runstore.verify_recent_workflows()";

std::string Retype(const std::string &column, const std::string &type_and_using)
{
	return "ALTER TABLE runstore.executions ALTER COLUMN " + column + " TYPE " + type_and_using;
}

std::string SlotIndex(const std::string &table, const std::string &definition)
{
	return "CREATE INDEX ON runstore." + table + " " + definition;
}

std::vector<ReshapeCase> ReshapeCases()
{
	const std::string key = kKeyWithWorkspace;
	const auto index = [](const std::string &definition) { return "CREATE INDEX ON runstore.executions " + definition; };
	const std::string ws_slot = "workspace_recent_workflow_slot", user_slot = "user_recent_workflow_slot";
	// Two of the extension's and seven more: past what a direct write handles.
	std::vector<std::string> many_slot_indexes;
	for (const char *columns : {"(workflow_id)", "(slot)", "(last_used_at)", "(last_execution_id)", "(workspace_id)",
	                            "(workflow_id, slot)", "(last_used_at, workflow_id)"})
		many_slot_indexes.push_back(SlotIndex(ws_slot, columns));
	return {
		{"as installed", {}},
		// The key users set for Citus, the 0.2.0 key: the index led by id is gone.
		{"primary key (workspace_id, id)", {key}},
		{"primary key (workspace_id, id), index on id", {key, index("(id)")}},
		{"primary key (workspace_id, id), unique index on id", {key, "CREATE UNIQUE INDEX ON runstore.executions (id)"}},
		{"primary key (id, workspace_id)",
		 {"ALTER TABLE runstore.executions DROP CONSTRAINT executions_pkey, ADD PRIMARY KEY (id, workspace_id)"}},
		{"no primary key", {"ALTER TABLE runstore.executions DROP CONSTRAINT executions_pkey"}},
		// A shape cached inside a transaction must be forgotten when it rolls back.
		{"primary key (workspace_id, id) in a transaction rolled back", {key}, Txn::kRolledBack},
		{"primary key (workspace_id, id) and an index on id after a savepoint rolled back to",
		 {key, index("(id)")},
		 Txn::kSavepointRolledBack},
		{"columns added with defaults and payload dropped, in a transaction rolled back",
		 {"ALTER TABLE runstore.executions ADD COLUMN region text NOT NULL DEFAULT 'eu-west', DROP COLUMN payload"},
		 Txn::kRolledBack},
		{"primary key (workspace_id, id) and slot-table indexes after a savepoint rolled back to",
		 {key, SlotIndex(ws_slot, "USING brin (last_used_at)"), SlotIndex(user_slot, "USING hash (user_id)")},
		 Txn::kSavepointRolledBack},
		// Rows stored before ADD COLUMN ... DEFAULT lack the column physically.
		{"columns added with defaults, payload dropped",
		 {"ALTER TABLE runstore.executions ADD COLUMN region text NOT NULL DEFAULT 'eu-west', "
		  "ADD COLUMN shard bigint DEFAULT 42, DROP COLUMN payload"}},
		{"primary key (workspace_id, id), a column added with a default, result dropped",
		 {key, "ALTER TABLE runstore.executions ADD COLUMN note text DEFAULT 'n', DROP COLUMN result"}},
		// Extra indexes beside the key (workspace_id, id): none of them may pass for an index led by id.
		{"primary key (workspace_id, id), hash index on id", {key, index("USING hash (id)")}},
		{"primary key (workspace_id, id), BRIN index on created_at", {key, index("USING brin (created_at)")}},
		{"primary key (workspace_id, id), B-tree (id DESC)", {key, index("(id DESC)")}},
		{"primary key (workspace_id, id), partial unique index on id WHERE workspace_id > 0",
		 {key, "CREATE UNIQUE INDEX ON runstore.executions (id) WHERE workspace_id > 0"}},
		{"primary key (workspace_id, id), expression index on (id::text)", {key, index("((id::text))")}},
		{"primary key (workspace_id, id), B-tree (created_at, id)", {key, index("(created_at, id)")}},
		{"as installed, plus hash, BRIN, descending, partial, expression and (created_at, id) indexes",
		 {index("USING hash (id)"), index("USING brin (created_at)"), index("(id DESC)"),
		  "CREATE UNIQUE INDEX ON runstore.executions (id) WHERE workspace_id > 0", index("((id::text))"),
		  index("(created_at, id)")}},
		// Columns the trigger and the lookups read, retyped: every direct path must run its statement.
		{"user_id retyped to integer USING NULL", {kDropVerify, Retype("user_id", "integer USING NULL")}, Txn::kCommitted,
		 false},
		{"user_id retyped to integer USING length(user_id)",
		 {kDropVerify, Retype("user_id", "integer USING length(user_id)")},
		 Txn::kCommitted,
		 false},
		{"user_id retyped to varchar(64)", {kDropVerify, Retype("user_id", "varchar(64)")}, Txn::kCommitted, false},
		{"user_id with a nondeterministic collation",
		 {kDropVerify, Retype("user_id", "text COLLATE public.runstore_fuzz_ci")},
		 Txn::kCommitted,
		 false},
		{"workflow_id retyped to integer", {kDropVerify, Retype("workflow_id", "integer")}, Txn::kCommitted, false},
		{"created_at retyped to timestamp without time zone",
		 {kDropVerify, Retype("created_at", "timestamp without time zone")},
		 Txn::kCommitted,
		 false},
		{"workspace_id retyped to integer",
		 {kDropVerify, Retype("workspace_id", "integer USING (workspace_id % 1000000)::integer")},
		 Txn::kCommitted,
		 false},
		{"id retyped to text", {kDropVerify, Retype("id", "text")}, Txn::kCommitted, false},
		// Same name and type, another attribute number; the summaries rebuilt, so they are exact again.
		{"user_id dropped and added again, verify_recent_workflows recreated",
		 {"DO $fz$ DECLARE def text := pg_get_functiondef('runstore.verify_recent_workflows()'::regprocedure); "
		  "BEGIN " +
		      std::string(kDropVerify) +
		      "; ALTER TABLE runstore.executions DROP COLUMN user_id; "
		      "ALTER TABLE runstore.executions ADD COLUMN user_id text; EXECUTE def; END $fz$",
		  // The new column is NULL in every row: give most of them a user again.
		  "UPDATE runstore.executions SET user_id = (length(id::text) % 3 + 1)::text WHERE workspace_id <> 0",
		  "SELECT runstore.rebuild_recent_workflows()"}},
		// The claim frontier relies on these triggers' announcements.
		{"_register_priorities triggers disabled",
		 {"ALTER TABLE runstore.executions DISABLE TRIGGER executions_register_priorities_insert, "
		  "DISABLE TRIGGER executions_register_priorities_update"}},
		{"_register_priorities triggers enabled for replicas only",
		 {"ALTER TABLE runstore.executions ENABLE REPLICA TRIGGER executions_register_priorities_insert, "
		  "ENABLE REPLICA TRIGGER executions_register_priorities_update"}},
		{"every user trigger disabled", {"ALTER TABLE runstore.executions DISABLE TRIGGER USER"}, Txn::kCommitted,
		 false},
		// The slot tables the INSERT upkeep writes directly.
		{"slot tables with extra BRIN, hash and B-tree indexes",
		 {SlotIndex(ws_slot, "USING brin (last_used_at)"), SlotIndex(ws_slot, "USING hash (workflow_id)"),
		  SlotIndex(ws_slot, "(last_execution_id)"), SlotIndex(user_slot, "USING brin (last_used_at)"),
		  SlotIndex(user_slot, "USING hash (user_id)"), SlotIndex(user_slot, "(user_id, workflow_id)")}},
		{"workspace slot table with 9 indexes", many_slot_indexes},
		{"slot tables with an expression index and a partial index",
		 {SlotIndex(ws_slot, "((workflow_id % 7))"), SlotIndex(user_slot, "(user_id) WHERE slot = 0")}},
		{"slot column retyped to integer in both slot tables",
		 {"ALTER TABLE runstore.workspace_recent_workflow_slot ALTER COLUMN slot TYPE integer",
		  "ALTER TABLE runstore.user_recent_workflow_slot ALTER COLUMN slot TYPE integer"}},
		{"slot tables' primary keys in another column order",
		 {"ALTER TABLE runstore.workspace_recent_workflow_slot DROP CONSTRAINT workspace_recent_workflow_slot_pkey, "
		  "ADD PRIMARY KEY (workspace_id, workflow_id, last_used_at, last_execution_id, slot)",
		  "ALTER TABLE runstore.user_recent_workflow_slot DROP CONSTRAINT user_recent_workflow_slot_pkey, "
		  "ADD PRIMARY KEY (workspace_id, user_id, workflow_id, last_execution_id, last_used_at, slot)"}},
		{"slot tables with a row trigger",
		 {"CREATE TRIGGER fz_audit AFTER INSERT OR UPDATE OR DELETE ON runstore.workspace_recent_workflow_slot "
		  "FOR EACH ROW EXECUTE FUNCTION public.runstore_fuzz_noop()",
		  "CREATE TRIGGER fz_audit AFTER INSERT OR UPDATE OR DELETE ON runstore.user_recent_workflow_slot "
		  "FOR EACH ROW EXECUTE FUNCTION public.runstore_fuzz_noop()"}},
		// A unique index on id built concurrently over ids repeated across workspaces: it fails, and stays, invalid.
		{"primary key (workspace_id, id), an invalid unique index on id left by CREATE INDEX CONCURRENTLY",
		 {key,
		  "INSERT INTO runstore.executions (id, workspace_id, workflow_id, user_id) SELECT e.id, -1, e.workflow_id, "
		  "e.user_id FROM runstore.executions e WHERE e.workspace_id = 0 ORDER BY e.id LIMIT 5",
		  "CREATE UNIQUE INDEX CONCURRENTLY fz_id_invalid ON runstore.executions (id)"},
		 Txn::kCommitted,
		 true,
		 "23505"},
		// An index built while a snapshot older than some HOT updates of the
		// indexed column is held: PostgreSQL marks it (indcheckxmin) unusable by
		// that snapshot, whose rows it does not index under the keys they had.
		{"index on id built while an older snapshot still sees HOT-updated ids (indcheckxmin)",
		 {"ALTER TABLE runstore.executions SET (fillfactor = 50)", "VACUUM FULL runstore.executions",
		  "ALTER TABLE runstore.executions DROP CONSTRAINT executions_pkey",
		  "DROP INDEX runstore.executions_claimable_idx, runstore.executions_workflow_recent_idx, "
		  "runstore.executions_user_workflow_recent_idx"},
		 Txn::kCommitted,
		 true,
		 nullptr,
		 {"UPDATE runstore.executions SET id = runstore.uuid_v7() WHERE workspace_id IN (0, -1, 1)",
		  "CREATE INDEX fz_id ON runstore.executions (id)",
		  "DO $fz$ BEGIN IF NOT (SELECT i.indcheckxmin FROM pg_index i WHERE i.indexrelid = 'runstore.fz_id'::regclass) "
		  "THEN RAISE EXCEPTION 'no broken HOT chain: indcheckxmin is off'; END IF; END $fz$"}},
		// New relfilenodes, same shapes.
		{"tables rewritten (REINDEX, CLUSTER, VACUUM FULL, SET UNLOGGED)",
		 {"REINDEX TABLE runstore.executions", "CLUSTER runstore.executions USING executions_pkey",
		  "VACUUM FULL runstore.workspace_recent_workflow_slot", "ALTER TABLE runstore.executions SET UNLOGGED",
		  "ALTER TABLE runstore.user_recent_workflow_slot SET UNLOGGED"}},
		// A user moving to partitioning: the old table renamed away, a partitioned one under the name, the
		// triggers recreated on it.  The functions still return the old table's row type.
		{"executions replaced by a table partitioned by hash (workspace_id)",
		 {"ALTER TABLE runstore.executions RENAME TO executions_unpartitioned",
		  "CREATE TABLE runstore.executions (LIKE runstore.executions_unpartitioned INCLUDING DEFAULTS INCLUDING "
		  "CONSTRAINTS, PRIMARY KEY (workspace_id, id)) PARTITION BY HASH (workspace_id)",
		  "CREATE TABLE runstore.executions_p0 PARTITION OF runstore.executions FOR VALUES WITH (MODULUS 2, REMAINDER 0)",
		  "CREATE TABLE runstore.executions_p1 PARTITION OF runstore.executions FOR VALUES WITH (MODULUS 2, REMAINDER 1)",
		  "CREATE INDEX ON runstore.executions (id)",
		  "CREATE INDEX ON runstore.executions (priority DESC, run_after, id) WHERE status IN ('queued', 'running')",
		  "INSERT INTO runstore.executions SELECT * FROM runstore.executions_unpartitioned",
		  "CREATE TRIGGER fz_insert AFTER INSERT ON runstore.executions REFERENCING NEW TABLE AS runstore_new "
		  "FOR EACH STATEMENT EXECUTE FUNCTION runstore._maintain_recent_workflows(); "
		  "CREATE TRIGGER fz_update AFTER UPDATE ON runstore.executions REFERENCING OLD TABLE AS runstore_old "
		  "NEW TABLE AS runstore_new FOR EACH STATEMENT EXECUTE FUNCTION runstore._maintain_recent_workflows(); "
		  "CREATE TRIGGER fz_delete AFTER DELETE ON runstore.executions REFERENCING OLD TABLE AS runstore_old "
		  "FOR EACH STATEMENT EXECUTE FUNCTION runstore._maintain_recent_workflows(); "
		  "CREATE TRIGGER fz_priorities_insert AFTER INSERT ON runstore.executions REFERENCING NEW TABLE AS "
		  "runstore_new FOR EACH STATEMENT EXECUTE FUNCTION runstore._register_priorities(); "
		  "CREATE TRIGGER fz_priorities_update AFTER UPDATE ON runstore.executions REFERENCING NEW TABLE AS "
		  "runstore_new FOR EACH STATEMENT EXECUTE FUNCTION runstore._register_priorities()"},
		 Txn::kCommitted,
		 false},
		// The views and verify_recent_workflows() read these columns: dropped first, as a user must.
		{"slot columns retyped (last_used_at to timestamp, user_id to varchar)",
		 {kDropVerify,
		  "ALTER EXTENSION runstore DROP VIEW runstore.workspace_recent_workflow; "
		  "DROP VIEW runstore.workspace_recent_workflow",
		  "ALTER EXTENSION runstore DROP VIEW runstore.user_recent_workflow; DROP VIEW runstore.user_recent_workflow",
		  "ALTER TABLE runstore.workspace_recent_workflow_slot ALTER COLUMN last_used_at TYPE timestamp",
		  "ALTER TABLE runstore.user_recent_workflow_slot ALTER COLUMN user_id TYPE varchar(300)"},
		 Txn::kCommitted,
		 false},
	};
}

// Workspace ids at the ends of bigint and far from small numbers, where a
// key read with the wrong width or order would show.
const std::vector<std::string> kEdgeWorkspaces = {"9223372036854775807", "9223372036854775806",
                                                  "-9223372036854775808", "-1", "0", "1152921504606846976"};

// The generator's pools without the values that cost 0.1-1 s each (the
// phase runs a few hundred calls per case), with the edge workspaces and the
// user ids the seed gives.
Pools ReshapePools(const Pools &all)
{
	Pools p = all;
	for (auto *pool : {&p.uuid, &p.uuid_array, &p.int4, &p.text, &p.interval, &p.jsonb, &p.boolean, &p.int_array}) {
		std::vector<std::string> light;
		for (const auto &v : *pool)
			if (!Heavy(v))
				light.push_back(v);
		*pool = light;
	}
	p.int8 = {"NULL", "NULL::bigint", "1", "2",
	          "(SELECT e.workspace_id FROM runstore.executions e ORDER BY e.id LIMIT 1)"};
	p.int8.insert(p.int8.end(), kEdgeWorkspaces.begin(), kEdgeWorkspaces.end());
	p.text.insert(p.text.end(), {"'1'", "'2'", "'3'"});
	return p;
}

// The calls of the functions that read or write the reshaped tables;
// get_executions_by_ids, whose index probe depends most on the key, twice
// as often.
std::vector<const Function *> ReshapeFunctions()
{
	std::vector<const Function *> v;
	for (const auto &fn : Functions()) {
		const std::string name = fn.name;
		if (!fn.callable || name == "uuid_v7" || name == "_retry_delay" || name == "_statement_text" ||
		    name == "_boundary_selftest")
			continue;
		v.push_back(&fn);
		if (name == "get_executions_by_ids")
			v.push_back(&fn);
	}
	return v;
}

std::vector<std::string> ReshapeRowStatements()
{
	std::vector<std::string> v;
	for (const auto &sql : RowStatements())
		if (!Heavy(sql))
			v.push_back(sql);
	const std::vector<std::string> edge = {
		"INSERT INTO runstore.executions (workspace_id, workflow_id, user_id, created_at) VALUES "
		"(9223372036854775807, 1, '1', now()), (9223372036854775806, 2, '2', now()), "
		"(-9223372036854775808, 3, NULL, now()), (-1, 4, '1', now() - interval '1 h'), (0, NULL, '3', now()), "
		"(1152921504606846976, 5, '2', now() + interval '1 h')",
		// The same ids in another workspace: only a key that includes workspace_id lets them in.
		"INSERT INTO runstore.executions (id, workspace_id, workflow_id, user_id, created_at) SELECT e.id, "
		"-e.workspace_id - 1, e.workflow_id, e.user_id, e.created_at FROM runstore.executions e "
		"WHERE e.workspace_id IN (0, 9223372036854775807) ORDER BY e.id LIMIT 3",
		"UPDATE runstore.executions SET workspace_id = 9223372036854775806 WHERE id IN (SELECT e.id FROM "
		"runstore.executions e WHERE e.workspace_id = 9223372036854775807 ORDER BY e.id LIMIT 5)",
		"UPDATE runstore.executions SET workspace_id = -9223372036854775808, created_at = created_at + interval '1 s' "
		"WHERE workspace_id = 0",
		"UPDATE runstore.executions SET user_id = NULL, workflow_id = workflow_id + 1 "
		"WHERE workspace_id = 1152921504606846976",
		"UPDATE runstore.executions SET error = 'e' WHERE workspace_id = -1",
		"DELETE FROM runstore.executions WHERE id IN (SELECT e.id FROM runstore.executions e "
		"WHERE e.workspace_id = 9223372036854775806 ORDER BY e.created_at LIMIT 4)",
		"DELETE FROM runstore.executions WHERE workspace_id = -9223372036854775808 AND workflow_id = 3",
	};
	v.insert(v.end(), edge.begin(), edge.end());
	return v;
}

// The known ids, spread over the edge workspaces and two small ones.
// json_populate_record converts each value to the column's type as it is
// now, so the same statement seeds a retyped user_id, workflow_id or
// created_at; a workspace_id retyped to integer gets the edge values folded
// into its range.  Ids already present are skipped: the key may not be on id.
std::string ReshapeSeed()
{
	std::string workspaces;
	for (const auto &w : kEdgeWorkspaces)
		workspaces += w + ", ";
	return "INSERT INTO runstore.executions (id, workspace_id, workflow_id, user_id, tags, priority, created_at, "
	       "run_after) "
	       "SELECT r.id, r.workspace_id, r.workflow_id, r.user_id, r.tags, r.priority, r.created_at, r.run_after "
	       "FROM (SELECT a.atttypid = 'bigint'::regtype AS wide FROM pg_attribute a "
	       "WHERE a.attrelid = 'runstore.executions'::regclass AND a.attname = 'workspace_id') t, "
	       "generate_series(1, " +
	       std::to_string(kKnownIds) +
	       ") g, "
	       "LATERAL (SELECT (ARRAY[" +
	       workspaces +
	       "1, 2]::bigint[])[g % 8 + 1] AS w) ws, "
	       "LATERAL json_populate_record(NULL::runstore.executions, json_build_object("
	       "'id', '00000000-0000-7000-8000-' || lpad(to_hex(g), 12, '0'), "
	       "'workspace_id', CASE WHEN t.wide THEN ws.w ELSE ws.w % 1000000 END, "
	       "'workflow_id', CASE WHEN g % 11 = 0 THEN NULL ELSE g % 7 + 1 END, "
	       "'user_id', CASE WHEN g % 5 = 0 THEN NULL ELSE (g % 3 + 1)::text END, "
	       "'tags', ARRAY['fz', 'tag' || (g % 4)], 'priority', g % 3, "
	       "'created_at', statement_timestamp() - g * interval '1 s', "
	       "'run_after', statement_timestamp() - interval '1 s')) r "
	       "WHERE NOT EXISTS (SELECT FROM runstore.executions e WHERE e.id = r.id)";
}

// Whether a statement would end (or try to nest) the transaction a rollback case keeps open.
bool ControlsTransaction(const std::string &sql)
{
	return sql.find("BEGIN;") != std::string::npos || sql.find("COMMIT") != std::string::npos ||
	       sql.find("ROLLBACK") != std::string::npos;
}

struct ReshapeTally {
	int cases = 0;
	long calls_direct = 0;    // with runstore.direct_paths on
	long calls_statement = 0; // with it off
	long oracles_held = 0;
	long oracles_not_applicable = 0; // plain SQL could not ask, or the table had nothing to ask for
};

class ReshapePhase {
public:
	ReshapePhase(Session &s, Stats &st, Rng &rng, const Pools &pools, int calls_per_case, bool verbose)
		: s_(s), st_(st), rng_(rng), pools_(ReshapePools(pools)), fns_(ReshapeFunctions()),
		  rows_(ReshapeRowStatements()), calls_per_case_(calls_per_case), verbose_(verbose)
	{
	}

	// The second session, and objects some cases attach to the tables (they outlive DROP EXTENSION).
	bool Setup()
	{
		// A lock wait on the fuzzing session would never end: it waits for this one.
		if (!dba_.Connect() || !dba_.Exec("SET client_min_messages = error").ok ||
		    !dba_.Exec("SET lock_timeout = '10s'").ok)
			return false;
		for (const char *sql :
		     {"SET client_min_messages = error",
		      "CREATE OR REPLACE FUNCTION public.runstore_fuzz_noop() RETURNS trigger LANGUAGE plpgsql AS "
		      "$$BEGIN RETURN NULL; END$$",
		      "CREATE COLLATION IF NOT EXISTS public.runstore_fuzz_ci "
		      "(provider = icu, locale = 'und-u-ks-level2', deterministic = false)"}) {
			const Outcome o = s_.Exec(sql);
			if (!o.ok) {
				std::fprintf(stderr, "fuzz_calls: reshape set-up failed: %s\n%s\n", sql, o.message.c_str());
				return false;
			}
		}
		return true;
	}

	// One case; false when the connection was lost and could not be made again.
	bool RunCase(const ReshapeCase &c, int number, int total)
	{
		const auto t0 = std::chrono::steady_clock::now();
		const ReshapeTally before = tally_;
		case_ = c.name;
		const int n = calls_per_case_;
		std::string usable_inside;
		bool ok = Restore();
		if (ok && c.txn == Txn::kCommitted) {
			WarmUp();
			ok = Reshape(c, &dba_);
			if (ok && !c.under_old_snapshot.empty())
				ok = OldSnapshot(c, &usable_inside);
		} else if (ok && c.txn == Txn::kRolledBack) {
			ok = Begin() && Reshape(c, nullptr);
			if (ok) {
				usable_inside = Usable();
				Calls(n / 8, true);
				Lookups();
				Calls(n / 8, false);
				Lookups();
			}
			ok = End("ROLLBACK") && ok;
		} else if (ok) {
			ok = Begin() && Control("SAVEPOINT fz_reshape") && Reshape(c, nullptr);
			if (ok) {
				usable_inside = Usable();
				Calls(n / 8, true);
				Lookups();
				ok = Control("ROLLBACK TO SAVEPOINT fz_reshape");
				Calls(n / 8, false);
				Lookups();
				Calls(n / 8, true);
			}
			ok = End(ok ? "COMMIT" : "ROLLBACK") && ok;
		}
		std::string usable;
		if (ok && !lost_) {
			usable = Usable();
			Lookups(); // first, on the seed rows: the calls may leave none (TRUNCATE, writes refused)
			const int outside = c.txn == Txn::kCommitted ? n : n / 2;
			Calls(outside / 2, true);
			Calls(outside - outside / 2, false);
			Oracles(c);
		}
		tally_.cases++;
		const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
		const std::string shown = (usable_inside.empty() ? "" : usable_inside + " in the transaction, ") +
		                          (usable.empty() ? "-" : usable) + (usable_inside.empty() ? "" : " after");
		std::printf("  case %2d/%d %s: %ld calls, oracles %ld held, %ld n/a, usable %s%s, %.1f s\n", number, total,
		            c.name.c_str(),
		            tally_.calls_direct + tally_.calls_statement - before.calls_direct - before.calls_statement,
		            tally_.oracles_held - before.oracles_held,
		            tally_.oracles_not_applicable - before.oracles_not_applicable, shown.c_str(),
		            ok ? "" : " (NOT SET UP)", secs);
		std::fflush(stdout);
		return Reconnect();
	}

	// The extension as installed, with the seed rows: before each case, and after the last.  The
	// schema goes too: a case may leave tables in it that only depend on the extension's types.
	bool Restore()
	{
		in_txn_ = false;
		for (const std::string &sql : {std::string("RESET ALL"), std::string("SET client_min_messages = error"),
		                               std::string("DROP EXTENSION IF EXISTS runstore CASCADE; DROP SCHEMA IF EXISTS runstore CASCADE; "
		                                           "CREATE EXTENSION runstore"),
		                               ReshapeSeed()}) {
			const Outcome o = Exec(sql, "(restore)", "restore");
			if (!o.ok) {
				st_.failures.push_back("reshape case '" + case_ + "': the extension could not be restored: " +
				                       Trunc(sql, 200) + "\n    " + Trunc(o.message, 400));
				return false;
			}
		}
		return true;
	}

	// The database as the other phases had it: the extension as installed, with rows.
	bool Finish()
	{
		case_ = "(after the last case)";
		return Restore();
	}

	const ReshapeTally &Tally() const { return tally_; }

private:
	// `sql` as it is, in `on` (the fuzzing session, or the other one):
	// recorded, shown with --verbose, a lost connection noted.
	Outcome Run(Session &on, const std::string &sql, const std::string &fn, const std::string &shape)
	{
		if (lost_)
			return Outcome{};
		const bool other = &on != &s_;
		const Outcome o = on.Exec(sql, !other && in_txn_);
		if (verbose_)
			std::fprintf(stderr, "%-60.60s %-26s %-6s %s%s\n", case_.c_str(), fn.c_str(),
			             o.lost ? "LOST" : (o.ok ? "ok" : o.sqlstate.c_str()), other ? "(other session) " : "",
			             Trunc(sql, 160).c_str());
		Record(st_, fn, o, sql, "reshape case '" + case_ + "'; " + shape);
		if (o.lost) {
			lost_ = true;
			std::fprintf(stderr, "fuzz_calls: connection lost in reshape case '%s' after: %s\n", case_.c_str(),
			             Trunc(sql, 2000).c_str());
		}
		return o;
	}

	// One statement of the fuzzing session; inside a case's transaction under
	// its own savepoint, so that an error ends the statement, not the
	// transaction whose rollback (or snapshot) the case is about.
	Outcome Exec(const std::string &sql, const std::string &fn, const std::string &shape)
	{
		if (!in_txn_ || lost_)
			return Run(s_, sql, fn, shape);
		s_.Exec("SAVEPOINT fz_call", true);
		const Outcome o = Run(s_, sql, fn, shape);
		if (!o.lost)
			s_.Exec(o.ok ? "RELEASE SAVEPOINT fz_call" : "ROLLBACK TO SAVEPOINT fz_call", true);
		return o;
	}

	// A statement the case depends on, in the fuzzing session or in `other`:
	// unless it succeeds (or fails with `fails_with`), the case tests nothing
	// and fails.
	bool Step(const std::string &sql, Session *other = nullptr, const char *fails_with = nullptr)
	{
		const Outcome o = other != nullptr ? Run(*other, sql, "(reshape)", "reshape by another session")
		                                   : Exec(sql, "(reshape)", "reshape");
		if (lost_)
			return false;
		if (fails_with == nullptr ? o.ok : o.sqlstate == fails_with)
			return true;
		st_.failures.push_back("reshape case '" + case_ + "' could not be set up: " + Trunc(sql, 300) +
		                       (fails_with != nullptr ? std::string(" should fail with ") + fails_with : "") + "\n    " +
		                       (o.ok ? std::string("it succeeded") : o.sqlstate + " " + Trunc(o.message, 400)));
		return false;
	}

	// A savepoint or a rollback to one, inside the case's transaction: not under a savepoint of its own.
	bool Control(const std::string &sql)
	{
		const Outcome o = Run(s_, sql, "(reshape)", "transaction control");
		if (!o.ok && !o.lost)
			st_.failures.push_back("reshape case '" + case_ + "': " + sql + " failed: " + o.sqlstate + " " +
			                       Trunc(o.message, 400));
		return o.ok;
	}

	// The case's statements, in the fuzzing session (inside the case's
	// transaction) or, committed one by one, in `dba`: as an administrator
	// alters a table while the application's backends have its shapes
	// cached, which they learn of only from the shared invalidation queue.
	// Then the lookups are checked after each statement.
	bool Reshape(const ReshapeCase &c, Session *dba)
	{
		for (size_t i = 0; i < c.ddl.size(); ++i) {
			if (!Step(c.ddl[i], dba, i + 1 == c.ddl.size() ? c.last_fails_with : nullptr))
				return false;
			if (dba != nullptr)
				Lookups();
		}
		return true;
	}

	// The fuzzing session takes a REPEATABLE READ snapshot (without locking
	// the tables, or the other session would wait for it), the other session
	// changes the tables under it, then the lookups and some calls run in it.
	bool OldSnapshot(const ReshapeCase &c, std::string *usable_inside)
	{
		bool ok = Begin("BEGIN ISOLATION LEVEL REPEATABLE READ") && Step("SELECT 1");
		for (size_t i = 0; ok && i < c.under_old_snapshot.size(); ++i)
			ok = Step(c.under_old_snapshot[i], &dba_);
		if (ok) {
			*usable_inside = Usable();
			Lookups();
			Calls(calls_per_case_ / 8, true);
			Lookups();
		}
		return End(ok ? "COMMIT" : "ROLLBACK") && ok;
	}

	// Calls that take every direct path, so that the fuzzing session has each
	// shape cached before another session changes it.
	void WarmUp()
	{
		SetDirect(true);
		for (const char *sql :
		     {"SELECT count(*) FROM runstore.get_executions_by_ids(ARRAY(SELECT e.id FROM runstore.executions e "
		      "ORDER BY e.id LIMIT 50))",
		      "SELECT count(*) FROM runstore.get_executions_by_ids(ARRAY(SELECT e.id FROM runstore.executions e "
		      "ORDER BY e.id LIMIT 50), 0)",
		      "INSERT INTO runstore.executions (workspace_id, workflow_id, user_id) VALUES (0, 1, '1'), "
		      "(9223372036854775807, 2, '2')",
		      "UPDATE runstore.executions SET created_at = created_at + interval '1 ms' WHERE workspace_id = 0",
		      "SELECT count(*) FROM runstore.dequeue('fz_warm', 2, '1 min')"})
			Exec(sql, "(warm-up)", "shapes cached");
	}

	bool Begin(const char *sql = "BEGIN")
	{
		if (lost_)
			return false;
		s_.Exec(sql, true);
		in_txn_ = true;
		return true;
	}

	// Ends the case's transaction, which no call may have ended before.
	bool End(const std::string &sql)
	{
		in_txn_ = false;
		if (lost_)
			return false;
		if (!s_.InTransaction()) {
			st_.failures.push_back("reshape case '" + case_ + "': the transaction ended before " + sql +
			                       " (a call ended it: the harness must not draw such calls there)");
			return false;
		}
		return Exec(sql, "(reshape)", "transaction end").ok;
	}

	void SetDirect(bool on) { Exec(std::string("SET runstore.direct_paths = ") + (on ? "on" : "off"), "(SET)", "guc"); }

	// Which direct paths this session's next call would take (direct_path_status(), in its row order).
	std::string Usable()
	{
		SetDirect(true);
		const Outcome o = Exec("SELECT string_agg(CASE WHEN d.usable THEN 'y' ELSE 'n' END, '' ORDER BY d.n) "
		                       "FROM runstore.direct_path_status() WITH ORDINALITY AS d(path, relation, usable, "
		                       "reason, n)",
		                       "direct_path_status", "report");
		return o.ok ? o.first_value : "?";
	}

	std::string DrawCall(std::string *fn, std::string *shape)
	{
		for (;;) {
			std::string sql;
			if (rng_.Chance(0.15)) {
				sql = rng_.Pick(rows_);
				*fn = "(rows and triggers)";
				*shape = "dml";
			} else if (rng_.Chance(0.1)) {
				sql = "SELECT count(*) FROM runstore.dequeue('w1', " + std::to_string(1 + rng_.Below(20)) + ", '" +
				      std::to_string(1 + rng_.Below(3)) + (rng_.Chance(0.5) ? " ms" : " min") + "')";
				*fn = "dequeue";
				*shape = "lease supply";
			} else {
				const Function &f = *rng_.Pick(fns_);
				*fn = f.name;
				sql = Wrap(rng_, pools_, f, shape);
			}
			if (!in_txn_ || !ControlsTransaction(sql))
				return sql;
		}
	}

	void Calls(int n, bool direct)
	{
		SetDirect(direct);
		for (int i = 0; i < n && !lost_; ++i) {
			std::string fn, shape;
			const std::string sql = DrawCall(&fn, &shape);
			Exec(sql, fn, shape + (direct ? ", direct paths on" : ", direct paths off"));
			++(direct ? tally_.calls_direct : tally_.calls_statement);
		}
	}

	void Violation(const std::string &what)
	{
		st_.oracle_failures.push_back("reshape case '" + case_ + "'" + (in_txn_ ? " (inside its transaction)" : "") +
		                              ": " + what);
	}

	// get_executions_by_ids(ids[, workspace]) returns exactly the rows of
	// `WHERE id = ANY (ids) [AND workspace_id = workspace]`, in the order of
	// first appearance, with direct paths on and off.  The ids: up to 12
	// rows' (each id once in the table, or in the workspace), an unknown id,
	// a NULL, repeats and, with a workspace, ids of other workspaces.  Rows
	// compared as jsonb, so an added or dropped column counts too.
	void Lookup(bool in_workspace)
	{
		const std::string salt = "'" + std::to_string(++salt_) + "'";
		std::string ws, scope;
		if (in_workspace) {
			const Outcome w = Exec("SELECT e.workspace_id FROM runstore.executions e ORDER BY md5(e.id::text || " +
			                           salt + ") LIMIT 1",
			                       "oracle:get_executions_by_ids", "oracle input");
			if (!w.ok || w.first_value.empty()) {
				tally_.oracles_not_applicable++;
				return;
			}
			ws = "(" + w.first_value + ")::bigint";
			scope = " WHERE e.workspace_id = " + ws;
		}
		const std::string others =
			in_workspace ? "ARRAY(SELECT e.id::text FROM runstore.executions e WHERE e.workspace_id <> " + ws +
			                   " GROUP BY e.id HAVING count(*) = 1 ORDER BY md5(e.id::text || " + salt + ") LIMIT 3)"
			             : "ARRAY[]::text[]";
		const Outcome ids = Exec(
			"WITH u AS MATERIALIZED (SELECT e.id::text AS id FROM runstore.executions e" + scope +
				" GROUP BY e.id HAVING count(*) = 1 ORDER BY md5(e.id::text || " + salt +
				") LIMIT 12) "
				"SELECT '{' || array_to_string(ARRAY(SELECT u.id FROM u) || " +
				others +
				" || ARRAY['00000000-0000-7000-8000-0000deadbeef', NULL] || ARRAY(SELECT u.id FROM u LIMIT 3), ',', "
				"'NULL') || '}', (SELECT count(*) FROM u)",
			"oracle:get_executions_by_ids", "oracle input");
		if (!ids.ok || ids.second_value == "0") {
			tally_.oracles_not_applicable++;
			return;
		}
		const std::string array = Quote(ids.first_value) + "::uuid[]";
		const std::string expected_sql =
			"SELECT coalesce(string_agg(to_jsonb(e)::text, ' | ' ORDER BY p.o), '') FROM (SELECT u.id, min(u.o) AS o "
			"FROM unnest(" +
			array + ") WITH ORDINALITY AS u(id, o) WHERE u.id IS NOT NULL GROUP BY u.id) p " +
			"JOIN runstore.executions e ON e.id = p.id" + (in_workspace ? " AND e.workspace_id = " + ws : "");
		const std::string call = "runstore.get_executions_by_ids(" + array + (in_workspace ? ", " + ws : "") + ")";
		const std::string got_sql =
			"SELECT coalesce(string_agg((to_jsonb(r) - 'ordinality')::text, ' | ' ORDER BY r.ordinality), '') FROM " +
			call + " WITH ORDINALITY AS r";
		const Outcome expected = Exec(expected_sql, "oracle:get_executions_by_ids", "oracle: plain SQL");
		if (!expected.ok) { // e.g. id retyped: plain SQL cannot compare it with uuids either
			tally_.oracles_not_applicable++;
			return;
		}
		SetDirect(true);
		const Outcome on = Exec(got_sql, "oracle:get_executions_by_ids", "oracle: direct paths on");
		SetDirect(false);
		const Outcome off = Exec(got_sql, "oracle:get_executions_by_ids", "oracle: direct paths off");
		const auto show = [](const Outcome &o) {
			return o.ok ? Trunc(o.first_value, 600) : "ERROR " + o.sqlstate + " " + Trunc(o.message, 200);
		};
		if (!on.ok || !off.ok || on.first_value != expected.first_value || off.first_value != expected.first_value)
			Violation("SELECT * FROM " + call + " differs from " + expected_sql + "\n    expected: " +
			          show(expected) + "\n    direct paths on: " + show(on) + "\n    direct paths off: " + show(off));
		else
			tally_.oracles_held++;
	}

	void Lookups()
	{
		Lookup(false);
		Lookup(true);
	}

	// dequeue claims the head of the queue: a row of the highest priority
	// whose run_after lies below every frontier, in a class the
	// _register_priorities triggers may not have announced.  A claim frontier
	// used past the shape that allows it (those triggers firing) skips it.
	void DequeueHead(bool direct)
	{
		SetDirect(direct);
		Exec("SELECT count(*) FROM runstore.dequeue('fz_head', 3, '1 min')", "dequeue", "oracle: frontiers set");
		char id[64];
		std::snprintf(id, sizeof id, "00000000-0000-0000-0000-0000000f%04x", ++head_ & 0xffff);
		const Outcome added = Exec("INSERT INTO runstore.executions (id, workspace_id, priority, run_after) VALUES ('" +
		                               std::string(id) + "', 1, 2147483647, '-infinity')",
		                           "oracle:dequeue head", "oracle input");
		if (!added.ok) { // the reshape may refuse every write (a retyped column the trigger reads)
			tally_.oracles_not_applicable++;
			return;
		}
		const std::string sql = "SELECT d.id FROM runstore.dequeue('fz_head', 1, '1 min') d";
		const Outcome o = Exec(sql, "oracle:dequeue head", direct ? "oracle: direct paths on" : "oracle: direct paths off");
		if (!o.ok)
			tally_.oracles_not_applicable++;
		else if (o.first_value != id)
			Violation(std::string(sql) + " with direct paths " + (direct ? "on" : "off") + " claimed '" +
			          o.first_value + "', not the head of the queue '" + id +
			          "' (priority 2147483647, run_after -infinity, just inserted)");
		else
			tally_.oracles_held++;
	}

	void Verify()
	{
		const std::string sql = "SELECT (SELECT count(*) FROM runstore.verify_recent_workflows()), "
		                        "(SELECT string_agg(v::text, '; ') FROM (SELECT * FROM runstore.verify_recent_workflows() "
		                        "LIMIT 3) v)";
		const Outcome o = Exec(sql, "oracle:verify_recent_workflows", "oracle");
		if (!o.ok)
			Violation("verify_recent_workflows() failed: " + o.sqlstate + " " + Trunc(o.message, 300));
		else if (o.first_value != "0")
			Violation("verify_recent_workflows() lists " + o.first_value + " groups, e.g. " + o.second_value);
		else
			tally_.oracles_held++;
	}

	void Oracles(const ReshapeCase &c)
	{
		Exec(ReshapeSeed(), "(reseed)", "reseed");
		Lookups();
		DequeueHead(true);
		DequeueHead(false);
		if (c.summaries_exact)
			Verify();
	}

	// After a lost connection: the server restarts after a crash; go on with the next case.
	bool Reconnect()
	{
		if (!lost_)
			return true;
		lost_ = false;
		in_txn_ = false;
		for (int i = 0; i < 60; ++i) {
			if (s_.Connect() && s_.Exec("SET client_min_messages = error").ok && dba_.Connect() &&
			    dba_.Exec("SET client_min_messages = error").ok && dba_.Exec("SET lock_timeout = '10s'").ok)
				return true;
			std::this_thread::sleep_for(std::chrono::milliseconds(500));
		}
		return false;
	}

	Session &s_;
	Session dba_; // reshapes committed cases, as an administrator would
	Stats &st_;
	Rng &rng_;
	const Pools pools_;
	const std::vector<const Function *> fns_;
	const std::vector<std::string> rows_;
	const int calls_per_case_;
	const bool verbose_;
	std::string case_;
	bool in_txn_ = false;
	bool lost_ = false;
	int salt_ = 0;
	int head_ = 0;
	ReshapeTally tally_;
};

// The per-function outcome counts, the SQLSTATE histogram, the oracle
// violations and the failures; the exit status (0 clean, 1 failures).
int Report(const Stats &st, bool verbose, bool oracles_strict)
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

// The session must still be the backend it started with: a crash anywhere resets every session.
void CheckSameBackend(Session &s, Stats &st, int pid)
{
	const Outcome o = s.Exec("SELECT pg_backend_pid()");
	if (!o.ok || o.first_value != std::to_string(pid))
		st.failures.push_back("the fuzzing session is not the backend it started with (pid " + std::to_string(pid) +
		                      ", now " + o.first_value + ")");
}

// --reshape: the cases of ReshapeCases() whose name contains `only` (all by
// default) until `seconds` have passed, then the extension as installed
// again.  Returns 2 on a set-up error, else the report's status.
int RunReshape(Session &s, Stats &st, Rng &rng, const Pools &pools, uint64_t seed, int calls_per_case,
               double seconds, const std::string &only, bool verbose, bool oracles_strict)
{
	const int pid = s.Pid();
	ReshapePhase phase(s, st, rng, pools, calls_per_case, verbose);
	if (!phase.Setup())
		return 2;
	std::vector<ReshapeCase> cases;
	for (const auto &c : ReshapeCases())
		if (c.name.find(only) != std::string::npos)
			cases.push_back(c);
	std::printf("reshaped tables: %zu cases, %d calls each; \"usable\": which direct paths the calls could take "
	            "(direct_path_status(), y/n: get_executions_by_ids, the same in a workspace, the INSERT upkeep of "
	            "the summaries, the UPDATE check, the claim frontier)\n",
	            cases.size(), calls_per_case);
	const auto t0 = std::chrono::steady_clock::now();
	size_t run = 0;
	for (const auto &c : cases) {
		if (std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() > seconds)
			break;
		++run;
		if (!phase.RunCase(c, static_cast<int>(run), static_cast<int>(cases.size()))) {
			st.failures.push_back("the server did not accept connections again after a lost one (reshape case '" +
			                      c.name + "')");
			break;
		}
	}
	phase.Finish();
	CheckSameBackend(s, st, pid);
	const ReshapeTally &t = phase.Tally();
	const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
	std::printf("reshape phase: seed %llu, %d cases, %ld calls (%ld with direct paths on, %ld off), %ld oracle "
	            "checks held, %ld not applicable, in %.1f s%s, backend pid %d\n",
	            static_cast<unsigned long long>(seed), t.cases, t.calls_direct + t.calls_statement, t.calls_direct,
	            t.calls_statement, t.oracles_held, t.oracles_not_applicable, elapsed,
	            run < cases.size() ? (" (stopped by the time bound: " + std::to_string(cases.size() - run) +
	                                  " cases not run)").c_str()
	                               : "",
	            pid);
	return Report(st, verbose, oracles_strict);
}

} // namespace

int main(int argc, char **argv)
{
	uint64_t seed = 1;
	long max_calls = 6000;
	double seconds = 45;
	bool verbose = false;
	bool oracles_strict = true;
	bool reshape = false;
	int calls_per_case = 250;
	std::string only_case;
	for (int i = 1; i < argc; ++i) {
		const std::string a = argv[i];
		if (a == "--seed" && i + 1 < argc)
			seed = std::strtoull(argv[++i], nullptr, 10);
		else if (a == "--calls" && i + 1 < argc)
			max_calls = std::strtol(argv[++i], nullptr, 10);
		else if (a == "--seconds" && i + 1 < argc)
			seconds = std::strtod(argv[++i], nullptr);
		else if (a == "--verbose")
			verbose = true;
		else if (a == "--oracles-warn")
			oracles_strict = false;
		else if (a == "--reshape")
			reshape = true;
		else if (a == "--calls-per-case" && i + 1 < argc)
			calls_per_case = static_cast<int>(std::strtol(argv[++i], nullptr, 10));
		else if (a == "--case" && i + 1 < argc)
			only_case = argv[++i];
		else {
			std::fprintf(stderr, "usage: fuzz_calls [--seed N] [--calls N] [--seconds S] [--verbose] [--oracles-warn]\n"
			                     "       fuzz_calls --reshape [--seed N] [--calls-per-case N] [--seconds S] "
			                     "[--case TEXT] [--verbose] [--oracles-warn]\n");
			return 2;
		}
	}
	Rng rng(seed);
	const Pools pools = MakePools(rng);
	Session s;
	if (!s.Connect())
		return 2;
	const int pid = s.Pid();
	Stats st;
	if (reshape)
		return RunReshape(s, st, rng, pools, seed, calls_per_case, seconds, only_case, verbose, oracles_strict);

	const std::vector<std::string> setup = {
		"SET client_min_messages = error",
		Reseed(),
	};
	for (const auto &q : setup) {
		Outcome o = s.Exec(q);
		if (!o.ok) {
			std::fprintf(stderr, "fuzz_calls: set-up failed: %s\n%s\n", Trunc(q).c_str(), o.message.c_str());
			return 2;
		}
	}
	const auto gucs = GucStatements();
	const auto rows = RowStatements();
	const auto &fns = Functions();
	const auto t0 = std::chrono::steady_clock::now();
	bool stopped_by_time = false;

	// Each boundary self-test mode once, deliberately (one raises XX000 by design).
	for (const char *mode : {"cpp_exception", "pg_error_beneath_cpp", "out_of_memory", "unknown_exception",
	                         "destructors_run"}) {
		const std::string q = std::string("SELECT runstore._boundary_selftest('") + mode + "')";
		Record(st, "_boundary_selftest", s.Exec(q), q, "mode");
	}

	while (st.calls < max_calls) {
		const double elapsed =
			std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
		if (elapsed > seconds) {
			stopped_by_time = true;
			break;
		}
		std::string sql, fn_name, shape;
		if (st.calls % 250 == 0) {
			sql = Reseed();
			fn_name = "(reseed)";
			shape = "reseed";
		} else if (rng.Chance(0.04)) {
			sql = rng.Pick(gucs);
			fn_name = "(SET)";
			shape = "guc";
		} else if (rng.Chance(0.04)) {
			sql = rng.Pick(rows);
			fn_name = "(rows and triggers)";
			shape = "dml";
		} else if (rng.Chance(0.02)) {
			Oracles(s, st, rng);
			continue;
		} else if (rng.Chance(0.06)) {
			// Work that holds leases: dequeue as w1 so heartbeat/complete/fail find them.
			sql = "SELECT count(*) FROM runstore.dequeue('w1', " + std::to_string(1 + rng.Below(20)) + ", '" +
			      std::to_string(1 + rng.Below(3)) + (rng.Chance(0.5) ? " ms" : " min") + "')";
			fn_name = "dequeue";
			shape = "lease supply";
		} else {
			const Function &fn = rng.Pick(fns);
			fn_name = fn.name;
			if (!fn.callable) {
				sql = std::string("SELECT runstore.") + fn.name + "()";
				shape = "direct call";
			} else {
				sql = Wrap(rng, pools, fn, &shape);
			}
		}
		const auto c0 = std::chrono::steady_clock::now();
		Outcome o = s.Exec(sql);
		const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - c0).count();
		if (verbose)
			std::fprintf(stderr, "%6ld %-26s %-24s %-6s %8.1f ms  %s\n", st.calls, fn_name.c_str(), shape.c_str(),
			             o.ok ? "ok" : o.sqlstate.c_str(), ms, Trunc(sql, 160).c_str());
		Record(st, fn_name, o, sql, shape);
		if (o.lost) {
			std::fprintf(stderr, "fuzz_calls: connection lost after: %s\n", Trunc(sql, 2000).c_str());
			if (!s.Connect())
				break;
		}
	}
	// The session must still be the same backend, and usable.
	CheckSameBackend(s, st, pid);
	{
		const Outcome o = s.Exec("SELECT count(*) FROM runstore.verify_recent_workflows()");
		if (!o.ok)
			st.failures.push_back("verify_recent_workflows() failed at the end: " + o.message);
		else if (o.first_value != "0")
			std::printf("note: verify_recent_workflows() lists %s groups at the end (rows and summaries were "
			            "made hostile on purpose, e.g. with triggers disabled: not counted as a failure)\n",
			            o.first_value.c_str());
	}

	const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
	std::printf("targeted generator: seed %llu, %ld calls in %.1f s%s, backend pid %d\n",
	            static_cast<unsigned long long>(seed), st.calls, elapsed,
	            stopped_by_time ? " (stopped by the time bound)" : "", pid);
	return Report(st, verbose, oracles_strict);
}
