/*
 * ordered_receiver.hpp: a DestReceiver that puts a statement's rows into the
 * caller's order (PostgreSQL zone).
 *
 * The statement runs with a plain `id = ANY($1)` (one primary-key index scan,
 * the plan a hand-written query gets) and yields rows in index or heap order.
 * The receiver keeps each row as a MinimalTuple in the slot of its id's first
 * appearance in the request; EmitInRequestOrder then appends them to the
 * function's result in that order, converted by position to its row type.
 */
#pragma once

extern "C" {
#include "postgres.h"

#include "funcapi.h"
#include "tcop/dest.h"
}

#include "runstore/core/id_positions.hpp"

namespace runstore::pg {

/*
 * `table` (from DistinctIdPositions, n entries) maps ids to positions below
 * `slots`.  Rows are copied into `cxt`, which must outlive SPI_finish.  The
 * statement must return a uuid column named `id`.
 */
DestReceiver *CreateOrderedReceiver(const core::IdPosition *table, std::size_t n, std::size_t slots, MemoryContext cxt);

/* Appends the rows received, in request order, to rsinfo's result. */
void EmitInRequestOrder(DestReceiver *receiver, ReturnSetInfo *rsinfo);

} // namespace runstore::pg
