// worker_heartbeat.hpp: the thread that keeps the worker's leases alive.
//
// Every `interval` (a third of the lease by default, so two beats may fail
// before a lease ends) it extends every held lease in one
// runstore.heartbeat call, on a connection of its own: a slow handler or a
// busy claim loop never delays it.  An id missing from the answer is a
// lease lost (expired and claimed again, or cancelled): its handler is told
// and its outcome will not be written.
#pragma once

#include <chrono>
#include <string>

#include "runstore/client.hpp"
#include "worker_ledger.hpp"
#include "worker_support.hpp"

namespace runstore::detail {

class Heartbeat {
 public:
  struct Settings {
    std::string worker;
    std::chrono::milliseconds lease;
    std::chrono::milliseconds interval;
  };
  // Starts beating at once; destruction stops it (stop()).
  Heartbeat(Settings settings, ClientOptions client, Ledger& ledger, WorkerCounters& counters, const WorkerLog& log);

  void stop() { thread_.stop(); }

 private:
  void thread_main(StopToken& stop);
  void beat();

  Settings settings_;
  LazyClient client_;
  Ledger& ledger_;
  WorkerCounters& counters_;
  const WorkerLog& log_;
  StoppableThread thread_;  // last: starts once everything above is ready
};

}  // namespace runstore::detail
