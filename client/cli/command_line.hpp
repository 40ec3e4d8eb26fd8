// command_line.hpp: one level of the `runstore` command line, the global
// options before the command name or a command's own, parsed by CLI11.
//
// CLI11 reads the options: --name VALUE, --name=VALUE, -n VALUE, -nVALUE,
// short flags grouped (-qs2 is -q -s 2), "--" ending the options.  A value
// is taken whatever it looks like ("--user -x" is the user "-x", as getopt
// has it), and --help is an ordinary flag, so a mistake elsewhere on the
// line is still reported.  On top of CLI11 this keeps the CLI's contract:
//   - every mistake is a UsageError, one line naming it and where the help
//     is: an unknown option (with the nearest known name when one is close),
//     an option given twice (unless it is repeatable), a value given to a
//     flag, a value missing at the end of the line;
//   - "--name=" gives the empty value (CLI11 alone would take the next word);
//   - the words that are not options come back in order, with "-" (stdin)
//     among them.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "help_format.hpp"

namespace runstore::cli {

class CommandLine {
 public:
  // `command` names the command in messages ("status"); empty for the
  // global level.
  CommandLine(std::string command, const HelpText& help);

  // Options, listed in --help in the order they are added.  `names` is
  // CLI11's "-w,--workspace"; every option has a long name.
  // One value, given at most once; `metavar` stands for it in --help.
  CLI::Option* value(const std::string& names, std::optional<std::string>& into, const std::string& metavar,
                     const std::string& description);
  // One value each time, repeatable: every value, in order.
  CLI::Option* values(const std::string& names, std::vector<std::string>& into, const std::string& metavar,
                      const std::string& description);
  // No value, given at most once.
  CLI::Option* flag(const std::string& names, bool& into, const std::string& description);

  // For the global level: the first word is the command name, and it and
  // everything after it come back untouched in words().
  void stop_at_first_word();
  // For the worker: the words after "--" are its COMMAND, kept in
  // after_double_dash(); otherwise they are plain words (getopt's rule) and
  // go to words() too.
  void keep_double_dash_apart();

  // Parses `args` (without the program or command name).  Throws UsageError
  // at the first mistake, except that an unknown option is reported before
  // an option given twice or a flag given a value wherever it stands.
  void parse(const std::vector<std::string>& args);

  [[nodiscard]] const std::vector<std::string>& words() const { return words_; }
  [[nodiscard]] const std::vector<std::string>& after_double_dash() const { return after_double_dash_; }
  [[nodiscard]] bool saw_double_dash() const { return saw_double_dash_; }
  [[nodiscard]] std::string help() const { return app_.help(); }

 private:
  // CLI11 leaves unknown options and plain words, in order, in remaining():
  // the first unknown option is a UsageError, the words are kept.
  void take_words();
  // The first option given twice (unless repeatable) or flag given a value.
  void check_occurrences() const;
  [[nodiscard]] std::string unknown_option(const std::string& word) const;
  // " (see 'runstore status --help')"
  [[nodiscard]] std::string help_hint() const;

  std::string command_;
  CLI::App app_;
  bool stop_at_first_word_ = false;
  bool keep_double_dash_apart_ = false;
  std::vector<std::string> words_;
  std::vector<std::string> after_double_dash_;
  bool saw_double_dash_ = false;
};

}  // namespace runstore::cli
