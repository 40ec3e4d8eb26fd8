// retrying.hpp: runs one client call, retrying transient faults per a
// RetryPolicy with exponential backoff and full jitter.
#pragma once

#include <chrono>
#include <cstdint>
#include <thread>

#include "connection.hpp"
#include "runstore/errors.hpp"
#include "runstore/retry_policy.hpp"

namespace runstore::detail {

// The delay before retry number `retry` (1-based): uniform in
// [0, min(max_backoff, initial_backoff * 2^(retry-1))), whole milliseconds.
std::chrono::milliseconds full_jitter_delay(const RetryPolicy& policy, int retry);

// Calls body(reply_lost) on a connected `conn` until it returns or fails with
// a non-transient error, or the policy's budget is spent (the last error is
// then thrown).  reply_lost is true once an earlier try lost its connection
// after sending the statement: the server may have applied it, and a body
// whose call is not naturally idempotent reads the outcome back.
template <typename Body>
auto with_retries(Connection& conn, const RetryPolicy& policy, std::uint64_t& retries, Body&& body)
    -> decltype(body(false)) {
  const auto start = std::chrono::steady_clock::now();
  bool reply_lost = false;
  for (int attempt = 1;; ++attempt) {
    bool sent = false;
    try {
      if (!conn.ok()) conn.connect();
      sent = true;
      return body(reply_lost);
    } catch (const Error& e) {
      if (!e.transient()) throw;
      // A ConnectionError leaves the session in doubt even where libpq
      // still calls it open (an error it made itself, without a SQLSTATE):
      // start afresh, and count a statement already sent as maybe applied.
      const bool connection_lost = !conn.ok() || dynamic_cast<const ConnectionError*>(&e) != nullptr;
      if (connection_lost) conn.reset();
      if (sent && connection_lost) reply_lost = true;
      const auto delay = full_jitter_delay(policy, attempt);
      const auto elapsed = std::chrono::steady_clock::now() - start;
      if (attempt >= policy.max_attempts || elapsed + delay > policy.max_elapsed) throw;
      ++retries;
      std::this_thread::sleep_for(delay);
    }
  }
}

}  // namespace runstore::detail
