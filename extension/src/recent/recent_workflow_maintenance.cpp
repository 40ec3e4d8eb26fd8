/*
 * recent_workflow_maintenance.cpp: see recent_workflow_maintenance.hpp.
 *
 * PostgreSQL zone: only trivially destructible locals, so an ERROR raised by
 * any SPI call below unwinds nothing of ours.
 */
extern "C" {
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_type_d.h"
#include "executor/spi.h"
#include "storage/backendid.h"
#include "utils/array.h"
#include "utils/lsyscache.h"
#include "utils/snapmgr.h"
}

#include "runstore/pg/guc.hpp"
#include "runstore/recent/recent_workflow_maintenance.hpp"
#include "runstore/pg/spi_plan.hpp"
#include "runstore/pg/statements.hpp"

namespace runstore::pg {

namespace {

constexpr int kMaxAddAttempts = 1000;

void
Run(KeptPlan *kept, Datum *values, int expected)
{
	const int rc = SPI_execute_plan(GetKeptPlan(kept), values, nullptr, false, 0);
	if (rc != expected)
		elog(ERROR, "runstore: recent-workflows statement returned %s", SPI_result_code_string(rc));
}

/*
 * Both removal steps must read what is committed when they run, as each
 * statement does under READ COMMITTED, also under REPEATABLE READ or
 * SERIALIZABLE, where a transaction's statements share its snapshot.  The
 * waits that order a removal after the writers it races end with a lock,
 * not an update, which those levels do not treat as a conflict, so the
 * removal would go on with a snapshot that cannot see:
 *   - step 1: a collapse's slot-0 row naming the removed run (the collapse
 *     held the run FOR SHARE until it committed); the row would survive,
 *     naming a run that no longer exists;
 *   - step 2: a run an inserter added while the slot named the removed run,
 *     writing nothing because the slot's value was newer (it only locked the
 *     row); the group would lose that run.
 * The randomized test's checks during the run found both.  Here the steps
 * read the latest snapshot, as PostgreSQL's own foreign-key checks do for the
 * same reason; a row a concurrent writer changed still raises 40001.
 */
void
RunWithLatestSnapshot(KeptPlan *kept, Datum *values, int expected)
{
	if (!IsolationUsesXactSnapshot()) {
		Run(kept, values, expected);
		return;
	}
	const int rc =
	    SPI_execute_snapshot(GetKeptPlan(kept), values, nullptr, GetLatestSnapshot(), InvalidSnapshot, false, true, 0);
	if (rc != expected)
		elog(ERROR, "runstore: recent-workflows statement returned %s", SPI_result_code_string(rc));
}

ArrayType *
ToArray(Datum *elems, int n, Oid type)
{
	int16 len;
	bool byval;
	char align;
	get_typlenbyvalalign(type, &len, &byval, &align);
	return construct_array(elems, n, type, len, byval, align);
}

/*
 * Deletes the slot rows naming a removed run (the unname statement returns
 * each group that lost one once, its `key_columns` key columns all int8 but
 * the text user_id of the user scope), then writes those groups' latest
 * remaining runs: two statements, each with its own snapshot.
 */
void
Collapse(KeptPlan *unname, KeptPlan *recompute, int key_columns)
{
	RunWithLatestSnapshot(unname, nullptr, SPI_OK_SELECT);
	SPITupleTable *groups = SPI_tuptable;
	const int n = static_cast<int>(SPI_processed);
	if (n > 0) {
		/* One array per key column, the group keys as the unname statement returned them. */
		Datum arrays[3];
		for (int c = 0; c < key_columns; ++c) {
			auto *column = static_cast<Datum *>(palloc(sizeof(Datum) * n));
			for (int i = 0; i < n; ++i) {
				bool isnull;
				column[i] = SPI_getbinval(groups->vals[i], groups->tupdesc, c + 1, &isnull);
			}
			arrays[c] = PointerGetDatum(ToArray(column, n, SPI_gettypeid(groups->tupdesc, c + 1)));
		}
		RunWithLatestSnapshot(recompute, arrays, SPI_OK_SELECT);
		SPI_freetuptable(SPI_tuptable);
	}
	SPI_freetuptable(groups);
}

} // namespace

int16
RecentWorkflowSlot()
{
	if (summary_slot >= 0)
		return static_cast<int16>(summary_slot);
	return static_cast<int16>(MyBackendId % kRecentWorkflowSlots);
}

bool
UpdateChangesGroups()
{
	Run(&statements::update_changes_groups, nullptr, SPI_OK_SELECT);
	bool isnull;
	const bool changed = DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	SPI_freetuptable(SPI_tuptable);
	return changed;
}

void
AddRecentRuns(TransitionRows rows)
{
	const bool all = rows == TransitionRows::kAll;
	Datum slot = Int16GetDatum(RecentWorkflowSlot());
	/*
	 * The statement returns how many groups it could not write because a
	 * writer sharing the slot changed the row during it (see ADD_SLOT); run
	 * again, with a new snapshot, until none.  Each retry means another
	 * writer committed meanwhile, so this ends; the bound only guards it.
	 */
	for (int attempt = 1;; ++attempt) {
		Run(all ? &statements::add_inserted : &statements::add_updated, &slot, SPI_OK_SELECT);
		bool isnull;
		const int64 misses = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
		SPI_freetuptable(SPI_tuptable);
		if (misses == 0)
			break;
		if (attempt == kMaxAddAttempts)
			elog(ERROR, "runstore: recent-workflows slot writes still contended after %d attempts", attempt);
		/*
		 * SPI takes a new snapshot for the next run (a read-write call under
		 * READ COMMITTED).  Under REPEATABLE READ or SERIALIZABLE there are no
		 * misses: the lock raises 40001 on a concurrently changed row instead.
		 */
	}
}

void
RemoveRecentRuns(TransitionRows rows)
{
	const bool all = rows == TransitionRows::kAll;
	Collapse(all ? &statements::workspace_unname_deleted : &statements::workspace_unname_updated,
	         &statements::workspace_recompute_groups, 2);
	Collapse(all ? &statements::user_unname_deleted : &statements::user_unname_updated,
	         &statements::user_recompute_groups, 3);
}

void
ClearRecentRuns()
{
	Run(&statements::truncate_recent, nullptr, SPI_OK_UTILITY);
}

} // namespace runstore::pg
