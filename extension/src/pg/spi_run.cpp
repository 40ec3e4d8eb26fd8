/*
 * spi_run.cpp: see spi_run.hpp.
 */
extern "C" {
#include "postgres.h"

#include "access/tupconvert.h"
#include "executor/spi.h"
#include "executor/tuptable.h"
#include "utils/tuplestore.h"
}

#include "runstore/pg/result_rows.hpp"
#include "runstore/pg/spi_run.hpp"

namespace runstore::pg {

void
RunKeptPlan(KeptPlan *plan, ParamListInfo params, int expected_rc)
{
	SPIExecuteOptions options = {};
	options.params = params;
	options.read_only = false;
	const int rc = SPI_execute_plan_extended(GetKeptPlan(plan), &options);
	if (rc != expected_rc)
		elog(ERROR, "runstore: statement returned %s, expected %s", SPI_result_code_string(rc),
		     SPI_result_code_string(expected_rc));
}

void
AppendSpiRows(ReturnSetInfo *rsinfo)
{
	if (SPI_tuptable == nullptr || SPI_processed == 0)
		return;
	ResultRows rows = BeginResultRows(rsinfo, SPI_tuptable->tupdesc);
	TupleTableSlot *in = MakeSingleTupleTableSlot(SPI_tuptable->tupdesc, &TTSOpsHeapTuple);
	for (uint64 i = 0; i < SPI_processed; ++i) {
		ExecStoreHeapTuple(SPI_tuptable->vals[i], in, false);
		PutResultRow(&rows, in);
	}
	ExecDropSingleTupleTableSlot(in);
	EndResultRows(&rows);
}

} // namespace runstore::pg
