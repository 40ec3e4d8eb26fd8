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
/*
 * A statement's argument types, spelled where the statement is declared:
 * KeptPlan{sql, 2, kArgTypes<INT8OID, TEXTOID>}.  One static array per type
 * list, shared by every statement with that list.
 */
template <Oid... Types> inline constexpr Oid kArgTypes[] = {Types...};

/* A planner setting applied while a kept plan is built: {"enable_nestloop", "off"}. */
struct PlannerSetting {
	const char *name;
	const char *value;
};

struct KeptPlan {
	const char *sql;
	int nargs;
	const Oid *argtypes;
	SPIPlanPtr plan;
	/* CURSOR_OPT_* for statements read through a cursor (0: run to completion). */
	int cursor_options = 0;
	/*
	 * With CURSOR_OPT_GENERIC_PLAN: settings the generic plan is built (and
	 * rebuilt after an invalidation) under, by PrepareGenericPlan, and only
	 * it: the statements the call goes on to run (its triggers') are planned
	 * under the session's own.  Terminated by {nullptr, nullptr}.
	 */
	const PlannerSetting *plan_with = nullptr;
};

/* Returns the kept plan, preparing it inside the current SPI connection first. */
SPIPlanPtr GetKeptPlan(KeptPlan *kept);

/*
 * Builds the generic plan of a statement with plan_with, or checks that the
 * one built is still valid, inside the current SPI connection; the next
 * execution then runs that plan.  Does nothing for other statements.
 */
void PrepareGenericPlan(KeptPlan *kept);

/*
 * Runs a kept SELECT that returns one row of one pass-by-value column (a
 * count, a flag) and returns that value; any other outcome is an internal
 * ERROR naming the statement.
 */
Datum SelectOneValue(KeptPlan *kept, bool read_only);

} // namespace runstore::pg
