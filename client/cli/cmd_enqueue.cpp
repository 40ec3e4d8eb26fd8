// cmd_enqueue.cpp: `runstore enqueue`: one execution from options, or many
// from JSON lines on stdin, inserted a batch per statement.
#include <iostream>
#include <limits>
#include <string>

#include <nlohmann/json.hpp>

#include "cli_common.hpp"
#include "commands.hpp"
#include "enqueue_input.hpp"
#include "json_format.hpp"
#include "text_util.hpp"

namespace runstore::cli {

namespace {

constexpr HelpText kHelp = {
    R"(usage: runstore enqueue --workspace W [--workflow F] [--user U] [--tag T]...
                        [--priority P] [--max-attempts N] [--payload JSON] [--id UUID]
       runstore enqueue --stdin [--batch N]

Adds executions to the queue (status queued, due now) and prints the id of
each, one per line.
)",
    R"(A line of --stdin is a JSON object
  {"workspace_id": 1, "workflow_id": 2, "user_id": "u", "tags": ["a"],
   "payload": {...}, "priority": 0, "max_attempts": 3, "id": "UUID"}
where only workspace_id is required; blank lines are skipped; unknown keys are
refused.  Lines are inserted in batches (each one statement: all or nothing);
the ids of a batch are printed once it is committed, in input order.

A bad line (not JSON, a wrong type, a missing workspace_id) stops the run with
an error naming the line: nothing from that line's batch is inserted, and the
earlier batches stay inserted: their ids are exactly the ids already printed.

Exit status: 0 all inserted; 1 a bad input line or a server error; 2 a usage
error (including an invalid --payload).
)",
    25, "Common options:"};

// The headings of the two ways to enqueue, over their options in --help
// (one line each: CLI11 refuses a group name with a line break).
constexpr const char* kFromOptions = "From options (the default): one execution; --workspace is required.";
constexpr const char* kFromStdin = "With --stdin: one execution per line of standard input, a JSON object (below).";

// The options of one execution (also the fields --stdin refuses beside it).
struct FieldOptions {
  std::optional<std::string> workspace, workflow, user, priority, max_attempts, payload, id;
  std::vector<std::string> tags;
};

// Everything is checked here, before connecting: a usage error needs no server.
NewExecution execution_from_options(const FieldOptions& f) {
  NewExecution e;
  const auto workspace = workspace_option(f.workspace);
  if (!workspace)
    throw UsageError(
        "--workspace is required, or --stdin to read JSON lines "
        "(see 'runstore enqueue --help')");
  e.workspace_id = *workspace;
  if (f.workflow) e.workflow_id = parse_int64(*f.workflow, "--workflow");
  e.user_id = f.user;
  e.tags = f.tags;
  if (f.priority)
    e.priority = parse_int32(*f.priority, "--priority", std::numeric_limits<std::int32_t>::min(),
                             std::numeric_limits<std::int32_t>::max());
  if (f.max_attempts)
    e.max_attempts = parse_int32(*f.max_attempts, "--max-attempts", 1, std::numeric_limits<std::int32_t>::max());
  if (f.payload) {
    auto parsed = nlohmann::json::parse(*f.payload, nullptr, /*allow_exceptions=*/false);
    if (parsed.is_discarded()) throw UsageError("--payload is not valid JSON");
    e.payload = *f.payload;
  }
  if (f.id) {
    try {
      e.id = Uuid::parse(*f.id);
    } catch (const std::invalid_argument&) {
      throw UsageError("invalid --id " + quote_word(*f.id) + " (expected a UUID)");
    }
  }
  return e;
}

int enqueue_from_stdin(Client& client, std::size_t batch_size) {
  std::vector<NewExecution> batch;
  std::size_t line_no = 0;
  std::size_t batch_first_line = 0;
  std::uint64_t inserted = 0;

  auto flush = [&]() {
    if (batch.empty()) return;
    std::vector<Uuid> ids;
    try {
      ids = client.enqueue(batch);
    } catch (const Error& e) {
      throw Error(e.sqlstate(), "lines " + std::to_string(batch_first_line) + "-" + std::to_string(line_no) +
                                    " not inserted: " + e.what() + " (" + std::to_string(inserted) +
                                    " inserted before them)");
    }
    for (const auto& id : ids) std::cout << id.to_string() << '\n';
    std::cout.flush();
    inserted += ids.size();
    batch.clear();
  };

  std::string line;
  while (std::getline(std::cin, line)) {
    ++line_no;
    if (is_blank(line)) continue;
    if (batch.empty()) batch_first_line = line_no;
    try {
      batch.push_back(parse_execution_line(line));
    } catch (const InputError& e) {
      throw std::runtime_error("line " + std::to_string(line_no) + ": " + e.what() + "; nothing from lines " +
                               std::to_string(batch_first_line) + "-" + std::to_string(line_no) + " inserted (" +
                               std::to_string(inserted) + " inserted before them)");
    }
    if (batch.size() >= batch_size) flush();
  }
  if (std::cin.bad()) throw std::runtime_error("cannot read standard input");
  flush();
  return kExitOk;
}

}  // namespace

int run_enqueue(Invocation& inv) {
  CommandLine line("enqueue", kHelp);
  FieldOptions f;
  std::optional<std::string> batch_text;
  bool from_stdin = false;
  const std::vector<CLI::Option*> fields = {
      line.value("-w,--workspace", f.workspace, "W", "workspace (bigint)"),
      line.value("-f,--workflow", f.workflow, "F", "workflow (bigint)"),
      line.value("-u,--user", f.user, "U", "user who started it"),
      line.values("-t,--tag", f.tags, "T", "a tag; repeat for more"),
      line.value("-p,--priority", f.priority, "P", "higher runs first (default 0)"),
      line.value("--max-attempts", f.max_attempts, "N", "attempts before it fails for good (default 3)"),
      line.value("--payload", f.payload, "JSON", "the input, any JSON value (checked here)"),
      line.value("--id", f.id, "UUID",
                 "use this id; an id already stored is not inserted\n"
                 "again (safe re-runs); default: a new version-7 UUID")};
  for (CLI::Option* field : fields) field->group(kFromOptions);
  line.flag("--stdin", from_stdin,
            "read the lines from standard input; without it,\n"
            "stdin is not read")
      ->group(kFromStdin);
  line.value("-b,--batch", batch_text, "N", "lines per batch, 1 to 10000 (default 500)")->group(kFromStdin);
  if (!parse_command(inv, line)) return kExitOk;
  if (!line.words().empty())
    throw UsageError("unexpected argument " + quote_word(line.words().front()) + " (see 'runstore enqueue --help')");
  if (from_stdin) {
    for (const CLI::Option* field : fields) {
      if (field->count() > 0)
        throw UsageError(field->get_name() + " cannot be combined with --stdin (each line gives its own fields)");
    }
    const std::int32_t batch = batch_text ? parse_int32(*batch_text, "--batch", 1, 10000) : 500;
    Client client = connect(inv.global);
    return enqueue_from_stdin(client, static_cast<std::size_t>(batch));
  }
  if (batch_text) throw UsageError("--batch applies to --stdin only");
  const NewExecution execution = execution_from_options(f);
  Client client = connect(inv.global);
  std::cout << client.enqueue(execution).to_string() << std::endl;
  return kExitOk;
}

}  // namespace runstore::cli
