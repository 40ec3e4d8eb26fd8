/*
 * pg_boundary.cpp: conversion of errors between C++ exceptions and
 * PostgreSQL's ereport/longjmp (see include/runstore/pg_boundary.hpp).
 */
extern "C" {
#include "postgres.h"

#include "utils/elog.h"
#include "utils/memutils.h"
}

#include "runstore/pg_boundary.hpp"

#include <new>
#include <stdexcept>

namespace runstore {

PgError::PgError(int sqlerrcode, const char *message) noexcept : sqlerrcode_(sqlerrcode)
{
	strlcpy(message_, message != nullptr ? message : "(no message)", sizeof(message_));
}

namespace boundary {

namespace {

void
Capture(CaughtError *out, int sqlerrcode, const char *message) noexcept
{
	out->sqlerrcode = sqlerrcode;
	strlcpy(out->message, message != nullptr ? message : "(no message)", sizeof(out->message));
}

} // namespace

void
CaptureCurrentException(CaughtError *out, const char *function_name) noexcept
{
	out->function_name = function_name;
	/*
	 * Rethrow the in-flight exception to classify it.  Most specific first:
	 * PgError keeps its SQLSTATE; standard exceptions map to the closest class.
	 */
	try {
		throw;
	} catch (const PgError &e) {
		Capture(out, e.sqlerrcode(), e.what());
	} catch (const std::bad_alloc &) {
		Capture(out, ERRCODE_OUT_OF_MEMORY, "out of memory");
	} catch (const std::invalid_argument &e) {
		Capture(out, ERRCODE_INVALID_PARAMETER_VALUE, e.what());
	} catch (const std::out_of_range &e) {
		Capture(out, ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE, e.what());
	} catch (const std::length_error &e) {
		Capture(out, ERRCODE_PROGRAM_LIMIT_EXCEEDED, e.what());
	} catch (const std::exception &e) {
		Capture(out, ERRCODE_INTERNAL_ERROR, e.what());
	} catch (...) {
		Capture(out, ERRCODE_INTERNAL_ERROR, "unknown C++ exception");
	}
}

void
RaiseCaught(const CaughtError *caught)
{
	ereport(ERROR, (errcode(caught->sqlerrcode), errmsg_internal("%s", caught->message),
	                errcontext("runstore C++ function %s", caught->function_name)));
	pg_unreachable();
}

void
RunGuarded(void (*fn)(void *), void *arg)
{
	/*
	 * Only trivially destructible locals in this frame: the longjmp into
	 * PG_CATCH must not skip anything.  `caller` is volatile because it is
	 * read after the longjmp.
	 */
	MemoryContext volatile caller = CurrentMemoryContext;
	volatile int sqlerrcode = 0;
	char message[kErrorMessageSize];
	volatile bool failed = false;

	/*
	 * PgCall lambdas should not throw, but if one does, the exception would
	 * leave PG_TRY without restoring PG_exception_stack, and the next ERROR
	 * would jump into a dead frame.  Restore both stacks before letting it go.
	 */
	sigjmp_buf *volatile saved_exception_stack = PG_exception_stack;
	ErrorContextCallback *volatile saved_context_stack = error_context_stack;
	try {
		PG_TRY();
		{
			fn(arg);
		}
		PG_CATCH();
		{
			MemoryContextSwitchTo(caller);
			ErrorData *edata = CopyErrorData();
			FlushErrorState();
			sqlerrcode = edata->sqlerrcode;
			strlcpy(message, edata->message != nullptr ? edata->message : "(no message)", sizeof(message));
			FreeErrorData(edata);
			failed = true;
		}
		PG_END_TRY();
	} catch (...) {
		PG_exception_stack = saved_exception_stack;
		error_context_stack = saved_context_stack;
		throw;
	}

	/* Throw only after PG_END_TRY restored PG_exception_stack. */
	if (failed)
		throw PgError(sqlerrcode, message);
}

} // namespace boundary
} // namespace runstore
