/*
 * spi_plan.hpp: SPI plans prepared once per backend and kept (PostgreSQL zone).
 */
#pragma once

extern "C" {
#include "executor/spi.h"
}

namespace runstore::pg {

/*
 * A statement prepared on first use and kept for the life of the backend.
 * The plan cache revalidates it after DDL (DROP/CREATE EXTENSION included);
 * the SQL text schema-qualifies every table, function and operator, so a
 * caller's search_path can never redirect it.
 * Declare one per statement as a function-local static; it is trivially
 * destructible, so a backend exit never runs a destructor for it.
 */
struct KeptPlan {
	const char *sql;
	int nargs;
	const Oid *argtypes;
	SPIPlanPtr plan;
	/* CURSOR_OPT_* for statements read through a cursor (0: run to completion). */
	int cursor_options = 0;
};

/* Returns the kept plan, preparing it inside the current SPI connection first. */
SPIPlanPtr GetKeptPlan(KeptPlan *kept);

} // namespace runstore::pg
