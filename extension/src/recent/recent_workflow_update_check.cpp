/*
 * recent_workflow_update_check.cpp: see recent_workflow_update_check.hpp.
 *
 * PostgreSQL zone: only trivially destructible locals.
 */
extern "C" {
#include "postgres.h"

#include "executor/tuptable.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/tuplestore.h"
}

#include <cstring>

#include "runstore/pg/direct_path_shapes.hpp"
#include "runstore/recent/recent_workflow_update_check.hpp"
#include "runstore/recent/transition_runs.hpp"

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
	if (!DirectPathsOn() || old_rows == nullptr || new_rows == nullptr ||
	    tuplestore_tuple_count(old_rows) != tuplestore_tuple_count(new_rows))
		return false;
	const ExecutionsShape shape = ExecutionsShapeOf(td->tg_relation);
	if (shape.no_run_columns != nullptr)
		return false;
	const RunColumns &columns = shape.run_columns;
	const TupleDesc desc = RelationGetDescr(td->tg_relation);

	TupleTableSlot *old_row = MakeSingleTupleTableSlot(desc, &TTSOpsMinimalTuple);
	TupleTableSlot *new_row = MakeSingleTupleTableSlot(desc, &TTSOpsMinimalTuple);
	/* Read pointer 0 from the start: SPI's scans of the same tables (later triggers) use pointers of their own. */
	tuplestore_select_read_pointer(old_rows, 0);
	tuplestore_rescan(old_rows);
	tuplestore_select_read_pointer(new_rows, 0);
	tuplestore_rescan(new_rows);
	/*
	 * ReadRun detoasts a compressed or out-of-line user_id into the current
	 * context, and a spilled transition table reads each tuple into it:
	 * reset per pair, so an UPDATE of millions of rows holds one pair at a
	 * time, not every copy until the trigger returns.
	 */
	const MemoryContext pair_context =
	    AllocSetContextCreate(CurrentMemoryContext, "runstore update check", ALLOCSET_SMALL_SIZES);
	const MemoryContext caller_context = MemoryContextSwitchTo(pair_context);
	bool same = true;
	while (same && tuplestore_gettupleslot(old_rows, true, false, old_row)) {
		Run before;
		Run after;
		same = tuplestore_gettupleslot(new_rows, true, false, new_row) && ReadRun(old_row, columns, &before) &&
		       ReadRun(new_row, columns, &after) && SameRun(before, after);
		/*
		 * A transition table spilled to disk hands out tuples palloc'd in the
		 * current context and owned by the slot: let the slots free them
		 * before the reset, or they would free them again later.
		 */
		ExecClearTuple(old_row);
		ExecClearTuple(new_row);
		MemoryContextReset(pair_context);
	}
	MemoryContextSwitchTo(caller_context);
	MemoryContextDelete(pair_context);
	ExecDropSingleTupleTableSlot(old_row);
	ExecDropSingleTupleTableSlot(new_row);
	return same;
}

} // namespace runstore::pg
