/*
 * fn_retry_delay.cpp: runstore._retry_delay(int), the wait before the next
 * attempt after attempt `attempt` failed (used by fail()).
 */
extern "C" {
#include "postgres.h"

#include "common/pg_prng.h"
#include "datatype/timestamp.h"
#include "utils/timestamp.h"
}

#include <cmath>

#include "runstore/core/retry_backoff.hpp"
#include "runstore/pg/guc.hpp"
#include "runstore/pg_boundary.hpp"

RUNSTORE_FUNCTION(runstore_retry_delay)
{
	const int32 attempt = PG_GETARG_INT32(0); /* STRICT */
	const double delay_ms =
	    runstore::core::BackoffDelayMs(attempt, runstore::pg::retry_backoff_base_ms, runstore::pg::retry_backoff_cap_ms,
	                                   pg_prng_double(&pg_global_prng_state));
	auto *delay = static_cast<Interval *>(palloc0(sizeof(Interval)));
	/* floor: the delay stays below its ceiling, as documented. */
	delay->time = static_cast<int64>(std::floor(delay_ms * 1000.0));
	PG_RETURN_INTERVAL_P(delay);
}
