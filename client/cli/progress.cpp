// progress.cpp: see progress.hpp.
#include "progress.hpp"

#include <unistd.h>

#include <cstdio>

namespace runstore::cli {

std::string with_thousands(std::uint64_t n) {
  std::string digits = std::to_string(n);
  std::string out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

ProgressLine::ProgressLine()
    : enabled_(isatty(STDERR_FILENO) == 1),
      start_(std::chrono::steady_clock::now()),
      last_draw_(start_ - std::chrono::seconds(1)) {}

void ProgressLine::update(const std::string& label, std::uint64_t done) {
  if (!enabled_) return;
  const auto now = std::chrono::steady_clock::now();
  if (now - last_draw_ < std::chrono::milliseconds(100)) return;
  last_draw_ = now;
  const double secs = std::chrono::duration<double>(now - start_).count();
  const auto rate = secs > 0.05 ? static_cast<std::uint64_t>(static_cast<double>(done) / secs) : 0;
  // The total is unknown (counting first would read every tagged row once
  // more), so this is a running count with a rate, not a bar.
  std::string line = label + ": " + with_thousands(done) + " deleted";
  if (rate > 0) line += " (" + with_thousands(rate) + "/s)";
  // \r returns to column 0, \033[K clears what a longer earlier line left.
  std::fprintf(stderr, "\r\033[K%s", line.c_str());
  std::fflush(stderr);
  drawn_ = true;
}

void ProgressLine::finish() {
  if (enabled_ && drawn_) {
    std::fputs("\r\033[K", stderr);
    std::fflush(stderr);
  }
  drawn_ = false;
}

}  // namespace runstore::cli
