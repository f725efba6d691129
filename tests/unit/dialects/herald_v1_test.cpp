// herald.v1 against docs/protocol/herald-v1.md: decoding every method and every error, exact ids,
// and the exact frames of replies, events and gap reports.
#include "dialects/herald_v1.h"

#include <boost/json.hpp>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace herald::dialects {
namespace {

namespace json = boost::json;
using ::testing::HasSubstr;

class HeraldV1Test : public ::testing::Test {
 protected:
  Decoded decode(std::string_view text, bool binary = false) {
    return dialect_.decode(text, binary, *state_, DecodeContext{});
  }

  Command command(std::string_view text) {
    Decoded d = decode(text);
    if (auto* r = std::get_if<Rejection>(&d)) {
      ADD_FAILURE() << text << " rejected: " << r->error.message;
      return {};
    }
    EXPECT_TRUE(std::holds_alternative<Command>(d)) << text;
    return std::holds_alternative<Command>(d) ? std::get<Command>(d) : Command{};
  }

  SubscribeCommand subscribe(std::string_view params) {
    Command c =
        command(R"({"jsonrpc":"2.0","id":1,"method":"subscribe","params":)" + std::string(params) + "}");
    EXPECT_TRUE(std::holds_alternative<SubscribeCommand>(c.body)) << params;
    return std::holds_alternative<SubscribeCommand>(c.body) ? std::get<SubscribeCommand>(c.body)
                                                            : SubscribeCommand{};
  }

  Rejection rejection(std::string_view text, bool binary = false) {
    Decoded d = decode(text, binary);
    EXPECT_TRUE(std::holds_alternative<Rejection>(d)) << text;
    return std::holds_alternative<Rejection>(d) ? std::get<Rejection>(d) : Rejection{};
  }

  Rejection rejectedParams(std::string_view method, std::string_view params) {
    return rejection(R"({"jsonrpc":"2.0","id":"r","method":")" + std::string(method) + R"(","params":)" +
                     std::string(params) + "}");
  }

  std::string reply(const Reply& r) {
    FramePtr frame = dialect_.encodeReply(r, *state_);
    EXPECT_FALSE(frame->binary);
    return frame->bytes;
  }

  HeraldV1 dialect_{FilterLimits{.max_clauses = 3, .max_values_per_clause = 4, .max_text = 32}};
  std::unique_ptr<DialectState> state_ = dialect_.newState();
};

Filter filterOf(std::vector<Clause> clauses) { return Filter::make(std::move(clauses)).value(); }

TEST_F(HeraldV1Test, Names) {
  EXPECT_EQ(dialect_.name(), "herald.v1");
  EXPECT_EQ(HeraldV1::kSubprotocol, "herald.v1.json");
  EXPECT_NE(state_, nullptr);
  EXPECT_TRUE(dialect_.sharedSubscriptionIds());
}

TEST_F(HeraldV1Test, SubscribeToATopic) {
  const Command c =
      command(R"({"jsonrpc":"2.0","id":7,"method":"subscribe","params":{"topic":"chain.block"}})");
  EXPECT_EQ(c.id, "7");
  const auto& s = std::get<SubscribeCommand>(c.body);
  EXPECT_EQ(s.topic, "chain.block");
  EXPECT_TRUE(s.filter.matchesAll());
  EXPECT_FALSE(s.since.has_value());
}

TEST_F(HeraldV1Test, SubscribeWithFilter) {
  const auto s =
      subscribe(R"({"topic":"dex.offer","filter":{"market":"XMR/BTC","payment_method":["SEPA","ZELLE"]}})");
  EXPECT_EQ(s.filter, filterOf({{"market", {"XMR/BTC"}}, {"payment_method", {"SEPA", "ZELLE"}}}));
  Event e;
  e.attributes = {{"market", {"XMR/BTC"}}, {"payment_method", {"ZELLE"}}};
  EXPECT_TRUE(s.filter.matches(e));
  e.attributes = {{"market", {"XMR/EUR"}}, {"payment_method", {"ZELLE"}}};
  EXPECT_FALSE(s.filter.matches(e));
}

TEST_F(HeraldV1Test, SubscribeWithSince) {
  const auto s = subscribe(R"({"topic":"chain.block","since":"7d3f0c2a9b1e4f60:1042"})");
  ASSERT_TRUE(s.since.has_value());
  EXPECT_EQ(*s.since, (Cursor{0x7d3f0c2a9b1e4f60ull, 1042}));
}

TEST_F(HeraldV1Test, NullOptionalParamsReadAsAbsent) {
  const auto s = subscribe(R"({"topic":"chain.block","since":null,"filter":null})");
  EXPECT_FALSE(s.since.has_value());
  EXPECT_TRUE(s.filter.matchesAll());
  EXPECT_TRUE(subscribe(R"({"topic":"chain.block","filter":{}})").filter.matchesAll());
}

TEST_F(HeraldV1Test, Unsubscribe) {
  const Command c = command(
      R"({"jsonrpc":"2.0","id":"u-1","method":"unsubscribe","params":{"subscription":"s0123456789abcdef"}})");
  EXPECT_EQ(c.id, "\"u-1\"");
  EXPECT_EQ(std::get<UnsubscribeCommand>(c.body).subscription, "s0123456789abcdef");
}

TEST_F(HeraldV1Test, Ping) {
  for (std::string params : {"", R"(,"params":{})", R"(,"params":[])"}) {
    const Command c = command(R"({"jsonrpc":"2.0","id":3,"method":"ping")" + params + "}");
    EXPECT_TRUE(std::holds_alternative<PingCommand>(c.body)) << params;
    EXPECT_EQ(c.id, "3");
  }
  const Rejection r = rejectedParams("ping", R"({"x":1})");
  EXPECT_EQ(r.error.code, Errc::invalid_params);
  EXPECT_EQ(r.error.field, "params");
}

TEST_F(HeraldV1Test, IdIsKeptExactlyAsWritten) {
  const std::vector<std::pair<std::string, std::string>> cases{
      {R"("id":"a1")", R"("a1")"},
      {R"("id":"a\u0041")", R"("a\u0041")"},
      {R"("id":"q\"}x")", R"("q\"}x")"},
      {R"("id":0)", "0"},
      {R"("id":-12)", "-12"},
      {R"("id":1.0)", "1.0"},
      {R"("id":1e400)", "1e400"},
      {R"("id":0e400)", "0e400"},  // boost::json reads this as NaN; the text is still echoed
      {R"("id":18446744073709551616)", "18446744073709551616"},
      {R"("id":null)", "null"},
      {R"("id" : 5 )", "5"},
  };
  for (const auto& [member, id] : cases) {
    const Command c = command(R"({"jsonrpc":"2.0",)" + member + R"(,"method":"ping"})");
    EXPECT_EQ(c.id, id) << member;
  }
  // Members before the id may hold anything, including text that looks like an id (the request is
  // then refused, still answering the real id).
  const Rejection r = rejection(
      R"({"params":{"id":9,"x":["\"id\":8",{"a":[1]}]},"jsonrpc":"2.0","method":"ping","id":"real"})");
  EXPECT_EQ(r.id, R"("real")");
  const Command c = command(R"({"params":[],"jsonrpc":"2.0","method":"ping","id":"x,}"})");
  EXPECT_EQ(c.id, R"("x,}")");
}

TEST_F(HeraldV1Test, IdWithEscapedKeyAndDuplicateKeys) {
  EXPECT_EQ(command(R"({"jsonrpc":"2.0","\u0069d":4,"method":"ping"})").id, "4");
  // The parser keeps the last of duplicate keys; so does the echoed id.
  EXPECT_EQ(command(R"({"jsonrpc":"2.0","id":1,"method":"ping","id":2})").id, "2");
}

TEST_F(HeraldV1Test, MissingIdIsAnsweredWithNull) {
  const Command c = command(R"({"jsonrpc":"2.0","method":"ping"})");
  EXPECT_TRUE(c.id.empty());
  EXPECT_EQ(reply(PongReply{c.id}), R"({"jsonrpc":"2.0","id":null,"result":"pong"})");
}

TEST_F(HeraldV1Test, InvalidIdKinds) {
  for (std::string id : {"{}", "[1]", "true", "false"}) {
    const Rejection r = rejection(R"({"jsonrpc":"2.0","id":)" + id + R"(,"method":"ping"})");
    EXPECT_EQ(r.error.code, Errc::invalid_request) << id;
    EXPECT_EQ(r.error.field, "id");
    EXPECT_TRUE(r.id.empty()) << id;  // answered with null: the id itself is the problem
    EXPECT_FALSE(r.fatal);
  }
}

TEST_F(HeraldV1Test, NotJsonIsAParseError) {
  for (std::string text : {"", "{", "subscribe", "{\"jsonrpc\":\"2.0\",}", "\xff"}) {
    const Rejection r = rejection(text);
    EXPECT_EQ(r.error.code, Errc::parse_error) << text;
    EXPECT_TRUE(r.id.empty());
    EXPECT_FALSE(r.fatal);
    EXPECT_EQ(HeraldV1::errorCode(r.error.code), -32700);
  }
}

TEST_F(HeraldV1Test, BatchesAreRefused) {
  const Rejection r = rejection(R"([{"jsonrpc":"2.0","id":1,"method":"ping"}])");
  EXPECT_EQ(r.error.code, Errc::invalid_request);
  EXPECT_THAT(r.error.message, HasSubstr("batch requests are not supported"));
  EXPECT_FALSE(r.fatal);
}

TEST_F(HeraldV1Test, NonObjectsAreInvalidRequests) {
  for (std::string text : {"1", "\"ping\"", "null", "true"}) {
    const Rejection r = rejection(text);
    EXPECT_EQ(r.error.code, Errc::invalid_request) << text;
    EXPECT_EQ(r.error.message, "a request must be a JSON object");
  }
}

TEST_F(HeraldV1Test, EnvelopeErrorsNameTheMemberAndKeepTheId) {
  struct Case {
    std::string text;
    std::string field;
  };
  const std::vector<Case> cases{
      {R"({"id":1,"method":"ping"})", "jsonrpc"},
      {R"({"jsonrpc":"1.0","id":1,"method":"ping"})", "jsonrpc"},
      {R"({"jsonrpc":2.0,"id":1,"method":"ping"})", "jsonrpc"},
      {R"({"jsonrpc":"2.0","id":1})", "method"},
      {R"({"jsonrpc":"2.0","id":1,"method":7})", "method"},
      {R"({"jsonrpc":"2.0","id":1,"method":"ping","extra":true})", "extra"},
  };
  for (const auto& c : cases) {
    const Rejection r = rejection(c.text);
    EXPECT_EQ(r.error.code, Errc::invalid_request) << c.text;
    EXPECT_EQ(r.error.field, c.field) << c.text;
    EXPECT_EQ(r.id, "1") << c.text;
  }
}

TEST_F(HeraldV1Test, UnknownMethodIsNamed) {
  const Rejection r = rejection(R"({"jsonrpc":"2.0","id":1,"method":"login","params":{}})");
  EXPECT_EQ(r.error.code, Errc::unknown_method);
  EXPECT_EQ(r.error.message, "method not found: login");
  EXPECT_EQ(HeraldV1::errorCode(r.error.code), -32601);
}

TEST_F(HeraldV1Test, BinaryFramesAreRejectedButNotFatal) {
  const Rejection r = rejection(R"({"jsonrpc":"2.0","id":1,"method":"ping"})", /*binary=*/true);
  EXPECT_EQ(r.error.code, Errc::invalid_request);
  EXPECT_EQ(r.error.message, "binary frames are not part of herald.v1");
  EXPECT_FALSE(r.fatal);
}

TEST_F(HeraldV1Test, SubscribeParamErrorsNameTheField) {
  struct Case {
    std::string params;
    std::string field;
    std::string message;
  };
  const std::string kFilterValue = "expected a string or a non-empty array of strings";
  const std::vector<Case> cases{
      {"[\"chain.block\"]", "params", "params: expected an object"},
      {"{}", "params.topic", "params.topic: expected a non-empty string"},
      {R"({"topic":""})", "params.topic", "params.topic: expected a non-empty string"},
      {R"({"topic":5})", "params.topic", "params.topic: expected a non-empty string"},
      {R"({"topic":"t","foo":1})", "params.foo", "params.foo: unknown field"},
      {R"({"topic":"t","filter":"market"})", "params.filter", "params.filter: expected an object"},
      {R"({"topic":"t","filter":{"market":1}})", "params.filter.market",
       "params.filter.market: " + kFilterValue},
      {R"({"topic":"t","filter":{"market":[]}})", "params.filter.market",
       "params.filter.market: " + kFilterValue},
      {R"({"topic":"t","filter":{"market":["a",1]}})", "params.filter.market",
       "params.filter.market: " + kFilterValue},
      {R"({"topic":"t","filter":{"market":null}})", "params.filter.market",
       "params.filter.market: " + kFilterValue},
      {R"({"topic":"t","since":42})", "params.since", "params.since: expected a cursor string"},
  };
  for (const auto& c : cases) {
    const Rejection r = rejectedParams("subscribe", c.params);
    EXPECT_EQ(r.error.code, Errc::invalid_params) << c.params;
    EXPECT_EQ(r.error.field, c.field) << c.params;
    EXPECT_EQ(r.error.message, c.message) << c.params;
    EXPECT_EQ(r.id, "\"r\"");
  }
  const Rejection missing = rejection(R"({"jsonrpc":"2.0","id":1,"method":"subscribe"})");
  EXPECT_EQ(missing.error.code, Errc::invalid_params);
  EXPECT_EQ(missing.error.field, "params");
}

TEST_F(HeraldV1Test, BadCursorIsAnInvalidParam) {
  for (std::string since : {"\"1042\"", "\"7D3F0C2A9B1E4F60:1\"", "\"7d3f0c2a9b1e4f60:\"", "\"\""}) {
    const Rejection r = rejectedParams("subscribe", R"({"topic":"t","since":)" + since + "}");
    EXPECT_EQ(r.error.code, Errc::invalid_params) << since;
    EXPECT_EQ(r.error.field, "params.since");
    EXPECT_THAT(r.error.message, ::testing::StartsWith("params.since: cursor")) << since;
  }
}

TEST_F(HeraldV1Test, FilterLimitsComeFromTheConstructor) {
  // max_clauses 3
  Rejection r = rejectedParams("subscribe", R"({"topic":"t","filter":{"a":"1","b":"1","c":"1","d":"1"}})");
  EXPECT_EQ(r.error.code, Errc::invalid_params);
  EXPECT_EQ(r.error.field, "params.filter");
  EXPECT_THAT(r.error.message, ::testing::StartsWith("params.filter has 4 clauses"));
  // max_values_per_clause 4
  r = rejectedParams("subscribe", R"({"topic":"t","filter":{"a":["1","2","3","4","5"]}})");
  EXPECT_EQ(r.error.field, "params.filter.a");
  EXPECT_THAT(r.error.message, ::testing::StartsWith("params.filter.a "));
  // max_text 32
  r = rejectedParams("subscribe", R"({"topic":"t","filter":{"a":")" + std::string(33, 'v') + R"("}})");
  EXPECT_EQ(r.error.field, "params.filter.a");
  EXPECT_TRUE(std::holds_alternative<Command>(
      decode(R"({"jsonrpc":"2.0","id":1,"method":"subscribe","params":{"topic":"t","filter":{"a":")" +
             std::string(32, 'v') + R"("}}})")));
}

TEST_F(HeraldV1Test, UnsubscribeParamErrors) {
  Rejection r = rejectedParams("unsubscribe", "{}");
  EXPECT_EQ(r.error.field, "params.subscription");
  r = rejectedParams("unsubscribe", R"({"subscription":3})");
  EXPECT_EQ(r.error.field, "params.subscription");
  r = rejectedParams("unsubscribe", R"({"subscription":"s1","topic":"x"})");
  EXPECT_EQ(r.error.field, "params.topic");
  r = rejectedParams("unsubscribe", R"(["s1"])");
  EXPECT_EQ(r.error.field, "params");
  EXPECT_EQ(r.error.code, Errc::invalid_params);
}

TEST_F(HeraldV1Test, EncodeSubscribed) {
  EXPECT_EQ(
      reply(SubscribedReply{"7", "s0123456789abcdef", "chain.block", Cursor{0x7d3f0c2a9b1e4f60ull, 1042}, {}}),
      R"({"jsonrpc":"2.0","id":7,"result":{"subscription":"s0123456789abcdef","cursor":"7d3f0c2a9b1e4f60:1042"}})");
}

TEST_F(HeraldV1Test, EncodeUnsubscribedAndPong) {
  EXPECT_EQ(reply(UnsubscribedReply{"\"u\"", "s1"}), R"({"jsonrpc":"2.0","id":"u","result":true})");
  EXPECT_EQ(reply(PongReply{"1.0"}), R"({"jsonrpc":"2.0","id":1.0,"result":"pong"})");
}

TEST_F(HeraldV1Test, EncodeError) {
  EXPECT_EQ(
      reply(ErrorReply{
          "3", Error::make(Errc::invalid_params, "params.topic: expected a \"string\"", "params.topic")}),
      R"({"jsonrpc":"2.0","id":3,"error":{"code":-32602,"message":"params.topic: expected a \"string\"",)"
      R"("data":{"field":"params.topic","reason":"invalid_params"}}})");
  EXPECT_EQ(
      reply(ErrorReply{"", Error::make(Errc::rate_limited, "slow down")}),
      R"({"jsonrpc":"2.0","id":null,"error":{"code":-32003,"message":"slow down","data":{"reason":"rate_limited"}}})");
}

TEST_F(HeraldV1Test, ErrorCodeTable) {
  const std::vector<std::pair<Errc, int>> table{
      {Errc::parse_error, -32700},
      {Errc::invalid_request, -32600},
      {Errc::unknown_method, -32601},
      {Errc::invalid_params, -32602},
      {Errc::internal, -32603},
      {Errc::unknown_topic, -32001},
      {Errc::too_many_subscriptions, -32002},
      {Errc::rate_limited, -32003},
      {Errc::cursor_ahead, -32004},
      {Errc::duplicate_subscription, -32005},
      {Errc::unknown_subscription, -32006},
      {Errc::unauthorized, -32010},
      {Errc::forbidden, -32011},
      {Errc::too_large, -32012},
      {Errc::unavailable, -32013},
  };
  for (const auto& [errc, code] : table) {
    EXPECT_EQ(HeraldV1::errorCode(errc), code) << errcName(errc);
    const json::value v = json::parse(reply(ErrorReply{"1", Error::make(errc, "m")}));
    EXPECT_EQ(v.at("error").at("code").as_int64(), code);
    EXPECT_EQ(v.at("error").at("data").at("reason").as_string(), errcName(errc));
  }
}

TEST_F(HeraldV1Test, RejectionsEncodeAsErrors) {
  const Rejection r = rejectedParams("subscribe", R"({"topic":"t","filter":{"market":[]}})");
  const json::value v = json::parse(reply(ErrorReply{r.id, r.error}));
  EXPECT_EQ(v.at("id").as_string(), "r");
  EXPECT_EQ(v.at("error").at("code").as_int64(), -32602);
  EXPECT_EQ(v.at("error").at("data").at("field").as_string(), "params.filter.market");
}

TEST_F(HeraldV1Test, EncodeEventEmbedsDataVerbatim) {
  Event e;
  e.topic = "dex.price";
  e.seq = 1042;
  e.time_ms = 1732450000123;
  e.data = R"({"market":"XMR/EUR","price_rate":15872000000,"x":1.5E0})";
  const FramePtr frame = dialect_.encodeEvent(e, "s0123456789abcdef", Cursor{0x7d3f0c2a9b1e4f60ull, 1042}, Delivery{}, NodeView{});
  EXPECT_FALSE(frame->binary);
  EXPECT_EQ(
      frame->bytes,
      R"({"jsonrpc":"2.0","method":"event","params":{"subscription":"s0123456789abcdef","topic":"dex.price",)"
      R"("seq":1042,"cursor":"7d3f0c2a9b1e4f60:1042","time_ms":1732450000123,)"
      R"("data":{"market":"XMR/EUR","price_rate":15872000000,"x":1.5E0}}})");
  const json::value v = json::parse(frame->bytes);
  EXPECT_EQ(v.at("params").at("cursor").as_string(), (Cursor{0x7d3f0c2a9b1e4f60ull, 1042}.toString()));
}

TEST_F(HeraldV1Test, EncodeEventEscapesIds) {
  Event e;
  e.topic = "t";
  e.seq = 1;
  e.data = "{}";
  const std::string sub = "a\"b\\c\n";
  const json::value v = json::parse(dialect_.encodeEvent(e, sub, Cursor{0, 1}, Delivery{}, NodeView{})->bytes);
  EXPECT_EQ(v.at("params").at("subscription").as_string(), sub);
  EXPECT_EQ(v.at("params").at("cursor").as_string(), "0000000000000000:1");
}

TEST_F(HeraldV1Test, EncodeGap) {
  EXPECT_EQ(dialect_.encodeGap("s1", Gap{0x7d3f0c2a9b1e4f60ull, 11, 499, GapReason::history_expired})->bytes,
            R"({"jsonrpc":"2.0","method":"gap","params":{"subscription":"s1","epoch":"7d3f0c2a9b1e4f60",)"
            R"("missed_from":11,"missed_to":499,"reason":"history_expired"}})");
  EXPECT_EQ(dialect_.encodeGap("s1", Gap{0xffull, 1043, 0, GapReason::epoch_changed})->bytes,
            R"({"jsonrpc":"2.0","method":"gap","params":{"subscription":"s1","epoch":"00000000000000ff",)"
            R"("missed_from":1043,"missed_to":null,"reason":"epoch_changed"}})");
}

TEST_F(HeraldV1Test, DecodeIsIndependentOfState) {
  // Sharing one state across messages changes nothing: every message stands alone.
  for (int i = 0; i < 3; ++i) {
    EXPECT_TRUE(std::holds_alternative<Rejection>(decode("{")));
    EXPECT_TRUE(std::holds_alternative<Command>(decode(R"({"jsonrpc":"2.0","id":1,"method":"ping"})")));
  }
}

TEST_F(HeraldV1Test, LargeRequestsSpillPastTheStackArena) {
  std::string values;
  for (int i = 0; i < 4; ++i)
    values += (i ? "," : "") + ("\"" + std::string(32, static_cast<char>('a' + i)) + "\"");
  std::string filler(10000, 'x');
  const auto s = subscribe(R"({"topic":")" + filler + R"(","filter":{"k":[)" + values + "]}}");
  EXPECT_EQ(s.topic, filler);
  EXPECT_EQ(s.filter.clauses().at(0).any_of.size(), 4u);
}

}  // namespace
}  // namespace herald::dialects
