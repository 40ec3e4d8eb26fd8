/*
 * spi_plan.cpp: prepare-once, keep-forever SPI plans.
 */
extern "C" {
#include "postgres.h"

#include "executor/spi.h"
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

} // namespace runstore::pg
