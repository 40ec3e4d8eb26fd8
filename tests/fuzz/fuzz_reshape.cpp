// fuzz_reshape.cpp: runs the cases of the reshape phase (see
// fuzz_reshape.hpp): the extension restored and seeded, the tables reshaped,
// the generator's calls fired with direct paths on and off, the oracles
// checked.
#include "fuzz_reshape.hpp"

#include <chrono>
#include <cstdio>
#include <thread>

namespace fuzz {

namespace {

// Workspace ids at the ends of bigint and far from small numbers, where a
// key read with the wrong width or order would show.
const std::vector<std::string> kEdgeWorkspaces = {
    "9223372036854775807", "9223372036854775806", "-9223372036854775808", "-1", "0", "1152921504606846976"};

// The generator's pools without the values that cost 0.1-1 s each (the
// phase runs a few hundred calls per case), with the edge workspaces and the
// user ids the seed gives.
Pools
ReshapePools(const Pools &all)
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
std::vector<const Function *>
ReshapeFunctions()
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

std::vector<std::string>
ReshapeRowStatements()
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
std::string
ReshapeSeed()
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
bool
ControlsTransaction(const std::string &sql)
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
		std::printf(
		    "  case %2d/%d %s: %ld calls, oracles %ld held, %ld n/a, usable %s%s, %.1f s\n", number, total,
		    c.name.c_str(), tally_.calls_direct + tally_.calls_statement - before.calls_direct - before.calls_statement,
		    tally_.oracles_held - before.oracles_held, tally_.oracles_not_applicable - before.oracles_not_applicable,
		    shown.c_str(), ok ? "" : " (NOT SET UP)", secs);
		std::fflush(stdout);
		return Reconnect();
	}

	// The extension as installed, with the seed rows: before each case, and after the last.  The
	// schema goes too: a case may leave tables in it that only depend on the extension's types.
	bool Restore()
	{
		in_txn_ = false;
		for (const std::string &sql :
		     {std::string("RESET ALL"), std::string("SET client_min_messages = error"),
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
		                       (fails_with != nullptr ? std::string(" should fail with ") + fails_with : "") +
		                       "\n    " +
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
			Violation("SELECT * FROM " + call + " differs from " + expected_sql + "\n    expected: " + show(expected) +
			          "\n    direct paths on: " + show(on) + "\n    direct paths off: " + show(off));
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
		const Outcome o =
		    Exec(sql, "oracle:dequeue head", direct ? "oracle: direct paths on" : "oracle: direct paths off");
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
		const std::string sql =
		    "SELECT (SELECT count(*) FROM runstore.verify_recent_workflows()), "
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

} // namespace

int
RunReshape(Session &s, Stats &st, Rng &rng, const Pools &pools, uint64_t seed, int calls_per_case, double seconds,
           const std::string &only, bool verbose, bool oracles_strict)
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
	            "the summaries, the UPDATE check, recent_workflows, the same for a user, the claim frontier)\n",
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
	            run < cases.size()
	                ? (" (stopped by the time bound: " + std::to_string(cases.size() - run) + " cases not run)").c_str()
	                : "",
	            pid);
	return Report(st, verbose, oracles_strict);
}

} // namespace fuzz
