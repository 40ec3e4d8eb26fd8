// runstore/uuid.hpp: a UUID as 16 bytes, with the canonical text form.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace runstore {

class Uuid {
 public:
  using Bytes = std::array<std::uint8_t, 16>;

  constexpr Uuid() = default;
  explicit constexpr Uuid(const Bytes& bytes) : bytes_(bytes) {}

  // Accepts the canonical 8-4-4-4-12 form, either case, and the 32-digit form
  // without hyphens (as PostgreSQL does).  Throws std::invalid_argument.
  static Uuid parse(std::string_view text);

  // A new time-ordered UUID (RFC 9562 version 7: 48 bits of Unix
  // milliseconds, a 12-bit counter, 62 random bits), made as runstore's own
  // id default makes them.  The ids one thread makes are strictly
  // increasing, also within one millisecond.
  static Uuid v7();

  // Lower-case canonical form, as PostgreSQL prints it.
  [[nodiscard]] std::string to_string() const;

  [[nodiscard]] const Bytes& bytes() const { return bytes_; }

  friend bool operator==(const Uuid& a, const Uuid& b) { return a.bytes_ == b.bytes_; }
  friend bool operator!=(const Uuid& a, const Uuid& b) { return !(a == b); }
  friend bool operator<(const Uuid& a, const Uuid& b) { return a.bytes_ < b.bytes_; }

 private:
  Bytes bytes_{};
};

}  // namespace runstore

template <>
struct std::hash<runstore::Uuid> {
  std::size_t operator()(const runstore::Uuid& u) const noexcept {
    std::size_t h = 1469598103934665603ULL;  // FNV-1a
    for (auto b : u.bytes()) h = (h ^ b) * 1099511628211ULL;
    return h;
  }
};
