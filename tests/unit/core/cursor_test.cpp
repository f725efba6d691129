#include "core/cursor.h"

#include <gtest/gtest.h>

namespace herald {
namespace {

TEST(Cursor, RoundTripsThroughText) {
  Cursor c{0x7d3f0c2a9b1e4f60ULL, 1042};
  EXPECT_EQ(c.toString(), "7d3f0c2a9b1e4f60:1042");
  auto parsed = Cursor::parse(c.toString());
  ASSERT_TRUE(parsed);
  EXPECT_EQ(*parsed, c);
}

TEST(Cursor, SeqZeroAndMaxRoundTrip) {
  for (Cursor c : {Cursor{1, 0}, Cursor{~0ULL, ~0ULL}}) {
    auto parsed = Cursor::parse(c.toString());
    ASSERT_TRUE(parsed) << c.toString();
    EXPECT_EQ(*parsed, c);
  }
}

TEST(Cursor, RejectsMalformedText) {
  for (const char* bad : {"", "12", "7d3f0c2a9b1e4f60", "7d3f0c2a9b1e4f60:", "7d3f0c2a9b1e4f6:1",
                          "7D3F0C2A9B1E4F60:1", "7d3f0c2a9b1e4f60:-1", "7d3f0c2a9b1e4f60:01", "7d3f0c2a9b1e4f60:1x",
                          "7d3f0c2a9b1e4f60:99999999999999999999999", "zz3f0c2a9b1e4f60:1"}) {
    auto parsed = Cursor::parse(bad);
    ASSERT_FALSE(parsed) << bad;
    EXPECT_EQ(parsed.error().code, Errc::parse_error) << bad;
  }
}

}  // namespace
}  // namespace herald
