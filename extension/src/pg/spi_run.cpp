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
	TupleDesc in_desc = SPI_tuptable->tupdesc;
	/* NULL when the statement's columns already match the result's row type. */
	TupleConversionMap *map =
	    convert_tuples_by_position(in_desc, rsinfo->setDesc, "runstore: statement result does not match the row type");
	TupleTableSlot *in = MakeSingleTupleTableSlot(in_desc, &TTSOpsHeapTuple);
	TupleTableSlot *out = map != nullptr ? MakeSingleTupleTableSlot(rsinfo->setDesc, &TTSOpsVirtual) : nullptr;
	for (uint64 i = 0; i < SPI_processed; ++i) {
		ExecStoreHeapTuple(SPI_tuptable->vals[i], in, false);
		TupleTableSlot *row = map != nullptr ? execute_attr_map_slot(map->attrMap, in, out) : in;
		tuplestore_puttupleslot(rsinfo->setResult, row);
	}
	ExecDropSingleTupleTableSlot(in);
	if (out != nullptr)
		ExecDropSingleTupleTableSlot(out);
}

} // namespace runstore::pg
