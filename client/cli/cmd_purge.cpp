// cmd_purge.cpp: `runstore purge --tag T`: runstore.delete_by_tag in a loop,
// one short transaction per batch, until it deletes nothing.
#include <csignal>
#include <iostream>

#include "cli_common.hpp"
#include "commands.hpp"
#include "progress.hpp"
#include "text_util.hpp"

namespace runstore::cli {

namespace {

constexpr HelpText kHelp = {
    R"(usage: runstore purge --tag T [--workspace W] [--batch N]

Deletes every execution carrying tag T (exact match), oldest first, in
batches: each batch is its own statement and transaction, so no lock is held
for long and an interruption leaves every finished batch deleted.  While
stderr is a terminal a progress line shows the running count; at the end it
prints 'deleted N executions tagged T' on stdout.
)",
    R"(Ctrl-C (SIGINT) or SIGTERM stops after the batch in flight and prints
'interrupted: deleted N executions tagged T'.

Exit status: 0 done; 1 a server error (the batches before it stay deleted);
2 a usage error; 130 interrupted.
)"};

volatile std::sig_atomic_t g_interrupted = 0;

extern "C" void on_interrupt(int) { g_interrupted = 1; }

void install_interrupt_handlers() {
  struct sigaction sa {};
  sa.sa_handler = on_interrupt;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;  // let libpq's socket wait carry on
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
}

}  // namespace

int run_purge(Invocation& inv) {
  CommandLine line("purge", kHelp);
  std::optional<std::string> tag, workspace_text, batch_text;
  line.value("-t,--tag", tag, "T", "the tag (required)");
  line.value("-w,--workspace", workspace_text, "W", "only executions of workspace W");
  line.value("-b,--batch", batch_text, "N", "executions per batch, 1 to 1000000 (default 1000)");
  if (!parse_command(inv, line)) return kExitOk;
  if (!line.words().empty())
    throw UsageError("unexpected argument " + quote_word(line.words().front()) + " (see 'runstore purge --help')");
  if (!tag) throw UsageError("--tag is required (see 'runstore purge --help')");
  const auto workspace = workspace_option(workspace_text);
  const std::int32_t batch = batch_text ? parse_int32(*batch_text, "--batch", 1, 1000000) : 1000;

  Client client = connect(inv.global);
  install_interrupt_handlers();
  ProgressLine progress;
  const std::string shown_tag = one_line(*tag);
  std::uint64_t total = 0;
  try {
    while (g_interrupted == 0) {
      const auto gone = client.delete_by_tag(*tag, batch, workspace);
      if (gone.empty()) break;
      total += gone.size();
      progress.update("purging " + quote_word(*tag), total);
    }
  } catch (const Error& e) {
    progress.finish();
    // The batches already committed stay deleted: the one error line says
    // how many.
    throw Error(e.sqlstate(), std::string(e.what()) + " (after deleting " + std::to_string(total) +
                                  " executions tagged " + shown_tag + ")");
  }
  progress.finish();
  if (g_interrupted != 0) {
    std::cout << "interrupted: deleted " << total << " executions tagged " << shown_tag << std::endl;
    return 130;
  }
  std::cout << "deleted " << total << " executions tagged " << shown_tag << std::endl;
  return kExitOk;
}

}  // namespace runstore::cli
