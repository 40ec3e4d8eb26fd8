/*
 * recent_workflow_direct_add.hpp: an INSERT's summary upkeep by direct index
 * and heap access, without SPI (PostgreSQL zone).
 *
 * Why: through SPI a single-row INSERT's upkeep was one statement of about 38
 * plan nodes whose executor start-up and shutdown cost more than the two
 * slot writes themselves (~0.41 ms of upkeep per insert, 18% of the
 * backend's time in executor start-up), and a bulk INSERT's sorted every
 * row twice (DISTINCT ON per scope) to find each group's newest run.  Here a
 * single row is written as it is, and many rows are reduced to each group's
 * newest run in one pass over the transition table with a hash table per
 * scope (memory O(groups)); then each group is one slot write
 * (slot_table_writer.hpp), in primary-key order, workspace scope first, as
 * the SPI statement does.
 */
#pragma once

extern "C" {
#include "postgres.h"

#include "commands/trigger.h"
}

namespace runstore::pg {

/*
 * Adds the runs of an INSERT (td's new transition table) to both summaries
 * through `slot`.  Returns false, having written nothing, when this path does
 * not apply and the caller must run the SPI statement: runstore.direct_paths
 * off, REPEATABLE READ or SERIALIZABLE (whose conflicts the executor reports
 * as 40001), the five run columns missing or of other types
 * (ExecutionsShape), a NULL where the extension declares NOT NULL, or slot
 * tables whose shape, indexes, triggers, row-level security or privileges
 * differ from what the extension created (slot_table_writer.hpp).
 */
bool AddInsertedRunsDirectly(const TriggerData *td, int16 slot);

} // namespace runstore::pg
