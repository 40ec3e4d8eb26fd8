// help_format.cpp: see help_format.hpp.
#include "help_format.hpp"

namespace runstore::cli {

std::string HelpFormatter::make_help(const CLI::App* app, std::string, CLI::AppFormatMode) const {
  std::string out = app->get_description();
  for (const std::string& group : app->get_groups()) {
    if (group.empty()) continue;  // CLI11's mark of a hidden option
    out += "\n" + group + "\n";
    for (const CLI::Option* opt : app->get_options([&group](const CLI::Option* o) { return o->get_group() == group; }))
      out += make_option(opt, false);
  }
  return out + "\n" + app->get_footer();
}

std::string HelpFormatter::make_option(const CLI::Option* opt, bool) const {
  // Every option has a long name; a missing short one keeps the long names
  // lined up.
  std::string line = opt->get_snames().empty() ? "      " : "  -" + opt->get_snames().front() + ", ";
  line += "--" + opt->get_lnames().front();
  if (opt->get_items_expected_max() != 0) line += " " + opt->get_type_name();  // not a flag
  const std::size_t column = get_column_width();
  if (line.size() >= column)
    line += "\n" + std::string(column, ' ');
  else
    line.resize(column, ' ');
  for (const char c : opt->get_description()) {
    line += c;
    if (c == '\n') line.append(column, ' ');
  }
  return line + "\n";
}

}  // namespace runstore::cli
