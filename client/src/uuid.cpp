// uuid.cpp: the text form of a UUID.
#include "runstore/uuid.hpp"

#include <chrono>
#include <random>
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

Uuid Uuid::v7() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  const auto ms = static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(
          std::chrono::system_clock::now().time_since_epoch()).count());
  const std::uint64_t r1 = rng();
  const std::uint64_t r2 = rng();
  Bytes b{};
  for (int i = 0; i < 6; ++i) b[i] = static_cast<std::uint8_t>(ms >> (40 - 8 * i));
  for (int i = 6; i < 8; ++i) b[i] = static_cast<std::uint8_t>(r1 >> (8 * i));
  for (int i = 8; i < 16; ++i) b[i] = static_cast<std::uint8_t>(r2 >> (8 * (i - 8)));
  b[6] = static_cast<std::uint8_t>(0x70 | (b[6] & 0x0F));  // version 7
  b[8] = static_cast<std::uint8_t>(0x80 | (b[8] & 0x3F));  // variant 10
  return Uuid(b);
}

}  // namespace runstore
