/*
 * remote_waits.cpp: see remote_waits.hpp.
 *
 * PostgreSQL zone: only trivially destructible locals.  The libpq
 * connections live in static storage for the backend's life; an ERROR
 * between StartRemoteWaits and EndRemoteWaits is caught by the caller,
 * which calls EndRemoteWaits in its PG_FINALLY.
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

#include <cstdio>
#include <cstring>

#include "runstore/queue/cluster_claim.hpp"
#include "runstore/queue/remote_waits.hpp"

namespace runstore::pg {

namespace {

constexpr int kMaxNodes = 64;
/* How long a cancelled remote wait may take to answer before its connection is dropped. */
constexpr long kDrainMs = 2000;

struct RemoteWait {
	ClusterNode node;
	PGconn *conn;
	bool running;    /* a CALL sent, its reply not read yet */
	PGconn *control; /* to the same node: ends a wait there (opened on first need) */
};

RemoteWait waits[kMaxNodes];
int wait_count = 0;

void
Drop(RemoteWait &wait)
{
	if (wait.conn != nullptr)
		PQfinish(wait.conn);
	if (wait.control != nullptr)
		PQfinish(wait.control);
	wait.conn = nullptr;
	wait.control = nullptr;
	wait.running = false;
}

/* A connection to `node` as Citus's own would be made; nullptr (logged) if it fails. */
PGconn *
Connect(const ClusterNode &node)
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
		ereport(LOG, (errmsg("runstore: wait_for_work could not connect to node %s:%d to wait there: %s", node.host,
		                     node.port, conn != nullptr ? PQerrorMessage(conn) : "out of memory"),
		              errdetail("Work made due on that node is found by the worker's next dequeue.")));
		if (conn != nullptr)
			PQfinish(conn);
		return nullptr;
	}
	return conn;
}

/* Reads what a finished remote wait sent; true if it says work is due. */
bool
ReadReply(RemoteWait &wait)
{
	bool due = false;
	bool failed = false;
	for (PGresult *res = PQgetResult(wait.conn); res != nullptr; res = PQgetResult(wait.conn)) {
		if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1 && PQnfields(res) == 1)
			due = due || std::strcmp(PQgetvalue(res, 0, 0), "t") == 0;
		else if (PQresultStatus(res) != PGRES_COMMAND_OK)
			failed = true;
		PQclear(res);
	}
	wait.running = false;
	if (failed && PQstatus(wait.conn) != CONNECTION_OK)
		Drop(wait);
	return due;
}

/* Waits up to `timeout_ms` for `wait`'s reply, without interrupts; false if none came. */
bool
AwaitReply(RemoteWait &wait, long timeout_ms)
{
	const TimestampTz deadline = TimestampTzPlusMilliseconds(GetCurrentTimestamp(), timeout_ms);
	for (;;) {
		if (PQconsumeInput(wait.conn) == 0)
			return false;
		if (PQisBusy(wait.conn) == 0)
			return true;
		const long remaining = TimestampDifferenceMilliseconds(GetCurrentTimestamp(), deadline);
		if (remaining <= 0)
			return false;
		(void)WaitLatchOrSocket(nullptr, WL_SOCKET_READABLE | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH, PQsocket(wait.conn),
		                        remaining, PG_WAIT_EXTENSION);
	}
}

} // namespace

int
StartRemoteWaits(int timeout_ms)
{
	ClusterNode nodes[kMaxNodes];
	const int count = OtherShardNodes(nodes, kMaxNodes);
	/* Keep the connections to nodes still listed; drop the others. */
	RemoteWait kept[kMaxNodes];
	int kept_count = 0;
	for (int i = 0; i < wait_count; ++i) {
		bool listed = false;
		for (int j = 0; j < count && !listed; ++j)
			listed = waits[i].node.port == nodes[j].port && std::strcmp(waits[i].node.host, nodes[j].host) == 0;
		if (listed)
			kept[kept_count++] = waits[i];
		else
			Drop(waits[i]);
	}
	wait_count = 0;
	for (int j = 0; j < count; ++j) {
		RemoteWait wait{nodes[j], nullptr, false, nullptr};
		for (int i = 0; i < kept_count; ++i)
			if (kept[i].node.port == nodes[j].port && std::strcmp(kept[i].node.host, nodes[j].host) == 0)
				wait = kept[i];
		waits[wait_count++] = wait;
	}

	char sql[96];
	snprintf(sql, sizeof(sql), "CALL runstore._wait_on_node(%d, NULL)", timeout_ms);
	int running = 0;
	for (int i = 0; i < wait_count; ++i) {
		RemoteWait &wait = waits[i];
		if (wait.conn != nullptr && PQstatus(wait.conn) != CONNECTION_OK)
			Drop(wait);
		if (wait.conn == nullptr)
			wait.conn = Connect(wait.node);
		if (wait.conn == nullptr)
			continue;
		if (PQsendQuery(wait.conn, sql) == 0) {
			ereport(LOG, (errmsg("runstore: wait_for_work could not wait on node %s:%d: %s", wait.node.host,
			                     wait.node.port, PQerrorMessage(wait.conn))));
			Drop(wait);
			continue;
		}
		wait.running = true;
		++running;
	}
	return running;
}

bool
WaitLatchOrRemoteWork(long timeout_ms)
{
	WaitEventSet *set = CreateWaitEventSet(CurrentMemoryContext, wait_count + 2);
	(void)AddWaitEventToSet(set, WL_LATCH_SET, PGINVALID_SOCKET, MyLatch, nullptr);
	(void)AddWaitEventToSet(set, WL_EXIT_ON_PM_DEATH, PGINVALID_SOCKET, nullptr, nullptr);
	for (int i = 0; i < wait_count; ++i)
		if (waits[i].running)
			(void)AddWaitEventToSet(set, WL_SOCKET_READABLE, PQsocket(waits[i].conn), nullptr, &waits[i]);
	WaitEvent events[kMaxNodes + 2];
	const int fired = WaitEventSetWait(set, timeout_ms, events, kMaxNodes + 2, PG_WAIT_EXTENSION);
	FreeWaitEventSet(set);
	bool due = false;
	for (int e = 0; e < fired; ++e) {
		if ((events[e].events & WL_SOCKET_READABLE) == 0)
			continue;
		RemoteWait &wait = *static_cast<RemoteWait *>(events[e].user_data);
		if (PQconsumeInput(wait.conn) == 0) {
			ereport(LOG, (errmsg("runstore: the wait on node %s:%d ended: %s", wait.node.host, wait.node.port,
			                     PQerrorMessage(wait.conn))));
			Drop(wait);
			continue;
		}
		if (PQisBusy(wait.conn) == 0)
			due = ReadReply(wait) || due;
	}
	return due;
}

void
EndRemoteWaits()
{
	for (int i = 0; i < wait_count; ++i) {
		RemoteWait &wait = waits[i];
		if (!wait.running)
			continue;
		/* Ended by itself meanwhile? */
		if (PQconsumeInput(wait.conn) != 0 && PQisBusy(wait.conn) == 0) {
			(void)ReadReply(wait);
			continue;
		}
		/*
		 * Cancelled from the node's control connection: one round trip on an
		 * open connection.  A cancel request (PQcancel) would have the node's
		 * postmaster start a process for it, which costs tens of
		 * milliseconds, paid before the caller learns of its work.
		 */
		if (wait.control != nullptr && PQstatus(wait.control) != CONNECTION_OK) {
			PQfinish(wait.control);
			wait.control = nullptr;
		}
		if (wait.control == nullptr)
			wait.control = Connect(wait.node);
		bool sent = false;
		if (wait.control != nullptr) {
			char sql[64];
			snprintf(sql, sizeof(sql), "SELECT pg_catalog.pg_cancel_backend(%d)", PQbackendPID(wait.conn));
			PGresult *res = PQexec(wait.control, sql);
			sent = PQresultStatus(res) == PGRES_TUPLES_OK;
			PQclear(res);
		}
		if (!sent) {
			char error[256];
			PGcancel *cancel = PQgetCancel(wait.conn);
			sent = cancel != nullptr && PQcancel(cancel, error, sizeof(error)) != 0;
			if (cancel != nullptr)
				PQfreeCancel(cancel);
		}
		/* A connection whose wait does not end soon is dropped rather than waited for. */
		if (!sent || !AwaitReply(wait, kDrainMs))
			Drop(wait);
		else
			(void)ReadReply(wait);
	}
}

} // namespace runstore::pg
