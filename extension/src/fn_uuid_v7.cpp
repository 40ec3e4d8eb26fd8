/*
 * fn_uuid_v7.cpp: runstore.uuid_v7(), the default of executions.id.
 */
extern "C" {
#include "postgres.h"

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
constexpr int64 kPostgresEpochOffsetUsec =
    static_cast<int64>(POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE) * USECS_PER_DAY;

} // namespace

RUNSTORE_FUNCTION(runstore_uuid_v7)
{
	uint8 random[10];
	if (!pg_strong_random(random, sizeof(random)))
		ereport(ERROR, (errcode(ERRCODE_INTERNAL_ERROR), errmsg("could not generate random bytes for a UUID")));

	/* Wall clock, not transaction start: ids keep increasing inside a transaction. */
	const int64 unix_usec = GetCurrentTimestamp() + kPostgresEpochOffsetUsec;
	const auto unix_ms = static_cast<std::uint64_t>(unix_usec < 0 ? 0 : unix_usec / 1000);

	const runstore::core::Uuid id = generator.Next(unix_ms, random);

	auto *result = static_cast<pg_uuid_t *>(palloc(sizeof(pg_uuid_t)));
	memcpy(result->data, id.bytes, UUID_LEN);
	PG_RETURN_UUID_P(result);
}
