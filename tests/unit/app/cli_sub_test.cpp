#include "app/cli_sub.h"

#include <boost/json.hpp>
#include <gtest/gtest.h>

namespace herald::app {
namespace {

namespace json = boost::json;

TEST(CliSubTest, FiltersBecomeStringsOrArraysWhenAKeyRepeats) {
  auto filter =
      filterFromFlags({"market=XMR/BTC", "direction=buy", "market=XMR/EUR", "market=XMR/BTC", "note=a=b"});
  ASSERT_TRUE(filter) << filter.error().message;
  EXPECT_EQ(json::value(*filter),
            json::parse(R"({"market":["XMR/BTC","XMR/EUR"],"direction":"buy","note":"a=b"})"));
  EXPECT_EQ(filterFromFlags({"k=v", "k=v"}).value(), json::parse(R"({"k":"v"})").as_object());
  EXPECT_EQ(filterFromFlags({"k="}).value(), json::parse(R"({"k":""})").as_object());
  EXPECT_TRUE(filterFromFlags({}).value().empty());
}

TEST(CliSubTest, FilterErrorsNameTheFlag) {
  auto no_eq = filterFromFlags({"market"});
  ASSERT_FALSE(no_eq);
  EXPECT_EQ(no_eq.error().message, "--filter 'market': expected KEY=VALUE");
  auto no_key = filterFromFlags({"=x"});
  ASSERT_FALSE(no_key);
  EXPECT_EQ(no_key.error().message, "--filter '=x': the key is empty");
}

TEST(CliSubTest, SubscribeRequestIsJsonRpc) {
  const auto filter = filterFromFlags({"market=XMR/BTC", "market=XMR/USD"}).value();
  EXPECT_EQ(json::parse(subscribeRequest(1, "dex.offer", filter, "7d3f0c2a9b1e4f60:1042")),
            json::parse(R"({"jsonrpc":"2.0","id":1,"method":"subscribe","params":{"topic":"dex.offer",
              "filter":{"market":["XMR/BTC","XMR/USD"]},"since":"7d3f0c2a9b1e4f60:1042"}})"));
  EXPECT_EQ(json::parse(subscribeRequest(2, "chain.block", {}, "")),
            json::parse(R"({"jsonrpc":"2.0","id":2,"method":"subscribe","params":{"topic":"chain.block"}})"));
}

TEST(CliSubTest, FramesAreClassified) {
  const auto event = classifyFrame(
      R"({"jsonrpc":"2.0","method":"event","params":{"subscription":"s1","topic":"chain.block","seq":5,)"
      R"("cursor":"00000000000000aa:5","time_ms":1,"data":{"height":9}}})");
  EXPECT_EQ(event.kind, SubFrame::Kind::event);
  EXPECT_EQ(
      event.line,
      R"({"subscription":"s1","topic":"chain.block","seq":5,"cursor":"00000000000000aa:5","time_ms":1,"data":{"height":9}})");

  const auto gap = classifyFrame(
      R"({"jsonrpc":"2.0","method":"gap","params":{"subscription":"s1","epoch":"00000000000000aa","missed_from":1,)"
      R"("missed_to":4,"reason":"history_expired"}})");
  EXPECT_EQ(gap.kind, SubFrame::Kind::gap);
  EXPECT_EQ(json::parse(gap.line).at("missed_to"), 4);

  const auto error = classifyFrame(
      R"({"jsonrpc":"2.0","id":1,"error":{"code":-32602,"message":"params.topic: unknown topic"}})");
  EXPECT_EQ(error.kind, SubFrame::Kind::error);
  EXPECT_EQ(error.line, R"({"code":-32602,"message":"params.topic: unknown topic"})");

  EXPECT_EQ(classifyFrame(R"({"jsonrpc":"2.0","id":1,"result":{"subscription":"s1"}})").kind,
            SubFrame::Kind::other);
  EXPECT_EQ(classifyFrame(R"({"jsonrpc":"2.0","method":"status","params":{}})").kind, SubFrame::Kind::other);
  EXPECT_EQ(classifyFrame("not json").kind, SubFrame::Kind::invalid);
  EXPECT_EQ(classifyFrame("[1,2]").kind, SubFrame::Kind::invalid);
}

}  // namespace
}  // namespace herald::app
