/*
 * fn_direct_path_status.cpp: runstore.direct_path_status()
 *
 * For each direct path (README "Direct paths"), whether this session's next
 * call would take it, and if not, why: the switch, the shape of the table it
 * relies on (direct_path_shapes.hpp), and what depends on the session
 * (isolation level, row-level security for the current role).  Operators
 * read it to learn why a call runs its SQL statement; the regression suite
 * reads it to show which path each table shape gets.
 *
 * The summary upkeep runs as the trigger function's owner, whose privileges
 * on the pending table each append checks; this report leaves them out, as
 * it leaves out the caller's SELECT privileges for recent_workflows() (a
 * call without them fails either way).
 */
extern "C" {
#include "postgres.h"

#include "access/table.h"
#include "access/xact.h"
#include "funcapi.h"
#include "utils/builtins.h"
#include "utils/rel.h"
#include "utils/rls.h"
#include "utils/tuplestore.h"
}

#include "runstore/queue/claim_frontier.hpp"
#include "runstore/pg/direct_path_shapes.hpp"
#include "runstore/pg/guc.hpp"
#include "runstore/pg/runstore_relations.hpp"
#include "runstore/pg_boundary.hpp"

namespace {

using namespace runstore::pg;

constexpr const char *kSwitchedOff = "runstore.direct_paths is off";

void
Report(ReturnSetInfo *rsinfo, const char *path, Oid relid, const char *reason)
{
	Datum values[4] = {CStringGetTextDatum(path), ObjectIdGetDatum(relid), BoolGetDatum(reason == nullptr),
	                   reason != nullptr ? CStringGetTextDatum(reason) : static_cast<Datum>(0)};
	bool nulls[4] = {false, false, false, reason == nullptr};
	tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
}

/* The first reason among `reasons` (nullptr entries hold). */
const char *
FirstOf(std::initializer_list<const char *> reasons)
{
	for (const char *r : reasons)
		if (r != nullptr)
			return r;
	return nullptr;
}

const char *
LookupReason(const ExecutionsShape &shape, Oid relid, bool in_workspace)
{
	return FirstOf({DirectPathsOn() ? nullptr : kSwitchedOff, shape.not_local_heap,
	                ChooseLookupProbe(shape, in_workspace).unusable,
	                check_enable_rls(relid, InvalidOid, true) == RLS_ENABLED ? "row-level security applies" : nullptr});
}

/* The pending table the INSERT upkeep appends to: its relation and why it cannot be written directly. */
const char *
PendingReason(Oid *relid)
{
	*relid = RunstoreRelation("recent_workflow_pending");
	if (!OidIsValid(*relid))
		return "the pending table does not exist";
	Relation rel = table_open(*relid, AccessShareLock);
	const PendingTableShape shape = PendingTableShapeOf(rel);
	table_close(rel, NoLock);
	return shape.unusable;
}

/* Why a table recent_workflows() reads cannot be read directly through `index`, or nullptr. */
const char *
ReadIndexReason(Oid relid, const char *no_index, const ReadIndex &index)
{
	return FirstOf(
	    {no_index,
	     IndexUsableBySnapshot(index.check_xmin) ? nullptr : "its index is too new for this transaction's snapshots",
	     check_enable_rls(relid, InvalidOid, true) == RLS_ENABLED ? "row-level security applies" : nullptr});
}

/* recent_workflows()' direct read (of a user's workflows if `for_user`): the relation that stops it, and why. */
const char *
RecentReadReason(bool for_user, Oid *relid)
{
	const Oid folded = RunstoreRelation("recent_workflow_folded");
	const Oid pending = RunstoreRelation("recent_workflow_pending");
	*relid = folded;
	if (!DirectPathsOn())
		return kSwitchedOff;
	if (!OidIsValid(folded) || !OidIsValid(pending))
		return "the summary tables do not exist";
	Relation rel = table_open(folded, AccessShareLock);
	const FoldedTableShape folded_shape = FoldedTableShapeOf(rel);
	table_close(rel, NoLock);
	const char *reason = for_user
	                         ? ReadIndexReason(folded, folded_shape.no_user_index, folded_shape.user_index)
	                         : ReadIndexReason(folded, folded_shape.no_workspace_index, folded_shape.workspace_index);
	if (reason != nullptr)
		return reason;
	rel = table_open(pending, AccessShareLock);
	const PendingTableShape pending_shape = PendingTableShapeOf(rel);
	table_close(rel, NoLock);
	reason = ReadIndexReason(pending, pending_shape.no_read_index, pending_shape.read_index);
	if (reason != nullptr)
		*relid = pending;
	return reason;
}

} // namespace

RUNSTORE_FUNCTION(runstore_direct_path_status)
{
	InitMaterializedSRF(fcinfo, 0);
	auto *rsinfo = reinterpret_cast<ReturnSetInfo *>(fcinfo->resultinfo);
	const Oid relid = RunstoreRelation("executions");
	if (!OidIsValid(relid))
		ereport(ERROR, (errcode(ERRCODE_UNDEFINED_TABLE), errmsg("relation \"runstore.executions\" does not exist")));
	Relation rel = table_open(relid, AccessShareLock);
	const ExecutionsShape shape = ExecutionsShapeOf(rel);

	Report(rsinfo, "get_executions_by_ids", relid, LookupReason(shape, relid, false));
	Report(rsinfo, "get_executions_by_ids in a workspace", relid, LookupReason(shape, relid, true));

	const char *switched = DirectPathsOn() ? nullptr : kSwitchedOff;
	const char *insert_reason = FirstOf({switched, shape.no_run_columns});
	Oid insert_relid = relid;
	if (insert_reason == nullptr) {
		Oid pending;
		insert_reason = PendingReason(&pending);
		if (insert_reason != nullptr)
			insert_relid = pending;
	}
	Report(rsinfo, "recent workflows: INSERT upkeep", insert_relid, insert_reason);
	Report(rsinfo, "recent workflows: UPDATE check", relid, FirstOf({switched, shape.no_run_columns}));
	for (const bool for_user : {false, true}) {
		Oid read_relid;
		const char *reason = RecentReadReason(for_user, &read_relid);
		Report(rsinfo, for_user ? "recent_workflows for a user" : "recent_workflows", read_relid, reason);
	}

	Report(
	    rsinfo, "dequeue claim frontier", relid,
	    FirstOf({FrontierUnusable(rel), claim_rescan_interval_ms == 0 ? "runstore.claim_rescan_interval is 0" : nullptr,
	             IsolationUsesXactSnapshot() ? "REPEATABLE READ or SERIALIZABLE" : nullptr,
	             check_enable_rls(relid, InvalidOid, true) == RLS_ENABLED ? "row-level security applies" : nullptr}));
	table_close(rel, NoLock);
	return (Datum)0;
}
