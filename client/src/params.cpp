// params.cpp: see params.hpp.
#include "params.hpp"

#include <limits>
#include <stdexcept>

namespace runstore::detail {

void append_be(std::string& out, std::uint64_t v, int bytes) {
  for (int shift = (bytes - 1) * 8; shift >= 0; shift -= 8) {
    out.push_back(static_cast<char>((v >> shift) & 0xFF));
  }
}

namespace {

constexpr std::int64_t kPgEpochUnixMicros = 946684800LL * 1000000LL;  // 2000-01-01

std::int32_t checked_length(std::size_t n, const char* what) {
  if (n > static_cast<std::size_t>(std::numeric_limits<std::int32_t>::max())) {
    throw std::length_error(std::string(what) + " too long for one parameter");
  }
  return static_cast<std::int32_t>(n);
}

}  // namespace

std::string binary_int4(std::int32_t v) {
  std::string s;
  append_be(s, static_cast<std::uint32_t>(v), 4);
  return s;
}

std::string binary_int8(std::int64_t v) {
  std::string s;
  append_be(s, static_cast<std::uint64_t>(v), 8);
  return s;
}

std::string binary_timestamptz(TimePoint t) {
  std::int64_t pg;
  if (t == TimePoint::max()) {
    pg = std::numeric_limits<std::int64_t>::max();  // 'infinity'
  } else if (t == TimePoint::min()) {
    pg = std::numeric_limits<std::int64_t>::min();  // '-infinity'
  } else {
    pg = t.time_since_epoch().count() - kPgEpochUnixMicros;
  }
  return binary_int8(pg);
}

std::string binary_jsonb(std::string_view json_text) {
  std::string s;
  s.reserve(json_text.size() + 1);
  s.push_back('\1');  // jsonb binary format version
  s.append(json_text);
  return s;
}

Params& Params::add(unsigned type, std::optional<std::string> binary) {
  types_.push_back(type);
  lengths_.push_back(binary ? checked_length(binary->size(), "value") : 0);
  formats_.push_back(1);
  values_.push_back(std::move(binary));
  return *this;
}

Params& Params::null(unsigned type) { return add(type, std::nullopt); }
Params& Params::boolean(bool v) { return add(oid::kBool, std::string(1, v ? '\1' : '\0')); }
Params& Params::int4(std::int32_t v) { return add(oid::kInt4, binary_int4(v)); }
Params& Params::int8(std::int64_t v) { return add(oid::kInt8, binary_int8(v)); }
Params& Params::text(std::string_view v) { return add(oid::kText, std::string(v)); }
Params& Params::jsonb(std::string_view json_text) { return add(oid::kJsonb, binary_jsonb(json_text)); }
Params& Params::uuid(const Uuid& v) {
  return add(oid::kUuid, std::string(reinterpret_cast<const char*>(v.bytes().data()), v.bytes().size()));
}

Params& Params::timestamptz(TimePoint t) { return add(oid::kTimestamptz, binary_timestamptz(t)); }

Params& Params::interval(std::chrono::microseconds v) {
  std::string s;
  append_be(s, static_cast<std::uint64_t>(v.count()), 8);  // time part, microseconds
  append_be(s, 0, 4);                                      // days
  append_be(s, 0, 4);                                      // months
  return add(oid::kInterval, std::move(s));
}

Params& Params::uuid_array(const std::vector<Uuid>& v) {
  std::vector<std::optional<std::string>> elements;
  elements.reserve(v.size());
  for (const Uuid& id : v) {
    elements.emplace_back(std::string(reinterpret_cast<const char*>(id.bytes().data()), id.bytes().size()));
  }
  return array(oid::kUuidArray, oid::kUuid, elements);
}

Params& Params::int4_array(const std::vector<std::int32_t>& v) {
  std::vector<std::optional<std::string>> elements;
  elements.reserve(v.size());
  for (std::int32_t x : v) elements.emplace_back(binary_int4(x));
  return array(oid::kInt4Array, oid::kInt4, elements);
}

Params& Params::int8_array_or_null(const std::vector<std::optional<std::int64_t>>& v) {
  std::vector<std::optional<std::string>> elements;
  elements.reserve(v.size());
  bool any = false;
  for (const auto& x : v) {
    any = any || x.has_value();
    elements.push_back(x ? std::optional<std::string>(binary_int8(*x)) : std::nullopt);
  }
  if (!any) return null(oid::kInt8Array);
  return array(oid::kInt8Array, oid::kInt8, elements);
}

std::optional<std::string> optional_binary(bool present, std::string value) {
  if (!present) return std::nullopt;
  return value;
}

std::string binary_array(unsigned element_type, const std::vector<std::optional<std::string>>& elements) {
  // array_recv's format: ndim, has-nulls flag, element type, then per
  // dimension (length, lower bound), then each element as length + bytes
  // (length -1 for NULL).  An empty array has no dimensions.
  std::string s;
  bool has_nulls = false;
  for (const auto& e : elements) has_nulls = has_nulls || !e;
  const std::int32_t n = checked_length(elements.size(), "array");
  append_be(s, n == 0 ? 0 : 1, 4);
  append_be(s, has_nulls ? 1 : 0, 4);
  append_be(s, element_type, 4);
  if (n > 0) {
    append_be(s, static_cast<std::uint32_t>(n), 4);
    append_be(s, 1, 4);
  }
  for (const auto& e : elements) {
    if (!e) {
      append_be(s, static_cast<std::uint32_t>(-1), 4);
      continue;
    }
    append_be(s, static_cast<std::uint32_t>(checked_length(e->size(), "array element")), 4);
    s.append(*e);
  }
  return s;
}

Params& Params::array(unsigned array_type, unsigned element_type,
                      const std::vector<std::optional<std::string>>& elements) {
  return add(array_type, binary_array(element_type, elements));
}

std::vector<const char*> Params::values() const {
  std::vector<const char*> out;
  out.reserve(values_.size());
  for (const auto& v : values_) out.push_back(v ? v->data() : nullptr);
  return out;
}

}  // namespace runstore::detail
