// worker_wakeup.cpp: see worker_wakeup.hpp.
#include "worker_wakeup.hpp"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <system_error>

namespace runstore::detail {

Wakeup::Wakeup() {
  int fds[2];
  if (pipe2(fds, O_NONBLOCK | O_CLOEXEC) != 0) {
    throw std::system_error(errno, std::generic_category(), "runstore worker: pipe2");
  }
  read_fd_ = fds[0];
  write_fd_ = fds[1];
}

Wakeup::~Wakeup() {
  close(read_fd_);
  close(write_fd_);
}

void Wakeup::ring() const noexcept {
  const int saved = errno;  // a signal handler must leave errno as it found it
  const char byte = 1;
  [[maybe_unused]] const ssize_t n = write(write_fd_, &byte, 1);
  errno = saved;
}

bool Wakeup::wait(std::chrono::milliseconds timeout) const {
  const auto ms = timeout.count() < 0 ? 0 : (timeout.count() > INT_MAX ? INT_MAX : timeout.count());
  pollfd p{read_fd_, POLLIN, 0};
  const int r = poll(&p, 1, static_cast<int>(ms));
  if (r <= 0) return r < 0 && errno == EINTR;  // a signal may have been request_stop()
  char buf[256];
  while (read(read_fd_, buf, sizeof buf) > 0) {
  }
  return true;
}

}  // namespace runstore::detail
