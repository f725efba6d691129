// The RFC 6455 codec on its own: §5.7's examples byte for byte in both directions (masked client
// frames read by a server, unmasked server frames read by a client), and every rule the parser
// enforces, each with the close code and the rule it names.
#include "transport/ws_frame.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace herald::transport::ws {
namespace {

using Kind = ParseEvent::Kind;

struct Parsed {
  std::vector<ParseEvent> events;
  std::vector<std::string> payloads;  // copied: the views die with the next call
};

// Feeds `wire` in chunks of `chunk` bytes (0 = all at once), collecting every event.
Parsed parseAll(FrameParser& parser, std::string wire, std::size_t chunk = 0) {
  Parsed out;
  std::size_t at = 0;
  while (at < wire.size() && !parser.ended()) {
    const std::size_t size = chunk == 0 ? wire.size() - at : std::min(chunk, wire.size() - at);
    std::span<char> input(wire.data() + at, size);
    for (;;) {
      ParseEvent event = parser.next(input);
      if (event.kind == Kind::need_more) break;
      out.payloads.emplace_back(event.kind == Kind::violation || event.kind == Kind::close ? event.reason
                                                                                            : event.payload);
      out.events.push_back(event);
      if (parser.ended()) break;
    }
    at += size;
  }
  return out;
}

Parsed parseAll(std::string wire, std::size_t chunk = 0, std::size_t max_message = 1 << 20,
                Sender sender = Sender::client) {
  FrameParser parser(max_message, sender);
  return parseAll(parser, std::move(wire), chunk);
}

Parsed parseServerFrames(std::string wire, std::size_t chunk = 0) {
  return parseAll(std::move(wire), chunk, 1 << 20, Sender::server);
}

std::string bytes(std::initializer_list<int> values) {
  std::string out;
  for (int v : values) out.push_back(static_cast<char>(v));
  return out;
}

constexpr std::uint32_t kKey = 0x37fa213d;  // §5.7's masking key

TEST(WsFrame, ServerHeadersMatchRfcExamples) {
  std::uint8_t header[kMaxServerHeader];
  // §5.7: a single-frame unmasked text message "Hello".
  ASSERT_EQ(buildServerHeader(header, Opcode::text, 5), 2u);
  EXPECT_EQ(header[0], 0x81);
  EXPECT_EQ(header[1], 0x05);
  // §5.7: 256 bytes binary in a single unmasked frame: 0x82 0x7E 0x0100.
  ASSERT_EQ(buildServerHeader(header, Opcode::binary, 256), 4u);
  EXPECT_EQ(bytes({0x82, 0x7E, 0x01, 0x00}), std::string(reinterpret_cast<char*>(header), 4));
  // §5.7: 64 KiB binary: 0x82 0x7F 0x0000000000010000.
  ASSERT_EQ(buildServerHeader(header, Opcode::binary, 65536), 10u);
  EXPECT_EQ(bytes({0x82, 0x7F, 0, 0, 0, 0, 0, 1, 0, 0}), std::string(reinterpret_cast<char*>(header), 10));
  ASSERT_EQ(buildServerHeader(header, Opcode::text, 125), 2u);
  ASSERT_EQ(buildServerHeader(header, Opcode::text, 126), 4u);
  ASSERT_EQ(buildServerHeader(header, Opcode::text, 65535), 4u);
  ASSERT_EQ(buildServerHeader(header, Opcode::text, 5, false), 2u);
  EXPECT_EQ(header[0], 0x01);
  // The size alone (what a partial write is accounted with) agrees with the header written.
  for (std::uint64_t n : {0ULL, 125ULL, 126ULL, 65535ULL, 65536ULL, 1ULL << 40}) {
    EXPECT_EQ(serverHeaderSize(n), buildServerHeader(header, Opcode::binary, n)) << n;
  }
}

// `wire` holds §5.7's text message "Hello", read whole and cut across reads.
void expectHello(const std::string& wire, Sender sender) {
  for (std::size_t chunk : {0, 1, 3}) {
    Parsed parsed = parseAll(wire, chunk, 1 << 20, sender);
    ASSERT_EQ(parsed.events.size(), 1u) << chunk;
    EXPECT_EQ(parsed.events[0].kind, Kind::message);
    EXPECT_FALSE(parsed.events[0].binary);
    EXPECT_EQ(parsed.payloads[0], "Hello");
  }
}

TEST(WsFrame, MaskedHelloFromRfcParses) {
  const std::string wire = bytes({0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58});
  EXPECT_EQ(encodeClientFrame(Opcode::text, "Hello", kKey), wire);
  expectHello(wire, Sender::client);
}

TEST(WsFrame, FragmentedMessageWithPingBetweenFragments) {
  // §5.7: "Hel" then "lo", here with a ping between the fragments (§5.4 allows it).
  std::string wire = encodeClientFrame(Opcode::text, "Hel", kKey, false) + encodeClientFrame(Opcode::ping, "Hello", 7) +
                     encodeClientFrame(Opcode::continuation, "lo", 9, true);
  for (std::size_t chunk : {0, 1, 2, 5}) {
    Parsed parsed = parseAll(wire, chunk);
    ASSERT_EQ(parsed.events.size(), 2u) << chunk;
    EXPECT_EQ(parsed.events[0].kind, Kind::ping);
    EXPECT_EQ(parsed.payloads[0], "Hello");
    EXPECT_EQ(parsed.events[1].kind, Kind::message);
    EXPECT_EQ(parsed.payloads[1], "Hello");
  }
}

TEST(WsFrame, LargeBinaryAndPongAndCloseParse) {
  std::string big(70000, '\xAB');
  std::string wire = encodeClientFrame(Opcode::binary, big, 0x01020304) + encodeClientFrame(Opcode::pong, "", 5) +
                     encodeClientFrame(Opcode::close, closePayload(1000, "bye"), 6) + "trailing bytes are not read";
  for (std::size_t chunk : {0, 1000, 7}) {
    Parsed parsed = parseAll(wire, chunk);
    ASSERT_EQ(parsed.events.size(), 3u);
    EXPECT_TRUE(parsed.events[0].binary);
    EXPECT_EQ(parsed.payloads[0], big);
    EXPECT_EQ(parsed.events[1].kind, Kind::pong);
    EXPECT_EQ(parsed.events[2].kind, Kind::close);
    EXPECT_EQ(parsed.events[2].code, 1000);
    EXPECT_EQ(parsed.payloads[2], "bye");
  }
}

TEST(WsFrame, EmptyCloseReportsNoStatus) {
  Parsed parsed = parseAll(encodeClientFrame(Opcode::close, "", 1));
  ASSERT_EQ(parsed.events.size(), 1u);
  EXPECT_EQ(parsed.events[0].code, kCloseNoStatus);
}

TEST(WsFrame, PartialFrameIsHeldAndMemoryIsGivenBack) {
  FrameParser parser(1 << 20);
  std::string wire = encodeClientFrame(Opcode::text, std::string(300, 'x'), 3);
  std::span<char> first(wire.data(), 100);
  EXPECT_EQ(parser.next(first).kind, Kind::need_more);
  EXPECT_TRUE(parser.holdsPartial());
  std::span<char> rest(wire.data() + 100, wire.size() - 100);
  ParseEvent event = parser.next(rest);
  ASSERT_EQ(event.kind, Kind::message);
  EXPECT_EQ(event.payload, std::string(300, 'x'));
  EXPECT_FALSE(parser.holdsPartial());
  parser.releaseMemory();
}

struct ViolationCase {
  const char* name;
  std::string wire;
  std::uint16_t code;
  const char* reason;
};

void expectViolation(const ViolationCase& c, std::size_t max_message = 1 << 20, Sender sender = Sender::client) {
  for (std::size_t chunk : {0, 1}) {
    Parsed parsed = parseAll(c.wire, chunk, max_message, sender);
    ASSERT_FALSE(parsed.events.empty()) << c.name;
    EXPECT_EQ(parsed.events.back().kind, Kind::violation) << c.name;
    EXPECT_EQ(parsed.events.back().code, c.code) << c.name;
    EXPECT_EQ(parsed.payloads.back(), c.reason) << c.name;
  }
}

TEST(WsFrame, EachViolationNamesItsRuleAndCloseCode) {
  std::string unmasked = bytes({0x81, 0x02, 'h', 'i'});
  std::string rsv = encodeClientFrame(Opcode::text, "hi", 1);
  rsv[0] = static_cast<char>(rsv[0] | 0x40);
  std::string opcode3 = encodeClientFrame(Opcode::text, "hi", 1);
  opcode3[0] = static_cast<char>(0x83);
  std::string long_ping = encodeClientFrame(Opcode::ping, std::string(126, 'p'), 1);
  std::string short_16 = bytes({0x82, 0xFE, 0x00, 0x05, 0, 0, 0, 0, 1, 2, 3, 4, 5});
  std::string high_bit = bytes({0x82, 0xFF, 0x80, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0});
  const std::vector<ViolationCase> cases = {
      {"unmasked", unmasked, kCloseProtocolError, "client frame not masked"},
      {"rsv", rsv, kCloseProtocolError, "RSV bits set without a negotiated extension"},
      {"opcode", opcode3, kCloseProtocolError, "unknown opcode 3"},
      {"fragmented ping", encodeClientFrame(Opcode::ping, "x", 1, false), kCloseProtocolError,
       "fragmented control frame"},
      {"long ping", long_ping, kCloseProtocolError, "control frame payload over 125 bytes"},
      {"orphan continuation", encodeClientFrame(Opcode::continuation, "x", 1), kCloseProtocolError,
       "continuation frame without a message to continue"},
      {"interleaved", encodeClientFrame(Opcode::text, "a", 1, false) + encodeClientFrame(Opcode::text, "b", 1),
       kCloseProtocolError, "new data frame before the fragmented message ended"},
      {"not shortest", short_16, kCloseProtocolError, "payload length not in its shortest form"},
      {"high bit", high_bit, kCloseProtocolError, "64-bit payload length with the high bit set"},
      {"bad utf8", encodeClientFrame(Opcode::text, "\xC3\x28", 1), kCloseInvalidPayload,
       "invalid UTF-8 in a text message"},
      {"surrogate", encodeClientFrame(Opcode::text, "\xED\xA0\x80", 1), kCloseInvalidPayload,
       "invalid UTF-8 in a text message"},
      {"overlong", encodeClientFrame(Opcode::text, "\xC0\xAF", 1), kCloseInvalidPayload,
       "invalid UTF-8 in a text message"},
      {"truncated utf8", encodeClientFrame(Opcode::text, "ok\xE2\x82", 1), kCloseInvalidPayload,
       "text message ends inside a UTF-8 sequence"},
      {"one byte close", encodeClientFrame(Opcode::close, "x", 1), kCloseProtocolError,
       "close frame with a 1-byte payload"},
      {"close code 1005", encodeClientFrame(Opcode::close, closePayload(1005, ""), 1), kCloseProtocolError,
       "close code 1005 is not allowed"},
      {"close code 999", encodeClientFrame(Opcode::close, closePayload(999, ""), 1), kCloseProtocolError,
       "close code 999 is not allowed"},
      {"close reason utf8", encodeClientFrame(Opcode::close, closePayload(1000, "\xFF"), 1), kCloseInvalidPayload,
       "close reason is not valid UTF-8"},
  };
  for (const auto& c : cases) expectViolation(c);
}

TEST(WsFrame, UtfEightSplitAcrossFragmentsIsValid) {
  // "€" (E2 82 AC) split over two fragments and then over two reads.
  std::string wire = encodeClientFrame(Opcode::text, "\xE2\x82", 1, false) +
                     encodeClientFrame(Opcode::continuation, "\xAC", 2, true);
  for (std::size_t chunk : {0, 1}) {
    Parsed parsed = parseAll(wire, chunk);
    ASSERT_EQ(parsed.events.size(), 1u);
    EXPECT_EQ(parsed.payloads[0], "\xE2\x82\xAC");
  }
  // Binary messages are not text: any bytes go.
  Parsed binary = parseAll(encodeClientFrame(Opcode::binary, "\xFF\xFE", 1));
  ASSERT_EQ(binary.events.size(), 1u);
  EXPECT_EQ(binary.events[0].kind, Kind::message);
}

TEST(WsFrame, MessageOverLimitIs1009EvenAcrossFragments) {
  expectViolation({"one frame", encodeClientFrame(Opcode::binary, std::string(101, 'x'), 1), kCloseTooBig,
                   "message over 100 bytes"},
                  100);
  expectViolation({"fragments",
                   encodeClientFrame(Opcode::binary, std::string(60, 'x'), 1, false) +
                       encodeClientFrame(Opcode::continuation, std::string(41, 'x'), 1),
                   kCloseTooBig, "message over 100 bytes"},
                  100);
  Parsed at_limit = parseAll(encodeClientFrame(Opcode::binary, std::string(100, 'x'), 1), 0, 100);
  ASSERT_EQ(at_limit.events.size(), 1u);
  EXPECT_EQ(at_limit.events[0].kind, Kind::message);
}

TEST(WsFrame, NothingIsParsedAfterAViolation) {
  FrameParser parser(1 << 20);
  std::string wire = bytes({0x81, 0x02, 'h', 'i'}) + encodeClientFrame(Opcode::text, "later", 1);
  std::span<char> input(wire.data(), wire.size());
  EXPECT_EQ(parser.next(input).kind, Kind::violation);
  EXPECT_TRUE(parser.ended());
  EXPECT_EQ(parser.next(input).kind, Kind::need_more);
}

// What a server sends: buildServerHeader's header, then the payload as it is.
std::string serverFrame(Opcode opcode, std::string_view payload, bool fin = true) {
  std::uint8_t header[kMaxServerHeader];
  const std::size_t size = buildServerHeader(header, opcode, payload.size(), fin);
  return std::string(reinterpret_cast<char*>(header), size) + std::string(payload);
}

TEST(WsFrameFromServer, UnmaskedExamplesFromRfcParse) {
  // §5.7: a single-frame unmasked text message, and the same fragmented as "Hel" + "lo".
  const std::string hello = bytes({0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f});
  const std::string fragmented = bytes({0x01, 0x03, 0x48, 0x65, 0x6c}) + bytes({0x80, 0x02, 0x6c, 0x6f});
  EXPECT_EQ(serverFrame(Opcode::text, "Hello"), hello);
  expectHello(hello, Sender::server);
  expectHello(fragmented, Sender::server);
  // §5.7: an unmasked ping with "Hello" as its body.
  Parsed ping = parseServerFrames(bytes({0x89, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f}));
  ASSERT_EQ(ping.events.size(), 1u);
  EXPECT_EQ(ping.events[0].kind, Kind::ping);
  EXPECT_EQ(ping.payloads[0], "Hello");
}

TEST(WsFrameFromServer, SixteenAndSixtyFourBitLengthsParse) {
  // §5.7: 256 bytes in one unmasked binary frame (0x82 0x7E 0x0100), and 64 KiB (0x82 0x7F
  // 0x0000000000010000); each read whole and cut across reads, header included.
  std::string small(256, '\0');
  std::string large(65536, '\0');
  for (std::size_t i = 0; i < large.size(); ++i) large[i] = static_cast<char>(i * 7);
  for (std::size_t i = 0; i < small.size(); ++i) small[i] = static_cast<char>(i);
  const std::string wire_small = bytes({0x82, 0x7E, 0x01, 0x00}) + small;
  const std::string wire_large = bytes({0x82, 0x7F, 0, 0, 0, 0, 0, 1, 0, 0}) + large;
  for (std::size_t chunk : {0, 1, 3, 1000}) {
    Parsed parsed = parseServerFrames(wire_small + wire_large, chunk);
    ASSERT_EQ(parsed.events.size(), 2u) << chunk;
    EXPECT_TRUE(parsed.events[0].binary);
    EXPECT_EQ(parsed.payloads[0], small);
    EXPECT_TRUE(parsed.events[1].binary);
    EXPECT_EQ(parsed.payloads[1], large);
  }
}

TEST(WsFrameFromServer, CloseFromServerCarriesItsCode) {
  Parsed parsed = parseServerFrames(serverFrame(Opcode::text, "last") +
                                    serverFrame(Opcode::close, closePayload(1008, "slow consumer")) + "after close");
  ASSERT_EQ(parsed.events.size(), 2u);
  EXPECT_EQ(parsed.events[1].kind, Kind::close);
  EXPECT_EQ(parsed.events[1].code, 1008);
  EXPECT_EQ(parsed.payloads[1], "slow consumer");
}

TEST(WsFrameFromServer, MaskedServerFrameAndOtherViolationsFail) {
  // §5.1: a client must close the connection when a server frame is masked.
  const std::string masked_hello = bytes({0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58});
  std::string opcode3 = serverFrame(Opcode::text, "hi");
  opcode3[0] = static_cast<char>(0x83);
  const std::vector<ViolationCase> cases = {
      {"masked", masked_hello, kCloseProtocolError, "server frame masked"},
      {"masked ping after a message", serverFrame(Opcode::text, "ok") + encodeClientFrame(Opcode::ping, "", 1),
       kCloseProtocolError, "server frame masked"},
      {"opcode", opcode3, kCloseProtocolError, "unknown opcode 3"},
      {"orphan continuation", serverFrame(Opcode::continuation, "x"), kCloseProtocolError,
       "continuation frame without a message to continue"},
      {"long ping", serverFrame(Opcode::ping, std::string(126, 'p')), kCloseProtocolError,
       "control frame payload over 125 bytes"},
      {"bad utf8", serverFrame(Opcode::text, "\xC3\x28"), kCloseInvalidPayload, "invalid UTF-8 in a text message"},
      {"close code 1005", serverFrame(Opcode::close, closePayload(1005, "")), kCloseProtocolError,
       "close code 1005 is not allowed"},
  };
  for (const auto& c : cases) expectViolation(c, 1 << 20, Sender::server);
  expectViolation({"too big", serverFrame(Opcode::binary, std::string(101, 'x')), kCloseTooBig,
                   "message over 100 bytes"},
                  100, Sender::server);
}

TEST(WsFrame, CloseReasonIsCutOnACharacterBoundary) {
  std::string reason;
  for (int i = 0; i < 70; ++i) reason += "\xC3\xA9";  // 140 bytes of "é"
  const std::string payload = closePayload(4000, reason);
  EXPECT_LE(payload.size(), kMaxControlPayload);
  Utf8Validator utf8;
  EXPECT_TRUE(utf8.feed(std::string_view(payload).substr(2)));
  EXPECT_TRUE(utf8.complete());
}

}  // namespace
}  // namespace herald::transport::ws
