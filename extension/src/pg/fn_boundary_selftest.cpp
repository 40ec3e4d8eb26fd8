/*
 * fn_boundary_selftest.cpp: runstore._boundary_selftest(text), internal.
 *
 * Exercises the C++/PostgreSQL error boundary from SQL so the regression
 * suite can prove it: exceptions thrown in C++ become clean ERRORs with a
 * SQLSTATE, a PostgreSQL ERROR raised beneath C++ code unwinds the C++ frames
 * (destructors run: the counter goes up) and is re-raised with its own
 * SQLSTATE, and the session stays usable.  EXECUTE is revoked from PUBLIC.
 */
extern "C" {
#include "postgres.h"

#include "fmgr.h"
#include "mb/pg_wchar.h"
#include "utils/builtins.h"
}

#include <cstring>
#include <new>
#include <stdexcept>
#include <string>
#include <vector>

#include "runstore/pg_boundary.hpp"

namespace {

/* Destructors run by C++ unwinding in this backend (trivially destructible). */
int64 destructors_run = 0;

/* An object whose destructor must run when an error unwinds its frame. */
struct Tracked {
	std::string label;
	std::vector<int> scratch;
	explicit Tracked(const char *l) : label(l), scratch(64, 1) {}
	Tracked(const Tracked &) = delete;
	Tracked &operator=(const Tracked &) = delete;
	~Tracked() { ++destructors_run; }
};

enum class Mode { kCppException, kPgErrorBeneathCpp, kOutOfMemory, kUnknownException, kCountDestructors };

int64
RunCpp(Mode mode, const char *bad_integer)
{
	Tracked tracked("selftest");
	switch (mode) {
	case Mode::kCppException:
		throw std::invalid_argument("selftest: C++ exception with a live std::string and std::vector");
	case Mode::kPgErrorBeneathCpp:
		/* int4in ERRORs (22P02) deep inside PostgreSQL while `tracked` is alive. */
		return runstore::PgCall(
		    [&]() { return DatumGetInt32(DirectFunctionCall1(int4in, CStringGetDatum(bad_integer))); });
	case Mode::kOutOfMemory:
		throw std::bad_alloc();
	case Mode::kUnknownException:
		throw 42;
	case Mode::kCountDestructors:
		break;
	}
	return destructors_run;
}

} // namespace

RUNSTORE_FUNCTION(runstore_boundary_selftest)
{
	const char *mode_name = text_to_cstring(PG_GETARG_TEXT_PP(0));
	Mode mode;
	if (strcmp(mode_name, "cpp_exception") == 0)
		mode = Mode::kCppException;
	else if (strcmp(mode_name, "pg_error_beneath_cpp") == 0)
		mode = Mode::kPgErrorBeneathCpp;
	else if (strcmp(mode_name, "out_of_memory") == 0)
		mode = Mode::kOutOfMemory;
	else if (strcmp(mode_name, "unknown_exception") == 0)
		mode = Mode::kUnknownException;
	else if (strcmp(mode_name, "destructors_run") == 0)
		mode = Mode::kCountDestructors;
	else
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
		                /* at most 64 bytes (whole characters) of the caller's text */
		                errmsg("unknown selftest mode \"%.*s\"%s",
		                       pg_mbcliplen(mode_name, static_cast<int>(strlen(mode_name)), 64), mode_name,
		                       strlen(mode_name) > 64 ? "..." : ""),
		                errhint("Use cpp_exception, pg_error_beneath_cpp, out_of_memory, unknown_exception or "
		                        "destructors_run.")));
	PG_RETURN_INT64(RunCpp(mode, "not a number"));
}
