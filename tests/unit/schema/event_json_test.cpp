// Publish bodies -> Events (batches, every kind of bad input, every limit) and Event -> stored JSON.
#include "schema/event_json.h"

#include "schema/catalog.h"

#include <boost/json.hpp>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace herald::schema {
namespace {

namespace json = boost::json;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

const std::string kPrice =
    R"({"topic":"dex.price","data":{"market":"XMR/EUR","price_rate":15872000000,"timestamp_ms":1}})";

std::string price(std::string_view height_like = "15872000000") {
  return std::string(R"({"topic":"dex.price","data":{"market":"XMR/EUR","price_rate":)") +
         std::string(height_like) + R"(,"timestamp_ms":1}})";
}

Result<std::vector<Event>> parse(std::string_view body, const PublishLimits& limits = {}) {
  return eventsFromJson(body, topicSet({"acme.alerts"}), limits, 1732450000123);
}

Error parseError(std::string_view body, const PublishLimits& limits = {}) {
  auto r = parse(body, limits);
  EXPECT_FALSE(r) << body;
  return r ? Error{} : r.error();
}

TEST(EventJsonTest, OneEventObject) {
  auto r = parse(R"({ "topic" : "dex.price",
                      "data" : { "market" : "XMR/EUR", "price_rate" : 15872000000, "timestamp_ms" : 1 } })");
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_EQ(r->size(), 1u);
  const Event& e = r->front();
  EXPECT_EQ(e.topic, "dex.price");
  EXPECT_EQ(e.seq, 0u);
  EXPECT_EQ(e.time_ms, 1732450000123);
  EXPECT_EQ(e.data, R"({"market":"XMR/EUR","price_rate":15872000000,"timestamp_ms":1})");  // compact
  ASSERT_EQ(e.attributes.size(), 1u);
  EXPECT_EQ(e.attributes[0], (Attribute{"market", {"XMR/EUR"}}));
}

TEST(EventJsonTest, BatchKeepsOrder) {
  auto r = parse("[" + kPrice + R"(,{"topic":"acme.alerts","data":{"n":1}},)" + kPrice + "]");
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_EQ(r->size(), 3u);
  EXPECT_EQ((*r)[0].topic, "dex.price");
  EXPECT_EQ((*r)[1].topic, "acme.alerts");
  EXPECT_EQ((*r)[1].data, R"({"n":1})");
  EXPECT_TRUE((*r)[1].attributes.empty());  // declared topics have no catalog fields
}

TEST(EventJsonTest, NotJsonIsAParseError) {
  for (std::string body : {"", "{", "{\"topic\":", "not json", "{\"a\":1}x", "[1,]"}) {
    const Error e = parseError(body);
    EXPECT_EQ(e.code, Errc::parse_error) << body;
    EXPECT_THAT(e.message, HasSubstr("not valid JSON")) << body;
  }
}

TEST(EventJsonTest, InvalidUtf8IsAParseError) {
  EXPECT_EQ(parseError("{\"topic\":\"dex.price\",\"data\":{\"m\":\"\xff\"}}").code, Errc::parse_error);
}

TEST(EventJsonTest, BodyMustBeObjectOrNonEmptyArray) {
  for (std::string body : {"1", "\"x\"", "null", "true"}) {
    const Error e = parseError(body);
    EXPECT_EQ(e.code, Errc::invalid_params) << body;
    EXPECT_EQ(e.message, "body must be an event object or an array of event objects");
  }
  const Error empty = parseError("[]");
  EXPECT_EQ(empty.code, Errc::invalid_params);
  EXPECT_EQ(empty.message, "a batch must hold at least one event");
}

TEST(EventJsonTest, BatchIsAllOrNothingAndNamesTheIndex) {
  const Error e =
      parseError("[" + kPrice + "," + kPrice + "," + price("\"15872000000\"") + "," + kPrice + "]");
  EXPECT_EQ(e.code, Errc::invalid_params);
  EXPECT_EQ(e.field, "[2].data.price_rate");
  EXPECT_EQ(e.message, "data.price_rate must be an integer");
}

TEST(EventJsonTest, BatchElementMustBeAnObject) {
  const Error e = parseError("[" + kPrice + ",7]");
  EXPECT_EQ(e.code, Errc::invalid_params);
  EXPECT_EQ(e.field, "[1]");
}

TEST(EventJsonTest, UnknownTopicIsNamed) {
  const Error e = parseError("[" + kPrice + R"(,{"topic":"chain.blok","data":{}}])");
  EXPECT_EQ(e.code, Errc::unknown_topic);
  EXPECT_EQ(e.field, "[1].topic");
  EXPECT_THAT(e.message, HasSubstr("\"chain.blok\""));
}

TEST(EventJsonTest, TopicMustBeAValidName) {
  Error e = parseError(R"({"topic":"Chain.Block","data":{}})");
  EXPECT_EQ(e.code, Errc::invalid_params);
  EXPECT_EQ(e.field, "topic");
  e = parseError(R"({"topic":"","data":{}})");
  EXPECT_EQ(e.code, Errc::invalid_params);
  e = parseError(R"({"topic":7,"data":{}})");
  EXPECT_EQ(e.message, "topic must be a string");
  e = parseError(R"({"data":{}})");
  EXPECT_EQ(e.message, "topic is required");
}

TEST(EventJsonTest, DataMustBeAnObject) {
  Error e = parseError(R"({"topic":"acme.alerts"})");
  EXPECT_EQ(e.field, "data");
  EXPECT_EQ(e.message, "data is required");
  e = parseError(R"({"topic":"acme.alerts","data":[1]})");
  EXPECT_EQ(e.message, "data must be an object");
  e = parseError(R"({"topic":"acme.alerts","data":"{}"})");
  EXPECT_EQ(e.message, "data must be an object");
}

TEST(EventJsonTest, GatewayFieldsAndUnknownMembersAreRefused) {
  for (std::string member : {"seq", "time_ms", "cursor", "Topic"}) {
    const Error e = parseError(R"({"topic":"acme.alerts","data":{},")" + member + R"(":1})");
    EXPECT_EQ(e.code, Errc::invalid_params) << member;
    EXPECT_EQ(e.field, member);
  }
}

TEST(EventJsonTest, NumbersThatOverflowAreRefused) {
  const Error e = parseError(R"({"topic":"acme.alerts","data":{"x":[1e999]}})");
  EXPECT_EQ(e.code, Errc::invalid_params);
  EXPECT_EQ(e.field, "data");
  // boost::json reads 0e400 as NaN, which has no JSON text either.
  EXPECT_EQ(parseError(R"({"topic":"acme.alerts","data":{"x":{"y":0e400}}})").field, "data");
  // Finite doubles in free-form data are fine.
  EXPECT_TRUE(parse(R"({"topic":"acme.alerts","data":{"x":1.5}})"));
}

TEST(EventJsonTest, ExplicitAttributesMergeWithDerivedOnes) {
  auto r = parse(
      R"({"topic":"dex.price","attributes":{"market":"XMR/USD","source":["kraken","bitfinex"],"venue":"x"},)"
      R"("data":{"market":"XMR/EUR","price_rate":1,"timestamp_ms":1}})");
  ASSERT_TRUE(r) << r.error().message;
  const Event& e = r->front();
  ASSERT_EQ(e.attributes.size(), 3u);
  EXPECT_EQ(e.attributes[0], (Attribute{"market", {"XMR/EUR", "XMR/USD"}}));
  EXPECT_EQ(e.attributes[1], (Attribute{"source", {"bitfinex", "kraken"}}));
  EXPECT_EQ(e.attributes[2], (Attribute{"venue", {"x"}}));
}

TEST(EventJsonTest, AttributeValuesMustBeStringsOrNonEmptyStringArrays) {
  for (std::string value : {"1", "[]", "[\"a\",2]", "{}", "null", "true"}) {
    const Error e = parseError(R"({"topic":"acme.alerts","attributes":{"k":)" + value + R"(},"data":{}})");
    EXPECT_EQ(e.code, Errc::invalid_params) << value;
    EXPECT_EQ(e.field, "attributes.k") << value;
    EXPECT_EQ(e.message, "attributes.k must be a string or a non-empty array of strings");
  }
  Error e = parseError(R"({"topic":"acme.alerts","attributes":["k"],"data":{}})");
  EXPECT_EQ(e.message, "attributes must be an object");
  e = parseError(R"({"topic":"acme.alerts","attributes":{"":"v"},"data":{}})");
  EXPECT_EQ(e.code, Errc::invalid_params);
}

TEST(EventJsonTest, MaxBatch) {
  PublishLimits limits;
  limits.max_batch = 2;
  EXPECT_TRUE(parse("[" + kPrice + "," + kPrice + "]", limits));
  const Error e = parseError("[" + kPrice + "," + kPrice + "," + kPrice + "]", limits);
  EXPECT_EQ(e.code, Errc::too_large);
  EXPECT_THAT(e.message, HasSubstr("max_batch 2"));
  EXPECT_THAT(e.message, HasSubstr("3 events"));
}

TEST(EventJsonTest, MaxDataBytes) {
  PublishLimits limits;
  limits.max_data_bytes = 20;
  EXPECT_TRUE(parse(R"({"topic":"acme.alerts","data":{"t":"0123456789ab"}})", limits));  // exactly 20
  const Error e = parseError(R"({"topic":"acme.alerts","data":{"t":"0123456789abc"}})", limits);
  EXPECT_EQ(e.code, Errc::too_large);
  EXPECT_EQ(e.field, "data");
  EXPECT_EQ(e.message, "data is 21 bytes, over max_data_bytes 20");
}

TEST(EventJsonTest, MaxAttributesCountsExplicitAndDerived) {
  PublishLimits limits;
  limits.max_attributes = 2;
  Error e = parseError(R"({"topic":"acme.alerts","attributes":{"a":"1","b":"2","c":"3"},"data":{}})", limits);
  EXPECT_EQ(e.code, Errc::too_large);
  EXPECT_EQ(e.field, "attributes");
  EXPECT_THAT(e.message, HasSubstr("max_attributes 2"));

  // dex.offer derives four attributes on its own.
  e = parseError(R"({"topic":"dex.offer","data":{"offer_id":"o","action":"added","market":"XMR/BTC",)"
                 R"("direction":"buy","price_rate":1,"amount":1,"currency":"BTC","payment_method":"X"}})",
                 limits);
  EXPECT_EQ(e.code, Errc::too_large);
  EXPECT_THAT(e.message, HasSubstr("4 attributes including those derived"));
}

TEST(EventJsonTest, MaxValues) {
  PublishLimits limits;
  limits.max_values = 2;
  EXPECT_TRUE(parse(R"({"topic":"acme.alerts","attributes":{"k":["a","b"]},"data":{}})", limits));
  const Error e = parseError(R"({"topic":"acme.alerts","attributes":{"k":["a","b","c"]},"data":{}})", limits);
  EXPECT_EQ(e.code, Errc::too_large);
  EXPECT_EQ(e.field, "attributes.k");
  EXPECT_THAT(e.message, HasSubstr("3 values, over max_values 2"));
}

TEST(EventJsonTest, MaxTextAppliesToKeysValuesTopicsAndDerivedValues) {
  const auto topics = topicSet({"a.b"});
  const PublishLimits limits{.max_text = 8};
  auto check = [&](std::string_view body) {
    auto r = eventsFromJson(body, topics, limits, 0);
    EXPECT_FALSE(r) << body;
    return r ? Error{} : r.error();
  };
  EXPECT_TRUE(
      eventsFromJson(R"({"topic":"a.b","attributes":{"key45678":"12345678"},"data":{}})", topics, limits, 0));
  Error e = check(R"({"topic":"a.b","attributes":{"k":"123456789"},"data":{}})");
  EXPECT_EQ(e.code, Errc::too_large);
  EXPECT_EQ(e.field, "attributes.k");
  EXPECT_EQ(e.message, "attribute value is 9 bytes, over max_text 8");
  e = check(R"({"topic":"a.b","attributes":{"key456789":"v"},"data":{}})");
  EXPECT_EQ(e.code, Errc::too_large);
  EXPECT_EQ(e.message, "attribute key is 9 bytes, over max_text 8");
  e = check(R"({"topic":"acme.alerts","data":{}})");  // 11 bytes
  EXPECT_EQ(e.code, Errc::too_large);
  EXPECT_EQ(e.field, "topic");
  EXPECT_EQ(e.message, "topic is 11 bytes, over max_text 8");

  auto r = eventsFromJson(
      R"({"topic":"dex.price","data":{"market":"XMR/EUR-longer","price_rate":1,"timestamp_ms":1}})", topics,
      PublishLimits{.max_text = 12}, 0);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::too_large);
  EXPECT_EQ(r.error().field, "attributes.market");
}

TEST(EventJsonTest, EventFromJsonOnAValue) {
  const json::value v = json::parse(kPrice);
  auto r = eventFromJson(v, topicSet(), PublishLimits{}, 42, "[9]");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->time_ms, 42);
  auto bad = eventFromJson(json::parse(R"({"topic":"dex.price","data":{}})"), topicSet(), PublishLimits{}, 42,
                           "[9]");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().field, "[9].data.market");
}

TEST(EventJsonTest, EventToJson) {
  Event e;
  e.topic = "chain.tx";
  e.seq = 1042;
  e.time_ms = 1732450000123;
  e.attributes = {{"owner", {"o\"1"}}, {"tag:Type", {"a", "b"}}};
  e.data = R"({"txid":"t","n":1.5E0})";
  const std::string text = eventToJson(e, 0x7d3f0c2a9b1e4f60ull);
  EXPECT_EQ(text,
            R"({"topic":"chain.tx","seq":1042,"cursor":"7d3f0c2a9b1e4f60:1042","time_ms":1732450000123,)"
            R"("attributes":{"owner":"o\"1","tag:Type":["a","b"]},"data":{"txid":"t","n":1.5E0}})");
  const json::value parsed = json::parse(text);
  EXPECT_EQ(parsed.at("cursor").as_string(), (Cursor{0x7d3f0c2a9b1e4f60ull, 1042}.toString()));
  EXPECT_EQ(parsed.at("attributes").at("owner").as_string(), "o\"1");
}

TEST(EventJsonTest, EventToJsonRoundTripsThroughThePublishForm) {
  auto r = parse(
      R"({"topic":"dex.chat","data":{"trade_id":"T","from":"a","to":"b","text":"hi\n\u00e9","timestamp_ms":5}})");
  ASSERT_TRUE(r) << r.error().message;
  Event e = r->front();
  e.seq = 7;
  const json::value stored = json::parse(eventToJson(e, 1));
  EXPECT_EQ(stored.at("seq").as_int64(), 7);
  EXPECT_EQ(stored.at("time_ms").as_int64(), 1732450000123);
  EXPECT_EQ(stored.at("data").at("text").as_string(), "hi\n\xc3\xa9");
  EXPECT_EQ(stored.at("attributes").at("account"), (json::array{"a", "b"}));
  // The stored form minus gateway fields publishes the same event again.
  json::object again{
      {"topic", stored.at("topic")}, {"attributes", stored.at("attributes")}, {"data", stored.at("data")}};
  auto back = eventsFromJson(json::serialize(again), topicSet(), PublishLimits{}, e.time_ms);
  ASSERT_TRUE(back) << back.error().message;
  Event expected = e;
  expected.seq = 0;
  EXPECT_EQ(back->front(), expected);
}

TEST(EventJsonTest, IntegerOutside64BitsIsRefusedNotRounded) {
  auto r = parse(R"([{"topic":"acme.alerts","data":{"ok":18446744073709551615}},)"
                 R"({"topic":"acme.alerts","data":{"list":[1,{"n":123456789012345678901}]}}])");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::invalid_params);
  EXPECT_EQ(r.error().field, "[1].data.list[1].n");
  EXPECT_NE(r.error().message.find("123456789012345678901"), std::string::npos);

  // Fractions and exponents are doubles by nature, and the largest 64-bit integers are exact.
  auto fine = parse(R"({"topic":"acme.alerts","data":{"a":-9223372036854775808,"b":1.5,"c":1e2}})");
  EXPECT_TRUE(fine) << fine.error().message;
}

TEST(EventJsonTest, AppendJsonStringEscapes) {
  std::string out;
  appendJsonString(out, "plain");
  EXPECT_EQ(out, "\"plain\"");
  out.clear();
  appendJsonString(out, std::string("q\"b\\n\n\x01", 8));
  EXPECT_EQ(json::parse(out).as_string(), std::string("q\"b\\n\n\x01", 8));
}

}  // namespace
}  // namespace herald::schema
