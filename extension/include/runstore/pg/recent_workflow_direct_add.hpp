/*
 * recent_workflow_direct_add.hpp: the single-row INSERT's summary upkeep by
 * direct index and heap access (PostgreSQL zone).
 *
 * Why: a single-row INSERT is the common write (a service enqueueing one
 * run), and through SPI its upkeep is one statement of about 38 plan nodes
 * whose executor start-up and shutdown cost more than the two slot writes
 * themselves (measured: ~0.41 ms of upkeep per insert, 18% of the backend's
 * time in executor start-up).  This path does the same writes as the SPI
 * statement (ADD_SLOT in recent_workflow_statements.cpp) with the access
 * methods' own calls: per scope one backward probe of the slot's primary-key
 * range, one row lock, one update or insert and its index entries.
 *
 * Semantics are the statement's under READ COMMITTED: the probe reads a fresh
 * snapshot; the lock follows the row to its latest version when a writer
 * sharing the slot changed it meanwhile (TUPLE_LOCK_FLAG_FIND_LAST_VERSION,
 * what EvalPlanQual does), so this path never misses and never re-runs.
 */
#pragma once

extern "C" {
#include "postgres.h"

#include "commands/trigger.h"
}

namespace runstore::pg {

/*
 * Adds the run of a single-row INSERT (td's new transition table) to both
 * summaries through `slot`.  Returns false, having written nothing, when
 * this path does not apply and the caller must run the SPI statement: not
 * exactly one row, REPEATABLE READ or SERIALIZABLE (whose conflicts the
 * executor reports as 40001), or slot tables whose shape, indexes, triggers,
 * row-level security or privileges differ from what the extension created.
 */
bool AddInsertedRunDirectly(const TriggerData *td, int16 slot);

} // namespace runstore::pg
