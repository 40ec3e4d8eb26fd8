// uuid_array_param.hpp: a uuid[] parameter in PostgreSQL's binary format.
//
// Sent in binary, 500 ids cost 500 x 20 bytes and no parsing on the server,
// instead of an 18 KB array literal parsed by array_in and uuid_in.
#pragma once

#include <string>
#include <vector>

#include "runstore/uuid.hpp"

namespace runstore::detail {

constexpr unsigned kUuidOid = 2950;
constexpr unsigned kUuidArrayOid = 2951;

std::string encode_uuid_array(const std::vector<Uuid>& ids);

}  // namespace runstore::detail
