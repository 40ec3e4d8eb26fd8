/*
 * recent_workflow_maintenance.cpp: see recent_workflow_maintenance.hpp.
 *
 * PostgreSQL zone: only trivially destructible locals, so an ERROR raised by
 * any SPI call below unwinds nothing of ours.
 */
extern "C" {
#include "postgres.h"

#include "executor/spi.h"
}

#include "runstore/pg/spi_plan.hpp"
#include "runstore/pg/statements.hpp"
#include "runstore/recent/recent_workflow_maintenance.hpp"

namespace runstore::pg {

namespace {

int64
Append(KeptPlan *kept)
{
	const int rc = SPI_execute_plan(GetKeptPlan(kept), nullptr, nullptr, false, 0);
	if (rc != SPI_OK_INSERT)
		elog(ERROR, "runstore: recent-workflows statement returned %s", SPI_result_code_string(rc));
	return static_cast<int64>(SPI_processed);
}

} // namespace

bool
UpdateChangesGroups()
{
	return DatumGetBool(SelectOneValue(&statements::update_changes_groups, true));
}

int64
AppendInsertedRuns(const RecentPlans &plans)
{
	return Append(plans.append_inserted);
}

int64
RecordUpdatedRuns(const RecentPlans &plans)
{
	return Append(plans.change_updated);
}

int64
MarkDeletedRuns(const RecentPlans &plans)
{
	return Append(plans.mark_deleted);
}

void
ClearRecentRuns(const RecentPlans &plans)
{
	const int rc = SPI_execute_plan(GetKeptPlan(plans.truncate_recent), nullptr, nullptr, false, 0);
	if (rc != SPI_OK_UTILITY)
		elog(ERROR, "runstore: recent-workflows statement returned %s", SPI_result_code_string(rc));
}

} // namespace runstore::pg
