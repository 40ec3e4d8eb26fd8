/*
 * claimed_rows.hpp: the rows a claim statement returns, into dequeue's
 * result (PostgreSQL zone).
 *
 * A claim (statements::dequeue and its shard copies) returns the table's
 * columns, then claimed_from (the run_after it was claimed at) and
 * delivered (false for a row failed instead of claimed: its lease expired
 * on its last attempt).
 */
#pragma once

extern "C" {
#include "postgres.h"

#include "access/tupdesc.h"
#include "funcapi.h"
}

namespace runstore::pg {

struct ClaimedColumns {
	int priority;     /* 1-based */
	int claimed_from; /* 1-based */
	int delivered;    /* 1-based */
};

ClaimedColumns FindClaimedColumns(TupleDesc desc);

/* Appends the table's columns of SPI_tuptable's delivered rows to the call's result; returns how many. */
uint64 AppendDelivered(ReturnSetInfo *rsinfo, const ClaimedColumns &cols);

} // namespace runstore::pg
