// text_util.hpp: making untrusted text safe to print and to store.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace runstore::cli {

// Replaces invalid UTF-8 with U+FFFD and drops NUL bytes: PostgreSQL text
// accepts neither, and a child's stderr may contain both.
std::string sanitize_utf8(std::string_view text);

// For one-line messages and table cells: control characters (newlines
// included) become spaces, invalid UTF-8 becomes U+FFFD.
std::string one_line(std::string_view text);

// Quotes a user-supplied word for an error message, one line whatever it
// holds: 'abc', with control characters escaped as \n, \xNN.
std::string quote_word(std::string_view text);

// Cuts `text` to at most `max_chars` code points, ending in "…" when cut.
std::string truncate_chars(std::string_view text, std::size_t max_chars);

// Number of code points (a table's idea of width; no wide-character tables).
std::size_t char_count(std::string_view text);

}  // namespace runstore::cli
