/*
 * srf_output.hpp: writes rows fetched through SPI into a set-returning
 * function's materialized result (PostgreSQL zone).
 */
#pragma once

extern "C" {
#include "executor/spi.h"
#include "fmgr.h"
}

#include <cstdint>

#include "runstore/core/uuid.hpp"

namespace runstore::pg {

/*
 * Copies the id column (attribute `attnum` of SPI_tuptable, type uuid, never
 * NULL) of every fetched row into a palloc'd array.
 */
core::Uuid *CollectIds(int attnum);

/*
 * Appends SPI_tuptable's rows, in the given order, to the call's result set
 * (set up with InitMaterializedSRF).  Rows are converted to the result's row
 * type by position, so the function's declared row type (which keeps dropped
 * columns) and the query's "SELECT e.*" (which does not) may differ.
 */
void EmitRowsInOrder(FunctionCallInfo fcinfo, const std::uint32_t *order, std::size_t n);

} // namespace runstore::pg
