// subprocess.cpp: see subprocess.hpp.
//
// fork + execvpe with everything the child needs (argv, envp) built before
// the fork: in a multithreaded parent the child may only make
// async-signal-safe calls until exec.  Every pipe is O_CLOEXEC, so a child
// started by another slot never inherits (and holds open) this one's pipes.
#include "subprocess.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <stdexcept>

extern char** environ;

namespace runstore::cli {

namespace {

using Clock = std::chrono::steady_clock;

class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() { reset(); }
  [[nodiscard]] int get() const { return fd_; }
  [[nodiscard]] bool open() const { return fd_ >= 0; }
  void reset(int fd = -1) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
  }

 private:
  int fd_ = -1;
};

struct Pipe {
  Fd read;
  Fd write;
};

void make_pipe(Pipe& p) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error(std::string("pipe: ") + std::strerror(errno));
  p.read.reset(fds[0]);
  p.write.reset(fds[1]);
}

void set_nonblocking(int fd) {
  const int flags = fcntl(fd, F_GETFL);
  if (flags >= 0) fcntl(fd, F_SETFL, flags | O_NONBLOCK);
}

// The environment for the child: ours, with extra_env's names replaced.
std::vector<std::string> child_environment(const std::vector<std::string>& extra) {
  std::vector<std::string> env;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    const std::string entry(*e);
    const std::string name = entry.substr(0, entry.find('='));
    bool replaced = false;
    for (const auto& x : extra)
      if (x.compare(0, name.size() + 1, name + "=") == 0) replaced = true;
    if (!replaced) env.push_back(entry);
  }
  env.insert(env.end(), extra.begin(), extra.end());
  return env;
}

std::vector<char*> c_array(std::vector<std::string>& v) {
  std::vector<char*> out;
  out.reserve(v.size() + 1);
  for (auto& s : v) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

// Only async-signal-safe calls from here to exec.
[[noreturn]] void exec_child(char* const* argv, char* const* envp, int in, int out, int err, int status_fd,
                             pid_t parent) {
  setpgid(0, 0);
#ifdef __linux__
  // Should the worker die without reaping us, do not run on unsupervised.
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (getppid() != parent) _exit(127);
#else
  (void)parent;
#endif
  // Ignored signals stay ignored across exec, and the mask is inherited:
  // give the command the defaults it expects.
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  sigemptyset(&dfl.sa_mask);
  for (int sig : {SIGPIPE, SIGINT, SIGTERM, SIGQUIT, SIGHUP, SIGCHLD}) sigaction(sig, &dfl, nullptr);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);

  if (dup2(in, STDIN_FILENO) < 0 || dup2(out, STDOUT_FILENO) < 0 || dup2(err, STDERR_FILENO) < 0) {
    const int e = errno;
    (void)!write(status_fd, &e, sizeof e);
    _exit(127);
  }
  execvpe(argv[0], argv, envp);
  const int e = errno;
  (void)!write(status_fd, &e, sizeof e);
  _exit(127);
}

void keep_tail(std::string& s, std::size_t n) {
  // Trim in bulk (not per read) to keep this linear.
  if (s.size() > 2 * n + 4096) s.erase(0, s.size() - n);
}

}  // namespace

bool command_exists(const std::string& argv0) {
  auto executable = [](const std::string& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(path.c_str(), X_OK) == 0;
  };
  if (argv0.empty()) return false;
  if (argv0.find('/') != std::string::npos) return executable(argv0);
  const char* path = std::getenv("PATH");
  std::string dirs = path != nullptr ? path : "/usr/local/bin:/usr/bin:/bin";
  std::size_t start = 0;
  for (;;) {
    const std::size_t colon = dirs.find(':', start);
    std::string dir = dirs.substr(start, colon == std::string::npos ? std::string::npos : colon - start);
    if (dir.empty()) dir = ".";
    if (executable(dir + "/" + argv0)) return true;
    if (colon == std::string::npos) return false;
    start = colon + 1;
  }
}

SubprocessResult run_subprocess(const SubprocessSpec& spec, const std::function<bool()>& should_stop) {
  SubprocessResult r;
  if (spec.argv.empty()) {
    r.start_error = "no command";
    return r;
  }
  std::vector<std::string> argv_s = spec.argv;
  std::vector<std::string> env_s = child_environment(spec.extra_env);
  std::vector<char*> argv = c_array(argv_s);
  std::vector<char*> envp = c_array(env_s);

  Pipe in, out, err, status;
  make_pipe(in);
  make_pipe(out);
  make_pipe(err);
  make_pipe(status);

  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid < 0) {
    r.start_error = std::string("fork: ") + std::strerror(errno);
    return r;
  }
  if (pid == 0) {
    exec_child(argv.data(), envp.data(), in.read.get(), out.write.get(), err.write.get(), status.write.get(), parent);
  }
  // Also here: whichever of parent and child runs first, the group exists
  // before we might signal it.
  setpgid(pid, pid);
  in.read.reset();
  out.write.reset();
  err.write.reset();
  status.write.reset();

  // The status pipe closes on a successful exec (O_CLOEXEC) or carries errno.
  int exec_errno = 0;
  ssize_t n;
  do {
    n = ::read(status.read.get(), &exec_errno, sizeof exec_errno);
  } while (n < 0 && errno == EINTR);
  status.read.reset();
  if (n == static_cast<ssize_t>(sizeof exec_errno)) {
    int ws = 0;
    while (waitpid(pid, &ws, 0) < 0 && errno == EINTR) {
    }
    r.start_error = "cannot run " + spec.argv.front() + ": " + std::strerror(exec_errno);
    return r;
  }
  r.started = true;

  set_nonblocking(in.write.get());
  set_nonblocking(out.read.get());
  set_nonblocking(err.read.get());
  std::size_t written = 0;
  if (spec.stdin_data.empty()) in.write.reset();

  Clock::time_point term_at{};
  bool killed = false;
  int wait_status = 0;

  auto drain = [&](Fd& fd, bool is_stdout) {
    char buf[65536];
    for (;;) {
      const ssize_t got = ::read(fd.get(), buf, sizeof buf);
      if (got > 0) {
        if (is_stdout) {
          if (r.out.size() + static_cast<std::size_t>(got) > spec.max_stdout) {
            r.stdout_overflow = true;  // keep reading (discarding) so the child is not blocked
          } else {
            r.out.append(buf, static_cast<std::size_t>(got));
          }
        } else {
          r.err_tail.append(buf, static_cast<std::size_t>(got));
          keep_tail(r.err_tail, spec.stderr_tail);
        }
        continue;
      }
      if (got == 0)
        fd.reset();  // EOF
      else if (errno == EINTR)
        continue;
      return;  // EAGAIN (or an error: treat as nothing more for now)
    }
  };

  for (;;) {  // until the command is reaped
    std::vector<pollfd> fds;
    if (in.write.open()) fds.push_back({in.write.get(), POLLOUT, 0});
    if (out.read.open()) fds.push_back({out.read.get(), POLLIN, 0});
    if (err.read.open()) fds.push_back({err.read.get(), POLLIN, 0});
    if (!fds.empty()) {
      ::poll(fds.data(), fds.size(), 100);
    } else {
      ::usleep(50 * 1000);  // both outputs closed: only the exit is left to see
    }
    if (in.write.open()) {
      const ssize_t w = ::write(in.write.get(), spec.stdin_data.data() + written, spec.stdin_data.size() - written);
      if (w > 0) written += static_cast<std::size_t>(w);
      // EPIPE: the command does not read its input; that is its business.
      if ((w < 0 && errno != EAGAIN && errno != EINTR) || written == spec.stdin_data.size()) in.write.reset();
    }
    if (out.read.open()) drain(out.read, true);
    if (err.read.open()) drain(err.read, false);

    const pid_t w = waitpid(pid, &wait_status, WNOHANG);
    if (w == pid) {
      // What it wrote before exiting is in the pipes: take it.  Background
      // processes it left holding the pipes open are not waited for.
      if (out.read.open()) drain(out.read, true);
      if (err.read.open()) drain(err.read, false);
      break;
    }
    if (!r.stop_sent && should_stop()) {
      r.stop_sent = true;
      term_at = Clock::now();
      ::kill(-pid, SIGTERM);
    } else if (r.stop_sent && !killed && Clock::now() - term_at >= spec.grace) {
      killed = true;
      ::kill(-pid, SIGKILL);
    }
  }

  if (WIFEXITED(wait_status)) r.exit_code = WEXITSTATUS(wait_status);
  if (WIFSIGNALED(wait_status)) r.term_signal = WTERMSIG(wait_status);
  if (r.err_tail.size() > spec.stderr_tail) r.err_tail.erase(0, r.err_tail.size() - spec.stderr_tail);
  return r;
}

}  // namespace runstore::cli
