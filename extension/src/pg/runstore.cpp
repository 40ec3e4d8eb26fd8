/*
 * runstore.cpp: the module's entry: magic block and load-time initialisation.
 */
extern "C" {
#include "postgres.h"

#include "fmgr.h"

PG_MODULE_MAGIC;

/* PG 15's fmgr.h does not declare it; Postgres looks it up by C name. */
void _PG_init(void);
}

#include "runstore/pg/citus_shards.hpp"
#include "runstore/pg/direct_path_shapes.hpp"
#include "runstore/pg/guc.hpp"
#include "runstore/queue/worker_wakeups.hpp"

extern "C" void
_PG_init(void)
{
	runstore::pg::DefineConfigurationParameters();
	runstore::pg::RegisterShapeInvalidation();
	runstore::pg::RegisterShardInvalidation();
	runstore::pg::RegisterWorkerWakeups();
}
