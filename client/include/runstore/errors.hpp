// runstore/errors.hpp: what the client throws.
//
// Every failure reported by the server arrives as a runstore::Error carrying
// the five-character SQLSTATE and the server's message.  The class thrown
// says which kind of failure it is, so callers catch what they handle instead
// of comparing SQLSTATE strings (the shape follows libpqxx's hierarchy):
//
//   Error                           any other SQLSTATE (39P01, ...)
//   ├─ ConnectionError              class 08, or no SQLSTATE at all   transient
//   ├─ DataError                    class 22: 22023, 22004, 22P02 (a bad argument)
//   ├─ IntegrityConstraintError     class 23: 23514, 23502 (a row the table refuses)
//   ├─ TransactionRollbackError     class 40
//   │  ├─ SerializationFailureError   40001                           transient
//   │  └─ DeadlockDetectedError       40P01                           transient
//   ├─ InsufficientPrivilegeError   42501
//   ├─ UndefinedObjectError         42703, 42704, 42883, 42P01, 3F000 (not installed)
//   ├─ InsufficientResourcesError   class 53: 53200, 53300 (transient)
//   ├─ ProgramLimitExceededError    class 54: 54000 (runstore.max_batch_size)
//   ├─ OperatorInterventionError    class 57: 57014, 57P01-57P03 (transient)
//   └─ InternalError                class XX: XX000 (a bug in runstore)
//
// Whether a call may be retried is transient() (by SQLSTATE, see
// is_transient), not the class: 53300 is transient, 53200 is not.  The
// SQLSTATEs have names in runstore/sqlstate.hpp.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

#include "runstore/sqlstate.hpp"

namespace runstore {

class Error : public std::runtime_error {
 public:
  Error(std::string sqlstate, const std::string& message, std::string detail = {}, std::string hint = {})
      : std::runtime_error(message),
        sqlstate_(std::move(sqlstate)),
        detail_(std::move(detail)),
        hint_(std::move(hint)) {}

  // Five characters, e.g. "54000"; "08006" when the connection broke.
  [[nodiscard]] const std::string& sqlstate() const { return sqlstate_; }
  [[nodiscard]] const std::string& detail() const { return detail_; }
  [[nodiscard]] const std::string& hint() const { return hint_; }
  // Whether retrying the same idempotent call may succeed (see is_transient).
  [[nodiscard]] bool transient() const;

 private:
  std::string sqlstate_;
  std::string detail_;
  std::string hint_;
};

// The connection could not be made (08001) or was lost: class 08 from the
// server, or an error libpq reported without any SQLSTATE (its own errors
// about the socket or the protocol carry none), which is reported as 08006.
// Always transient: the client reconnects and retries.
class ConnectionError : public Error {
 public:
  explicit ConnectionError(const std::string& message, std::string state = sqlstate::kConnectionFailure,
                           std::string detail = {}, std::string hint = {})
      : Error(std::move(state), message, std::move(detail), std::move(hint)) {}
};

// Class 22: the server refused an argument's value (22023 out of range,
// 22004 a NULL where none is allowed, 22P02 malformed text).
class DataError : public Error {
 public:
  using Error::Error;
};

// Class 23: a row the table's constraints refuse (an enqueued execution with
// max_attempts < 1 is 23514).
class IntegrityConstraintError : public Error {
 public:
  using Error::Error;
};

// Class 40: the server rolled the transaction back.
class TransactionRollbackError : public Error {
 public:
  using Error::Error;
};

// 40001: raced another transaction under REPEATABLE READ or SERIALIZABLE.
class SerializationFailureError : public TransactionRollbackError {
 public:
  using TransactionRollbackError::TransactionRollbackError;
};

// 40P01: chosen as the victim of a deadlock.
class DeadlockDetectedError : public TransactionRollbackError {
 public:
  using TransactionRollbackError::TransactionRollbackError;
};

// 42501: the role may not do this (no SELECT or DELETE on
// runstore.executions, a row-level security policy, a superuser setting).
class InsufficientPrivilegeError : public Error {
 public:
  using Error::Error;
};

// A function, table, column, object or schema that does not exist: runstore
// (or the worker wrappers of docs/roles.sql) is not installed in this
// database, or is an older version.
class UndefinedObjectError : public Error {
 public:
  using Error::Error;
};

// Class 53: the server ran out of memory (53200), connections (53300), disk.
class InsufficientResourcesError : public Error {
 public:
  using Error::Error;
};

// Class 54: a request over a limit (54000: more ids than
// runstore.max_batch_size).
class ProgramLimitExceededError : public Error {
 public:
  using Error::Error;
};

// Class 57: an operator or the server stopped the statement (57014 statement
// timeout or cancel; 57P01-57P03 the server shutting down or starting).
class OperatorInterventionError : public Error {
 public:
  using Error::Error;
};

// Class XX: runstore's "an unexpected C++ exception: a bug, please report it".
class InternalError : public Error {
 public:
  using Error::Error;
};

// Throws the class above that `sqlstate` belongs to, carrying it and the
// other fields.  An empty `sqlstate` throws a ConnectionError (08006).
[[noreturn]] void throw_error(const std::string& sqlstate, const std::string& message, const std::string& detail = {},
                              const std::string& hint = {});

// Transient faults: connection exceptions (class 08), serialization failure
// (40001), deadlock (40P01), admin shutdown / crash shutdown / cannot connect
// now (57P01-57P03) and too many connections (53300).
[[nodiscard]] bool is_transient(std::string_view sqlstate);

}  // namespace runstore
