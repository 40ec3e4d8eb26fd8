// json_text.hpp: the few JSON texts the client writes itself (a tag list);
// payloads and results are the caller's JSON and the server checks them.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace runstore::detail {

// A JSON string literal for `s` (RFC 8259 escaping).
std::string json_string(std::string_view s);
// A JSON array of strings.
std::string json_string_array(const std::vector<std::string>& items);

}  // namespace runstore::detail
