// queue_load: the queue on a Citus cluster, checked from outside
// (tests/citus/queue_cluster.sh drives it).
//
// Loads --executions executions over --workspaces workspaces (so over every
// shard) through the coordinator, then runs dequeuers until every one has
// succeeded: --threads on each node given with --node (the coordinator and
// the workers), each on a connection of its own, each step claiming up to
// 20 with a short lease and completing what it holds in one complete_many
// with the workspaces dequeue returned.  A connection that breaks (its node
// killed, or a node its statement needed) is opened again until the node is
// back; what a thread held then is left to its lease, and is claimed again
// at the next attempt.
//
// Every thread journals, in memory, each (id, attempt) dequeue delivered and
// each (id, attempt) whose completion was acknowledged (complete_many
// returned it).  At the end it checks, and exits 1 on any violation:
//   - no execution delivered twice at the same attempt;
//   - every acknowledged completion is stored: succeeded, at that attempt;
//   - every execution succeeded (none lost), none left running or queued;
// and prints how the claims spread over the nodes the threads talked to.
//
// Usage: queue_load --node CONNINFO [--node CONNINFO ...] [--threads N]
//                   [--executions N] [--workspaces N] [--lease-seconds S] [--deadline-seconds S]
//                   [--ready-file PATH]  (created once loaded, as the dequeuers start)
// The first --node must be the coordinator (it loads and checks).
#include <libpq-fe.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

struct Options {
	std::vector<std::string> nodes;
	int threads = 2;
	long executions = 3000;
	long workspaces = 200;
	int lease_seconds = 3;
	int deadline_seconds = 180;
	std::string ready_file; // created once the executions are loaded and the dequeuers start
};

struct PgResultDeleter {
	void operator()(PGresult *r) const { PQclear(r); }
};
using Result = std::unique_ptr<PGresult, PgResultDeleter>;

struct PgConnDeleter {
	void operator()(PGconn *c) const { PQfinish(c); }
};
using Conn = std::unique_ptr<PGconn, PgConnDeleter>;

// Citus's warnings while a node is down (it cannot cancel what ran there)
// are expected here; the checks say what matters.
void
ignore_notice(void *, const char *)
{
}

Conn
connect(const std::string &conninfo)
{
	Conn c(PQconnectdb(conninfo.c_str()));
	if (PQstatus(c.get()) != CONNECTION_OK)
		return nullptr;
	PQsetNoticeProcessor(c.get(), ignore_notice, nullptr);
	return c;
}

// Runs sql; nullptr (and the error in *error) unless it succeeded.
Result
run(PGconn *c, const std::string &sql, std::string *error)
{
	Result r(PQexec(c, sql.c_str()));
	const ExecStatusType s = PQresultStatus(r.get());
	if (s == PGRES_TUPLES_OK || s == PGRES_COMMAND_OK)
		return r;
	if (error != nullptr)
		*error = PQerrorMessage(c);
	return nullptr;
}

long
scalar(PGconn *c, const std::string &sql)
{
	std::string error;
	Result r = run(c, sql, &error);
	if (!r) {
		std::fprintf(stderr, "queue_load: %s: %s", sql.c_str(), error.c_str());
		std::exit(2);
	}
	return std::atol(PQgetvalue(r.get(), 0, 0));
}

struct Held {
	std::string id;
	int attempt;
	std::string workspace;
};

// What one thread saw.
struct Seen {
	std::vector<std::pair<std::string, int>> delivered;
	std::vector<std::pair<std::string, int>> acknowledged;
	long errors = 0;
	long reconnects = 0;
};

std::string
array_literal(const std::vector<std::string> &items)
{
	std::string out = "'{";
	for (std::size_t i = 0; i < items.size(); ++i)
		out += (i ? "," : "") + items[i];
	return out + "}'";
}

void
dequeuer(const std::string &conninfo, const std::string &name, const Options &o, const std::atomic<bool> &stop,
         Seen *seen)
{
	Conn c;
	std::vector<Held> held;
	while (!stop.load()) {
		if (!c || PQstatus(c.get()) != CONNECTION_OK) {
			c = connect(conninfo);
			if (!c) {
				std::this_thread::sleep_for(std::chrono::milliseconds(200));
				continue;
			}
			++seen->reconnects;
			held.clear(); // left to their leases
		}
		std::string error;
		if (!held.empty()) {
			std::vector<std::string> ids, attempts, workspaces;
			for (const Held &h : held) {
				ids.push_back(h.id);
				attempts.push_back(std::to_string(h.attempt));
				workspaces.push_back(h.workspace);
			}
			const std::string sql = "SELECT c FROM runstore.complete_many('" + name + "', " + array_literal(ids) +
			                        "::uuid[], " + array_literal(attempts) + "::int[], NULL, " +
			                        array_literal(workspaces) + "::bigint[]) c";
			Result r = run(c.get(), sql, &error);
			if (r) {
				std::map<std::string, int> attempt_of;
				for (const Held &h : held)
					attempt_of[h.id] = h.attempt;
				for (int i = 0; i < PQntuples(r.get()); ++i) {
					const std::string id = PQgetvalue(r.get(), i, 0);
					seen->acknowledged.emplace_back(id, attempt_of[id]);
				}
			} else {
				++seen->errors;
			}
			held.clear(); // acknowledged, or left to their leases
		}
		const std::string claim = "SELECT id, attempt, workspace_id FROM runstore.dequeue('" + name + "', 20, '" +
		                          std::to_string(o.lease_seconds) + " seconds')";
		Result r = run(c.get(), claim, &error);
		if (!r) {
			++seen->errors;
			std::this_thread::sleep_for(std::chrono::milliseconds(50));
			continue;
		}
		for (int i = 0; i < PQntuples(r.get()); ++i) {
			Held h{PQgetvalue(r.get(), i, 0), std::atoi(PQgetvalue(r.get(), i, 1)), PQgetvalue(r.get(), i, 2)};
			seen->delivered.emplace_back(h.id, h.attempt);
			held.push_back(h);
		}
		if (held.empty())
			std::this_thread::sleep_for(std::chrono::milliseconds(20));
	}
}

Options
parse(int argc, char **argv)
{
	Options o;
	for (int i = 1; i + 1 < argc; i += 2) {
		const std::string k = argv[i];
		const std::string v = argv[i + 1];
		if (k == "--node")
			o.nodes.push_back(v);
		else if (k == "--threads")
			o.threads = std::atoi(v.c_str());
		else if (k == "--executions")
			o.executions = std::atol(v.c_str());
		else if (k == "--workspaces")
			o.workspaces = std::atol(v.c_str());
		else if (k == "--lease-seconds")
			o.lease_seconds = std::atoi(v.c_str());
		else if (k == "--deadline-seconds")
			o.deadline_seconds = std::atoi(v.c_str());
		else if (k == "--ready-file")
			o.ready_file = v;
		else {
			std::fprintf(stderr, "queue_load: unknown option %s\n", k.c_str());
			std::exit(2);
		}
	}
	if (o.nodes.empty()) {
		std::fprintf(stderr, "queue_load: --node CONNINFO (the coordinator first) is required\n");
		std::exit(2);
	}
	return o;
}

} // namespace

int
main(int argc, char **argv)
{
	const Options o = parse(argc, argv);
	Conn coordinator = connect(o.nodes[0]);
	if (!coordinator) {
		std::fprintf(stderr, "queue_load: cannot connect to the coordinator\n");
		return 2;
	}
	std::string error;
	if (!run(coordinator.get(), "TRUNCATE runstore.executions", &error)) {
		std::fprintf(stderr, "queue_load: TRUNCATE: %s", error.c_str());
		return 2;
	}
	scalar(coordinator.get(),
	       "WITH i AS (INSERT INTO runstore.executions (workspace_id, workflow_id, user_id, max_attempts)"
	       " SELECT g % " +
	           std::to_string(o.workspaces) + ", g % 7, 'u' || g % 3, 100 FROM generate_series(1, " +
	           std::to_string(o.executions) + ") g RETURNING 1) SELECT count(*) FROM i");

	if (!o.ready_file.empty()) {
		FILE *ready = std::fopen(o.ready_file.c_str(), "w");
		if (ready != nullptr)
			std::fclose(ready);
	}
	std::atomic<bool> stop{false};
	std::vector<std::unique_ptr<Seen>> seen;
	std::vector<std::thread> threads;
	for (std::size_t n = 0; n < o.nodes.size(); ++n) {
		for (int t = 0; t < o.threads; ++t) {
			seen.push_back(std::make_unique<Seen>());
			const std::string name = "node" + std::to_string(n) + "-t" + std::to_string(t);
			threads.emplace_back(dequeuer, o.nodes[n], name, std::cref(o), std::cref(stop), seen.back().get());
		}
	}

	// Until every execution has succeeded, asked through the coordinator
	// (which may itself fail while a worker node is down).
	const auto started = Clock::now();
	bool done = false;
	while (!done && Clock::now() - started < std::chrono::seconds(o.deadline_seconds)) {
		std::this_thread::sleep_for(std::chrono::milliseconds(500));
		if (!coordinator || PQstatus(coordinator.get()) != CONNECTION_OK)
			coordinator = connect(o.nodes[0]);
		if (!coordinator)
			continue;
		Result r =
		    run(coordinator.get(), "SELECT count(*) FROM runstore.executions WHERE status <> 'succeeded'", &error);
		done = r && std::atol(PQgetvalue(r.get(), 0, 0)) == 0;
	}
	stop.store(true);
	for (auto &t : threads)
		t.join();
	const double seconds = std::chrono::duration<double>(Clock::now() - started).count();
	if (!coordinator || PQstatus(coordinator.get()) != CONNECTION_OK)
		coordinator = connect(o.nodes[0]);

	int violations = 0;
	auto violation = [&](const std::string &what) {
		std::printf("VIOLATION: %s\n", what.c_str());
		++violations;
	};
	if (!done)
		violation("not every execution succeeded within " + std::to_string(o.deadline_seconds) + " s");

	std::set<std::pair<std::string, int>> delivered;
	long deliveries = 0, acks = 0, errors = 0, reconnects = 0;
	for (const auto &s : seen) {
		for (const auto &d : s->delivered) {
			++deliveries;
			if (!delivered.insert(d).second)
				violation("delivered twice at the same attempt: " + d.first + " attempt " + std::to_string(d.second));
		}
		acks += static_cast<long>(s->acknowledged.size());
		errors += s->errors;
		reconnects += s->reconnects;
	}
	// Every acknowledged completion, looked up.
	std::map<std::string, int> acked;
	for (const auto &s : seen)
		for (const auto &a : s->acknowledged)
			acked[a.first] = a.second;
	Result stored = run(coordinator.get(), "SELECT id, status, attempt FROM runstore.executions", &error);
	if (!stored) {
		violation("cannot read the executions back: " + error);
	} else {
		std::map<std::string, std::pair<std::string, int>> by_id;
		for (int i = 0; i < PQntuples(stored.get()); ++i)
			by_id[PQgetvalue(stored.get(), i, 0)] = {PQgetvalue(stored.get(), i, 1),
			                                         std::atoi(PQgetvalue(stored.get(), i, 2))};
		if (static_cast<long>(by_id.size()) != o.executions)
			violation(std::to_string(by_id.size()) + " executions stored, not " + std::to_string(o.executions));
		long lost_acks = 0, not_succeeded = 0;
		for (const auto &a : acked) {
			auto it = by_id.find(a.first);
			if (it == by_id.end() || it->second.first != "succeeded" || it->second.second != a.second)
				++lost_acks;
		}
		for (const auto &e : by_id)
			if (e.second.first != "succeeded")
				++not_succeeded;
		if (lost_acks > 0)
			violation(std::to_string(lost_acks) + " acknowledged completions not stored as acknowledged");
		if (not_succeeded > 0)
			violation(std::to_string(not_succeeded) + " executions did not succeed");
	}
	std::printf("queue_load: %ld executions, %zu dequeuers on %zu nodes, %.1f s: %ld deliveries, %ld acknowledged "
	            "completions, %ld failed calls, %ld connections opened; %d violations\n",
	            o.executions, threads.size(), o.nodes.size(), seconds, deliveries, acks, errors, reconnects,
	            violations);
	return violations == 0 ? 0 : 1;
}
