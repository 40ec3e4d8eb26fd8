// progress.hpp: a self-overwriting progress line on stderr, shown only when
// stderr is a terminal (in a log file it would be noise).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace runstore::cli {

class ProgressLine {
 public:
  ProgressLine();  // enabled iff stderr is a tty
  // Redraws "<label>: N done (R/s)" at most ten times a second.
  void update(const std::string& label, std::uint64_t done);
  // Erases the line, so the final message starts on a clean line.
  void finish();

 private:
  bool enabled_ = false;
  bool drawn_ = false;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_draw_;
};

// "1234567" -> "1,234,567"
std::string with_thousands(std::uint64_t n);

}  // namespace runstore::cli
