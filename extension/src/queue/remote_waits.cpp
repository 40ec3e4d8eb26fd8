/*
 * remote_waits.cpp: see remote_waits.hpp.
 *
 * PostgreSQL zone: only trivially destructible locals.  The libpq
 * connections live in static storage for the backend's life; an ERROR
 * between StartRemoteWaits and EndRemoteWaits is caught by the caller,
 * which calls EndRemoteWaits in its PG_FINALLY.
 *
 * A remote wait that is no longer needed (another node had work first) is
 * not cancelled: it goes on, and the next call adopts it as its wait on that
 * node, since it has watched the node since before that call began (had it
 * answered meanwhile, its answer is read and dropped, and a new wait sent).
 * So at most one wait runs per node, and no signal is needed: cancelling
 * (a signal to the node's backend) races with that backend's next wait, as
 * a cancel arriving just after a wait ended by itself ends the next one at
 * once, and the node goes unheard for the rest of it.
 */
extern "C" {
#include "postgres.h"

#include "commands/dbcommands.h"
#include "libpq-fe.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "storage/latch.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"
}

#include <algorithm>
#include <cstdio>
#include <cstring>

#include "runstore/queue/cluster_claim.hpp"
#include "runstore/queue/remote_waits.hpp"

namespace runstore::pg {

namespace {

constexpr int kMaxNodes = 64;
/* The longest wait sent to a node; sent again while the caller still waits. */
constexpr int kRemoteSliceMs = 1000;
constexpr int kGaveUp = -2;
/* After a failed connection, how long the calls leave the node out before trying it again. */
constexpr int kRetryConnectMs = 5000;

struct Line {
	PGconn *conn;
	bool running; /* a CALL sent, its answer not read yet */
};

struct RemoteWait {
	ClusterNode node;
	Line line;
	int active; /* 0: this call waits on `line`; -1 not (yet); kGaveUp: the node cannot be waited on in this call */
	TimestampTz unreachable_since; /* the first failed connection of a run of them; 0: none */
	TimestampTz last_try;          /* the last failed connection */
};

RemoteWait waits[kMaxNodes];
int wait_count = 0;

void
DropLine(Line &line)
{
	if (line.conn != nullptr)
		PQfinish(line.conn);
	line = Line{nullptr, false};
}

void
DropNode(RemoteWait &wait)
{
	DropLine(wait.line);
	wait.active = -1;
}

/* A connection to `node` as Citus's own would be made; nullptr (logged if `report`) if it fails. */
PGconn *
Connect(const ClusterNode &node, bool report)
{
	const char *keywords[40];
	const char *values[40];
	int n = 0;
	char port[16];
	snprintf(port, sizeof(port), "%d", node.port);
	/* citus.node_conninfo first (sslmode and the like); ours after it win. */
	PQconninfoOption *extra = nullptr;
	const char *node_conninfo = GetConfigOption("citus.node_conninfo", true, false);
	if (node_conninfo != nullptr && node_conninfo[0] != '\0')
		extra = PQconninfoParse(node_conninfo, nullptr);
	for (PQconninfoOption *o = extra; o != nullptr && o->keyword != nullptr && n < 30; ++o)
		if (o->val != nullptr) {
			keywords[n] = o->keyword;
			values[n++] = o->val;
		}
	keywords[n] = "host";
	values[n++] = node.host;
	keywords[n] = "port";
	values[n++] = port;
	keywords[n] = "dbname";
	values[n++] = get_database_name(MyDatabaseId);
	keywords[n] = "user";
	values[n++] = GetUserNameFromId(GetUserId(), false);
	keywords[n] = "application_name";
	values[n++] = "runstore wait";
	keywords[n] = "connect_timeout";
	values[n++] = "5";
	keywords[n] = nullptr;
	values[n] = nullptr;
	PGconn *conn = PQconnectdbParams(keywords, values, 0);
	if (extra != nullptr)
		PQconninfoFree(extra);
	if (conn == nullptr || PQstatus(conn) != CONNECTION_OK) {
		if (report)
			ereport(LOG, (errmsg("runstore: wait_for_work could not connect to node %s:%d to wait there: %s", node.host,
			                     node.port, conn != nullptr ? PQerrorMessage(conn) : "out of memory"),
			              errdetail("Work made due on that node is found by the worker's next dequeue.  The waits try "
			                        "it again every 5 s, and say nothing more until it answers.")));
		if (conn != nullptr)
			PQfinish(conn);
		return nullptr;
	}
	return conn;
}

/* Reads a finished wait's answer; true if it says work is due.  A broken connection is dropped. */
bool
ReadAnswer(Line &line)
{
	bool due = false;
	for (PGresult *res = PQgetResult(line.conn); res != nullptr; res = PQgetResult(line.conn)) {
		if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1 && PQnfields(res) == 1)
			due = due || std::strcmp(PQgetvalue(res, 0, 0), "t") == 0;
		PQclear(res);
	}
	line.running = false;
	if (PQstatus(line.conn) != CONNECTION_OK)
		DropLine(line);
	return due;
}

/* Reads what has arrived for a running line; true once its wait has ended (its answer dropped). */
bool
Reap(Line &line)
{
	if (!line.running)
		return true;
	if (PQconsumeInput(line.conn) == 0) {
		DropLine(line);
		return true;
	}
	if (PQisBusy(line.conn) != 0)
		return false;
	(void)ReadAnswer(line);
	return true;
}

/* Makes `wait` this call's wait on its node: the one still running, or a new one of up to timeout_ms. */
bool
SendWait(RemoteWait &wait, int timeout_ms)
{
	Line &line = wait.line;
	if (line.running && !Reap(line)) {
		wait.active = 0;
		return true;
	}
	if (line.conn == nullptr) {
		/*
		 * A node found down is left out for kRetryConnectMs: a worker waiting
		 * in slices would otherwise try (and log) a connection every slice.
		 */
		const TimestampTz now = GetCurrentTimestamp();
		if (wait.unreachable_since != 0 && !TimestampDifferenceExceeds(wait.last_try, now, kRetryConnectMs))
			return false;
		line.conn = Connect(wait.node, wait.unreachable_since == 0);
		if (line.conn == nullptr) {
			if (wait.unreachable_since == 0)
				wait.unreachable_since = now;
			wait.last_try = now;
			return false;
		}
		wait.unreachable_since = 0;
	}
	char sql[96];
	snprintf(sql, sizeof(sql), "CALL runstore._wait_on_node(%d, NULL)", std::min(timeout_ms, kRemoteSliceMs));
	if (PQsendQuery(line.conn, sql) == 0) {
		ereport(LOG, (errmsg("runstore: wait_for_work could not wait on node %s:%d: %s", wait.node.host, wait.node.port,
		                     PQerrorMessage(line.conn))));
		DropLine(line);
		return false;
	}
	line.running = true;
	wait.active = 0;
	return true;
}

bool
SameNode(const ClusterNode &a, const ClusterNode &b)
{
	return a.port == b.port && std::strcmp(a.host, b.host) == 0;
}

} // namespace

int
StartRemoteWaits(int timeout_ms)
{
	ClusterNode nodes[kMaxNodes];
	const int count = OtherShardNodes(nodes, kMaxNodes);
	/* Keep the lines to nodes still listed; drop the others. */
	RemoteWait kept[kMaxNodes];
	int kept_count = 0;
	for (int i = 0; i < wait_count; ++i) {
		bool listed = false;
		for (int j = 0; j < count && !listed; ++j)
			listed = SameNode(waits[i].node, nodes[j]);
		if (listed)
			kept[kept_count++] = waits[i];
		else
			DropNode(waits[i]);
	}
	wait_count = 0;
	for (int j = 0; j < count; ++j) {
		RemoteWait wait{nodes[j], {nullptr, false}, -1, 0, 0};
		for (int i = 0; i < kept_count; ++i)
			if (SameNode(kept[i].node, nodes[j]))
				wait = kept[i];
		wait.active = -1;
		waits[wait_count++] = wait;
	}
	int running = 0;
	for (int i = 0; i < wait_count; ++i) {
		if (SendWait(waits[i], timeout_ms))
			++running;
		else
			waits[i].active = kGaveUp;
	}
	return running;
}

bool
WaitLatchOrRemoteWork(long timeout_ms)
{
	/* A node whose wait ended with nothing due (its slice) waits again, for what is left. */
	for (int i = 0; i < wait_count; ++i)
		if (waits[i].active == -1 && timeout_ms > 0 && !SendWait(waits[i], static_cast<int>(timeout_ms)))
			waits[i].active = kGaveUp;
	WaitEventSet *set = CreateWaitEventSet(CurrentMemoryContext, wait_count + 2);
	(void)AddWaitEventToSet(set, WL_LATCH_SET, PGINVALID_SOCKET, MyLatch, nullptr);
	(void)AddWaitEventToSet(set, WL_EXIT_ON_PM_DEATH, PGINVALID_SOCKET, nullptr, nullptr);
	for (int i = 0; i < wait_count; ++i)
		if (waits[i].active >= 0)
			(void)AddWaitEventToSet(set, WL_SOCKET_READABLE, PQsocket(waits[i].line.conn), nullptr, &waits[i]);
	WaitEvent events[kMaxNodes + 2];
	const int fired = WaitEventSetWait(set, timeout_ms, events, kMaxNodes + 2, PG_WAIT_EXTENSION);
	FreeWaitEventSet(set);
	bool due = false;
	for (int e = 0; e < fired; ++e) {
		if ((events[e].events & WL_SOCKET_READABLE) == 0)
			continue;
		RemoteWait &wait = *static_cast<RemoteWait *>(events[e].user_data);
		Line &line = wait.line;
		if (PQconsumeInput(line.conn) == 0) {
			ereport(LOG, (errmsg("runstore: the wait on node %s:%d ended: %s", wait.node.host, wait.node.port,
			                     PQerrorMessage(line.conn))));
			DropLine(line);
			wait.active = -1;
			continue;
		}
		if (PQisBusy(line.conn) == 0) {
			due = ReadAnswer(line) || due;
			wait.active = -1;
		}
	}
	return due;
}

void
EndRemoteWaits()
{
	/* The waits still running go on; the next call adopts them, or reads and drops their answers. */
	for (int i = 0; i < wait_count; ++i)
		waits[i].active = -1;
}

} // namespace runstore::pg
