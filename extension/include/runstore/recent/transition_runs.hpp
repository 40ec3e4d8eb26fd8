/*
 * transition_runs.hpp: reading the summaries' fields of runs out of a
 * trigger's transition table rows (PostgreSQL zone).
 *
 * The recent-workflows summaries depend on five columns of a run: its group
 * (workspace_id, workflow_id, user_id) and its order (created_at, id).  The
 * direct INSERT path and the UPDATE check read them from the transition
 * tables without SPI.
 */
#pragma once

extern "C" {
#include "postgres.h"

#include "access/tupdesc.h"
#include "executor/tuptable.h"
#include "utils/relcache.h"
#include "utils/timestamp.h"
#include "utils/uuid.h"
}

namespace runstore::pg {

/* Where the summaries' columns are in the executions table's rows (ExecutionsShape finds and checks them). */
struct RunColumns {
	AttrNumber workspace_id;
	AttrNumber workflow_id;
	AttrNumber user_id;
	AttrNumber created_at;
	AttrNumber id;
};

/* One run's summary fields; user_id detoasted (short header kept), pointing into the slot or palloc'd. */
struct Run {
	int64 workspace_id;
	int64 workflow_id;
	const struct varlena *user_id; /* nullptr: no user */
	bool has_workflow;
	TimestampTz created_at;
	pg_uuid_t id;
};

/*
 * The run in `slot`; false when a column the extension declares NOT NULL is
 * null (a table changed by hand: the SPI statements judge those rows).
 */
bool ReadRun(TupleTableSlot *slot, const RunColumns &columns, Run *run);

/* Byte equality of two user ids (nullptr: none).  Byte-equal text is equal under any collation. */
bool SameUser(const struct varlena *a, const struct varlena *b);

} // namespace runstore::pg
