/*
 * recent_read_direct.hpp: recent_workflows()' reads of the summary tables by
 * ordered index scans (PostgreSQL zone).
 *
 * What the statements pending_in_workspace / pending_for_user and
 * recent_in_workspace / recent_for_user read (recent_workflow_statements.cpp),
 * in their order and under the same snapshot, without their executor
 * start-up: through SPI the two statements cost most of a read that returns
 * four workflows.  Taken only where it gives what the statements would:
 * direct paths on, both tables local heaps with indexes in the statements'
 * orders (FoldedTableShape, PendingTableShape), the caller holding SELECT on
 * both and no row-level security applying; otherwise the statements run.
 */
#pragma once

extern "C" {
#include "postgres.h"

#include "access/genam.h"
#include "executor/tuptable.h"
#include "utils/memutils.h"
#include "utils/relcache.h"
#include "utils/timestamp.h"
#include "utils/uuid.h"
}

namespace runstore::pg {

/* A workflow and its value: the newest run recent_workflows() knows for it. */
struct RecentEntry {
	int64 workflow_id;
	TimestampTz last_used_at;
	pg_uuid_t last_execution_id;
};

/*
 * The pending side of a read: per workflow its greatest pending row, or its
 * recheck mark.  The arrays are allocated in `context` (set it before use),
 * so they outlive an SPI connection opened meanwhile.
 */
struct PendingSide {
	MemoryContext context;
	RecentEntry *values; /* workflows with a pending value */
	int nvalues;
	int values_capacity;
	int64 *marked; /* workflows with a recheck mark pending */
	int nmarked;
	int marked_capacity;
};

/* Adds a pending value or mark, growing the arrays as needed. */
void AddPendingValue(PendingSide *side, const RecentEntry &value);
void AddPendingMark(PendingSide *side, int64 workflow_id);

/* An open direct read: the tables and indexes, locked as a query locks them. */
struct DirectRecentRead {
	Relation folded;
	Relation folded_index;
	Relation pending;
	Relation pending_index;
	AttrNumber folded_workflow_id, folded_last_used_at, folded_last_execution_id;
	AttrNumber pending_workflow_id, pending_user_id, pending_last_used_at, pending_last_execution_id;
	IndexScanDesc folded_scan; /* nullptr until the first folded row is asked for */
	TupleTableSlot *folded_row;
	Datum workspace_id;
	bool for_user;
	Datum user_id;
};

/*
 * Opens the direct read of `workspace_id` (and of `user_id` when
 * `for_user`); false, with nothing left open, when the statements must run.
 */
bool BeginDirectRecentRead(Oid folded, Oid pending, Datum workspace_id, bool for_user, Datum user_id,
                           DirectRecentRead *read);

/* The pending side, as pending_in_workspace / pending_for_user would return it. */
void ReadPendingDirectly(DirectRecentRead *read, PendingSide *side);

/* The scope's next folded row in the read's order; false after the last. */
bool NextFoldedDirectly(DirectRecentRead *read, RecentEntry *row);

/* Ends the scans; the locks stay to the end of the transaction, as a query's do. */
void EndDirectRecentRead(DirectRecentRead *read);

} // namespace runstore::pg
