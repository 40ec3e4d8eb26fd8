/*
 * spi_plan.cpp: prepare-once, keep-forever SPI plans.
 */
extern "C" {
#include "postgres.h"

#include "executor/spi.h"
#include "utils/guc.h"
#include "utils/plancache.h"
#include "utils/resowner.h"
}

#include "runstore/pg/spi_plan.hpp"

namespace runstore::pg {

SPIPlanPtr
GetKeptPlan(KeptPlan *kept)
{
	if (kept->plan != nullptr)
		return kept->plan;

	SPIPlanPtr plan =
	    kept->cursor_options != 0
	        ? SPI_prepare_cursor(kept->sql, kept->nargs, const_cast<Oid *>(kept->argtypes), kept->cursor_options)
	        : SPI_prepare(kept->sql, kept->nargs, const_cast<Oid *>(kept->argtypes));
	if (plan == nullptr)
		elog(ERROR, "runstore: SPI_prepare failed (%s) for: %s", SPI_result_code_string(SPI_result), kept->sql);
	if (SPI_keepplan(plan) != 0)
		elog(ERROR, "runstore: SPI_keepplan failed for: %s", kept->sql);
	kept->plan = plan;
	return plan;
}

void
PrepareGenericPlan(KeptPlan *kept)
{
	SPIPlanPtr plan = GetKeptPlan(kept);
	if (kept->plan_with == nullptr)
		return;
	/* Saved for this scope only; an ERROR restores them with the (sub)transaction's abort. */
	const int nest_level = NewGUCNestLevel();
	for (const PlannerSetting *s = kept->plan_with; s->name != nullptr; ++s)
		(void)set_config_option(s->name, s->value, PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SAVE, true, 0, false);
	CachedPlan *cached = SPI_plan_get_cached_plan(plan);
	AtEOXact_GUC(true, nest_level);
	if (cached == nullptr)
		elog(ERROR, "runstore: SPI_plan_get_cached_plan failed for: %s", kept->sql);
	ReleaseCachedPlan(cached, CurrentResourceOwner);
}

Datum
SelectOneValue(KeptPlan *kept, bool read_only)
{
	const int rc = SPI_execute_plan(GetKeptPlan(kept), nullptr, nullptr, read_only, 0);
	if (rc != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "runstore: SPI_execute_plan returned %s and %llu rows for: %s", SPI_result_code_string(rc),
		     static_cast<unsigned long long>(SPI_processed), kept->sql);
	bool isnull = false;
	const Datum value = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
	SPI_freetuptable(SPI_tuptable);
	return value;
}

} // namespace runstore::pg
