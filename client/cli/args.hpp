// args.hpp: what a mistake on the command line is (UsageError), and the
// strict reading of option values that CLI11 keeps as text (command_line.hpp
// parses; each command checks its own values with these).
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>

namespace runstore::cli {

// A mistake in the command line: printed as one line, exit code 2.
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Strict number parsing for option values; the message names the option.
std::int64_t parse_int64(const std::string& text, const std::string& what);
std::int32_t parse_int32(const std::string& text, const std::string& what, std::int32_t min, std::int32_t max);
// A positive number of seconds, fractions allowed ("0.5"), as milliseconds.
std::int64_t parse_seconds_ms(const std::string& text, const std::string& what);

}  // namespace runstore::cli
