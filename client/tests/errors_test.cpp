#include <gtest/gtest.h>

#include <string>
#include <typeinfo>

#include "runstore/errors.hpp"

using runstore::is_transient;

namespace {

// The exact class throw_error throws for `state`, with the fields it carries.
template <typename E>
void expect_class(const std::string& state, const std::string& want_state) {
  try {
    runstore::throw_error(state, "message", "detail", "hint");
  } catch (const runstore::Error& e) {
    EXPECT_EQ(typeid(e), typeid(E)) << state << " threw " << typeid(e).name();
    EXPECT_EQ(e.sqlstate(), want_state);
    EXPECT_STREQ(e.what(), "message");
    EXPECT_EQ(e.detail(), "detail");
    EXPECT_EQ(e.hint(), "hint");
    return;
  }
  ADD_FAILURE() << state << ": nothing thrown";
}

template <typename E>
void expect_class(const std::string& state) {
  expect_class<E>(state, state);
}

}  // namespace

TEST(Errors, TransientSqlstates) {
  for (const char* s : {"08000", "08001", "08003", "08006", "40001", "40P01", "57P01", "57P02", "57P03", "53300"}) {
    EXPECT_TRUE(is_transient(s)) << s;
  }
}

TEST(Errors, PermanentSqlstates) {
  for (const char* s : {"54000", "22P02", "22023", "42501", "23505", "53200", "57014", "XX000", "", "08"}) {
    EXPECT_FALSE(is_transient(s)) << s;
  }
}

TEST(Errors, ConnectionErrorIsAnErrorOfClass08) {
  const runstore::ConnectionError e("connection refused");
  EXPECT_EQ(e.sqlstate(), "08006");
  EXPECT_TRUE(e.transient());
  const runstore::Error& base = e;
  EXPECT_STREQ(base.what(), "connection refused");
}

TEST(Errors, EachSqlstateThrowsItsClass) {
  namespace s = runstore::sqlstate;
  for (const char* state : {s::kConnectionException, s::kUnableToEstablishConnection, s::kConnectionDoesNotExist,
                            s::kConnectionFailure, s::kProtocolViolation}) {
    expect_class<runstore::ConnectionError>(state);
  }
  for (const char* state : {s::kNullValueNotAllowed, s::kInvalidParameterValue, s::kInvalidTextRepresentation}) {
    expect_class<runstore::DataError>(state);
  }
  expect_class<runstore::IntegrityConstraintError>(s::kCheckViolation);
  expect_class<runstore::IntegrityConstraintError>(s::kNotNullViolation);
  expect_class<runstore::SerializationFailureError>(s::kSerializationFailure);
  expect_class<runstore::DeadlockDetectedError>(s::kDeadlockDetected);
  expect_class<runstore::TransactionRollbackError>("40003");  // statement completion unknown
  expect_class<runstore::InsufficientPrivilegeError>(s::kInsufficientPrivilege);
  for (const char* state :
       {s::kUndefinedColumn, s::kUndefinedObject, s::kUndefinedFunction, s::kUndefinedTable, s::kInvalidSchemaName}) {
    expect_class<runstore::UndefinedObjectError>(state);
  }
  expect_class<runstore::InsufficientResourcesError>(s::kOutOfMemory);
  expect_class<runstore::InsufficientResourcesError>(s::kTooManyConnections);
  expect_class<runstore::ProgramLimitExceededError>(s::kProgramLimitExceeded);
  for (const char* state : {s::kQueryCanceled, s::kAdminShutdown, s::kCrashShutdown, s::kCannotConnectNow}) {
    expect_class<runstore::OperatorInterventionError>(state);
  }
  expect_class<runstore::InternalError>(s::kInternalError);
  // Kinds without a class of their own stay the base class.
  expect_class<runstore::Error>(s::kTriggerProtocolViolated);
  expect_class<runstore::Error>("42601");  // syntax error
}

TEST(Errors, UniqueViolationIsAnIntegrityConstraintError) { expect_class<runstore::IntegrityConstraintError>("23505"); }

TEST(Errors, NoSqlstateIsAConnectionFailureAndTransient) {
  // libpq's own errors (a socket that failed) carry no SQLSTATE.
  expect_class<runstore::ConnectionError>("", runstore::sqlstate::kConnectionFailure);
  try {
    runstore::throw_error("", "server closed the connection unexpectedly");
  } catch (const runstore::Error& e) {
    EXPECT_TRUE(e.transient());
  }
}

TEST(Errors, TransientIsBySqlstateNotByClass) {
  try {
    runstore::throw_error(runstore::sqlstate::kTooManyConnections, "too many clients");
  } catch (const runstore::InsufficientResourcesError& e) {
    EXPECT_TRUE(e.transient());
  }
  try {
    runstore::throw_error(runstore::sqlstate::kOutOfMemory, "out of memory");
  } catch (const runstore::InsufficientResourcesError& e) {
    EXPECT_FALSE(e.transient());
  }
}

TEST(Errors, RollbacksAreCaughtByTheirClass) {
  for (const char* state : {runstore::sqlstate::kSerializationFailure, runstore::sqlstate::kDeadlockDetected}) {
    EXPECT_THROW(runstore::throw_error(state, "rolled back"), runstore::TransactionRollbackError) << state;
  }
}
