/*
 * queue_arguments.cpp: see queue_arguments.hpp.
 */
extern "C" {
#include "postgres.h"

#include "datatype/timestamp.h"
#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"
}

#include "runstore/pg/guc.hpp"
#include "runstore/queue/queue_arguments.hpp"

namespace runstore::pg {

namespace {

constexpr int64 kMinLeaseUsecs = 1000;              /* 1 ms */
constexpr int64 kMaxLeaseUsecs = 7 * USECS_PER_DAY; /* 7 days */

} // namespace

Datum
ReadWorker(FunctionCallInfo fcinfo, int argno)
{
	if (PG_ARGISNULL(argno))
		ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("worker must not be NULL"),
		                errhint("Pass a name that identifies the worker, for example host:pid.")));
	text *worker = PG_GETARG_TEXT_PP(argno);
	const int bytes = VARSIZE_ANY_EXHDR(worker);
	if (bytes == 0 || bytes > kMaxWorkerNameBytes)
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
		                errmsg("worker must be 1 to %d bytes long, not %d", kMaxWorkerNameBytes, bytes)));
	return PointerGetDatum(worker);
}

Datum
ReadLease(FunctionCallInfo fcinfo, int argno)
{
	if (PG_NARGS() <= argno || PG_ARGISNULL(argno)) {
		auto *lease = static_cast<Interval *>(palloc0(sizeof(Interval)));
		lease->time = int64{lease_timeout_s} * USECS_PER_SEC;
		return IntervalPGetDatum(lease);
	}
	Interval *lease = PG_GETARG_INTERVAL_P(argno);
	/*
	 * Widened to 128 bits: an interval's fields can each be near their
	 * limits, and the sum must not wrap into the accepted range.
	 */
	const __int128 usecs = static_cast<__int128>(lease->time) + static_cast<__int128>(lease->day) * USECS_PER_DAY +
	                       static_cast<__int128>(lease->month) * DAYS_PER_MONTH * USECS_PER_DAY;
	if (usecs < kMinLeaseUsecs || usecs > kMaxLeaseUsecs)
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
		                errmsg("lease must be between 1 millisecond and 7 days, not %s",
		                       DatumGetCString(DirectFunctionCall1(interval_out, IntervalPGetDatum(lease)))),
		                errhint("Pass NULL for runstore.lease_timeout (%d s).", lease_timeout_s)));
	/*
	 * The lease is exactly the duration just checked: re-expressed in
	 * microseconds, so that adding it to now() involves no calendar (a month
	 * of 28-31 days, a day of 23-25 hours) and cannot differ from the check.
	 */
	auto *exact = static_cast<Interval *>(palloc0(sizeof(Interval)));
	exact->time = static_cast<int64>(usecs);
	return IntervalPGetDatum(exact);
}

int32
ReadBatchCount(FunctionCallInfo fcinfo, int argno, const char *argname)
{
	if (PG_ARGISNULL(argno))
		ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("%s must not be NULL", argname)));
	const int32 count = PG_GETARG_INT32(argno);
	if (count < 1)
		ereport(ERROR,
		        (errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("%s must be at least 1, not %d", argname, count)));
	if (count > max_batch_size)
		ereport(ERROR, (errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
		                errmsg("%s is %d, more than the limit of %d", argname, count, max_batch_size),
		                errdetail("The limit is set by runstore.max_batch_size.")));
	return count;
}

Datum
ReadRequiredText(FunctionCallInfo fcinfo, int argno, const char *argname)
{
	if (PG_ARGISNULL(argno))
		ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("%s must not be NULL", argname)));
	return PG_GETARG_DATUM(argno);
}

ArrayType *
ReadAlignedArray(FunctionCallInfo fcinfo, int argno, const char *argname, int count, bool nulls_allowed,
                 const char *hint)
{
	if (PG_ARGISNULL(argno))
		ereport(ERROR,
		        (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("%s must not be NULL", argname), errhint("%s", hint)));
	ArrayType *array = PG_GETARG_ARRAYTYPE_P(argno);
	const int elements = ArrayGetNItems(ARR_NDIM(array), ARR_DIMS(array));
	if (ARR_NDIM(array) > 1)
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
		                errmsg("%s must be a one-dimensional array, not %d-dimensional", argname, ARR_NDIM(array))));
	if (elements != count)
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
		                errmsg("%s must be a one-dimensional array as long as ids (%d elements), not %d", argname,
		                       count, elements)));
	if (!nulls_allowed && array_contains_nulls(array))
		ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("%s must not contain NULLs", argname),
		                errhint("%s", hint)));
	return array;
}

} // namespace runstore::pg
