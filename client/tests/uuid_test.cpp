#include <gtest/gtest.h>

#include <chrono>
#include <stdexcept>
#include <unordered_set>

#include "runstore/uuid.hpp"

using runstore::Uuid;

TEST(Uuid, RoundTripsTheCanonicalForm) {
  const std::string text = "0192f3a4-5b6c-7d8e-9fa0-b1c2d3e4f5a6";
  EXPECT_EQ(Uuid::parse(text).to_string(), text);
  EXPECT_EQ(Uuid::parse(text).bytes()[0], 0x01);
  EXPECT_EQ(Uuid::parse(text).bytes()[15], 0xa6);
}

TEST(Uuid, AcceptsUpperCaseAndNoHyphensLikePostgres) {
  EXPECT_EQ(Uuid::parse("0192F3A4-5B6C-7D8E-9FA0-B1C2D3E4F5A6"), Uuid::parse("0192f3a45b6c7d8e9fa0b1c2d3e4f5a6"));
}

TEST(Uuid, RefusesMalformedText) {
  for (const char* bad : {"", "0192f3a4", "0192f3a4-5b6c-7d8e-9fa0-b1c2d3e4f5a", "0192f3a4x5b6c-7d8e-9fa0-b1c2d3e4f5a6",
                          "0192f3a4-5b6c-7d8e-9fa0-b1c2d3e4f5ag", "{0192f3a4-5b6c-7d8e-9fa0-b1c2d3e4f5}"}) {
    EXPECT_THROW(Uuid::parse(bad), std::invalid_argument) << bad;
  }
}

TEST(Uuid, OrdersAndHashesByBytes) {
  const Uuid a = Uuid::parse("00000000-0000-0000-0000-000000000001");
  const Uuid b = Uuid::parse("00000000-0000-0000-0000-000000000002");
  EXPECT_LT(a, b);
  EXPECT_NE(a, b);
  std::unordered_set<Uuid> set{a, b, a};
  EXPECT_EQ(set.size(), 2U);
}

TEST(Uuid, V7CarriesVersionVariantAndTheCurrentMillisecond) {
  const auto before =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count();
  const runstore::Uuid a = runstore::Uuid::v7();
  const runstore::Uuid b = runstore::Uuid::v7();
  EXPECT_NE(a, b);
  EXPECT_EQ(a.bytes()[6] >> 4, 7);
  EXPECT_EQ(a.bytes()[8] >> 6, 2);
  std::int64_t ms = 0;
  for (int i = 0; i < 6; ++i) ms = (ms << 8) | a.bytes()[i];
  EXPECT_GE(ms, before);
  EXPECT_LE(ms, before + 1000);
}

TEST(Uuid, V7IdsFromOneThreadStrictlyIncreaseWithinAMillisecond) {
  // The counter after the timestamp keeps ids in order even when thousands
  // are made in one millisecond, as enqueue(batch) does.
  Uuid previous = Uuid::v7();
  for (int i = 0; i < 20000; ++i) {
    const Uuid next = Uuid::v7();
    ASSERT_LT(previous, next) << previous.to_string() << " then " << next.to_string();
    ASSERT_EQ(next.bytes()[6] >> 4, 7);
    ASSERT_EQ(next.bytes()[8] >> 6, 2);
    previous = next;
  }
}
