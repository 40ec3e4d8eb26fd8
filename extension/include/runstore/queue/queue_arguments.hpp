/*
 * queue_arguments.hpp: validation of the queue functions' arguments
 * (PostgreSQL zone).  Each reader ERRORs with a precise SQLSTATE before any
 * statement runs, so bad input never changes anything.
 */
#pragma once

extern "C" {
#include "fmgr.h"
#include "utils/array.h"
}

namespace runstore::pg {

/* Longest worker name accepted, in bytes. */
constexpr int kMaxWorkerNameBytes = 256;

/* worker text: 22004 if NULL, 22023 if empty or longer than kMaxWorkerNameBytes. */
Datum ReadWorker(FunctionCallInfo fcinfo, int argno);

/*
 * lease interval: NULL means runstore.lease_timeout; otherwise 22023 unless
 * between 1 millisecond and 7 days (a month counts as 30 days).
 */
Datum ReadLease(FunctionCallInfo fcinfo, int argno);

/* A count argument: 22004 if NULL, 22023 below 1, 54000 above runstore.max_batch_size. */
int32 ReadBatchCount(FunctionCallInfo fcinfo, int argno, const char *argname);

/* A text argument that must not be NULL (22004). */
Datum ReadRequiredText(FunctionCallInfo fcinfo, int argno, const char *argname);

/*
 * An array argument that pairs each of a batch's `count` ids with a value
 * (attempts, results, errors): not NULL (22004), one-dimensional and exactly
 * `count` elements long (22023), and, unless `nulls_allowed`, without NULL
 * elements (22004, with `hint`).
 */
ArrayType *ReadAlignedArray(FunctionCallInfo fcinfo, int argno, const char *argname, int count, bool nulls_allowed,
                            const char *hint);

} // namespace runstore::pg
