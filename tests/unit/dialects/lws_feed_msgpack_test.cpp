// The lws payload tree's two encodings, checked against an independent MessagePack implementation
// (msgpuck) so that a symmetric mistake in writer and reader cannot pass.
#include <gtest/gtest.h>
#include <msgpuck.h>

#include <boost/json.hpp>
#include <string>

#include "core/hex.h"
#include "dialects/lws_value.h"

namespace herald::dialects::lws {
namespace {

Value sample() {
  Value v = Value::object();
  v.add("small", Value::uint(5));
  v.add("byte", Value::uint(200));
  v.add("short", Value::uint(60000));
  v.add("word", Value::uint(4000000000ULL));
  v.add("big", Value::uint(18446744073709551615ULL));
  v.add("neg", Value::sint(-3));
  v.add("neg_big", Value::sint(-5000000000LL));
  v.add("yes", Value::boolean(true));
  v.add("none", Value{});
  v.add("text", Value::string("héllo \"q\""));
  v.add("blob", Value::blob(std::string("\x00\xff\x10", 3)));
  Value list = Value::array();
  for (int i = 0; i < 20; ++i) list.push(Value::uint(static_cast<std::uint64_t>(i)));
  v.add("list", std::move(list));
  return v;
}

TEST(LwsValue, MsgpackIsReadByAnIndependentDecoder) {
  std::string bytes;
  appendMsgpack(bytes, sample());
  const char* check = bytes.data();
  ASSERT_EQ(mp_check(&check, bytes.data() + bytes.size()), 0);
  ASSERT_EQ(check, bytes.data() + bytes.size());

  const char* p = bytes.data();
  ASSERT_EQ(mp_typeof(*p), MP_MAP);
  const std::uint32_t members = mp_decode_map(&p);
  EXPECT_EQ(members, 12u);
  std::map<std::string, std::string> seen;
  for (std::uint32_t i = 0; i < members; ++i) {
    std::uint32_t key_len = 0;
    const char* key = mp_decode_str(&p, &key_len);
    const std::string name(key, key_len);
    switch (mp_typeof(*p)) {
      case MP_UINT:
        seen[name] = std::to_string(mp_decode_uint(&p));
        break;
      case MP_INT:
        seen[name] = std::to_string(mp_decode_int(&p));
        break;
      case MP_BOOL:
        seen[name] = mp_decode_bool(&p) ? "true" : "false";
        break;
      case MP_NIL:
        mp_decode_nil(&p);
        seen[name] = "nil";
        break;
      case MP_STR: {
        std::uint32_t n = 0;
        const char* s = mp_decode_str(&p, &n);
        seen[name] = "str:" + std::string(s, n);
        break;
      }
      case MP_BIN: {
        std::uint32_t n = 0;
        const char* s = mp_decode_bin(&p, &n);
        seen[name] = "bin:" + hex::encode(std::string_view(s, n));
        break;
      }
      case MP_ARRAY: {
        const std::uint32_t n = mp_decode_array(&p);
        std::string items;
        for (std::uint32_t k = 0; k < n; ++k) items += std::to_string(mp_decode_uint(&p)) + ",";
        seen[name] = items;
        break;
      }
      default:
        FAIL() << "unexpected type for " << name;
    }
  }
  EXPECT_EQ(seen["small"], "5");
  EXPECT_EQ(seen["byte"], "200");
  EXPECT_EQ(seen["short"], "60000");
  EXPECT_EQ(seen["word"], "4000000000");
  EXPECT_EQ(seen["big"], "18446744073709551615");
  EXPECT_EQ(seen["neg"], "-3");
  EXPECT_EQ(seen["neg_big"], "-5000000000");
  EXPECT_EQ(seen["yes"], "true");
  EXPECT_EQ(seen["none"], "nil");
  EXPECT_EQ(seen["text"], "str:héllo \"q\"");
  EXPECT_EQ(seen["blob"], "bin:00ff10");
  EXPECT_EQ(seen["list"], "0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,");
}

TEST(LwsValue, IntegersUseTheSmallestForm) {
  const auto size = [](const Value& v) {
    std::string out;
    appendMsgpack(out, v);
    return out.size();
  };
  EXPECT_EQ(size(Value::uint(127)), 1u);
  EXPECT_EQ(size(Value::uint(128)), 2u);
  EXPECT_EQ(size(Value::uint(65535)), 3u);
  EXPECT_EQ(size(Value::uint(65536)), 5u);
  EXPECT_EQ(size(Value::uint(4294967296ULL)), 9u);
  EXPECT_EQ(size(Value::sint(-32)), 1u);
  EXPECT_EQ(size(Value::sint(-33)), 2u);
  EXPECT_EQ(size(Value::blob(std::string(32, 'x'))), 34u);  // bin8: tag, length, bytes
  EXPECT_EQ(size(Value::string(std::string(31, 'x'))), 32u);
  EXPECT_EQ(size(Value::string(std::string(32, 'x'))), 34u);
}

TEST(LwsValue, ReaderRoundTripsWhatTheWriterWrites) {
  std::string bytes;
  appendMsgpack(bytes, sample());
  auto back = readMsgpack(bytes);
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(*back, sample());
}

TEST(LwsValue, ReaderReadsAnIndependentEncoder) {
  char buf[256];
  char* p = mp_encode_map(buf, 3);
  p = mp_encode_str(p, "k", 1);
  p = mp_encode_bin(p, "\x01\x02", 2);
  p = mp_encode_str(p, "n", 1);
  p = mp_encode_int(p, -100000);
  p = mp_encode_str(p, "a", 1);
  p = mp_encode_array(p, 2);
  p = mp_encode_bool(p, false);
  p = mp_encode_uint(p, 70000);
  auto v = readMsgpack(std::string_view(buf, static_cast<std::size_t>(p - buf)));
  ASSERT_TRUE(v) << v.error().message;
  ASSERT_NE(v->find("k"), nullptr);
  EXPECT_EQ(*v->find("k"), Value::blob("\x01\x02"));
  EXPECT_EQ(*v->find("n"), Value::sint(-100000));
  EXPECT_EQ(v->find("a")->items().size(), 2u);
  EXPECT_EQ(v->find("a")->items()[1], Value::uint(70000));
}

TEST(LwsValue, ReaderRefusesMalformedInput) {
  const std::string cases[] = {
      std::string(""),                         // nothing
      std::string("\x81\xa1k", 3),             // map missing its value
      std::string("\xdb\xff\xff\xff\xff", 5),  // str32 claiming 4 GiB
      std::string("\xdd\xff\xff\xff\xff", 5),  // array32 claiming 4 billion items
      std::string("\xdf\x00\x00\x00\x10", 5),  // map32 of 16 pairs, no bytes
      std::string("\x81\x01\x02", 3),          // integer map key
      std::string("\xca\x00\x00\x00\x00", 5),  // float32
      std::string("\xd4\x01\x02", 3),          // fixext
      std::string("\xc1", 1),                  // never used
      std::string("\x01\x02", 2),              // trailing bytes
      std::string("\xa2\xc3\x28", 3),          // str that is not UTF-8
  };
  for (const std::string& bytes : cases) {
    auto v = readMsgpack(bytes);
    EXPECT_FALSE(v) << hex::encode(bytes);
    if (!v) {
      EXPECT_EQ(v.error().code, Errc::parse_error);
    }
  }
}

TEST(LwsValue, ReaderBoundsDepth) {
  std::string deep(100, '\x91');  // 100 nested one-element arrays
  deep.push_back('\x00');
  EXPECT_FALSE(readMsgpack(deep));
  std::string shallow(10, '\x91');
  shallow.push_back('\x00');
  EXPECT_TRUE(readMsgpack(shallow));
}

TEST(LwsValue, JsonWritesBlobsAsLowercaseHex) {
  std::string out;
  appendJson(out, sample());
  const boost::json::value parsed = boost::json::parse(out);
  EXPECT_EQ(parsed.at("blob"), "00ff10");
  EXPECT_EQ(parsed.at("text"), "héllo \"q\"");
  EXPECT_EQ(parsed.at("big").as_uint64(), 18446744073709551615ULL);
  EXPECT_EQ(parsed.at("neg_big").as_int64(), -5000000000LL);
  EXPECT_TRUE(parsed.at("none").is_null());
}

TEST(LwsValue, FromJsonMakesNamedHexMembersBlobs) {
  const auto doc = boost::json::parse(R"({"key_image":"AB01","public_key":"not hex","other":"ab01",
                                          "nested":[{"rct":"00"}],"n":-1,"f":1.5})");
  constexpr std::string_view keys[] = {"key_image", "public_key", "rct"};
  const Value v = fromJson(doc, keys);
  EXPECT_EQ(*v.find("key_image"), Value::blob("\xab\x01"));
  EXPECT_EQ(*v.find("public_key"), Value::string("not hex"));
  EXPECT_EQ(*v.find("other"), Value::string("ab01"));
  EXPECT_EQ(*v.find("nested")->items()[0].find("rct"), Value::blob(std::string(1, '\0')));
  EXPECT_EQ(*v.find("n"), Value::sint(-1));
  EXPECT_TRUE(v.find("f")->isNull());
}

TEST(LwsValue, StringsAreWrittenAsValidUtf8) {
  EXPECT_EQ(validUtf8("plain"), "plain");
  EXPECT_EQ(validUtf8("h\xc3\xa9"), "h\xc3\xa9");
  EXPECT_EQ(validUtf8("a\xd0"), "a\xef\xbf\xbd");                                // truncated sequence
  EXPECT_EQ(validUtf8("\xc0\xaf"), "\xef\xbf\xbd\xef\xbf\xbd");                  // overlong
  EXPECT_EQ(validUtf8("\xed\xa0\x80"), "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");  // surrogate
  const Value bad = Value::object({{"msg", Value::string("x\xff\"y")}});
  std::string text;
  appendJson(text, bad);
  EXPECT_EQ(boost::json::parse(text).at("msg"), "x\xef\xbf\xbd\"y");
  std::string packed;
  appendMsgpack(packed, bad);
  const char* p = packed.data();
  ASSERT_EQ(mp_decode_map(&p), 1u);
  std::uint32_t n = 0;
  mp_decode_str(&p, &n);
  const char* s = mp_decode_str(&p, &n);
  EXPECT_EQ(std::string(s, n), "x\xef\xbf\xbd\"y");
}

TEST(LwsValue, Hex) {
  EXPECT_EQ(hex::decode("00Ff"), std::string("\x00\xff", 2));
  EXPECT_FALSE(hex::decode("abc"));
  EXPECT_FALSE(hex::decode("zz"));
  EXPECT_EQ(hex::encode(std::string("\x00\xff", 2)), "00ff");
}

}  // namespace
}  // namespace herald::dialects::lws
