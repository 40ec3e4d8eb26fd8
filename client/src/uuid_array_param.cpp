// uuid_array_param.cpp: see uuid_array_param.hpp.
#include "uuid_array_param.hpp"

#include <limits>
#include <stdexcept>

#include "binary_reader.hpp"

namespace runstore::detail {

std::string encode_uuid_array(const std::vector<Uuid>& ids) {
  if (ids.size() > static_cast<std::size_t>(std::numeric_limits<std::int32_t>::max() / 20)) {
    throw std::length_error("too many ids for one uuid[] parameter");
  }
  std::string out;
  if (ids.empty()) {
    // An empty array has no dimensions.
    append_int4(out, 0);  // ndim
    append_int4(out, 0);  // has nulls
    append_int4(out, static_cast<std::int32_t>(kUuidOid));
    return out;
  }
  out.reserve(20 + ids.size() * 20);
  append_int4(out, 1);  // ndim
  append_int4(out, 0);  // has nulls
  append_int4(out, static_cast<std::int32_t>(kUuidOid));
  append_int4(out, static_cast<std::int32_t>(ids.size()));  // dimension length
  append_int4(out, 1);                                       // lower bound
  for (const Uuid& id : ids) {
    append_int4(out, 16);
    out.append(reinterpret_cast<const char*>(id.bytes().data()), id.bytes().size());
  }
  return out;
}

}  // namespace runstore::detail
