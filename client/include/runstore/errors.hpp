// runstore/errors.hpp: what the client throws.
//
// Every failure reported by the server arrives as runstore::Error carrying the
// five-character SQLSTATE and the server's message; a connection that cannot be
// made or was lost arrives as runstore::ConnectionError (SQLSTATE class 08).
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>

namespace runstore {

class Error : public std::runtime_error {
 public:
  Error(std::string sqlstate, const std::string& message, std::string detail = {},
        std::string hint = {})
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

class ConnectionError : public Error {
 public:
  explicit ConnectionError(const std::string& message, std::string sqlstate = "08006")
      : Error(std::move(sqlstate), message) {}
};

// Transient faults: connection exceptions (class 08), serialization failure
// (40001), deadlock (40P01), admin shutdown / crash shutdown / cannot connect
// now (57P01-57P03) and too many connections (53300).
[[nodiscard]] bool is_transient(std::string_view sqlstate);

}  // namespace runstore
