#include <gtest/gtest.h>

#include <string>

#include "binary_reader.hpp"
#include "uuid_array_param.hpp"

using namespace runstore::detail;
using runstore::Uuid;

TEST(UuidArrayParam, EncodesOneDimensionWithLowerBoundOne) {
  const Uuid a = Uuid::parse("00112233-4455-6677-8899-aabbccddeeff");
  const std::string enc = encode_uuid_array({a, a});
  ASSERT_EQ(enc.size(), 20U + 2 * 20U);
  EXPECT_EQ(decode_int4(enc.substr(0, 4)), 1);                                 // ndim
  EXPECT_EQ(decode_int4(enc.substr(4, 4)), 0);                                 // no NULLs
  EXPECT_EQ(decode_int4(enc.substr(8, 4)), static_cast<int>(kUuidOid));        // element type
  EXPECT_EQ(decode_int4(enc.substr(12, 4)), 2);                                // length
  EXPECT_EQ(decode_int4(enc.substr(16, 4)), 1);                                // lower bound
  EXPECT_EQ(decode_int4(enc.substr(20, 4)), 16);                               // element length
  EXPECT_EQ(decode_uuid(enc.substr(24, 16)), a);
  EXPECT_EQ(decode_uuid(enc.substr(44, 16)), a);
}

TEST(UuidArrayParam, EncodesTheEmptyArrayWithoutDimensions) {
  const std::string enc = encode_uuid_array({});
  ASSERT_EQ(enc.size(), 12U);
  EXPECT_EQ(decode_int4(enc.substr(0, 4)), 0);
}
