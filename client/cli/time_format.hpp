// time_format.hpp: timestamps as UTC ISO-8601 text.
#pragma once

#include <string>

#include "runstore/execution.hpp"

namespace runstore::cli {

// "2024-05-01T12:00:00Z", or with micro_seconds "2024-05-01T12:00:00.123456Z".
// PostgreSQL's infinities print as "infinity" and "-infinity".
std::string format_utc(TimePoint t, bool micro_seconds);

}  // namespace runstore::cli
