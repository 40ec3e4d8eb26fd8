/*
 * fn_cancel.cpp: runstore.cancel(uuid[], bigint)
 *
 * Cancels, in one statement, those of a batch of executions that are queued
 * or running, and returns their ids in the order given.  A worker running a
 * cancelled execution learns it from its next heartbeat (the id is missing)
 * or from complete/fail (refused).  Finished executions stay as they are.
 */
extern "C" {
#include "postgres.h"
}

#include "runstore/batch/id_batch_query.hpp"
#include "runstore/pg/statements.hpp"
#include "runstore/pg_boundary.hpp"

RUNSTORE_FUNCTION(runstore_cancel)
{
	return runstore::pg::RunIdBatchWrite(fcinfo, &runstore::pg::statements::cancel,
	                                     &runstore::pg::statements::cancel_in_workspace);
}
