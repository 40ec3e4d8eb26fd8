/*
 * spi_run.hpp: run a kept statement through SPI (PostgreSQL zone).
 */
#pragma once

extern "C" {
#include "postgres.h"

#include "executor/spi.h"
#include "funcapi.h"
#include "nodes/params.h"
}

#include "runstore/pg/spi_plan.hpp"

namespace runstore::pg {

/*
 * Runs `plan` with `params` inside the caller's open SPI connection; ERRORs
 * unless SPI reports `expected_rc`.  The rows are in SPI_tuptable.
 */
void RunKeptPlan(KeptPlan *plan, ParamListInfo params, int expected_rc);

/*
 * Appends SPI_tuptable's rows to a materialized SRF result (before
 * SPI_finish frees them), converted by position to the result's row type.
 */
void AppendSpiRows(ReturnSetInfo *rsinfo);

} // namespace runstore::pg
