// help_format.hpp: the layout of `runstore [COMMAND] --help`.
//
// The option list is generated from the options CLI11 knows, so it cannot
// drift from what the parser accepts; the prose around it is the command's
// own (HelpText).  The layout is the one the CLI has always printed:
//
//   usage: runstore status [--workspace W] [--json] ID...   (HelpText::above)
//
//   Options:                                                 (a group heading)
//     -w, --workspace W   only executions of workspace W; ...
//         --json          print a JSON array of ...
//
//   Exit status: ...                                         (HelpText::below)
#pragma once

#include <cstddef>
#include <string>

#include <CLI/CLI.hpp>

namespace runstore::cli {

// A command's help, apart from its option list.
struct HelpText {
  const char* above;  // the usage lines and what the command does
  const char* below;  // notes and the exit status
  // Where option descriptions start; a longer option name puts its
  // description on the next line.
  std::size_t column = 22;
  // The heading of the options not put in a group (CLI::Option::group) of
  // their own.  Headings are printed as they are: they carry their colon.
  const char* options_heading = "Options:";
};

class HelpFormatter : public CLI::Formatter {
 public:
  // The whole help: HelpText::above, each group of options under its
  // heading (in the order their first option was added), HelpText::below.
  std::string make_help(const CLI::App* app, std::string name, CLI::AppFormatMode mode) const override;
  // "  -w, --workspace W   description" (a description's own line breaks
  // continue at the column).
  std::string make_option(const CLI::Option* opt, bool is_positional) const override;
};

}  // namespace runstore::cli
