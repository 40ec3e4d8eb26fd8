#include <gtest/gtest.h>

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
  EXPECT_EQ(Uuid::parse("0192F3A4-5B6C-7D8E-9FA0-B1C2D3E4F5A6"),
            Uuid::parse("0192f3a45b6c7d8e9fa0b1c2d3e4f5a6"));
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
