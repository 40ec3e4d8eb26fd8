// binary_reader.cpp: see binary_reader.hpp.
#include "binary_reader.hpp"

#include <cstring>
#include <limits>
#include <stdexcept>

namespace runstore::detail {

namespace {

// Seconds from the Unix epoch to PostgreSQL's (2000-01-01).
constexpr std::int64_t kPgEpochUnixMicros = 946684800LL * 1000000LL;

void need(std::string_view v, std::size_t n, const char* what) {
  if (v.size() < n) {
    throw std::runtime_error(std::string("malformed binary ") + what + " value from the server");
  }
}

std::uint64_t read_be(const char* p, int bytes) {
  std::uint64_t x = 0;
  for (int i = 0; i < bytes; ++i) x = (x << 8) | static_cast<unsigned char>(p[i]);
  return x;
}

}  // namespace

std::int32_t decode_int4(std::string_view v) {
  if (v.size() != 4) throw std::runtime_error("malformed binary int4 value from the server");
  return static_cast<std::int32_t>(static_cast<std::uint32_t>(read_be(v.data(), 4)));
}

std::int64_t decode_int8(std::string_view v) {
  if (v.size() != 8) throw std::runtime_error("malformed binary int8 value from the server");
  return static_cast<std::int64_t>(read_be(v.data(), 8));
}

Uuid decode_uuid(std::string_view v) {
  if (v.size() != 16) throw std::runtime_error("malformed binary uuid value from the server");
  Uuid::Bytes b{};
  std::memcpy(b.data(), v.data(), b.size());
  return Uuid(b);
}

TimePoint decode_timestamptz(std::string_view v) {
  const std::int64_t pg = decode_int8(v);
  if (pg == std::numeric_limits<std::int64_t>::max()) return TimePoint::max();
  if (pg == std::numeric_limits<std::int64_t>::min()) return TimePoint::min();
  return TimePoint(std::chrono::microseconds(pg + kPgEpochUnixMicros));
}

std::chrono::microseconds decode_interval(std::string_view v) {
  if (v.size() != 16) throw std::runtime_error("malformed binary interval value from the server");
  constexpr std::int64_t kDayMicros = 86400LL * 1000000LL;
  const auto time = static_cast<std::int64_t>(read_be(v.data(), 8));
  const auto days = static_cast<std::int32_t>(static_cast<std::uint32_t>(read_be(v.data() + 8, 4)));
  const auto months = static_cast<std::int32_t>(static_cast<std::uint32_t>(read_be(v.data() + 12, 4)));
  std::int64_t day_part = 0, month_part = 0, total = 0;
  if (__builtin_mul_overflow(static_cast<std::int64_t>(days), kDayMicros, &day_part) ||
      __builtin_mul_overflow(static_cast<std::int64_t>(months), 30 * kDayMicros, &month_part) ||
      __builtin_add_overflow(time, day_part, &total) || __builtin_add_overflow(total, month_part, &total)) {
    throw std::runtime_error("interval from the server out of range for microseconds");
  }
  return std::chrono::microseconds(total);
}

std::string decode_jsonb(std::string_view v) {
  need(v, 1, "jsonb");
  if (v[0] != 1) throw std::runtime_error("unsupported jsonb binary version from the server");
  return std::string(v.substr(1));
}

std::vector<std::string> decode_text_array(std::string_view v) {
  need(v, 12, "array");
  const auto ndim = static_cast<std::int32_t>(read_be(v.data(), 4));
  std::vector<std::string> out;
  if (ndim == 0) return out;
  if (ndim != 1) throw std::runtime_error("expected a one-dimensional text[] from the server");
  need(v, 20, "array");
  const auto count = static_cast<std::int32_t>(read_be(v.data() + 12, 4));
  if (count < 0) throw std::runtime_error("malformed binary array from the server");
  std::size_t pos = 20;
  out.reserve(static_cast<std::size_t>(count));
  for (std::int32_t i = 0; i < count; ++i) {
    need(v, pos + 4, "array");
    const auto len = static_cast<std::int32_t>(read_be(v.data() + pos, 4));
    pos += 4;
    if (len < 0) throw std::runtime_error("unexpected NULL element in text[] from the server");
    need(v, pos + static_cast<std::size_t>(len), "array");
    out.emplace_back(v.substr(pos, static_cast<std::size_t>(len)));
    pos += static_cast<std::size_t>(len);
  }
  return out;
}

void append_int4(std::string& out, std::int32_t value) {
  const auto u = static_cast<std::uint32_t>(value);
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<char>((u >> shift) & 0xFF));
}

}  // namespace runstore::detail
