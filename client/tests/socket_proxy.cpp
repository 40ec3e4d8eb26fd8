// socket_proxy.cpp: see socket_proxy.hpp.
#include "socket_proxy.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <system_error>
#include <utility>
#include <vector>

#include "test_database.hpp"

namespace runstore::testing {

namespace {

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v != nullptr ? v : "";
}

[[noreturn]] void fail(const std::string& what) { throw std::system_error(errno, std::generic_category(), what); }

// A Unix stream socket listening at `path`, or connected to it.
int unix_socket(const std::string& path, bool listening) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof addr.sun_path) throw std::runtime_error("socket path too long: " + path);
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) fail("socket");
  const auto* a = reinterpret_cast<const sockaddr*>(&addr);
  const bool ok =
      listening ? ::bind(fd, a, sizeof addr) == 0 && ::listen(fd, 16) == 0 : ::connect(fd, a, sizeof addr) == 0;
  if (!ok) {
    const int err = errno;
    ::close(fd);
    errno = err;
    fail((listening ? "listen at " : "connect to ") + path);
  }
  return fd;
}

// Copies what `from` has to `to`; false at the end of the stream or on error.
bool relay(int from, int to) {
  char buf[16384];
  const ssize_t n = ::read(from, buf, sizeof buf);
  if (n <= 0) return false;
  for (ssize_t off = 0; off < n;) {
    const ssize_t w = ::send(to, buf + off, static_cast<std::size_t>(n - off), MSG_NOSIGNAL);
    if (w <= 0) return false;
    off += w;
  }
  return true;
}

struct Relayed {
  int client;
  int server;
  void close() const {
    ::close(client);
    ::close(server);
  }
};

}  // namespace

bool SocketProxy::available() {
  const std::string host = env("PGHOST");
  return !host.empty() && host.front() == '/';
}

SocketProxy::SocketProxy() {
  if (!available()) throw std::runtime_error("PGHOST does not name a socket directory");
  port_ = env("PGPORT").empty() ? "5432" : env("PGPORT");
  upstream_path_ = env("PGHOST") + "/.s.PGSQL." + port_;
  char dir[] = "/tmp/runstore-proxy-XXXXXX";
  if (::mkdtemp(dir) == nullptr) fail("mkdtemp");
  dir_ = dir;
  listen_fd_ = unix_socket(dir_ + "/.s.PGSQL." + port_, true);
  if (::pipe2(wake_, O_CLOEXEC) != 0) fail("pipe2");
  thread_ = std::thread([this] { serve(); });
}

SocketProxy::~SocketProxy() {
  stop_ = true;
  (void)!::write(wake_[1], "s", 1);
  thread_.join();
  ::close(listen_fd_);
  ::close(wake_[0]);
  ::close(wake_[1]);
  ::unlink((dir_ + "/.s.PGSQL." + port_).c_str());
  ::rmdir(dir_.c_str());
}

std::string SocketProxy::conninfo() const { return test_conninfo() + " host=" + dir_ + " port=" + port_; }

void SocketProxy::cut() {
  std::unique_lock<std::mutex> lock(mu_);
  const unsigned ticket = ++cuts_requested_;
  (void)!::write(wake_[1], "c", 1);
  cv_.wait(lock, [&] { return cuts_done_ >= ticket; });
}

void SocketProxy::serve() {
  std::vector<Relayed> relayed;
  while (!stop_) {
    std::vector<pollfd> fds{{listen_fd_, POLLIN, 0}, {wake_[0], POLLIN, 0}};
    for (const auto& r : relayed) {
      fds.push_back({r.client, POLLIN, 0});
      fds.push_back({r.server, POLLIN, 0});
    }
    if (::poll(fds.data(), fds.size(), -1) < 0) continue;  // EINTR
    if (fds[1].revents != 0) {
      char drain[64];
      (void)!::read(wake_[0], drain, sizeof drain);
      std::lock_guard<std::mutex> lock(mu_);
      if (cuts_done_ < cuts_requested_) {
        for (const auto& r : relayed) r.close();
        relayed.clear();
        cuts_done_ = cuts_requested_;
        cv_.notify_all();
      }
      continue;
    }
    std::vector<Relayed> still_open;
    for (std::size_t i = 0; i < relayed.size(); ++i) {
      const Relayed& r = relayed[i];
      const bool client_ok = fds[2 + 2 * i].revents == 0 || relay(r.client, r.server);
      const bool server_ok = fds[3 + 2 * i].revents == 0 || relay(r.server, r.client);
      if (client_ok && server_ok) {
        still_open.push_back(r);
      } else {
        r.close();
      }
    }
    relayed = std::move(still_open);
    if (fds[0].revents != 0) {
      const int client = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (client < 0) continue;
      try {
        relayed.push_back({client, unix_socket(upstream_path_, false)});
      } catch (const std::exception&) {
        ::close(client);  // the client sees the server as unreachable
      }
    }
  }
  for (const auto& r : relayed) r.close();
}

}  // namespace runstore::testing
