// suggest.hpp: the "did you mean" of a mistyped option or command name.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace runstore::cli {

// The candidate closest to `word` (other than itself) when it is close enough to be what was
// meant: at most a third of its length apart (at least one edit), where an
// edit adds, drops or changes a character or swaps two neighbours.  Ties go
// to the earlier candidate.
std::optional<std::string> closest_match(const std::string& word, const std::vector<std::string>& candidates);

}  // namespace runstore::cli
