/*
 * result_rows.cpp: see result_rows.hpp.
 */
extern "C" {
#include "postgres.h"

#include "access/tupconvert.h"
#include "executor/tuptable.h"
#include "utils/tuplestore.h"
}

#include "runstore/pg/result_rows.hpp"

namespace runstore::pg {

ResultRows
BeginResultRows(ReturnSetInfo *rsinfo, TupleDesc in)
{
	ResultRows rows{rsinfo, nullptr, nullptr};
	/* NULL when the columns already match the result's row type. */
	rows.map =
	    convert_tuples_by_position(in, rsinfo->setDesc, "runstore: statement result does not match the row type");
	if (rows.map != nullptr)
		rows.out = MakeSingleTupleTableSlot(rsinfo->setDesc, &TTSOpsVirtual);
	return rows;
}

void
PutResultRow(ResultRows *rows, TupleTableSlot *row)
{
	TupleTableSlot *converted = rows->map != nullptr ? execute_attr_map_slot(rows->map->attrMap, row, rows->out) : row;
	tuplestore_puttupleslot(rows->rsinfo->setResult, converted);
}

void
EndResultRows(ResultRows *rows)
{
	if (rows->out != nullptr)
		ExecDropSingleTupleTableSlot(rows->out);
	if (rows->map != nullptr)
		free_conversion_map(rows->map);
	*rows = ResultRows{};
}

} // namespace runstore::pg
