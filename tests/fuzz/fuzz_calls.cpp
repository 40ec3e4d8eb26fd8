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
// fuzz_reshape.hpp): it drops and recreates the extension, case by case, so
// it runs against a database nothing else is using at the time.
//
//   fuzz_calls [--seed N] [--calls N] [--seconds S] [--verbose] [--oracles-warn]
//   fuzz_calls --reshape [--seed N] [--calls-per-case N] [--seconds S] [--case TEXT] [--verbose]
//              [--oracles-warn]
// Connection: libpq environment (PGHOST, PGPORT, PGUSER, PGDATABASE).
//
// The parts: fuzz_statements.* (the random source, the value pools, the
// function table, the call shapes, hostile rows), fuzz_harness.* (the
// connection, the record of outcomes, the report), fuzz_reshape.hpp and
// fuzz_reshape*.cpp (the reshape phase).  This file holds the options and the
// generator's own settings, oracles and loop.

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <utility>
#include <vector>

#include "fuzz_harness.hpp"
#include "fuzz_reshape.hpp"
#include "fuzz_statements.hpp"

using namespace fuzz;

namespace {

// Hostile settings between calls (the rows and trigger attachments: RowStatements()).
std::vector<std::string>
GucStatements()
{
	std::vector<std::string> v;
	const std::vector<std::pair<std::string, std::vector<std::string>>> gucs = {
	    {"runstore.max_batch_size", {"0", "-1", "1", "500", "100000", "100001", "2147483647", "'abc'", "''"}},
	    {"runstore.lease_timeout", {"0", "'-1s'", "'1ms'", "'1s'", "'7d'", "'8d'", "'1 mon'", "'1000000 years'"}},
	    {"runstore.retry_backoff_base", {"0", "'-1'", "'1h'", "'61min'", "'1ms'", "'1000000 years'"}},
	    {"runstore.retry_backoff_cap", {"'1ms'", "0", "'7d'", "'8d'", "'1h'"}},
	};
	for (const auto &g : gucs)
		for (const auto &val : g.second)
			v.push_back("SET " + g.first + " = " + val);
	v.push_back("RESET ALL");
	return v;
}

// The known ids again: one still in its workspace is skipped (the key is
// (workspace_id, id)); one moved to another workspace comes back beside it,
// as the key allows.
std::string
Reseed()
{
	return "INSERT INTO runstore.executions (id, workspace_id, workflow_id, user_id, tags, payload, priority, "
	       "created_at, run_after) "
	       "SELECT ('00000000-0000-7000-8000-' || lpad(to_hex(g), 12, '0'))::uuid, g % 5 + 1, g % 7 + 1, "
	       "'user' || (g % 3), ARRAY['fz', 'tag' || (g % 4)], jsonb_build_object('g', g), g % 3, "
	       "statement_timestamp() - g * interval '1 s', statement_timestamp() - interval '1 s' "
	       "FROM generate_series(1, " +
	       std::to_string(kKnownIds) + ") g ON CONFLICT DO NOTHING";
}

// Oracles: properties checked on successful results.
void
Oracles(Session &s, Stats &st, Rng &rng)
{
	// _retry_delay(a) < min(cap, base * 2^(clamp(a-1, 0, 62))) and >= 0, for extreme attempts.
	static const std::vector<std::string> attempts = {"-2147483648", "-2147483647", "-1", "0",  "1",
	                                                  "2",           "30",          "62", "63", "2147483647"};
	const std::string a = rng.Pick(attempts);
	const std::string sql =
	    "SELECT d >= interval '0' AND (extract(epoch FROM d) * 1000 < least(c, b * power(2::numeric, greatest(0, "
	    "least(62, " +
	    a + "::bigint - 1)))) OR d = interval '0' AND least(c, b) = 0) FROM (SELECT runstore._retry_delay(" + a +
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

int
main(int argc, char **argv)
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
	for (const char *mode :
	     {"cpp_exception", "pg_error_beneath_cpp", "out_of_memory", "unknown_exception", "destructors_run"}) {
		const std::string q = std::string("SELECT runstore._boundary_selftest('") + mode + "')";
		Record(st, "_boundary_selftest", s.Exec(q), q, "mode");
	}

	while (st.calls < max_calls) {
		const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
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
