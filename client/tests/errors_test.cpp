#include <gtest/gtest.h>

#include "runstore/errors.hpp"

using runstore::is_transient;

TEST(Errors, TransientSqlstates) {
  for (const char* s : {"08000", "08001", "08003", "08006", "40001", "40P01", "57P01", "57P02", "57P03",
                        "53300"}) {
    EXPECT_TRUE(is_transient(s)) << s;
  }
}

TEST(Errors, PermanentSqlstates) {
  for (const char* s : {"54000", "22P02", "22023", "42501", "23505", "53200", "57014", "XX000", "", "08"}) {
    EXPECT_FALSE(is_transient(s)) << s;
  }
}

TEST(Errors, ConnectionErrorIsAnErrorOfClass08) {
  const runstore::ConnectionError e("connection refused");
  EXPECT_EQ(e.sqlstate(), "08006");
  EXPECT_TRUE(e.transient());
  const runstore::Error& base = e;
  EXPECT_STREQ(base.what(), "connection refused");
}
