// runstore/sqlstate.hpp: the SQLSTATEs a runstore client meets, by name.
//
// The five-character codes of PostgreSQL's Appendix A that runstore's
// functions raise (see the README's "Errors" table) and that the client's
// retry logic treats as transient, so callers compare against a name instead
// of a literal:
//
//   if (e.sqlstate() == runstore::sqlstate::kInsufficientPrivilege) ...
//
// Most callers need not compare at all: the class thrown already says it
// (runstore/errors.hpp).
#pragma once

namespace runstore::sqlstate {

// Class 08, connection exception.  The client also reports a connection
// lost without any SQLSTATE (libpq's own errors carry none) as 08006.
inline constexpr char kConnectionException[] = "08000";
inline constexpr char kUnableToEstablishConnection[] = "08001";  // the client's connect() failed
inline constexpr char kConnectionDoesNotExist[] = "08003";
inline constexpr char kConnectionFailure[] = "08006";
inline constexpr char kProtocolViolation[] = "08P01";

// Class 0A, feature not supported (COPY FROM into a table under row-level
// security, which the client's large enqueues then avoid).
inline constexpr char kFeatureNotSupported[] = "0A000";

// Class 22, data exception: an argument the server refuses.
inline constexpr char kNullValueNotAllowed[] = "22004";
inline constexpr char kInvalidParameterValue[] = "22023";
inline constexpr char kInvalidTextRepresentation[] = "22P02";
// A binary value the server cannot read as the column's type (a large
// enqueue's COPY into a column whose type was changed; the client then
// inserts, which converts).
inline constexpr char kInvalidBinaryRepresentation[] = "22P03";

// Class 23, integrity constraint violation (executions' CHECK constraints).
inline constexpr char kNotNullViolation[] = "23502";
inline constexpr char kUniqueViolation[] = "23505";
inline constexpr char kCheckViolation[] = "23514";

// Class 39: runstore's trigger functions called other than as triggers.
inline constexpr char kTriggerProtocolViolated[] = "39P01";

// Class 3F: a schema that does not exist (the extension, or the worker
// wrappers of docs/roles.sql, not installed).
inline constexpr char kInvalidSchemaName[] = "3F000";

// Class 40, transaction rollback.
inline constexpr char kSerializationFailure[] = "40001";
inline constexpr char kDeadlockDetected[] = "40P01";

// Class 42, access rule violation and undefined objects.
inline constexpr char kInsufficientPrivilege[] = "42501";
inline constexpr char kUndefinedColumn[] = "42703";
inline constexpr char kUndefinedObject[] = "42704";
inline constexpr char kUndefinedFunction[] = "42883";
inline constexpr char kUndefinedTable[] = "42P01";

// Class 53, insufficient resources.
inline constexpr char kOutOfMemory[] = "53200";
inline constexpr char kTooManyConnections[] = "53300";

// Class 54, program limit exceeded (runstore.max_batch_size).
inline constexpr char kProgramLimitExceeded[] = "54000";

// Class 57, operator intervention.
inline constexpr char kQueryCanceled[] = "57014";  // statement_timeout, pg_cancel_backend
inline constexpr char kAdminShutdown[] = "57P01";  // pg_terminate_backend, a fast shutdown
inline constexpr char kCrashShutdown[] = "57P02";
inline constexpr char kCannotConnectNow[] = "57P03";  // the server is starting or stopping

// Class XX: runstore's "an unexpected C++ exception: a bug, please report it".
inline constexpr char kInternalError[] = "XX000";

}  // namespace runstore::sqlstate
