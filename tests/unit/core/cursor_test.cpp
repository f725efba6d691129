#include "core/cursor.h"
#include "core/text.h"

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

// A long cursor is quoted in the error cut to 64 bytes; the cut must not split a UTF-8 sequence,
// or the JSON error reply built from the message would be invalid UTF-8.
TEST(Cursor, ErrorQuotesLongTextWithoutSplittingACharacter) {
  const std::string text = std::string(63, '%') + "\xC3\xA9" + ":1";  // 'é' straddles byte 64
  auto parsed = Cursor::parse(text);
  ASSERT_FALSE(parsed);
  const std::string& message = parsed.error().message;
  EXPECT_EQ(message.find("\xC3"), std::string::npos) << "the cut sequence's lead byte must not be quoted";
  EXPECT_NE(message.find(std::string(63, '%') + "'"), std::string::npos) << message;
}

TEST(Utf8Prefix, CutsBeforeASequenceItWouldSplit) {
  EXPECT_EQ(utf8Prefix("abc", 5), "abc");
  EXPECT_EQ(utf8Prefix("abc", 2), "ab");
  EXPECT_EQ(utf8Prefix("a\xC3\xA9", 2), "a");             // 2-byte sequence cut after its lead
  EXPECT_EQ(utf8Prefix("a\xC3\xA9", 3), "a\xC3\xA9");
  EXPECT_EQ(utf8Prefix("\xE2\x82\xACx", 2), "");           // 3-byte sequence: nothing before it
  EXPECT_EQ(utf8Prefix("\xF0\x9F\x98\x80", 3), "");
  EXPECT_EQ(utf8Prefix("\xF0\x9F\x98\x80z", 4), "\xF0\x9F\x98\x80");
}

}  // namespace
}  // namespace herald
