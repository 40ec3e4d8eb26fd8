// cli_common.cpp: see cli_common.hpp.
#include "cli_common.hpp"

#include <algorithm>
#include <cstdlib>
#include <iostream>
#include <stdexcept>
#include <utility>

#include "text_util.hpp"

namespace runstore::cli {

bool parse_command(Invocation& inv, CommandLine& line) {
  // Bound for this one parse only: a CommandLine is parsed once.
  std::optional<std::string> dsn, statement_mode;
  bool help = false;
  line.value("-d,--dsn", dsn, "CONNINFO", "connection string (default: $RUNSTORE_DSN, else PG*)");
  line.value("--statement-mode", statement_mode, "MODE", kStatementModeHelp);
  line.flag("-h,--help", help, "this help");
  line.parse(inv.args);
  if (help) {
    std::cout << line.help();
    return false;
  }
  if (dsn) {
    if (inv.global.dsn) throw UsageError("option --dsn given more than once");
    inv.global.dsn = std::move(dsn);
  }
  if (statement_mode) {
    if (inv.global.statement_mode) throw UsageError("option --statement-mode given more than once");
    inv.global.statement_mode = std::move(statement_mode);
  }
  (void)resolve_statement_mode(inv.global);  // a bad mode is reported before anything runs
  return true;
}

const char* const kStatementModeHelp =
    "prepared (works behind PgBouncer too) or unnamed;\n"
    "default: $RUNSTORE_STATEMENT_MODE, else prepared";

StatementMode resolve_statement_mode(const GlobalOptions& global) {
  std::string value, from;
  if (global.statement_mode) {
    value = *global.statement_mode;
    from = "--statement-mode";
  } else if (const char* env = std::getenv("RUNSTORE_STATEMENT_MODE")) {
    value = env;
    from = "RUNSTORE_STATEMENT_MODE";
  } else {
    return StatementMode::prepared;
  }
  if (value == "prepared") return StatementMode::prepared;
  if (value == "unnamed") return StatementMode::unnamed;
  throw UsageError("invalid " + from + " " + quote_word(value) + " (expected 'prepared' or 'unnamed')");
}

std::string resolve_conninfo(const GlobalOptions& global) {
  if (global.dsn) return *global.dsn;
  if (const char* env = std::getenv("RUNSTORE_DSN")) return env;
  return {};
}

Client connect(const GlobalOptions& global) {
  ClientOptions options;
  options.conninfo = resolve_conninfo(global);
  options.statement_mode = resolve_statement_mode(global);
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

IdCommandLine::IdCommandLine(const std::string& command, const HelpText& help, const std::string& workspace_help_end)
    : CommandLine(command, help), command_(command) {
  const std::string workspace_help =
      "only executions of workspace W; ids of other workspaces\n"
      "count as not found" +
      workspace_help_end;
  value("-w,--workspace", workspace_text_, "W", workspace_help);
}

std::optional<IdCommand> IdCommandLine::start(Invocation& inv) {
  if (!parse_command(inv, *this)) return std::nullopt;
  auto workspace = workspace_option(workspace_text_);
  auto ids = parse_ids(id_words(words()));
  if (ids.empty()) throw UsageError("no execution ids given (see 'runstore " + command_ + " --help')");
  return IdCommand{workspace, std::move(ids), connect(inv.global)};
}

void for_each_id_chunk(const std::vector<Uuid>& ids, const std::function<void(const std::vector<Uuid>&)>& per_chunk) {
  for (std::size_t i = 0; i < ids.size(); i += kIdChunk) {
    const std::vector<Uuid> chunk(ids.begin() + static_cast<std::ptrdiff_t>(i),
                                  ids.begin() + static_cast<std::ptrdiff_t>(std::min(ids.size(), i + kIdChunk)));
    per_chunk(chunk);
  }
}

int report_not_found(const std::vector<Uuid>& ids, const std::unordered_set<Uuid>& found) {
  int missing = 0;
  for (const auto& id : ids) {
    if (found.count(id) == 0) {
      std::cerr << "not found: " << id.to_string() << '\n';
      ++missing;
    }
  }
  return missing == 0 ? kExitOk : kExitFailure;
}

std::optional<std::int64_t> workspace_option(const std::optional<std::string>& value) {
  if (!value) return std::nullopt;
  return parse_int64(*value, "--workspace");
}

}  // namespace runstore::cli
