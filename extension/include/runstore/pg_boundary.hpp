/*
 * pg_boundary.hpp: the one place where C++ and PostgreSQL error handling meet.
 *
 * PostgreSQL reports errors with ereport(ERROR), which longjmp()s and skips C++
 * destructors; C++ reports errors with exceptions, which must never unwind
 * through PostgreSQL's C frames.  Everything that crosses between the two goes
 * through the three tools declared here:
 *
 *   RUNSTORE_FUNCTION(name)  defines an SQL-callable V1 function whose body may
 *                            throw: every C++ exception is caught, copied into
 *                            trivially destructible storage, and re-raised as
 *                            ereport(ERROR) *after* the catch block has ended
 *                            and every C++ object of the body is destroyed.
 *
 *   PgCall(f)                runs a PostgreSQL call from C++ code; a PostgreSQL
 *                            ERROR raised inside it becomes a runstore::PgError
 *                            exception (SQLSTATE kept), so C++ unwinds normally.
 *                            RUNSTORE_FUNCTION re-raises it, so the transaction
 *                            still aborts and releases its locks.
 *
 *   PgError                  the exception type carrying a SQLSTATE.
 *
 * Include this header only from PG-zone files (after postgres.h); the pure C++
 * zone (include/runstore/core) never sees PostgreSQL headers.
 */
#pragma once

#ifndef POSTGRES_H
#error "pg_boundary.hpp belongs to the PostgreSQL zone: include postgres.h first"
#endif

#include <cstddef>
#include <exception>
#include <type_traits>
#include <utility>

namespace runstore {

/* Size of the message buffer carried across the boundary; longer messages are cut. */
constexpr std::size_t kErrorMessageSize = 512;

/*
 * A PostgreSQL ERROR (or a runstore error with a SQLSTATE) travelling as a C++
 * exception.  Holds only a fixed buffer, so copying and destroying it can never
 * allocate or fail.
 */
class PgError : public std::exception {
public:
	PgError(int sqlerrcode, const char *message) noexcept;
	const char *what() const noexcept override { return message_; }
	int sqlerrcode() const noexcept { return sqlerrcode_; }

private:
	int sqlerrcode_;
	char message_[kErrorMessageSize];
};

namespace boundary {

/*
 * What a caught exception turned into: trivially destructible, so it can sit
 * in the entry point's frame while ereport() longjmps away.
 */
struct CaughtError {
	int sqlerrcode;
	char message[kErrorMessageSize];
	const char *function_name;
};

/* Classifies the exception currently being handled (call only inside catch). */
void CaptureCurrentException(CaughtError *out, const char *function_name) noexcept;

/* ereport(ERROR) for a captured exception; never returns. */
[[noreturn]] void RaiseCaught(const CaughtError *caught);

/* Calls fn(arg) inside PG_TRY; on a PostgreSQL ERROR throws PgError. */
void RunGuarded(void (*fn)(void *), void *arg);

} // namespace boundary

/*
 * Runs `call` (a lambda making PostgreSQL calls) so that a PostgreSQL ERROR
 * raised inside it is turned into a PgError exception.
 *
 * The lambda runs inside a PG_TRY block, where a longjmp may happen at any
 * point: it must therefore capture only trivially destructible state and
 * create no object with a non-trivial destructor.  The static_assert enforces
 * the first half; keeping the body to plain PostgreSQL calls does the rest.
 */
template <typename Call>
auto
PgCall(Call &&call) -> decltype(call())
{
	using Fn = std::decay_t<Call>;
	static_assert(std::is_trivially_destructible_v<Fn>, "PgCall lambdas may capture only trivially destructible state");
	using Result = decltype(call());
	if constexpr (std::is_void_v<Result>) {
		boundary::RunGuarded([](void *p) { (*static_cast<Fn *>(p))(); }, &call);
	} else {
		static_assert(std::is_trivially_destructible_v<Result>,
		              "PgCall results must be trivially destructible (Datum, pointers, integers)");
		struct Slot {
			Fn *fn;
			Result result;
		} slot{&call, Result{}};
		boundary::RunGuarded(
		    [](void *p) {
			    auto *s = static_cast<Slot *>(p);
			    s->result = (*s->fn)();
		    },
		    &slot);
		return slot.result;
	}
}

} // namespace runstore

/*
 * Defines the SQL-callable symbol `name` (C linkage, V1 calling convention)
 * whose body is the C++ function `name##_impl`.  Usage:
 *
 *   RUNSTORE_FUNCTION(runstore_delete_many)
 *   {
 *       ... body, may throw, returns Datum ...
 *   }
 *
 * The body may also ereport() directly, as long as it holds no live object
 * with a non-trivial destructor at that point (PG-zone style).  The try block
 * itself has no destructors, so a longjmp through it is harmless.
 */
#define RUNSTORE_FUNCTION(name)                                                                                        \
	static Datum name##_impl(FunctionCallInfo fcinfo);                                                                 \
	extern "C" {                                                                                                       \
	PG_FUNCTION_INFO_V1(name);                                                                                         \
	Datum name(PG_FUNCTION_ARGS);                                                                                      \
	}                                                                                                                  \
	Datum name(PG_FUNCTION_ARGS)                                                                                       \
	{                                                                                                                  \
		runstore::boundary::CaughtError caught_;                                                                       \
		try {                                                                                                          \
			return name##_impl(fcinfo);                                                                                \
		} catch (...) {                                                                                                \
			runstore::boundary::CaptureCurrentException(&caught_, #name);                                              \
		}                                                                                                              \
		/* The exception object is gone; only trivially destructible data left. */                                     \
		runstore::boundary::RaiseCaught(&caught_);                                                                     \
	}                                                                                                                  \
	static Datum name##_impl([[maybe_unused]] FunctionCallInfo fcinfo)
