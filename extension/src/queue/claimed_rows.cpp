/*
 * claimed_rows.cpp: see claimed_rows.hpp.
 */
extern "C" {
#include "postgres.h"

#include "access/htup_details.h"
#include "executor/spi.h"
#include "executor/tuptable.h"
}

#include <cstring>

#include "runstore/pg/result_rows.hpp"
#include "runstore/queue/claimed_rows.hpp"

namespace runstore::pg {

ClaimedColumns
FindClaimedColumns(TupleDesc desc)
{
	return ClaimedColumns{SPI_fnumber(desc, "priority"), desc->natts - 1, desc->natts};
}

uint64
AppendDelivered(ReturnSetInfo *rsinfo, const ClaimedColumns &cols)
{
	TupleDesc in = SPI_tuptable->tupdesc;
	const int table_columns = in->natts - 2;
	TupleDesc head = CreateTemplateTupleDesc(table_columns);
	for (int i = 1; i <= table_columns; ++i)
		TupleDescCopyEntry(head, i, in, i);
	ResultRows rows = BeginResultRows(rsinfo, head);
	/* The first table_columns of each deformed row are the row itself: a virtual slot of `head` over them. */
	TupleTableSlot *row = MakeSingleTupleTableSlot(head, &TTSOpsVirtual);
	Datum *values = static_cast<Datum *>(palloc(sizeof(Datum) * in->natts));
	bool *nulls = static_cast<bool *>(palloc(sizeof(bool) * in->natts));
	uint64 delivered = 0;
	for (uint64 i = 0; i < SPI_processed; ++i) {
		heap_deform_tuple(SPI_tuptable->vals[i], in, values, nulls);
		if (nulls[cols.delivered - 1] || !DatumGetBool(values[cols.delivered - 1]))
			continue;
		ExecClearTuple(row);
		std::memcpy(row->tts_values, values, sizeof(Datum) * table_columns);
		std::memcpy(row->tts_isnull, nulls, sizeof(bool) * table_columns);
		ExecStoreVirtualTuple(row);
		PutResultRow(&rows, row);
		++delivered;
	}
	ExecDropSingleTupleTableSlot(row);
	EndResultRows(&rows);
	return delivered;
}

} // namespace runstore::pg
