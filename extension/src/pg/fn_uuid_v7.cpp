/*
 * fn_uuid_v7.cpp: runstore.uuid_v7(), the default of executions.id.
 */
extern "C" {
#include "postgres.h"

#include "miscadmin.h"
#include "port.h"
#include "utils/timestamp.h"
#include "utils/uuid.h"
}

#include "runstore/core/uuid_v7.hpp"
#include "runstore/pg_boundary.hpp"

namespace {

/* One generator per backend: ids from one session strictly increase. Trivially destructible. */
runstore::core::UuidV7Generator generator;

/* Microseconds between the Unix epoch and PostgreSQL's epoch (2000-01-01). */
constexpr int64 kPostgresEpochOffsetUsec = static_cast<int64>(POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE) * USECS_PER_DAY;

/*
 * Random bytes drawn in bulk.  pg_strong_random (OpenSSL's RAND_bytes here)
 * has a fixed cost per call that made it ~14% of a bulk INSERT's time in a
 * perf profile when called once per id; one call now serves 409 ids.  The
 * pool belongs to the process that filled it: a process forked from this one
 * (none is today, but a background worker or a future fork server could be)
 * sees another MyProcPid and draws its own, so two processes never hand out
 * the same bytes.  Trivially destructible.
 */
struct RandomPool {
	uint8 bytes[4096];
	size_t next = sizeof(bytes);
	int owner_pid = 0;
};
RandomPool pool;

constexpr size_t kRandomBytesPerId = 10;

void
TakeRandomBytes(uint8 (&out)[kRandomBytesPerId])
{
	if (pool.owner_pid != MyProcPid || pool.next + kRandomBytesPerId > sizeof(pool.bytes)) {
		if (!pg_strong_random(pool.bytes, sizeof(pool.bytes)))
			ereport(ERROR, (errcode(ERRCODE_INTERNAL_ERROR), errmsg("could not generate random bytes for a UUID")));
		pool.next = 0;
		pool.owner_pid = MyProcPid;
	}
	memcpy(out, pool.bytes + pool.next, kRandomBytesPerId);
	/* Handed-out bytes do not stay behind in the pool. */
	memset(pool.bytes + pool.next, 0, kRandomBytesPerId);
	pool.next += kRandomBytesPerId;
}

} // namespace

RUNSTORE_FUNCTION(runstore_uuid_v7)
{
	uint8 random[kRandomBytesPerId];
	TakeRandomBytes(random);

	/* Wall clock, not transaction start: ids keep increasing inside a transaction. */
	const int64 unix_usec = GetCurrentTimestamp() + kPostgresEpochOffsetUsec;
	const auto unix_ms = static_cast<std::uint64_t>(unix_usec < 0 ? 0 : unix_usec / 1000);

	const runstore::core::Uuid id = generator.Next(unix_ms, random);

	auto *result = static_cast<pg_uuid_t *>(palloc(sizeof(pg_uuid_t)));
	memcpy(result->data, id.bytes, UUID_LEN);
	PG_RETURN_UUID_P(result);
}
