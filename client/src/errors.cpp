// errors.cpp: SQLSTATE classification: which class to throw, and which
// faults are worth a retry.
#include "runstore/errors.hpp"

namespace runstore {

namespace {

// The two-character class of a SQLSTATE ("08" of "08006").
std::string_view class_of(std::string_view s) { return s.substr(0, 2); }

bool is_undefined_object(std::string_view s) {
  return s == sqlstate::kUndefinedColumn || s == sqlstate::kUndefinedObject || s == sqlstate::kUndefinedFunction ||
         s == sqlstate::kUndefinedTable || s == sqlstate::kInvalidSchemaName;
}

}  // namespace

bool is_transient(std::string_view s) {
  if (s.size() != 5) return false;
  if (class_of(s) == "08") return true;  // connection exception
  return s == sqlstate::kSerializationFailure || s == sqlstate::kDeadlockDetected || s == sqlstate::kAdminShutdown ||
         s == sqlstate::kCrashShutdown || s == sqlstate::kCannotConnectNow || s == sqlstate::kTooManyConnections;
}

bool Error::transient() const { return is_transient(sqlstate_); }

void throw_error(const std::string& state, const std::string& message, const std::string& detail,
                 const std::string& hint) {
  // libpq's own errors (a socket that failed, a reply it could not read)
  // carry no SQLSTATE; the server always sends one.  So none means the
  // connection, and it is retried like one.
  if (state.empty()) throw ConnectionError(message, sqlstate::kConnectionFailure, detail, hint);
  // Single conditions before classes: class 40 has two subclasses of its
  // own, and class 42 holds both 42501 and the undefined objects.
  if (state == sqlstate::kSerializationFailure) throw SerializationFailureError(state, message, detail, hint);
  if (state == sqlstate::kDeadlockDetected) throw DeadlockDetectedError(state, message, detail, hint);
  if (state == sqlstate::kInsufficientPrivilege) throw InsufficientPrivilegeError(state, message, detail, hint);
  if (is_undefined_object(state)) throw UndefinedObjectError(state, message, detail, hint);
  const std::string_view c = class_of(state);
  if (c == "08") throw ConnectionError(message, state, detail, hint);
  if (c == "22") throw DataError(state, message, detail, hint);
  if (c == "23") throw IntegrityConstraintError(state, message, detail, hint);
  if (c == "40") throw TransactionRollbackError(state, message, detail, hint);
  if (c == "53") throw InsufficientResourcesError(state, message, detail, hint);
  if (c == "54") throw ProgramLimitExceededError(state, message, detail, hint);
  if (c == "57") throw OperatorInterventionError(state, message, detail, hint);
  if (c == "XX") throw InternalError(state, message, detail, hint);
  throw Error(state, message, detail, hint);
}

}  // namespace runstore
