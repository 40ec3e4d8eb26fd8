// json_text_test.cpp: the client's own JSON (tag lists) escapes everything
// RFC 8259 requires, so no tag can break out of its string.
#include <gtest/gtest.h>

#include "json_text.hpp"

using runstore::detail::json_string;
using runstore::detail::json_string_array;

TEST(JsonText, EscapesQuotesBackslashesAndControlCharacters) {
  EXPECT_EQ(json_string("a\"b\\c"), R"("a\"b\\c")");
  EXPECT_EQ(json_string("\n\t\x01"), R"("\n\t\u0001")");
  EXPECT_EQ(json_string("ünï"), "\"ünï\"");
}

TEST(JsonText, ArrayOfStrings) {
  EXPECT_EQ(json_string_array({}), "[]");
  EXPECT_EQ(json_string_array({"a", "\"],\"x"}), R"(["a","\"],\"x"])");
}
