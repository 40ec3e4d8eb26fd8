/*
 * recent_workflow_update_check.cpp: see recent_workflow_update_check.hpp.
 *
 * PostgreSQL zone: only trivially destructible locals.
 */
extern "C" {
#include "postgres.h"

#include "executor/tuptable.h"
#include "utils/rel.h"
#include "utils/tuplestore.h"
}

#include <cstring>

#include "runstore/pg/recent_workflow_update_check.hpp"
#include "runstore/pg/transition_runs.hpp"

namespace runstore::pg {

namespace {

bool
SameRun(const Run &a, const Run &b)
{
	return a.workspace_id == b.workspace_id && a.has_workflow == b.has_workflow && a.workflow_id == b.workflow_id &&
	       a.created_at == b.created_at && std::memcmp(a.id.data, b.id.data, UUID_LEN) == 0 &&
	       SameUser(a.user_id, b.user_id);
}

} // namespace

bool
UpdateKeepsEveryGroup(const TriggerData *td)
{
	Tuplestorestate *old_rows = td->tg_oldtable;
	Tuplestorestate *new_rows = td->tg_newtable;
	if (old_rows == nullptr || new_rows == nullptr ||
	    tuplestore_tuple_count(old_rows) != tuplestore_tuple_count(new_rows))
		return false;
	RunColumns columns;
	if (!FindRunColumns(td->tg_relation, &columns))
		return false;
	const TupleDesc desc = RelationGetDescr(td->tg_relation);

	TupleTableSlot *old_row = MakeSingleTupleTableSlot(desc, &TTSOpsMinimalTuple);
	TupleTableSlot *new_row = MakeSingleTupleTableSlot(desc, &TTSOpsMinimalTuple);
	/* Read pointer 0 from the start: SPI's scans of the same tables (later triggers) use pointers of their own. */
	tuplestore_select_read_pointer(old_rows, 0);
	tuplestore_rescan(old_rows);
	tuplestore_select_read_pointer(new_rows, 0);
	tuplestore_rescan(new_rows);
	bool same = true;
	while (same && tuplestore_gettupleslot(old_rows, true, false, old_row)) {
		Run before;
		Run after;
		same = tuplestore_gettupleslot(new_rows, true, false, new_row) && ReadRun(old_row, columns, &before) &&
		       ReadRun(new_row, columns, &after) && SameRun(before, after);
	}
	ExecDropSingleTupleTableSlot(old_row);
	ExecDropSingleTupleTableSlot(new_row);
	return same;
}

} // namespace runstore::pg
