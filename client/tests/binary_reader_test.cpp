#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

#include "binary_reader.hpp"

using namespace runstore::detail;
using namespace std::string_literals;

TEST(BinaryReader, DecodesBigEndianIntegers) {
  EXPECT_EQ(decode_int4("\x00\x00\x01\x02"s), 258);
  EXPECT_EQ(decode_int4("\xff\xff\xff\xfe"s), -2);
  EXPECT_EQ(decode_int8("\x00\x00\x00\x02\x00\x00\x00\x01"s), 8589934593LL);
  EXPECT_EQ(decode_int8("\xff\xff\xff\xff\xff\xff\xff\xff"s), -1);
  EXPECT_THROW(decode_int4("\x00\x01"s), std::runtime_error);
  EXPECT_THROW(decode_int8("\x00\x01\x02\x03"s), std::runtime_error);
}

TEST(BinaryReader, DecodesTimestamptzFromPostgresEpoch) {
  EXPECT_EQ(decode_timestamptz(std::string(8, '\0')).time_since_epoch().count(), 946684800000000LL);
  EXPECT_EQ(decode_timestamptz("\x7f\xff\xff\xff\xff\xff\xff\xff"s), runstore::TimePoint::max());
  EXPECT_EQ(decode_timestamptz("\x80\x00\x00\x00\x00\x00\x00\x00"s), runstore::TimePoint::min());
}

TEST(BinaryReader, DecodesIntervalsCountingDaysAs24HoursAndMonthsAs30Days) {
  using std::chrono::microseconds;
  // 1.5 s, 2 days, 1 month.
  EXPECT_EQ(decode_interval("\x00\x00\x00\x00\x00\x16\xe3\x60\x00\x00\x00\x02\x00\x00\x00\x01"s),
            microseconds(1500000LL + 2 * 86400000000LL + 30 * 86400000000LL));
  // -1 us, no days, no months.
  EXPECT_EQ(decode_interval("\xff\xff\xff\xff\xff\xff\xff\xff\x00\x00\x00\x00\x00\x00\x00\x00"s), microseconds(-1));
  EXPECT_THROW(decode_interval(std::string(12, '\0')), std::runtime_error);
  // 2^31 - 1 months do not fit in 64 bits of microseconds.
  EXPECT_THROW(decode_interval("\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x7f\xff\xff\xff"s),
               std::runtime_error);
}

TEST(BinaryReader, DecodesJsonbAfterItsVersionByte) {
  EXPECT_EQ(decode_jsonb("\x01{\"a\": 1}"s), "{\"a\": 1}");
  EXPECT_THROW(decode_jsonb(""s), std::runtime_error);
  EXPECT_THROW(decode_jsonb("\x02{}"s), std::runtime_error);
}

namespace {
std::string text_array(const std::vector<std::string>& items, bool null_last = false) {
  std::string out;
  append_int4(out, 1);
  append_int4(out, null_last ? 1 : 0);
  append_int4(out, 25);
  append_int4(out, static_cast<int>(items.size() + (null_last ? 1 : 0)));
  append_int4(out, 1);
  for (const auto& s : items) {
    append_int4(out, static_cast<int>(s.size()));
    out += s;
  }
  if (null_last) append_int4(out, -1);
  return out;
}
}  // namespace

TEST(BinaryReader, DecodesTextArrays) {
  EXPECT_EQ(decode_text_array(text_array({"a", "", "with space"})), (std::vector<std::string>{"a", "", "with space"}));
  std::string empty;
  append_int4(empty, 0);
  append_int4(empty, 0);
  append_int4(empty, 25);
  EXPECT_TRUE(decode_text_array(empty).empty());
}

TEST(BinaryReader, RefusesMalformedArrays) {
  EXPECT_THROW(decode_text_array(text_array({"a"}, true)), std::runtime_error);
  std::string truncated = text_array({"abcdef"});
  truncated.pop_back();
  EXPECT_THROW(decode_text_array(truncated), std::runtime_error);
  EXPECT_THROW(decode_text_array("\x00\x00"s), std::runtime_error);
}
