/*
 * priority_registry.hpp: runstore.queue_priorities, the list of priority
 * classes dequeue reads (PostgreSQL zone).
 *
 * Every priority an execution is inserted or updated with is added by the
 * statement-level trigger runstore._register_priorities().  The trigger
 * asks the table only for classes this backend has not yet seen committed
 * there, so a steady stream of inserts into known classes writes nothing.
 */
#pragma once

extern "C" {
#include "postgres.h"
}

namespace runstore::pg {

/* Whether classes[0..count) are all known to be listed: then RegisterPriorities has nothing to do. */
bool PrioritiesListed(Oid relid, const int32 *classes, int count);

/*
 * Makes sure classes[0..count) are in runstore.queue_priorities when the
 * current transaction commits.  Needs an open SPI connection; `relid` is
 * runstore.executions (what is remembered is forgotten when it changes).
 */
void RegisterPriorities(Oid relid, const int32 *classes, int count);

} // namespace runstore::pg
