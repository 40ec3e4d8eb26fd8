// params.hpp: a statement's bound parameters, in PostgreSQL's binary format.
//
// Every parameter goes over the wire in binary with its type fixed by OID, so
// the server neither parses text nor infers types, and no value is ever
// spliced into SQL text.  A Params is built in parameter order ($1, $2, ...).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "runstore/execution.hpp"
#include "runstore/uuid.hpp"

namespace runstore::detail {

// The OIDs of the built-in types the client binds (pg_type.h).
namespace oid {
constexpr unsigned kBool = 16, kBoolArray = 1000, kInt8 = 20, kInt4 = 23, kText = 25, kInt4Array = 1007,
                   kTextArray = 1009, kInt8Array = 1016, kTimestamptz = 1184, kTimestamptzArray = 1185,
                   kInterval = 1186, kUuid = 2950, kUuidArray = 2951, kJsonb = 3802, kJsonbArray = 3807;
}  // namespace oid

class Params {
 public:
  Params& null(unsigned type);
  Params& boolean(bool v);
  Params& int4(std::int32_t v);
  Params& int8(std::int64_t v);
  Params& text(std::string_view v);
  Params& jsonb(std::string_view json_text);
  Params& uuid(const Uuid& v);
  Params& interval(std::chrono::microseconds v);
  Params& timestamptz(TimePoint t);
  Params& uuid_array(const std::vector<Uuid>& v);
  Params& int4_array(const std::vector<std::int32_t>& v);
  // An int8[] with NULL for each missing value; NULL itself when none has one.
  Params& int8_array_or_null(const std::vector<std::optional<std::int64_t>>& v);

  // A one-dimensional array of `element_type`, each element already in its
  // binary form (nullopt = SQL NULL).
  Params& array(unsigned array_type, unsigned element_type, const std::vector<std::optional<std::string>>& elements);

  // Views for libpq; valid while this Params lives and is not changed.
  [[nodiscard]] int count() const { return static_cast<int>(types_.size()); }
  [[nodiscard]] const unsigned* types() const { return types_.data(); }
  [[nodiscard]] std::vector<const char*> values() const;
  [[nodiscard]] const int* lengths() const { return lengths_.data(); }
  [[nodiscard]] const int* formats() const { return formats_.data(); }

 private:
  Params& add(unsigned type, std::optional<std::string> binary);

  std::vector<unsigned> types_;
  std::vector<std::optional<std::string>> values_;
  std::vector<int> lengths_;
  std::vector<int> formats_;
};

// Appends the low `bytes` bytes of `v`, most significant first (network order).
void append_be(std::string& out, std::uint64_t v, int bytes);

// Binary forms of single values, for array elements.
std::string binary_int4(std::int32_t v);
std::string binary_int8(std::int64_t v);
std::string binary_timestamptz(TimePoint t);
std::string binary_jsonb(std::string_view json_text);
// `value` if `present`, else SQL NULL (nullopt): an array element.
std::optional<std::string> optional_binary(bool present, std::string value);
// A one-dimensional array in array_recv's binary form (as Params::array sends it).
std::string binary_array(unsigned element_type, const std::vector<std::optional<std::string>>& elements);

}  // namespace runstore::detail
