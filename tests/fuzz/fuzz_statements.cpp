// fuzz_statements.cpp: the value pools, the function table, the call shapes
// and the hostile rows (see fuzz_statements.hpp).
#include "fuzz_statements.hpp"

#include <cstdio>
#include <utility>

namespace fuzz {

namespace {

std::string
UuidArrayLiteral(Rng &rng, int n, bool with_nulls, bool with_unknown, const std::string &bounds = "")
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

const char *
SqlType(T t)
{
	switch (t) {
	case T::Uuid:
		return "uuid";
	case T::UuidArray:
		return "uuid[]";
	case T::Int4:
		return "integer";
	case T::Int8:
		return "bigint";
	case T::Text:
		return "text";
	case T::Interval:
		return "interval";
	case T::Jsonb:
		return "jsonb";
	case T::Bool:
		return "boolean";
	case T::IntArray:
		return "integer[]";
	case T::TimeoutMs:
		return "integer";
	case T::OutArg:
		return "boolean";
	}
	return "text";
}

const std::vector<std::string> &
PoolFor(const Pools &p, T t)
{
	switch (t) {
	case T::Uuid:
		return p.uuid;
	case T::UuidArray:
		return p.uuid_array;
	case T::Int4:
		return p.int4;
	case T::Int8:
		return p.int8;
	case T::Text:
		return p.text;
	case T::Interval:
		return p.interval;
	case T::Jsonb:
		return p.jsonb;
	case T::Bool:
		return p.boolean;
	case T::IntArray:
		return p.int_array;
	case T::TimeoutMs:
		return p.timeout_ms;
	case T::OutArg:
		return p.out_arg;
	}
	return p.text;
}

const std::string &
PickArg(Rng &rng, const std::vector<std::string> &pool)
{
	const std::string *v = &rng.Pick(pool);
	if (Heavy(*v) && !rng.Chance(1.0 / 6))
		v = &rng.Pick(pool);
	return *v;
}

std::string
CallExpr(Rng &rng, const Pools &pools, const Function &fn, std::vector<std::string> *types_out,
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

} // namespace

std::string
KnownId(int n)
{
	char buf[64];
	std::snprintf(buf, sizeof buf, "00000000-0000-7000-8000-%012x", n);
	return buf;
}

std::string
Quote(const std::string &s)
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

Pools
MakePools(Rng &rng)
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
	p.int4 = {"NULL",
	          "NULL::int",
	          "-2147483648",
	          "-2147483647",
	          "-1",
	          "0",
	          "1",
	          "2",
	          "3",
	          "4",
	          "16",
	          "499",
	          "500",
	          "501",
	          "1000",
	          "1001",
	          "99999",
	          "100000",
	          "100001",
	          "2147483646",
	          "2147483647",
	          "(-1)",
	          "(2147483647)::int"};
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
	// Out of range and of other types, but never a wait longer than 20 ms:
	// the wait ends at once only when work is due.
	p.timeout_ms = {"NULL",       "NULL::integer", "0",   "1",           "5",          "20",  "-1",  "3600001",
	                "2147483647", "-2147483648",   "'7'", "7::smallint", "(SELECT 3)", "1.5", "'x'", "20000000000"};
	p.out_arg = {"NULL", "NULL", "NULL::boolean", "true", "42", "'x'", "(SELECT true)"};
	return p;
}

const std::vector<Function> &
Functions()
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
	    {"queue_stats", {}, true, true},
	    {"wait_for_work", {{"timeout_ms", T::TimeoutMs, false}, {"work_due", T::OutArg, false}}, false, true, true},
	    {"uuid_v7", {}, false, true},
	    {"_retry_delay", {{"attempt", T::Int4, false}}, false, true},
	    {"_statement_text", {{"name", T::Text, false}}, false, true},
	    {"_boundary_selftest", {{"mode", T::Text, false}}, false, true},
	    {"_maintain_recent_workflows", {}, false, false},
	    {"_register_priorities", {}, false, false},
	};
	return fns;
}

bool
Heavy(const std::string &v)
{
	return v.size() > 100000 || v.find("100000") != std::string::npos || v.find("1048576") != std::string::npos ||
	       v.find("300000") != std::string::npos;
}

// A procedure: CALL at top level (non-atomic: it may commit), in a
// transaction block or savepoint (atomic), from PL/pgSQL, under a 1 ms
// statement_timeout, another role or a hostile search_path.  (No EXPLAIN,
// cursor or PREPARE: CALL has none.)
std::string
WrapCall(Rng &rng, const Pools &pools, const Function &fn, std::string *shape)
{
	const std::string call = "CALL " + CallExpr(rng, pools, fn, nullptr, nullptr);
	switch (rng.Below(9)) {
	case 0:
		*shape = "call in a transaction block";
		return "BEGIN; " + call + "; " + call + "; COMMIT";
	case 1:
		*shape = "call in a savepoint";
		return "BEGIN; SAVEPOINT s; " + call + "; ROLLBACK TO SAVEPOINT s; " + call + "; COMMIT";
	case 2:
		*shape = "plpgsql";
		return "DO $fz$ DECLARE d boolean; BEGIN " + call + "; END $fz$";
	case 3:
		*shape = "plpgsql exception block";
		return "DO $fz$ BEGIN BEGIN " + call + "; EXCEPTION WHEN others THEN NULL; END; " + call + "; END $fz$";
	case 4:
		*shape = "statement_timeout 1ms";
		return "SET statement_timeout = '1ms'; " + call + "; RESET statement_timeout";
	case 5:
		*shape = "unprivileged role";
		return "BEGIN; SET LOCAL ROLE runstore_fuzz_noprivs; " + call + "; COMMIT";
	case 6:
		*shape = "hostile search_path";
		return "BEGIN; SET LOCAL search_path = runstore_fuzz_evil, public; " + call + "; COMMIT";
	default:
		*shape = "call";
		return call;
	}
}

std::string
Wrap(Rng &rng, const Pools &pools, const Function &fn, std::string *shape)
{
	if (fn.procedure)
		return WrapCall(rng, pools, fn, shape);
	const std::string call = CallExpr(rng, pools, fn, nullptr, nullptr);
	const std::string from = fn.set_returning ? "SELECT * FROM " + call : "SELECT " + call;
	switch (rng.Below(14)) {
	case 0:
		*shape = "target list";
		return "SELECT " + call;
	case 1:
		*shape = "count";
		return "SELECT count(*) FROM (" + from + ") q";
	case 2:
		*shape = "limit 1";
		return from + " LIMIT 1";
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
	default:
		*shape = "plain";
		return from;
	}
}

std::vector<std::string>
RowStatements()
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
	    "EXECUTE FUNCTION runstore._register_priorities(); INSERT INTO fz_t VALUES (NULL, 1)",
	    "DROP TRIGGER IF EXISTS fz_trg ON fz_t; CREATE TRIGGER fz_trg AFTER DELETE ON fz_t FOR EACH STATEMENT "
	    "EXECUTE FUNCTION runstore._register_priorities(); DELETE FROM fz_t",
	    "DROP TRIGGER IF EXISTS fz_trg ON fz_t; CREATE TRIGGER fz_trg AFTER INSERT ON fz_t REFERENCING NEW TABLE "
	    "AS runstore_new FOR EACH STATEMENT EXECUTE FUNCTION runstore._register_priorities(); "
	    "INSERT INTO fz_t VALUES (NULL, 1)",
	    // A look-alike executions table with the transition-table names runstore expects.
	    "CREATE TEMP TABLE IF NOT EXISTS fz_lookalike (LIKE runstore.executions)",
	    "DROP TRIGGER IF EXISTS fz_trg2 ON fz_lookalike; CREATE TRIGGER fz_trg2 AFTER INSERT ON fz_lookalike "
	    "REFERENCING NEW TABLE AS runstore_new FOR EACH STATEMENT EXECUTE FUNCTION "
	    "runstore._maintain_recent_workflows(); INSERT INTO fz_lookalike (id, workspace_id, workflow_id, user_id, "
	    "created_at) VALUES (gen_random_uuid(), 77, 1, 'u', now())",
	};
}

} // namespace fuzz
