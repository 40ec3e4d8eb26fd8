/*
 * fn_claim_on_node.cpp: runstore._claim_on_node(bigint, text, int, interval),
 * the part of dequeue that runs on each node of a Citus cluster
 * (cluster_claim.hpp).  runstore.distribute() distributes it by its first
 * argument with force_delegation, so dequeue's call with a workspace id
 * hashing into a node's shard runs on that node, inside dequeue's
 * transaction, and claims from that node's shards.
 */
extern "C" {
#include "postgres.h"

#include "executor/spi.h"
#include "funcapi.h"
}

#include "runstore/pg_boundary.hpp"
#include "runstore/queue/cluster_claim.hpp"
#include "runstore/queue/queue_arguments.hpp"

RUNSTORE_FUNCTION(runstore_claim_on_node)
{
	InitMaterializedSRF(fcinfo, MAT_SRF_USE_EXPECTED_DESC);
	if (PG_ARGISNULL(0))
		ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("anchor must not be NULL")));
	const Datum anchor = PG_GETARG_DATUM(0);
	const Datum worker = runstore::pg::ReadWorker(fcinfo, 1);
	const int32 max_jobs = runstore::pg::ReadBatchCount(fcinfo, 2, "max_jobs");
	const Datum lease = runstore::pg::ReadLease(fcinfo, 3);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "runstore: SPI_connect failed");
	runstore::pg::ClaimOnThisNode(reinterpret_cast<ReturnSetInfo *>(fcinfo->resultinfo), anchor, worker, max_jobs,
	                              lease);
	SPI_finish();
	return (Datum)0;
}
