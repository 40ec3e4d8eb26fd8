/*
 * fn_statement_text.cpp: runstore._statement_text(name text)
 *
 * Internal: the SQL text of one of the statements the C++ functions run
 * (statements.hpp), so the regression suite can EXPLAIN the very statements
 * the functions execute rather than a copy that could drift from them.
 */
extern "C" {
#include "postgres.h"

#include "mb/pg_wchar.h"
#include "utils/builtins.h"
}

#include "runstore/pg/statements.hpp"
#include "runstore/pg_boundary.hpp"

RUNSTORE_FUNCTION(runstore_statement_text)
{
	char *name = text_to_cstring(PG_GETARG_TEXT_PP(0));
	const runstore::pg::KeptPlan *plan = runstore::pg::statements::Find(name);
	if (plan == nullptr) {
		/* Quote at most 64 bytes (whole characters) of what the caller sent, not a megabyte. */
		const int len = static_cast<int>(strlen(name));
		const int shown = pg_mbcliplen(name, len, 64);
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
		                errmsg("no runstore statement named \"%.*s\"%s", shown, name, shown < len ? "..." : "")));
	}
	PG_RETURN_TEXT_P(cstring_to_text(plan->sql));
}
