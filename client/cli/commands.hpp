// commands.hpp: the commands main() dispatches to, one source file each.
#pragma once

#include "cli_common.hpp"

namespace runstore::cli {

struct CommandEntry {
  const char* name;
  const char* summary;  // one line for `runstore --help`
  int (*run)(Invocation& inv);
};

int run_status(Invocation& inv);   // cmd_status.cpp
int run_recent(Invocation& inv);   // cmd_recent.cpp
int run_stats(Invocation& inv);    // cmd_stats.cpp
int run_delete(Invocation& inv);   // cmd_delete.cpp
int run_purge(Invocation& inv);    // cmd_purge.cpp
int run_enqueue(Invocation& inv);  // cmd_enqueue.cpp
int run_worker(Invocation& inv);   // cmd_worker.cpp

}  // namespace runstore::cli
