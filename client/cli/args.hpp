// args.hpp: command-line parsing for the runstore CLI.
//
// Each command declares its options as a list of OptionSpec; parse_args()
// turns argv into a ParsedArgs or throws UsageError.  Nothing here knows
// about any command: the commands own their specs and their validation.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace runstore::cli {

// A mistake in the command line: printed as one line, exit code 2.
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct OptionSpec {
  std::string long_name;   // without the leading "--"
  char short_name = 0;     // 0: none
  bool takes_value = false;
  bool repeatable = false;
};

struct ParsedArgs {
  // Option values by long name; a flag is stored with an empty value.
  std::map<std::string, std::vector<std::string>> options;
  std::vector<std::string> positional;
  // Everything after a literal "--", kept apart (the worker's COMMAND).
  std::vector<std::string> after_double_dash;
  bool saw_double_dash = false;

  [[nodiscard]] bool has(const std::string& name) const { return options.count(name) != 0; }
  [[nodiscard]] std::optional<std::string> value(const std::string& name) const;
  [[nodiscard]] std::vector<std::string> values(const std::string& name) const;
};

// `command` names the command in error messages ("status"), empty for the
// global level.  With stop_at_first_positional, parsing stops at the first
// non-option word, which is left (with the rest) in `positional`: the global
// level uses it to find the command name.
ParsedArgs parse_args(const std::vector<std::string>& argv, const std::vector<OptionSpec>& specs,
                      const std::string& command, bool stop_at_first_positional = false);

// Strict number parsing for option values; the message names the option.
std::int64_t parse_int64(const std::string& text, const std::string& what);
std::int32_t parse_int32(const std::string& text, const std::string& what, std::int32_t min,
                         std::int32_t max);
// A positive number of seconds, fractions allowed ("0.5"), as milliseconds.
std::int64_t parse_seconds_ms(const std::string& text, const std::string& what);

}  // namespace runstore::cli
