/*
 * result_rows.hpp: rows of a statement's row type into a materialized
 * set-returning result (PostgreSQL zone).
 *
 * The functions return runstore.executions rows that an SPI statement (or a
 * receiver) produced.  Their columns agree by position with the call's row
 * type, but not attribute for attribute once columns have been dropped: the
 * rows go through a conversion map, built once per call, when one is needed.
 */
#pragma once

extern "C" {
#include "postgres.h"

#include "access/tupconvert.h"
#include "executor/tuptable.h"
#include "funcapi.h"
}

namespace runstore::pg {

struct ResultRows {
	ReturnSetInfo *rsinfo;
	TupleConversionMap *map; /* nullptr: the rows are already of the result's row type */
	TupleTableSlot *out;     /* the converted row (only with a map) */
};

/* Starts putting rows of `in` into rsinfo's result; ERRORs if they cannot match its row type by position. */
ResultRows BeginResultRows(ReturnSetInfo *rsinfo, TupleDesc in);

/* Appends the row in `row` (a slot of the `in` descriptor). */
void PutResultRow(ResultRows *rows, TupleTableSlot *row);

void EndResultRows(ResultRows *rows);

} // namespace runstore::pg
