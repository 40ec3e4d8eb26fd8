// args.cpp: see args.hpp.
#include "args.hpp"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <limits>

#include "text_util.hpp"

namespace runstore::cli {

std::int64_t parse_int64(const std::string& text, const std::string& what) {
  // strtoll alone accepts leading blanks, "+" and trailing junk; refuse them.
  bool shape_ok = !text.empty() && text.size() <= 20;
  for (std::size_t i = 0; shape_ok && i < text.size(); ++i) {
    const char c = text[i];
    shape_ok = (c >= '0' && c <= '9') || (i == 0 && c == '-' && text.size() > 1);
  }
  if (shape_ok) {
    errno = 0;
    char* end = nullptr;
    const long long v = std::strtoll(text.c_str(), &end, 10);
    if (errno == 0 && end != nullptr && *end == '\0') return v;
  }
  throw UsageError("invalid " + what + ": " + quote_word(text) + " (expected an integer)");
}

std::int32_t parse_int32(const std::string& text, const std::string& what, std::int32_t min, std::int32_t max) {
  std::int64_t v = 0;
  try {
    v = parse_int64(text, what);
  } catch (const UsageError&) {
    v = std::numeric_limits<std::int64_t>::min();
  }
  if (v < min || v > max) {
    throw UsageError("invalid " + what + ": " + quote_word(text) + " (expected an integer from " + std::to_string(min) +
                     " to " + std::to_string(max) + ")");
  }
  return static_cast<std::int32_t>(v);
}

std::int64_t parse_seconds_ms(const std::string& text, const std::string& what) {
  errno = 0;
  char* end = nullptr;
  const double v = text.empty() ? 0.0 : std::strtod(text.c_str(), &end);
  // At most a week: longer than any lease runstore accepts.
  const bool ok = !text.empty() && errno == 0 && end != nullptr && *end == '\0' && std::isfinite(v) && v >= 0.001 &&
                  v <= 7 * 24 * 3600.0;
  if (!ok) {
    throw UsageError("invalid " + what + ": " + quote_word(text) + " (expected seconds, from 0.001 to 604800)");
  }
  return static_cast<std::int64_t>(std::llround(v * 1000.0));
}

}  // namespace runstore::cli
