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
//   fuzz_calls [--seed N] [--calls N] [--seconds S] [--verbose] [--oracles-warn]
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

} // namespace

int main(int argc, char **argv)
{
	uint64_t seed = 1;
	long max_calls = 6000;
	double seconds = 45;
	bool verbose = false;
	bool oracles_strict = true;
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
		else {
			std::fprintf(stderr, "usage: fuzz_calls [--seed N] [--calls N] [--seconds S] [--verbose] [--oracles-warn]\n");
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
	{
		Outcome o = s.Exec("SELECT pg_backend_pid()");
		if (!o.ok || o.first_value != std::to_string(pid))
			st.failures.push_back("the fuzzing session is not the backend it started with (pid " +
			                      std::to_string(pid) + ", now " + o.first_value + ")");
		o = s.Exec("SELECT count(*) FROM runstore.verify_recent_workflows()");
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
