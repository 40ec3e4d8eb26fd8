// memory_calls.cpp: 100,000 calls of each runstore function in ONE backend,
// and that backend's memory before and after (tests/memory/run.sh builds and
// runs it).
//
// Every call is its own transaction: the statements go through libpq's
// pipeline mode, each followed by a Sync, so 100,000 calls take seconds, not
// minutes of round trips, and each one commits (or fails) on its own as an
// application's would.  Before each case 2,000 warm-up calls fill the plan and
// catalog caches; then the backend reports, about itself,
//   contexts: sum(total_bytes) of pg_backend_memory_contexts
//   RssAnon / VmRSS: from /proc/self/status (pg_read_file, superuser)
// and again after the 100,000 calls.  A case fails if its context memory grew
// by more than --max-context-growth bytes (default 1 MiB) or its RssAnon by
// more than --max-rss-growth bytes (default 8 MiB; malloc arenas breathe).
// Cases cover the success paths with real work and the error paths (errors
// cross the C++/PostgreSQL boundary 100,000 times).
//
//   memory_calls [--calls N] [--heavy-calls N] [--error-calls N] [--only SUBSTRING] [--max-context-growth B]
//   [--max-rss-growth B]
// Connection: libpq environment (PGHOST, PGPORT, PGUSER, PGDATABASE); needs
// superuser (pg_read_file, SET runstore.*), and a database with runstore.

#include <libpq-fe.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <map>
#include <string>
#include <vector>

namespace {

struct Stmt {
	std::string sql;                 // $1 ... bound to params
	std::vector<std::string> params; // text parameters (fixed for the case)
};

struct Case {
	std::string name;           // what is measured
	std::string functions;      // runstore functions each iteration calls
	std::vector<Stmt> per_call; // sent for every call
	std::vector<Stmt> recycle;  // sent (own transaction) after every recycle_every calls
	std::string setup;          // run once before the warm-up
	bool expect_error = false;  // the per-call statement is meant to fail
	long recycle_every = 1000;
	bool heavy = false; // ~1 ms a call (writes firing the summary triggers, whole-table reads): --heavy-calls
};

struct Measure {
	long long context_total = 0;
	long long context_used = 0;
	long long rss_anon_kb = 0;
	long long vm_rss_kb = 0;
};

PGconn *conn = nullptr;

bool
Exec(const std::string &sql, std::string *first = nullptr)
{
	PGresult *r = PQexec(conn, sql.c_str());
	const ExecStatusType st = PQresultStatus(r);
	const bool ok = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;
	if (!ok)
		std::fprintf(stderr, "memory_calls: %s\n  in: %.300s\n", PQresultErrorMessage(r), sql.c_str());
	else if (first && PQntuples(r) > 0)
		*first = PQgetvalue(r, 0, 0);
	PQclear(r);
	return ok;
}

long long
KbField(const std::string &status, const char *field)
{
	const size_t at = status.find(field);
	if (at == std::string::npos)
		return -1;
	return std::atoll(status.c_str() + at + std::strlen(field) + 1);
}

Measure
Snapshot()
{
	Measure m;
	PGresult *r = PQexec(conn, "SELECT sum(total_bytes), sum(used_bytes), pg_read_file('/proc/self/status') "
	                           "FROM pg_backend_memory_contexts");
	if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1) {
		m.context_total = std::atoll(PQgetvalue(r, 0, 0));
		m.context_used = std::atoll(PQgetvalue(r, 0, 1));
		const std::string status = PQgetvalue(r, 0, 2);
		m.rss_anon_kb = KbField(status, "RssAnon:");
		m.vm_rss_kb = KbField(status, "VmRSS:");
	} else {
		std::fprintf(stderr, "memory_calls: cannot measure: %s", PQresultErrorMessage(r));
	}
	PQclear(r);
	return m;
}

struct RunResult {
	long ok = 0;
	std::map<std::string, long> errors; // sqlstate -> count
	long recycle_errors = 0;
	bool broken = false;
};

// Sends `calls` iterations in pipeline mode, each iteration's statements
// followed by a Sync (its own transaction), at most `window` iterations in
// flight.
RunResult
Run(const Case &c, long calls)
{
	RunResult rr;
	// Prepare every statement once (named), outside the pipeline.
	std::vector<std::string> names;
	auto prepare = [&](const Stmt &s, const std::string &name) {
		PGresult *r = PQprepare(conn, name.c_str(), s.sql.c_str(), 0, nullptr);
		const bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
		if (!ok)
			std::fprintf(stderr, "memory_calls: prepare failed: %s  in: %s\n", PQresultErrorMessage(r), s.sql.c_str());
		PQclear(r);
		return ok;
	};
	Exec("DEALLOCATE ALL");
	for (size_t i = 0; i < c.per_call.size(); ++i)
		if (!prepare(c.per_call[i], "p" + std::to_string(i)))
			return rr.broken = true, rr;
	for (size_t i = 0; i < c.recycle.size(); ++i)
		if (!prepare(c.recycle[i], "r" + std::to_string(i)))
			return rr.broken = true, rr;

	if (!PQenterPipelineMode(conn)) {
		std::fprintf(stderr, "memory_calls: cannot enter pipeline mode\n");
		return rr.broken = true, rr;
	}
	auto send = [&](const Stmt &s, const std::string &name) {
		std::vector<const char *> values;
		for (const auto &p : s.params)
			values.push_back(p.c_str());
		return PQsendQueryPrepared(conn, name.c_str(), static_cast<int>(values.size()), values.data(), nullptr, nullptr,
		                           0) == 1;
	};
	const long window = 64;
	long sent_syncs = 0, received_syncs = 0;
	std::deque<bool> sync_is_call; // per Sync in flight: a call, or recycling
	bool iteration_failed = false;
	// Consumes results until at most `keep` syncs are outstanding.
	auto drain = [&](long keep) {
		while (sent_syncs - received_syncs > keep) {
			PGresult *r = PQgetResult(conn);
			if (!r) {
				// End of one query's results; the next call moves on.
				if (PQstatus(conn) != CONNECTION_OK) {
					rr.broken = true;
					return;
				}
				continue;
			}
			switch (PQresultStatus(r)) {
			case PGRES_PIPELINE_SYNC: {
				++received_syncs;
				const bool is_call = sync_is_call.front();
				sync_is_call.pop_front();
				if (is_call && !iteration_failed)
					++rr.ok;
				iteration_failed = false;
				break;
			}
			case PGRES_FATAL_ERROR: {
				const char *code = PQresultErrorField(r, PG_DIAG_SQLSTATE);
				if (sync_is_call.front())
					rr.errors[code ? code : "(none)"]++;
				else
					rr.recycle_errors++;
				iteration_failed = true;
				break;
			}
			case PGRES_PIPELINE_ABORTED:
				iteration_failed = true;
				break;
			default:
				break;
			}
			PQclear(r);
			if (PQstatus(conn) != CONNECTION_OK) {
				rr.broken = true;
				return;
			}
		}
	};
	for (long i = 0; i < calls && !rr.broken; ++i) {
		for (size_t k = 0; k < c.per_call.size(); ++k)
			if (!send(c.per_call[k], "p" + std::to_string(k)))
				rr.broken = true;
		PQpipelineSync(conn);
		++sent_syncs;
		sync_is_call.push_back(true);
		if ((i + 1) % c.recycle_every == 0 && !c.recycle.empty()) {
			for (size_t k = 0; k < c.recycle.size(); ++k)
				if (!send(c.recycle[k], "r" + std::to_string(k)))
					rr.broken = true;
			PQpipelineSync(conn);
			++sent_syncs;
			sync_is_call.push_back(false);
		}
		if (sent_syncs - received_syncs >= window)
			drain(window / 2);
	}
	drain(0);
	// Whatever follows the last Sync (nothing) and leave pipeline mode.
	while (PGresult *r = PQgetResult(conn))
		PQclear(r);
	PQexitPipelineMode(conn);
	if (PQpipelineStatus(conn) != PQ_PIPELINE_OFF)
		rr.broken = true;
	return rr;
}

std::string
IdArray(int from, int n)
{
	std::string s = "{";
	for (int i = 0; i < n; ++i) {
		char buf[64];
		std::snprintf(buf, sizeof buf, "%s00000000-0000-7000-8000-%012x", i ? "," : "", from + i);
		s += buf;
	}
	return s + "}";
}

std::string
Fmt(long long bytes)
{
	char buf[32];
	std::snprintf(buf, sizeof buf, "%+.1f kB", static_cast<double>(bytes) / 1024.0);
	return buf;
}

} // namespace

int
main(int argc, char **argv)
{
	long calls = 100000;
	long heavy_calls = 100000;
	long error_calls = 100000;
	long warmup = 2000;
	long long max_context_growth = 1 << 20;
	long long max_rss_growth = 8LL << 20;
	std::string only;
	for (int i = 1; i < argc; ++i) {
		const std::string a = argv[i];
		if (a == "--calls" && i + 1 < argc)
			calls = std::atol(argv[++i]);
		else if (a == "--error-calls" && i + 1 < argc)
			error_calls = std::atol(argv[++i]);
		else if (a == "--heavy-calls" && i + 1 < argc)
			heavy_calls = std::atol(argv[++i]);
		else if (a == "--warmup" && i + 1 < argc)
			warmup = std::atol(argv[++i]);
		else if (a == "--only" && i + 1 < argc)
			only = argv[++i];
		else if (a == "--max-context-growth" && i + 1 < argc)
			max_context_growth = std::atoll(argv[++i]);
		else if (a == "--max-rss-growth" && i + 1 < argc)
			max_rss_growth = std::atoll(argv[++i]);
		else {
			std::fprintf(
			    stderr,
			    "usage: memory_calls [--calls N] [--heavy-calls N] [--error-calls N] [--warmup N] [--only SUBSTRING] "
			    "[--max-context-growth BYTES] [--max-rss-growth BYTES]\n");
			return 2;
		}
	}
	conn = PQconnectdb("");
	if (PQstatus(conn) != CONNECTION_OK) {
		std::fprintf(stderr, "memory_calls: cannot connect: %s", PQerrorMessage(conn));
		return 2;
	}
	PQsetNoticeProcessor(
	    conn, [](void *, const char *) {}, nullptr);
	const int pid = PQbackendPID(conn);

	// Data: workspace 1 has 100 runs ("known" ids 1..100) across 20 workflows
	// and 5 users; ids 1001..1100 are the delete/cancel/heartbeat pools; 200
	// queued runs with unlimited attempts feed dequeue.
	const std::string setup =
	    "SET runstore.retry_backoff_base = 0;"
	    "INSERT INTO runstore.executions (id, workspace_id, workflow_id, user_id, tags, created_at, run_after) "
	    "SELECT ('00000000-0000-7000-8000-' || lpad(to_hex(g), 12, '0'))::uuid, 1, g % 20 + 1, 'user' || (g % 5), "
	    "ARRAY['read'], now() - g * interval '1 s', 'infinity' FROM generate_series(1, 100) g;"
	    "INSERT INTO runstore.executions (id, workspace_id, workflow_id, user_id, tags, run_after) "
	    "SELECT ('00000000-0000-7000-8000-' || lpad(to_hex(g), 12, '0'))::uuid, 2, g % 3 + 1, 'user1', "
	    "ARRAY['pool'], 'infinity' FROM generate_series(1001, 1100) g;"
	    "INSERT INTO runstore.executions (workspace_id, workflow_id, max_attempts, tags, run_after) "
	    "SELECT 3, 1, 2147483647, ARRAY['queue'], '-infinity' FROM generate_series(1, 200);"
	    "ANALYZE runstore.executions";
	// verify_recent_workflows reads every run and rebuild_recent_workflows a
	// whole workspace: they run first, over 10 runs, so that 100,000 calls
	// of each stay within seconds.
	if (!Exec("SET client_min_messages = warning;"
	          "INSERT INTO runstore.executions (workspace_id, workflow_id, user_id, run_after) "
	          "SELECT 7, g % 3 + 1, 'user' || (g % 2), 'infinity' FROM generate_series(1, 10) g"))
		return 2;

	const std::string read_ids = IdArray(1, 100);
	const std::string pool10 = IdArray(1001, 10);
	const std::string pool20 = IdArray(1021, 20);
	const std::string reinsert =
	    "INSERT INTO runstore.executions (id, workspace_id, workflow_id, user_id, tags, run_after) "
	    "SELECT i, 2, 1, 'user1', ARRAY['pool'], 'infinity' FROM unnest($1::uuid[]) i "
	    "ON CONFLICT (workspace_id, id) DO NOTHING";
	const std::string requeue = "UPDATE runstore.executions SET status = 'queued', lease_owner = NULL, "
	                            "lease_expires_at = NULL, finished_at = NULL, run_after = '-infinity' "
	                            "WHERE workspace_id = 3 AND status <> 'queued'";

	std::vector<Case> cases = {
	    {"verify_recent_workflows (10 runs)",
	     "verify_recent_workflows",
	     {{"SELECT count(*) FROM runstore.verify_recent_workflows()", {}}},
	     {},
	     ""},
	    {"rebuild_recent_workflows (workspace of 10 runs)",
	     "rebuild_recent_workflows",
	     {{"SELECT runstore.rebuild_recent_workflows(7)", {}}},
	     {},
	     ""},
	    {"uuid_v7", "uuid_v7", {{"SELECT runstore.uuid_v7()", {}}}, {}, setup},
	    {"get_executions_by_ids (100 existing ids)",
	     "get_executions_by_ids",
	     {{"SELECT count(*) FROM runstore.get_executions_by_ids($1::uuid[])", {read_ids}}},
	     {},
	     ""},
	    {"get_executions_by_ids (100 ids, workspace_id)",
	     "get_executions_by_ids",
	     {{"SELECT count(*) FROM runstore.get_executions_by_ids($1::uuid[], 1)", {read_ids}}},
	     {},
	     ""},
	    {"get_executions_by_ids (error 22023: 2-D array)",
	     "get_executions_by_ids",
	     {{"SELECT count(*) FROM runstore.get_executions_by_ids($1::uuid[])",
	       {"{{00000000-0000-7000-8000-000000000001},{00000000-0000-7000-8000-000000000002}}"}}},
	     {},
	     "",
	     true},
	    {"get_executions_by_ids (error 54000: 501 ids)",
	     "get_executions_by_ids",
	     {{"SELECT count(*) FROM runstore.get_executions_by_ids(array_fill($1::uuid, ARRAY[501]))",
	       {"00000000-0000-7000-8000-000000000001"}}},
	     {},
	     "",
	     true},
	    {"delete_many (10 ids, reinserted)",
	     "delete_many",
	     {{"SELECT count(*) FROM runstore.delete_many($1::uuid[])", {pool10}}, {reinsert, {pool10}}},
	     {},
	     ""},
	    {"delete_by_tag (5 rows, reinserted)",
	     "delete_by_tag",
	     {{"SELECT count(*) FROM runstore.delete_by_tag('mem', 5)", {}},
	      {"INSERT INTO runstore.executions (workspace_id, workflow_id, tags, run_after) "
	       "SELECT 4, 1, ARRAY['mem'], 'infinity' FROM generate_series(1, 5)",
	       {}}},
	     {},
	     "INSERT INTO runstore.executions (workspace_id, workflow_id, tags, run_after) "
	     "SELECT 4, 1, ARRAY['mem'], 'infinity' FROM generate_series(1, 5)"},
	    {"delete_by_tag (error 22023: max_rows 0)",
	     "delete_by_tag",
	     {{"SELECT count(*) FROM runstore.delete_by_tag('mem', 0)", {}}},
	     {},
	     "",
	     true},
	    {"recent_workflows (workspace, 10)",
	     "recent_workflows",
	     {{"SELECT count(*) FROM runstore.recent_workflows(1, 10)", {}}},
	     {},
	     ""},
	    {"recent_workflows (user, 4)",
	     "recent_workflows",
	     {{"SELECT count(*) FROM runstore.recent_workflows(1, 4, 'user3')", {}}},
	     {},
	     ""},
	    {"recent_workflows (error 22023: max_results 1001)",
	     "recent_workflows",
	     {{"SELECT count(*) FROM runstore.recent_workflows(1, 1001)", {}}},
	     {},
	     "",
	     true},
	    {"dequeue + complete (one claim each)",
	     "dequeue, complete",
	     {{"SELECT runstore.complete(d.id, 'mem-worker', '{\"ok\": true}', d.attempt) "
	       "FROM runstore.dequeue('mem-worker', 1, '1 min') d",
	       {}}},
	     {{requeue, {}}},
	     "",
	     false,
	     100},
	    {"dequeue + fail (retryable, backoff 0)",
	     "dequeue, fail",
	     {{"SELECT runstore.fail(d.id, 'mem-worker', 'boom', true, d.attempt) "
	       "FROM runstore.dequeue('mem-worker', 1, '1 min') d",
	       {}}},
	     {{requeue, {}}},
	     "",
	     false,
	     100},
	    {"dequeue (error 22023: empty worker)",
	     "dequeue",
	     {{"SELECT count(*) FROM runstore.dequeue('', 1)", {}}},
	     {},
	     "",
	     true},
	    {"heartbeat (20 held leases)",
	     "heartbeat",
	     {{"SELECT count(*) FROM runstore.heartbeat('mem-hb', $1::uuid[], '5 min')", {pool20}}},
	     {},
	     "UPDATE runstore.executions SET status = 'running', lease_owner = 'mem-hb', attempt = 1, "
	     "lease_expires_at = now() + interval '5 min', run_after = now() + interval '5 min' "
	     "WHERE id = ANY('" +
	         pool20 + "'::uuid[])"},
	    {"heartbeat (error 22023: attempts not aligned)",
	     "heartbeat",
	     {{"SELECT count(*) FROM runstore.heartbeat('mem-hb', $1::uuid[], '5 min', '{1}')", {pool20}}},
	     {},
	     "",
	     true},
	    {"complete (not held: false)",
	     "complete",
	     {{"SELECT runstore.complete('00000000-0000-7000-8000-000000000001', 'nobody', '{}')", {}}},
	     {},
	     ""},
	    {"fail (error 22004: NULL error)",
	     "fail",
	     {{"SELECT runstore.fail('00000000-0000-7000-8000-000000000001', 'nobody', NULL)", {}}},
	     {},
	     "",
	     true},
	    {"cancel (10 ids, re-queued)",
	     "cancel",
	     {{"SELECT count(*) FROM runstore.cancel($1::uuid[])", {pool10}},
	      {"UPDATE runstore.executions SET status = 'queued' WHERE id = ANY($1::uuid[])", {pool10}}},
	     {},
	     ""},
	    {"_retry_delay", "_retry_delay", {{"SELECT runstore._retry_delay(5)", {}}}, {}, ""},
	    {"_statement_text", "_statement_text", {{"SELECT runstore._statement_text('select_by_ids')", {}}}, {}, ""},
	    {"_boundary_selftest (C++ exception -> 22023)",
	     "_boundary_selftest",
	     {{"SELECT runstore._boundary_selftest('cpp_exception')", {}}},
	     {},
	     "",
	     true},
	    {"_boundary_selftest (PG error beneath C++ -> 22P02)",
	     "_boundary_selftest",
	     {{"SELECT runstore._boundary_selftest('pg_error_beneath_cpp')", {}}},
	     {},
	     "",
	     true},
	    {"_maintain_recent_workflows + _register_priorities (INSERT of 1 run)",
	     "_maintain_recent_workflows, _register_priorities",
	     {{"INSERT INTO runstore.executions (workspace_id, workflow_id, user_id, run_after) "
	       "VALUES (5, 1, 'u', 'infinity')",
	       {}}},
	     {{"DELETE FROM runstore.executions WHERE workspace_id = 5", {}}},
	     ""},
	    {"_maintain_recent_workflows (DELETE of 1 run)",
	     "_maintain_recent_workflows",
	     {{"DELETE FROM runstore.executions WHERE id = (SELECT id FROM runstore.executions "
	       "WHERE workspace_id = 6 ORDER BY id LIMIT 1)",
	       {}},
	      {"INSERT INTO runstore.executions (workspace_id, workflow_id, user_id, run_after) "
	       "VALUES (6, 1, 'u', 'infinity')",
	       {}}},
	     {},
	     "INSERT INTO runstore.executions (workspace_id, workflow_id, user_id, run_after) "
	     "VALUES (6, 1, 'u', 'infinity')"},
	    // Last: the set-ups leave a due run, then none.  A CALL here runs at
	    // top level outside a transaction block, as a worker's does.
	    {"wait_for_work (work due: returns at once)",
	     "wait_for_work",
	     {{"CALL runstore.wait_for_work(1000, NULL)", {}}},
	     {},
	     "INSERT INTO runstore.executions (workspace_id, priority, run_after) VALUES (8, 77, '-infinity')"},
	    {"wait_for_work (nothing due, 1 ms: commits and sleeps)",
	     "wait_for_work",
	     {{"CALL runstore.wait_for_work(1, NULL)", {}}},
	     {},
	     "UPDATE runstore.executions SET status = 'cancelled' WHERE status IN ('queued', 'running')"},
	    {"wait_for_work (error 22023: timeout -1)",
	     "wait_for_work",
	     {{"CALL runstore.wait_for_work(-1, NULL)", {}}},
	     {},
	     "",
	     true},
	};

	for (auto &c : cases)
		for (const char *h : {"verify_recent_workflows", "rebuild_recent_workflows", "get_executions_by_ids (100",
		                      "delete_many (", "delete_by_tag (5", "dequeue + ", "heartbeat (20", "cancel (",
		                      "_maintain_recent_workflows", "wait_for_work (nothing due"})
			if (c.name.rfind(h, 0) == 0)
				c.heavy = true;
	std::printf("backend pid %d; %ld calls per case (%ld for the ~1 ms ones, %ld for the error paths) after %ld "
	            "warm-up calls; each call its own transaction\n\n",
	            pid, calls, heavy_calls, error_calls, warmup);
	std::printf("%-68s %8s %9s %12s %12s %10s %11s %11s %9s %7s\n", "case", "calls", "errors", "ctx before",
	            "ctx after", "ctx growth", "RssAnon bef", "RssAnon aft", "growth", "s");
	int failures = 0;
	long total_calls = 0;
	const auto t_all = std::chrono::steady_clock::now();
	for (const auto &c : cases) {
		// Set-ups run even for skipped cases: later cases build on them.
		if (!c.setup.empty() && !Exec(c.setup))
			return 2;
		if (!only.empty() && c.name.find(only) == std::string::npos)
			continue;
		RunResult w = Run(c, warmup);
		if (w.broken) {
			std::printf("%-68s connection broken during warm-up\n", c.name.c_str());
			return 1;
		}
		const long n = c.heavy ? heavy_calls : c.expect_error ? error_calls : calls;
		const Measure before = Snapshot();
		const auto t0 = std::chrono::steady_clock::now();
		RunResult r = Run(c, n);
		const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
		const Measure after = Snapshot();
		long errors = 0;
		std::string codes;
		for (const auto &kv : r.errors) {
			errors += kv.second;
			codes += (codes.empty() ? "" : ",") + kv.first;
		}
		const long long ctx_growth = after.context_total - before.context_total;
		const long long rss_growth = (after.rss_anon_kb - before.rss_anon_kb) * 1024;
		std::vector<std::string> why;
		if (r.broken)
			why.push_back("connection broken");
		if (ctx_growth > max_context_growth)
			why.push_back("context memory grew " + Fmt(ctx_growth));
		if (rss_growth > max_rss_growth)
			why.push_back("RssAnon grew " + Fmt(rss_growth));
		if (r.recycle_errors > 0)
			why.push_back(std::to_string(r.recycle_errors) + " recycling statements failed");
		if (!c.expect_error && errors > 0)
			why.push_back("unexpected errors " + codes);
		if (c.expect_error && errors != n)
			why.push_back("expected every call to fail, " + std::to_string(errors) + " did");
		const long made = r.ok + errors;
		total_calls += made;
		if (made != n)
			why.push_back("made " + std::to_string(made) + " calls, not " + std::to_string(n));
		std::printf("%-68s %8ld %9s %12lld %12lld %10s %8lld kB %8lld kB %9s %7.1f%s\n", c.name.c_str(), made,
		            errors ? (std::to_string(errors) + " " + codes.substr(0, 5)).c_str() : "0", before.context_total,
		            after.context_total, Fmt(ctx_growth).c_str(), before.rss_anon_kb, after.rss_anon_kb,
		            Fmt(rss_growth).c_str(), secs, why.empty() ? "" : "  FAIL");
		for (const auto &w2 : why)
			std::printf("    FAIL: %s\n", w2.c_str());
		if (!why.empty())
			++failures;
		std::fflush(stdout);
	}
	const Measure end = Snapshot();
	const double total_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t_all).count();
	std::printf("\nbackend %d at the end: contexts %lld bytes, RssAnon %lld kB, VmRSS %lld kB; %ld calls in %.1f s\n",
	            pid, end.context_total, end.rss_anon_kb, end.vm_rss_kb, total_calls, total_s);
	if (PQbackendPID(conn) != pid || PQstatus(conn) != CONNECTION_OK) {
		std::printf("FAIL: the session is no longer backend %d\n", pid);
		++failures;
	}
	PQfinish(conn);
	return failures ? 1 : 0;
}
