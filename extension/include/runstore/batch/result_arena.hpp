/*
 * result_arena.hpp: memory for a set-returning call's materialized result
 * that is kept between queries (PostgreSQL zone).
 *
 * Why: a batch lookup of 500 ids materializes ~250 kB of rows.  In the
 * query's own memory those blocks go back to the C library when the query
 * ends, which returns them to the kernel, and the next call pays page faults
 * and TLB shootdowns to get them again: at 500 ids that was ~10% of the
 * call, the whole gap to the hand-written `= ANY` query (measured with the
 * C library told to keep freed memory: 1.03x instead of 0.86x).
 *
 * How: the result's tuplestore is made in an arena, a memory context that
 * lives as long as the backend and whose first block (kResultArenaKeep) is
 * never given back.  Each call site of a query takes an arena from this
 * backend's pool on its first call and gives it back, reset, when the
 * query's memory is released: every tuplestore made in it is then either
 * ended by the executor or abandoned by an error, and nothing can read it.
 * Results larger than the first block use further blocks, freed at the
 * reset.
 */
#pragma once

extern "C" {
#include "postgres.h"

#include "fmgr.h"
}

namespace runstore::pg {

/* Bytes of an arena that stay allocated between queries (one per call site in use at once). */
constexpr Size kResultArenaKeep = 512 * 1024;

/*
 * InitMaterializedSRF(fcinfo, flags), with the result's tuplestore in this
 * call site's arena.  Falls back to the query's memory (what
 * InitMaterializedSRF does) when the call's FmgrInfo does not live exactly
 * as long as the query, so the arena's lifetime could not be tied to it.
 */
void InitMaterializedSRFInArena(FunctionCallInfo fcinfo, bits32 flags);

} // namespace runstore::pg
