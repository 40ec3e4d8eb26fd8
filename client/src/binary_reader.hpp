// binary_reader.hpp: decoders for PostgreSQL's binary wire format.
//
// Binary results skip the server's output functions and the client's text
// parsing: a uuid is 16 bytes instead of 36 characters to parse, a timestamptz
// is one big-endian integer.  Each decoder checks the length it is given and
// throws std::runtime_error on a malformed value rather than read past it.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "runstore/execution.hpp"
#include "runstore/uuid.hpp"

namespace runstore::detail {

std::int32_t decode_int4(std::string_view v);
std::int64_t decode_int8(std::string_view v);
Uuid decode_uuid(std::string_view v);
// timestamptz: microseconds since 2000-01-01 00:00 UTC; +/-infinity map to
// TimePoint::max()/min().
TimePoint decode_timestamptz(std::string_view v);
// interval: microseconds, then days, then months; a day counts 24 hours and
// a month 30 days, as PostgreSQL compares intervals.  Throws when the total
// does not fit in 64 bits of microseconds.
std::chrono::microseconds decode_interval(std::string_view v);
// jsonb: a version byte (1) followed by the JSON text.
std::string decode_jsonb(std::string_view v);
// text[] of one dimension (or none, for '{}'); NULL elements are refused:
// runstore never stores them in tags.
std::vector<std::string> decode_text_array(std::string_view v);

// Big-endian writers, for building binary parameters.
void append_int4(std::string& out, std::int32_t value);

}  // namespace runstore::detail
