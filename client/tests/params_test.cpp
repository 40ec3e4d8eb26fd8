// params_test.cpp: the binary parameter encoder (array_recv's format).
#include <gtest/gtest.h>

#include <string>

#include "binary_reader.hpp"
#include "params.hpp"

using namespace runstore::detail;
using runstore::Uuid;

namespace {
std::string param_bytes(const Params& p, int i) { return std::string(p.values()[i], p.lengths()[i]); }
}  // namespace

TEST(Params, UuidArrayHasOneDimensionWithLowerBoundOne) {
  const Uuid a = Uuid::parse("00112233-4455-6677-8899-aabbccddeeff");
  Params p;
  p.uuid_array({a, a});
  ASSERT_EQ(p.count(), 1);
  EXPECT_EQ(p.types()[0], oid::kUuidArray);
  EXPECT_EQ(p.formats()[0], 1);
  const std::string enc = param_bytes(p, 0);
  ASSERT_EQ(enc.size(), 20U + 2 * 20U);
  EXPECT_EQ(decode_int4(enc.substr(0, 4)), 1);                             // ndim
  EXPECT_EQ(decode_int4(enc.substr(4, 4)), 0);                             // no NULLs
  EXPECT_EQ(decode_int4(enc.substr(8, 4)), static_cast<int>(oid::kUuid));  // element type
  EXPECT_EQ(decode_int4(enc.substr(12, 4)), 2);                            // length
  EXPECT_EQ(decode_int4(enc.substr(16, 4)), 1);                            // lower bound
  EXPECT_EQ(decode_int4(enc.substr(20, 4)), 16);                           // element length
  EXPECT_EQ(decode_uuid(enc.substr(24, 16)), a);
  EXPECT_EQ(decode_uuid(enc.substr(44, 16)), a);
}

TEST(Params, EmptyArrayHasNoDimensions) {
  Params p;
  p.uuid_array({});
  const std::string enc = param_bytes(p, 0);
  ASSERT_EQ(enc.size(), 12U);
  EXPECT_EQ(decode_int4(enc.substr(0, 4)), 0);
}

TEST(Params, NullElementsSetTheFlagAndHaveLengthMinusOne) {
  Params p;
  p.array(oid::kTextArray, oid::kText, {std::string("x"), std::nullopt});
  const std::string enc = param_bytes(p, 0);
  EXPECT_EQ(decode_int4(enc.substr(4, 4)), 1);
  EXPECT_EQ(decode_int4(enc.substr(20, 4)), 1);
  EXPECT_EQ(enc.substr(24, 1), "x");
  EXPECT_EQ(decode_int4(enc.substr(25, 4)), -1);
}

TEST(Params, NullParameterHasNoValue) {
  Params p;
  p.int4(7).null(oid::kInt8);
  ASSERT_EQ(p.count(), 2);
  EXPECT_EQ(decode_int4(param_bytes(p, 0)), 7);
  EXPECT_EQ(p.values()[1], nullptr);
  EXPECT_EQ(p.types()[1], oid::kInt8);
}

TEST(Params, TimestamptzCountsFromTheYear2000AndKeepsInfinities) {
  EXPECT_EQ(decode_int8(binary_timestamptz(runstore::TimePoint(std::chrono::microseconds(946684800000001LL)))), 1);
  EXPECT_EQ(decode_timestamptz(binary_timestamptz(runstore::TimePoint::max())), runstore::TimePoint::max());
  EXPECT_EQ(decode_timestamptz(binary_timestamptz(runstore::TimePoint::min())), runstore::TimePoint::min());
}

TEST(Params, IntervalIsMicrosecondsWithoutDaysOrMonths) {
  Params p;
  p.interval(std::chrono::microseconds(1500000));
  const std::string enc = param_bytes(p, 0);
  ASSERT_EQ(enc.size(), 16U);
  EXPECT_EQ(decode_int8(enc.substr(0, 8)), 1500000);
  EXPECT_EQ(decode_int4(enc.substr(8, 4)), 0);
  EXPECT_EQ(decode_int4(enc.substr(12, 4)), 0);
}
