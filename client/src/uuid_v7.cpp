// uuid_v7.cpp: Uuid::v7(), made by the extension's own generator
// (runstore/core/uuid_v7.hpp), so ids made by the client and by the server's
// column default have one layout: Unix milliseconds, then a counter that
// keeps one thread's ids strictly increasing within a millisecond (new rows
// append to the primary key's right edge), then random bits.
#include <chrono>
#include <cstring>
#include <random>

#include "runstore/core/uuid_v7.hpp"
#include "runstore/uuid.hpp"

namespace runstore {

Uuid Uuid::v7() {
  // One generator per thread: no lock, and each thread's ids increase.
  thread_local core::UuidV7Generator generator;
  thread_local std::mt19937_64 rng{std::random_device{}()};
  const std::uint64_t r1 = rng();
  const std::uint64_t r2 = rng();
  std::uint8_t random[10];
  for (int i = 0; i < 8; ++i) random[i] = static_cast<std::uint8_t>(r1 >> (8 * i));
  for (int i = 8; i < 10; ++i) random[i] = static_cast<std::uint8_t>(r2 >> (8 * (i - 8)));
  const auto ms = static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count());
  const core::Uuid id = generator.Next(ms, random);
  Bytes bytes{};
  static_assert(sizeof bytes == sizeof id.bytes, "both are the 16 bytes of a UUID");
  std::memcpy(bytes.data(), id.bytes, bytes.size());
  return Uuid(bytes);
}

}  // namespace runstore
