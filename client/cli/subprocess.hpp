// subprocess.hpp: runs one command (no shell) with data on its stdin,
// collecting its stdout and the tail of its stderr, and stopping it when
// asked.  Safe to call from several threads at once.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <string>
#include <vector>

namespace runstore::cli {

struct SubprocessSpec {
  std::vector<std::string> argv;       // argv[0] is looked up in PATH (execvp rules)
  std::vector<std::string> extra_env;  // "NAME=value", added to (or replacing in) ours
  std::string stdin_data;              // written, then stdin is closed
  std::size_t max_stdout = 16u << 20;  // beyond this, output is discarded (overflow)
  std::size_t stderr_tail = 2048;      // bytes of stderr kept, the last ones
  // After SIGTERM, how long the process group has before SIGKILL.
  std::chrono::milliseconds grace{10000};
};

struct SubprocessResult {
  bool started = false;
  std::string start_error;  // why it could not be started (exec failed)
  int exit_code = -1;       // when it exited
  int term_signal = 0;      // when a signal killed it
  bool stop_sent = false;   // should_stop() became true and it was signalled
  bool stdout_overflow = false;
  std::string out;
  std::string err_tail;
};

// Starts the command in a process group of its own (a Ctrl-C meant for us
// must not kill it mid-job: we decide when it stops), waits for it, and
// polls should_stop() about ten times a second; once true, the group gets
// SIGTERM and, after spec.grace, SIGKILL.  Returns once the child is reaped.
SubprocessResult run_subprocess(const SubprocessSpec& spec, const std::function<bool()>& should_stop);

// Whether argv0 names an executable: a path as given, else found in PATH.
bool command_exists(const std::string& argv0);

}  // namespace runstore::cli
