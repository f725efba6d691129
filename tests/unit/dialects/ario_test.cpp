#include "dialects/ario.h"

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include <variant>

namespace herald::dialects {
namespace {

namespace json = boost::json;

EventPtr event(std::string topic, std::string data, std::vector<Attribute> attributes = {}) {
  auto e = std::make_shared<Event>();
  e->topic = std::move(topic);
  e->seq = 1;
  e->data = std::move(data);
  e->attributes = std::move(attributes);
  e->normalizeAttributes();
  return e;
}

class ArioTest : public ::testing::Test {
 protected:
  Decoded decode(std::string_view text, std::int64_t now_ms = 1000) {
    return dialect_.decode(text, false, *state_, DecodeContext{now_ms, nullptr});
  }
  SubscribeCommand subscribed(std::string_view text) {
    Decoded d = decode(text);
    EXPECT_TRUE(std::holds_alternative<Command>(d)) << text;
    if (!std::holds_alternative<Command>(d)) return {};
    const auto& c = std::get<Command>(d);
    EXPECT_EQ(c.id, "ar_subscribe");
    return std::get<SubscribeCommand>(c.body);
  }
  Rejection rejected(std::string_view text, std::int64_t now_ms = 1000) {
    Decoded d = decode(text, now_ms);
    EXPECT_TRUE(std::holds_alternative<Rejection>(d)) << text;
    return std::holds_alternative<Rejection>(d) ? std::get<Rejection>(d) : Rejection{};
  }
  json::value reply(const Reply& r) { return json::parse(dialect_.encodeReply(r, *state_)->bytes); }

  Ario dialect_;
  std::unique_ptr<DialectState> state_ = dialect_.newState();
};

TEST_F(ArioTest, SeedSubscribeToAllNewTransactions) {
  // The seed's example 1 (its trailing comma aside, which JSON does not allow).
  const auto c = subscribed(R"({"method": "ar_subscribe", "event": "new_tx", "params": null})");
  EXPECT_EQ(c.topic, "chain.tx");
  EXPECT_TRUE(c.filter.matchesAll());
  EXPECT_TRUE(c.delivery.batch);
  EXPECT_FALSE(c.since);  // notifications only for events after subscribing
}

TEST_F(ArioTest, FilterHoldsOnlyWhenEveryConditionHolds) {
  const auto c = subscribed(R"({"method":"ar_subscribe","event":"new_tx","params":{"owner":"sb7","target":"t9",
      "tags":[{"name":"App-Name","value":"ArDrive"},{"name":"Content-Type","value":"image/png"}]}})");
  const auto matching = event("chain.tx", "{}",
                              {{"owner", {"sb7"}}, {"target", {"t9"}}, {"tag:App-Name", {"ArDrive"}},
                               {"tag:Content-Type", {"image/png", "text/plain"}}});
  EXPECT_TRUE(c.filter.matches(*matching));
  const auto wrong_tag = event("chain.tx", "{}",
                               {{"owner", {"sb7"}}, {"target", {"t9"}}, {"tag:App-Name", {"ArDrive"}},
                                {"tag:Content-Type", {"text/plain"}}});
  EXPECT_FALSE(c.filter.matches(*wrong_tag));
  const auto other_owner = event("chain.tx", "{}",
                                 {{"owner", {"x"}}, {"target", {"t9"}}, {"tag:App-Name", {"ArDrive"}},
                                  {"tag:Content-Type", {"image/png"}}});
  EXPECT_FALSE(c.filter.matches(*other_owner));
}

TEST_F(ArioTest, TwoTagsWithOneNameMustBothBePresent) {
  const auto c = subscribed(R"({"method":"ar_subscribe","event":"new_tx","params":{"tags":[
      {"name":"Type","value":"a"},{"name":"Type","value":"b"}]}})");
  EXPECT_TRUE(c.filter.matches(*event("chain.tx", "{}", {{"tag:Type", {"a", "b"}}})));
  EXPECT_FALSE(c.filter.matches(*event("chain.tx", "{}", {{"tag:Type", {"a"}}})));
}

TEST_F(ArioTest, NewBlockTakesNoParams) {
  EXPECT_EQ(subscribed(R"({"method":"ar_subscribe","event":"new_block"})").topic, "chain.block");
  EXPECT_FALSE(subscribed(R"({"method":"ar_subscribe","event":"new_block","params":{}})").delivery.batch);
  EXPECT_EQ(rejected(R"({"method":"ar_subscribe","event":"new_block","params":{"owner":"x"}})").error.code,
            Errc::invalid_params);
}

TEST_F(ArioTest, BadParamsAreDenied) {
  for (std::string_view text : {
           R"({"method":"ar_subscribe","event":"new_tx","params":[]})",
           R"({"method":"ar_subscribe","event":"new_tx","params":{"owner":5}})",
           R"({"method":"ar_subscribe","event":"new_tx","params":{"owner":""}})",
           R"({"method":"ar_subscribe","event":"new_tx","params":{"sender":"x"}})",
           R"({"method":"ar_subscribe","event":"new_tx","params":{"tags":{"name":"a","value":"b"}}})",
           R"({"method":"ar_subscribe","event":"new_tx","params":{"tags":[{"name":"a"}]}})",
           R"({"method":"ar_subscribe","event":"new_tx","params":{"tags":[{"name":"a","value":"b","x":1}]}})",
           R"({"method":"ar_subscribe","event":"new_tx","extra":1})",
       }) {
    const Rejection r = rejected(text);
    EXPECT_EQ(r.error.code, Errc::invalid_params) << text;
    EXPECT_EQ(r.id, "ar_subscribe") << text;
    EXPECT_FALSE(r.fatal);
  }
}

TEST_F(ArioTest, DenialsNameTheReason) {
  const Rejection unknown = rejected(R"({"method":"ar_subscribe","event":"new_gift"})");
  EXPECT_EQ(reply(ErrorReply{unknown.id, unknown.error}),
            json::parse(R"({"method":"ar_subscribe_denied","result":{"reason":"unknown_event",
                "message":"unknown event \"new_gift\"; events are new_tx and new_block"}})"));
  EXPECT_EQ(Ario::reason(Errc::invalid_params), "bad_params");
  EXPECT_EQ(Ario::reason(Errc::too_many_subscriptions), "limit_reached");
  EXPECT_EQ(Ario::reason(Errc::rate_limited), "rate_limited");
  const json::value other = reply(ErrorReply{"", Error::make(Errc::parse_error, "bad")});
  EXPECT_EQ(other.at("method"), "ar_error");
  EXPECT_EQ(other.at("result").at("reason"), "bad_request");
}

TEST_F(ArioTest, SubscriptionLimitCountsAcceptedMinusUnsubscribed) {
  ArioOptions options;
  options.max_subscriptions = 2;
  Ario dialect(options);
  auto state = dialect.newState();
  const std::string sub = R"({"method":"ar_subscribe","event":"new_block"})";
  auto accept = [&](std::string id) { dialect.encodeReply(SubscribedReply{"ar_subscribe", id, "chain.block", {}, {}}, *state); };
  ASSERT_TRUE(std::holds_alternative<Command>(dialect.decode(sub, false, *state, DecodeContext{})));
  accept("a");
  accept("b");
  const Decoded over = dialect.decode(sub, false, *state, DecodeContext{});
  ASSERT_TRUE(std::holds_alternative<Rejection>(over));
  EXPECT_EQ(std::get<Rejection>(over).error.code, Errc::too_many_subscriptions);
  dialect.encodeReply(UnsubscribedReply{"ar_unsubscribe", "a"}, *state);
  EXPECT_TRUE(std::holds_alternative<Command>(dialect.decode(sub, false, *state, DecodeContext{})));
}

TEST_F(ArioTest, RateLimitDeniesWithTheClockFromTheContext) {
  ArioOptions options;
  options.rate = RateLimit{1, 2};
  Ario dialect(options);
  auto state = dialect.newState();
  const std::string sub = R"({"method":"ar_subscribe","event":"new_block"})";
  EXPECT_TRUE(std::holds_alternative<Command>(dialect.decode(sub, false, *state, DecodeContext{5000, nullptr})));
  EXPECT_TRUE(std::holds_alternative<Command>(dialect.decode(sub, false, *state, DecodeContext{5000, nullptr})));
  const Decoded limited = dialect.decode(sub, false, *state, DecodeContext{5000, nullptr});
  ASSERT_TRUE(std::holds_alternative<Rejection>(limited));
  EXPECT_EQ(std::get<Rejection>(limited).error.code, Errc::rate_limited);
  EXPECT_EQ(std::get<Rejection>(limited).id, "ar_subscribe");
  EXPECT_TRUE(std::holds_alternative<Command>(dialect.decode(sub, false, *state, DecodeContext{6000, nullptr})));
}

TEST_F(ArioTest, AcceptedMatchesTheSeedExample) {
  EXPECT_EQ(reply(SubscribedReply{"ar_subscribe", "bd52673d-832f-4b34-a79d-79058e7f6989", "chain.tx", {}, {}}),
            json::parse(R"({"method":"ar_subscribe_accepted","result":"bd52673d-832f-4b34-a79d-79058e7f6989"})"));
}

TEST_F(ArioTest, UnsubscribeIsDecodedAndAcknowledged) {
  // The seed's example 4 (without its trailing comma).
  Decoded d = decode(R"({"method":"ar_unsubscribe","params":{"subscription":"bd52673d-832f-4b34-a79d-79058e7f6989"}})");
  ASSERT_TRUE(std::holds_alternative<Command>(d));
  EXPECT_EQ(std::get<UnsubscribeCommand>(std::get<Command>(d).body).subscription,
            "bd52673d-832f-4b34-a79d-79058e7f6989");
  EXPECT_EQ(reply(UnsubscribedReply{"ar_unsubscribe", "bd52673d-832f-4b34-a79d-79058e7f6989"}),
            json::parse(R"({"method":"ar_unsubscribe_accepted","result":"bd52673d-832f-4b34-a79d-79058e7f6989"})"));
  const json::value unknown = reply(ErrorReply{"ar_unsubscribe", Error::make(Errc::unknown_subscription, "no")});
  EXPECT_EQ(unknown.at("method"), "ar_unsubscribe_denied");
  EXPECT_EQ(unknown.at("result").at("reason"), "unknown_subscription");
  EXPECT_EQ(rejected(R"({"method":"ar_unsubscribe"})").id, "ar_unsubscribe");
}

TEST_F(ArioTest, MalformedMessagesAreErrorsNotCloses) {
  for (std::string_view text : {"", "nope", "[]", "{}", R"({"method":5})", R"({"method":"eth_subscribe"})"}) {
    const Rejection r = rejected(text);
    EXPECT_FALSE(r.fatal) << text;
    EXPECT_TRUE(r.id.empty()) << text;
  }
  EXPECT_TRUE(std::holds_alternative<Rejection>(dialect_.decode("{}", true, *state_, DecodeContext{})));
}

TEST_F(ArioTest, MessageCarriesTheSubscriptionAndEveryMatchingTransaction) {
  const std::vector<EventPtr> txs{
      event("chain.tx", R"({"txid":"FPDHr4gKD","height":7,"owner":"sb7fS07r5","target":"","fee":12,"tags":[{"name":"A","value":"b"}]})"),
      event("chain.tx", R"({"txid":"4d0G6Nk4z","height":7,"owner":"pnqyui51Q","target":"x","fee":3,"tags":[],"data_size":9})")};
  const json::value v =
      json::parse(dialect_.encodeBatch(txs, "bd52673d-832f-4b34-a79d-79058e7f6989", Cursor{}, Delivery{0, true, {}}, NodeView{})->bytes);
  EXPECT_EQ(v.at("method"), "ar_subscribe_msg");
  EXPECT_EQ(v.at("params"), json::parse(R"({"subscription":"bd52673d-832f-4b34-a79d-79058e7f6989"})"));
  const auto& result = v.at("result").as_array();
  ASSERT_EQ(result.size(), 2u);
  EXPECT_EQ(result[0], json::parse(R"({"id":"FPDHr4gKD","height":7,"owner":"sb7fS07r5","target":"","reward":12,
                                       "tags":[{"name":"A","value":"b"}]})"));
  EXPECT_EQ(result[1].at("id"), "4d0G6Nk4z");
  EXPECT_EQ(result[1].at("data_size"), 9);  // fields beyond the catalog's pass through
}

TEST_F(ArioTest, NewBlockMessageCarriesOneBlock) {
  const auto block = event("chain.block", R"({"height":1520000,"hash":"ca97","prev_hash":"3e23","timestamp_ms":1732450000999,"tx_count":1,"tx_ids":["2e7d"]})");
  const json::value v = json::parse(dialect_.encodeEvent(*block, "u", Cursor{}, Delivery{}, NodeView{})->bytes);
  EXPECT_EQ(v.at("result"), json::parse(R"({"height":1520000,"indep_hash":"ca97","previous_block":"3e23",
                                             "timestamp":1732450000,"tx_count":1,"txs":["2e7d"]})"));
  EXPECT_FALSE(dialect_.sharedSubscriptionIds());
}

}  // namespace
}  // namespace herald::dialects
