// time_format.cpp: see time_format.hpp.
#include "time_format.hpp"

#include <cstdio>
#include <ctime>

namespace runstore::cli {

std::string format_utc(TimePoint t, bool micro_seconds) {
  if (t == TimePoint::max()) return "infinity";
  if (t == TimePoint::min()) return "-infinity";
  const long long us = t.time_since_epoch().count();
  // Floor division, so instants before 1970 keep a positive fraction.
  long long secs = us / 1000000;
  long long frac = us % 1000000;
  if (frac < 0) {
    frac += 1000000;
    secs -= 1;
  }
  const std::time_t tt = static_cast<std::time_t>(secs);
  std::tm tm{};
  if (gmtime_r(&tt, &tm) == nullptr) return "?";
  char buf[64];
  if (micro_seconds) {
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%06lldZ", tm.tm_year + 1900, tm.tm_mon + 1,
                  tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, frac);
  } else {
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                  tm.tm_hour, tm.tm_min, tm.tm_sec);
  }
  return buf;
}

}  // namespace runstore::cli
