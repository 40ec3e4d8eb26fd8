// cli_common.cpp: see cli_common.hpp.
#include "cli_common.hpp"

#include <cstdlib>
#include <iostream>
#include <stdexcept>
#include <unordered_set>

#include "text_util.hpp"

namespace runstore::cli {

std::optional<ParsedArgs> parse_command(Invocation& inv, std::vector<OptionSpec> specs,
                                        const std::string& command, const char* help) {
  specs.push_back({"help", 'h', false, false});
  specs.push_back({"dsn", 'd', true, false});
  ParsedArgs parsed = parse_args(inv.args, specs, command);
  // After "--" come plain words (getopt's rule), except for the worker,
  // whose COMMAND is everything after it.
  if (command != "worker" && parsed.saw_double_dash) {
    parsed.positional.insert(parsed.positional.end(), parsed.after_double_dash.begin(),
                             parsed.after_double_dash.end());
    parsed.after_double_dash.clear();
  }
  if (parsed.has("help")) {
    std::cout << help;
    return std::nullopt;
  }
  if (auto dsn = parsed.value("dsn")) {
    if (inv.global.dsn) throw UsageError("option --dsn given more than once");
    inv.global.dsn = *dsn;
  }
  return parsed;
}

std::string resolve_conninfo(const GlobalOptions& global) {
  if (global.dsn) return *global.dsn;
  if (const char* env = std::getenv("RUNSTORE_DSN")) return env;
  return {};
}

Client connect(const GlobalOptions& global) {
  ClientOptions options;
  options.conninfo = resolve_conninfo(global);
  return Client(std::move(options));
}

std::vector<std::string> id_words(const std::vector<std::string>& positional) {
  if (positional.size() != 1 || positional.front() != "-") return positional;
  std::vector<std::string> words;
  std::string w;
  while (std::cin >> w) words.push_back(w);
  return words;
}

std::vector<Uuid> parse_ids(const std::vector<std::string>& words) {
  std::vector<Uuid> ids;
  std::unordered_set<Uuid> seen;
  ids.reserve(words.size());
  for (const auto& w : words) {
    Uuid id;
    try {
      id = Uuid::parse(w);
    } catch (const std::invalid_argument&) {
      throw UsageError("invalid execution id " + quote_word(w) + " (expected a UUID)");
    }
    if (seen.insert(id).second) ids.push_back(id);
  }
  return ids;
}

std::optional<std::int64_t> workspace_option(const ParsedArgs& args) {
  auto v = args.value("workspace");
  if (!v) return std::nullopt;
  return parse_int64(*v, "--workspace");
}

}  // namespace runstore::cli
