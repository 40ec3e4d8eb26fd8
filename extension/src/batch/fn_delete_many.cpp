/*
 * fn_delete_many.cpp: runstore.delete_many(uuid[], bigint)
 *
 * Deletes a batch of executions in one statement and returns the ids it
 * deleted.  Runs as the caller through SPI: DELETE privilege and row-level
 * security apply exactly as to a plain DELETE, and every trigger on the table
 * fires as usual.
 */
extern "C" {
#include "postgres.h"
}

#include "runstore/batch/id_batch_query.hpp"
#include "runstore/pg/statements.hpp"
#include "runstore/pg_boundary.hpp"

RUNSTORE_FUNCTION(runstore_delete_many)
{
	return runstore::pg::RunIdBatchWrite(fcinfo, &runstore::pg::statements::delete_by_ids,
	                                     &runstore::pg::statements::delete_by_ids_in_workspace);
}
