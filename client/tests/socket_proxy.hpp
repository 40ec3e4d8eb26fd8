// socket_proxy.hpp: a relay between clients and the test server, so a test
// can cut a connection the way a network failure does.
//
// Cutting closes the sockets without a word from the server: libpq then
// reports the loss itself ("server closed the connection unexpectedly"), an
// error that carries no SQLSTATE, unlike pg_terminate_backend's 57P01.
#pragma once

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

namespace runstore::testing {

class SocketProxy {
 public:
  // Listens on a Unix socket in a fresh temporary directory and relays each
  // connection to the server's Unix socket, $PGHOST/.s.PGSQL.$PGPORT.
  SocketProxy();
  ~SocketProxy();
  SocketProxy(const SocketProxy&) = delete;
  SocketProxy& operator=(const SocketProxy&) = delete;

  // Whether the environment names a Unix-socket server (PGHOST a directory);
  // the proxy cannot relay to anything else.
  static bool available();

  // The test database through the proxy.
  [[nodiscard]] std::string conninfo() const;

  // Closes every relayed connection, both ends, and returns once they are
  // closed.  New connections are still accepted.
  void cut();

 private:
  void serve();

  std::string dir_;
  std::string upstream_path_;
  std::string port_;
  int listen_fd_ = -1;
  int wake_[2] = {-1, -1};  // a pipe: wakes serve() for cut() and stop
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  std::condition_variable cv_;
  unsigned cuts_requested_ = 0;  // guarded by mu_
  unsigned cuts_done_ = 0;       // guarded by mu_
  std::thread thread_;
};

}  // namespace runstore::testing
