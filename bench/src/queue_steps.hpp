// queue_steps.hpp: the queue statements the benchmarks prepare, and the raw
// SQL runstore worker step (report the held batch, claim the next, in one
// pipeline) that queue_bench measures and client_bench compares
// runstore::Worker against.
#pragma once

#include <libpq-fe.h>

#include <initializer_list>
#include <string>
#include <vector>

#include "bench_support.hpp"

namespace bench {

// Executes prepared statement `name` with text parameters; throws unless it
// succeeded.
Result run(PGconn* c, const char* name, std::initializer_list<const char*> params);

// Prepares enqueue, rs_dequeue, rs_complete, the naive queue's statements
// and delete_many on `c`.
void prepare_all(PGconn* c);

struct Claimed {
  std::string id;
  std::string attempt;
};

// Completes every execution of `held` (worker `worker`) and claims up to
// `batch` more, in one pipeline; returns the executions claimed.
std::vector<Claimed> report_and_claim(PGconn* c, const std::string& worker, const std::vector<Claimed>& held,
                                      int batch);

}  // namespace bench
