#include "sources/http_poll_mapping.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "schema/catalog.h"

namespace herald::sources {
namespace {

namespace json = boost::json;

constexpr std::int64_t kNow = 1'795'441'556'000;

const TopicSet& topics() {
  static const TopicSet set = schema::topicSet({"monerod.info", "signum.status"});
  return set;
}

// A recorded monerod 0.18 get_info reply (regtest), trimmed to the members the mapping reads plus a
// few it ignores.
const char* const kGetInfo = R"({"id":"0","jsonrpc":"2.0","result":{
  "height":128,"target_height":0,"top_block_hash":"a3b6d0b1f0e1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f708192a3b4c5d6e7f8091",
  "nettype":"fakechain","synchronized":true,"busy_syncing":false,"version":"0.18.3.1-release",
  "outgoing_connections_count":0,"incoming_connections_count":0,"status":"OK","untrusted":false}})";

const char* const kGetInfoDefinition = R"({
  "url": "http://127.0.0.1:18081/json_rpc",
  "body": {"jsonrpc": "2.0", "id": "0", "method": "get_info"},
  "topic": "monerod.info",
  "fields": {"height": "/result/height", "hash": "/result/top_block_hash", "version": "/result/version",
             "synchronized": "/result/synchronized"},
  "attributes": {"network": "/result/nettype", "synchronized": "/result/synchronized"},
  "key": "/result/top_block_hash"
})";

HttpPollDefinition definition(const char* text) {
  auto d = parseHttpPollDefinition(json::parse(text), topics());
  EXPECT_TRUE(d) << d.error().message;
  return d ? *d : HttpPollDefinition{};
}

std::string error(const char* text) {
  auto d = parseHttpPollDefinition(json::parse(text), topics());
  EXPECT_FALSE(d) << text;
  return d ? std::string() : d.error().message;
}

TEST(JsonPointer, AcceptsRfc6901AndNamesTheFault) {
  EXPECT_TRUE(checkJsonPointer(""));
  EXPECT_TRUE(checkJsonPointer("/result/height"));
  EXPECT_TRUE(checkJsonPointer("/a~1b/~0c/0"));
  EXPECT_NE(checkJsonPointer("result/height").error().message.find("must start with '/'"), std::string::npos);
  EXPECT_NE(checkJsonPointer("/a~2").error().message.find("'~' must be followed by 0 or 1"),
            std::string::npos);
  EXPECT_FALSE(checkJsonPointer("/a~"));
}

TEST(HttpPollDefinition, AJsonRpcBodyMeansPost) {
  const auto d = definition(kGetInfoDefinition);
  EXPECT_EQ(d.method, "POST");
  EXPECT_EQ(d.url.port, 18081);
  EXPECT_EQ(d.url.target, "/json_rpc");
  EXPECT_EQ(d.body.at("method"), "get_info");
  EXPECT_EQ(d.mapping.topic, "monerod.info");
  ASSERT_EQ(d.mapping.fields.size(), 4u);
  EXPECT_EQ(d.mapping.fields[0], (std::pair<std::string, std::string>{"height", "/result/height"}));
  EXPECT_EQ(d.mapping.key, "/result/top_block_hash");
}

TEST(HttpPollDefinition, GetIsTheDefault) {
  const auto d = definition(R"({"url": "http://127.0.0.1:8125/burst?requestType=getBlockchainStatus",
    "topic": "signum.status", "fields": {"height": "/numberOfBlocks"}})");
  EXPECT_EQ(d.method, "GET");
  EXPECT_EQ(d.url.target, "/burst?requestType=getBlockchainStatus");
  EXPECT_FALSE(d.mapping.key);
}

TEST(HttpPollDefinition, ErrorsNameTheMemberAndTheFault) {
  EXPECT_NE(
      error(R"({"url": "http://h:1/", "topic": "signum.status", "fields": {"height": "numberOfBlocks"}})")
          .find("fields.height: 'numberOfBlocks' is not a JSON Pointer"),
      std::string::npos);
  EXPECT_NE(error(R"({"url": "http://h:1/", "topic": "signum.status", "fields": {"h": "/a"}, "key": "/b~3"})")
                .find("key: '/b~3' is not a JSON Pointer"),
            std::string::npos);
  EXPECT_NE(error(R"({"url": "http://h:1/", "topic": "signum.status", "fields": {"h": 5}})")
                .find("fields.h must be"),
            std::string::npos);
  EXPECT_NE(error(R"({"url": "http://h:1/", "topic": "nope.topic", "fields": {"h": "/a"}})")
                .find("topic 'nope.topic' is neither a catalog topic nor declared in [topics] extra"),
            std::string::npos);
  EXPECT_NE(error(R"({"url": "http://h:1/", "topic": "signum.status", "fields": {"h": "/a"}, "filds": {}})")
                .find("unknown member 'filds'"),
            std::string::npos);
  EXPECT_NE(
      error(R"({"url": "https://h:1/", "topic": "signum.status", "fields": {"h": "/a"}})").find("url: "),
      std::string::npos);
  EXPECT_NE(error(R"({"topic": "signum.status", "fields": {"h": "/a"}})").find("url is missing"),
            std::string::npos);
  EXPECT_NE(error(R"({"url": "http://h:1/", "topic": "signum.status"})").find("fields is missing"),
            std::string::npos);
  EXPECT_NE(error(R"({"url": "http://h:1/", "topic": "signum.status", "fields": {}})").find("at least one"),
            std::string::npos);
  EXPECT_NE(error(R"({"url": "http://h:1/", "method": "GET", "body": {}, "topic": "signum.status",
                      "fields": {"h": "/a"}})")
                .find("method GET cannot send a body"),
            std::string::npos);
  EXPECT_NE(
      error(R"({"url": "http://h:1/", "method": "PUT", "topic": "signum.status", "fields": {"h": "/a"}})")
          .find("method must be"),
      std::string::npos);
  EXPECT_NE(error("[1]").find("must be a JSON object"), std::string::npos);
}

TEST(MapResponse, CopiesPointedValuesAndStringifiesAttributes) {
  const auto d = definition(kGetInfoDefinition);
  auto mapped = mapResponse(d.mapping, json::parse(kGetInfo), topics(), kNow);
  ASSERT_TRUE(mapped) << mapped.error().message;
  EXPECT_EQ(mapped->event.topic, "monerod.info");
  EXPECT_EQ(
      json::parse(mapped->event.data),
      json::parse(R"({"height":128,"hash":"a3b6d0b1f0e1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f708192a3b4c5d6e7f8091",
                            "version":"0.18.3.1-release","synchronized":true})"));
  ASSERT_NE(mapped->event.attribute("network"), nullptr);
  EXPECT_EQ(*mapped->event.attribute("network"), std::vector<std::string>{"fakechain"});
  EXPECT_EQ(*mapped->event.attribute("synchronized"), std::vector<std::string>{"true"});
  EXPECT_EQ(mapped->key, "\"a3b6d0b1f0e1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f708192a3b4c5d6e7f8091\"");
}

TEST(MapResponse, AMissingValueNamesThePointerAndTheField) {
  const auto d = definition(kGetInfoDefinition);
  // A JSON-RPC error reply has no result: the first field's pointer is named.
  auto mapped = mapResponse(d.mapping, json::parse(R"({"id":"0","jsonrpc":"2.0","error":{"code":-32601,
    "message":"Method not found"}})"),
                            topics(), kNow);
  ASSERT_FALSE(mapped);
  EXPECT_EQ(mapped.error().code, Errc::parse_error);
  EXPECT_EQ(mapped.error().message, "/result/height (field height) is not in the response");
  EXPECT_EQ(mapped.error().field, "/result/height");

  json::value reply = json::parse(kGetInfo);
  reply.at("result").as_object().erase("nettype");
  mapped = mapResponse(d.mapping, reply, topics(), kNow);
  ASSERT_FALSE(mapped);
  EXPECT_EQ(mapped.error().message, "/result/nettype (attribute network) is not in the response");

  reply = json::parse(kGetInfo);
  reply.at("result").as_object()["nettype"] = json::array{"a"};
  mapped = mapResponse(d.mapping, reply, topics(), kNow);
  ASSERT_FALSE(mapped);
  EXPECT_NE(mapped.error().message.find("must be a string, number or boolean, not an array"),
            std::string::npos);
}

TEST(MapResponse, WithoutAKeyTheWholeMappedEventIsTheKey) {
  const auto d = definition(R"({"url": "http://h:1/", "topic": "signum.status",
    "fields": {"height": "/numberOfBlocks", "block": "/lastBlock"}})");
  auto a = mapResponse(d.mapping, json::parse(R"({"numberOfBlocks": 7, "lastBlock": "1", "time": 1})"),
                       topics(), kNow);
  auto b = mapResponse(d.mapping, json::parse(R"({"numberOfBlocks": 7, "lastBlock": "1", "time": 2})"),
                       topics(), kNow);
  auto c = mapResponse(d.mapping, json::parse(R"({"numberOfBlocks": 8, "lastBlock": "2", "time": 2})"),
                       topics(), kNow);
  ASSERT_TRUE(a && b && c);
  EXPECT_EQ(a->key, b->key) << "a member outside the mapping does not count as a change";
  EXPECT_NE(b->key, c->key);
}

TEST(MapResponse, PointersFollowRfc6901Escapes) {
  const auto d = definition(R"({"url": "http://h:1/", "topic": "signum.status",
    "fields": {"x": "/a~1b/~0c", "first": "/list/0", "whole": ""}})");
  auto mapped =
      mapResponse(d.mapping, json::parse(R"({"a/b": {"~c": 1}, "list": ["p", "q"]})"), topics(), kNow);
  ASSERT_TRUE(mapped) << mapped.error().message;
  const auto data = json::parse(mapped->event.data);
  EXPECT_EQ(data.at("x"), 1);
  EXPECT_EQ(data.at("first"), "p");
  EXPECT_EQ(data.at("whole").at("list").as_array().size(), 2u);
}

TEST(MapResponse, ACatalogTopicKeepsItsRules) {
  const auto d = definition(R"({"url": "http://h:1/", "topic": "node.status",
    "fields": {"version": "/result/version", "local_height": "/result/height"}})");
  auto mapped = mapResponse(d.mapping, json::parse(kGetInfo), topics(), kNow);
  ASSERT_FALSE(mapped) << "node.status needs network, peers, ...";
  EXPECT_NE(mapped.error().message.find("data."), std::string::npos) << mapped.error().message;
}

}  // namespace
}  // namespace herald::sources
