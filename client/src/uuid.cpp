// uuid.cpp: the text form of a UUID.
#include "runstore/uuid.hpp"

#include <stdexcept>

namespace runstore {

namespace {
int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}
}  // namespace

Uuid Uuid::parse(std::string_view text) {
  const bool hyphenated = text.size() == 36;
  if (!hyphenated && text.size() != 32) {
    throw std::invalid_argument("invalid UUID \"" + std::string(text) + "\": wrong length");
  }
  Bytes out{};
  std::size_t pos = 0;
  for (std::size_t i = 0; i < out.size(); ++i) {
    if (hyphenated && (pos == 8 || pos == 13 || pos == 18 || pos == 23)) {
      if (text[pos] != '-') throw std::invalid_argument("invalid UUID \"" + std::string(text) + "\"");
      ++pos;
    }
    const int hi = hex_value(text[pos]);
    const int lo = hex_value(text[pos + 1]);
    if (hi < 0 || lo < 0) throw std::invalid_argument("invalid UUID \"" + std::string(text) + "\"");
    out[i] = static_cast<std::uint8_t>(hi << 4 | lo);
    pos += 2;
  }
  return Uuid(out);
}

std::string Uuid::to_string() const {
  static constexpr char digits[] = "0123456789abcdef";
  std::string s;
  s.reserve(36);
  for (std::size_t i = 0; i < bytes_.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) s.push_back('-');
    s.push_back(digits[bytes_[i] >> 4]);
    s.push_back(digits[bytes_[i] & 0xF]);
  }
  return s;
}

}  // namespace runstore
