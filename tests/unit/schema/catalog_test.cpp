// The catalog against docs/events.md: every documented example is valid, every listed field is
// required with its type, and each topic derives the documented attributes.
#include "schema/catalog.h"

#include "schema/event_json.h"

#include <boost/json.hpp>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <sstream>

namespace herald::schema {
namespace {

namespace json = boost::json;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::UnorderedElementsAreArray;

// The catalog as ARCHITECTURE.md and docs/events.md state it: topic -> required data fields.
const std::map<std::string, std::vector<std::string>>& requiredFields() {
  static const std::map<std::string, std::vector<std::string>> fields{
      {"chain.block", {"height", "hash", "prev_hash", "timestamp_ms", "tx_count", "tx_ids"}},
      {"chain.reorg", {"fork_height", "depth", "old_tip", "new_tip"}},
      {"chain.tx", {"txid", "height", "owner", "target", "tags", "fee"}},
      {"mempool.tx", {"txid", "fee", "size"}},
      {"node.status",
       {"version", "network", "local_height", "global_height", "connected", "syncing", "peers"}},
      {"account.tx", {"account", "txid", "height", "direction", "amount", "fee", "timestamp_ms"}},
      {"dex.offer",
       {"offer_id", "action", "market", "direction", "price_rate", "amount", "currency", "payment_method"}},
      {"dex.price", {"market", "price_rate", "timestamp_ms"}},
      {"dex.epoch",
       {"order_id", "market", "epoch", "order_type", "direction", "amount", "price_rate", "commitment",
        "target", "timestamp_ms"}},
      {"dex.match", {"market", "epoch", "preimages", "misses", "checksum", "seed"}},
      {"dex.trade", {"trade_id", "phase", "account", "counterparty", "amount"}},
      {"dex.chat", {"trade_id", "from", "to", "text", "timestamp_ms"}},
      {"dex.dispute", {"trade_id", "state", "buyer", "seller", "ruling"}},
      {"wallet.balance", {"account", "available", "locked"}},
      {"system.notice", {"level", "code", "message"}},
  };
  return fields;
}

// Every "### `topic`" section of docs/events.md and the first ```json block after it.
std::map<std::string, std::string> docsExamples() {
  std::ifstream in(std::string(HERALD_DOCS_DIR) + "/events.md");
  std::map<std::string, std::string> out;
  std::string line, topic, block;
  bool in_block = false;
  while (std::getline(in, line)) {
    if (in_block) {
      if (line == "```") {
        out.emplace(topic, block);
        in_block = false;
        topic.clear();
      } else {
        block += line + "\n";
      }
    } else if (line.starts_with("### `") && line.ends_with("`")) {
      topic = line.substr(5, line.size() - 6);
    } else if (line == "```json" && !topic.empty()) {
      in_block = true;
      block.clear();
    }
  }
  return out;
}

const std::map<std::string, std::string>& examples() {
  static const auto loaded = docsExamples();
  return loaded;
}

Event parseExample(const std::string& topic) {
  auto events = eventsFromJson(examples().at(topic), topicSet(), PublishLimits{}, 1000);
  EXPECT_TRUE(events.has_value()) << topic << ": " << (events ? "" : events.error().message);
  if (!events) return {};
  EXPECT_EQ(events->size(), 1u);
  return events->front();
}

std::vector<std::string> attr(const Event& e, std::string_view key) {
  const auto* values = e.attribute(key);
  return values ? *values : std::vector<std::string>{};
}

std::vector<std::string> keys(const Event& e) {
  std::vector<std::string> out;
  for (const auto& a : e.attributes) out.push_back(a.key);
  return out;
}

// Runs `data` (an example's data with a change) through the catalog.
Result<Event> withData(const std::string& topic, const json::object& data) {
  json::object event{{"topic", topic}, {"data", data}};
  return eventFromJson(event, topicSet(), PublishLimits{}, 0);
}

json::object exampleData(const std::string& topic) {
  return json::parse(examples().at(topic)).as_object().at("data").as_object();
}

TEST(CatalogTest, ListsExactlyTheDocumentedTopics) {
  std::vector<std::string> expected;
  for (const auto& [topic, fields] : requiredFields()) expected.push_back(topic);
  EXPECT_THAT(catalogTopics(), UnorderedElementsAreArray(expected));
  for (const auto& topic : expected) EXPECT_TRUE(isCatalogTopic(topic)) << topic;
  EXPECT_FALSE(isCatalogTopic("chain.blocks"));
}

TEST(CatalogTest, TopicSetAddsOperatorTopics) {
  const TopicSet set = topicSet({"acme.alerts"});
  EXPECT_TRUE(set.contains("acme.alerts"));
  EXPECT_TRUE(set.contains("dex.offer"));
  EXPECT_FALSE(set.contains("acme.other"));
  EXPECT_FALSE(topicSet().contains("acme.alerts"));
}

TEST(CatalogTest, TopicNameRules) {
  EXPECT_TRUE(checkTopicName("chain.block"));
  EXPECT_TRUE(checkTopicName("a"));
  EXPECT_TRUE(checkTopicName("x_y-z.0.9"));
  EXPECT_TRUE(checkTopicName(std::string(128, 'a')));
  EXPECT_FALSE(checkTopicName(""));
  EXPECT_FALSE(checkTopicName(std::string(129, 'a')));
  for (std::string bad : {"Chain.block", "chain block", "chain/block", "chain:block", "ché"}) {
    auto r = checkTopicName(bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().code, Errc::invalid_params);
  }
}

TEST(CatalogTest, DocsHaveAValidExampleForEveryTopic) {
  for (const auto& topic : catalogTopics()) {
    ASSERT_TRUE(examples().contains(topic)) << "docs/events.md has no example for " << topic;
    const Event e = parseExample(topic);
    EXPECT_EQ(e.topic, topic);
    EXPECT_EQ(e.time_ms, 1000);
    EXPECT_EQ(e.seq, 0u);
    // Stored compact and equal in meaning to the example's data.
    EXPECT_EQ(json::parse(e.data), json::value(exampleData(topic))) << topic;
    EXPECT_EQ(e.data.find('\n'), std::string::npos);
  }
}

TEST(CatalogTest, DocsExamplesCarryTheDocumentedFields) {
  for (const auto& [topic, fields] : requiredFields()) {
    const auto data = exampleData(topic);
    for (const auto& f : fields) EXPECT_TRUE(data.contains(f)) << topic << " example lacks " << f;
  }
}

TEST(CatalogTest, TopicsWithoutDerivedAttributes) {
  for (std::string topic : {"chain.block", "chain.reorg", "mempool.tx", "node.status"}) {
    EXPECT_TRUE(parseExample(topic).attributes.empty()) << topic;
  }
}

TEST(CatalogTest, ChainTxDerivesOwnerTargetAndTags) {
  const Event e = parseExample("chain.tx");
  EXPECT_THAT(keys(e),
              ElementsAre("owner", "tag:App-Name", "tag:Content-Type"));  // target "" derives nothing
  EXPECT_THAT(attr(e, "owner"), ElementsAre("Vh-NTHVvlKZqRxc8LyyTNok65yQ55a_PJ1zWLb9G2JI"));
  EXPECT_THAT(attr(e, "tag:App-Name"), ElementsAre("ArDrive-App"));
  EXPECT_THAT(attr(e, "tag:Content-Type"), ElementsAre("image/png"));

  auto data = exampleData("chain.tx");
  data["target"] = "recipient-1";
  data["tags"] = json::array{json::object{{"name", "Type"}, {"value", "b"}},
                             json::object{{"name", "Type"}, {"value", "a"}}};
  auto r = withData("chain.tx", data);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_THAT(attr(*r, "target"), ElementsAre("recipient-1"));
  EXPECT_THAT(attr(*r, "tag:Type"), ElementsAre("a", "b"));  // one name used twice: both values
}

TEST(CatalogTest, AccountTxDerivesAccountAndAllowsNullHeight) {
  const Event e = parseExample("account.tx");
  EXPECT_THAT(keys(e), ElementsAre("account"));
  EXPECT_THAT(attr(e, "account"), ElementsAre(exampleData("account.tx").at("account").as_string().c_str()));

  auto data = exampleData("account.tx");
  data["height"] = 3141593;
  EXPECT_TRUE(withData("account.tx", data));
  data["height"] = "3141593";
  auto r = withData("account.tx", data);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message, "data.height must be an integer or null");
}

TEST(CatalogTest, DexOfferDerivesMarketCurrencyPaymentMethodDirection) {
  const Event e = parseExample("dex.offer");
  EXPECT_THAT(keys(e), ElementsAre("currency", "direction", "market", "payment_method"));
  EXPECT_THAT(attr(e, "market"), ElementsAre("XMR/BTC"));
  EXPECT_THAT(attr(e, "currency"), ElementsAre("BTC"));
  EXPECT_THAT(attr(e, "payment_method"), ElementsAre("BLOCKCHAINS"));
  EXPECT_THAT(attr(e, "direction"), ElementsAre("sell"));
}

TEST(CatalogTest, DexPriceDerivesMarket) {
  const Event e = parseExample("dex.price");
  EXPECT_THAT(keys(e), ElementsAre("market"));
  EXPECT_THAT(attr(e, "market"), ElementsAre("XMR/EUR"));
}

TEST(CatalogTest, DexTradeDerivesAccountAndTradeId) {
  const Event e = parseExample("dex.trade");
  EXPECT_THAT(keys(e), ElementsAre("account", "trade_id"));
  EXPECT_THAT(attr(e, "account"), ElementsAre("node-a.onion:9999"));
  EXPECT_THAT(attr(e, "trade_id"), ElementsAre("T-7741"));
}

TEST(CatalogTest, DexChatDerivesBothPartiesAsAccount) {
  const Event e = parseExample("dex.chat");
  EXPECT_THAT(keys(e), ElementsAre("account", "trade_id"));
  EXPECT_THAT(attr(e, "account"), ElementsAre("node-a.onion:9999", "node-b.onion:9999"));
  EXPECT_THAT(attr(e, "trade_id"), ElementsAre("T-7741"));
}

TEST(CatalogTest, DexDisputeDerivesBuyerAndSellerAsAccount) {
  const Event e = parseExample("dex.dispute");
  EXPECT_THAT(keys(e), ElementsAre("account", "trade_id"));
  EXPECT_THAT(attr(e, "account"), ElementsAre("node-a.onion:9999", "node-b.onion:9999"));

  auto data = exampleData("dex.dispute");
  data["ruling"] = "payout to buyer";
  EXPECT_TRUE(withData("dex.dispute", data));
  data["ruling"] = 1;
  auto r = withData("dex.dispute", data);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().field, "data.ruling");
}

TEST(CatalogTest, WalletBalanceAndSystemNotice) {
  const Event w = parseExample("wallet.balance");
  EXPECT_THAT(keys(w), ElementsAre("account"));
  const Event n = parseExample("system.notice");
  EXPECT_THAT(keys(n), ElementsAre("level"));
  EXPECT_THAT(attr(n, "level"), ElementsAre("warning"));
}

TEST(CatalogTest, EveryRequiredFieldIsRequired) {
  for (const auto& [topic, fields] : requiredFields()) {
    for (const auto& f : fields) {
      auto data = exampleData(topic);
      data.erase(f);
      auto r = withData(topic, data);
      ASSERT_FALSE(r) << topic << " accepted data without " << f;
      EXPECT_EQ(r.error().code, Errc::invalid_params);
      EXPECT_EQ(r.error().field, "data." + f);
      EXPECT_EQ(r.error().message, "data." + f + " is required");
    }
  }
}

TEST(CatalogTest, ExtraDataFieldsAreKept) {
  auto data = exampleData("mempool.tx");
  data["relayed_by"] = "peer-7";
  auto r = withData("mempool.tx", data);
  ASSERT_TRUE(r);
  EXPECT_EQ(json::parse(r->data).at("relayed_by"), "peer-7");
}

struct BadValue {
  std::string topic;
  std::string field;
  json::value value;
  std::string message;
};

TEST(CatalogTest, WrongTypesAreNamed) {
  const std::vector<BadValue> cases{
      {"chain.block", "height", "12", "data.height must be an integer"},
      {"chain.block", "height", 12.5, "data.height must be an integer"},
      {"chain.block", "height", -1, "data.height must not be negative"},
      {"chain.block", "hash", 7, "data.hash must be a string"},
      {"chain.block", "hash", "", "data.hash must not be empty"},
      {"chain.block", "tx_ids", "abc", "data.tx_ids must be an array of strings"},
      {"chain.block", "tx_ids", json::array{"a", 1}, "data.tx_ids[1] must be a non-empty string"},
      {"node.status", "connected", "yes", "data.connected must be a boolean"},
      {"node.status", "syncing", 0, "data.syncing must be a boolean"},
      {"account.tx", "direction", "sideways", "data.direction must be one of: receive, spend"},
      {"dex.offer", "action", "edited", "data.action must be one of: added, removed"},
      {"dex.offer", "direction", "BUY", "data.direction must be one of: buy, sell"},
      {"dex.offer", "price_rate", "2.81e-3", "data.price_rate must be an integer"},
      {"system.notice", "level", "fatal", "data.level must be one of: info, warning, error"},
      {"dex.chat", "text", json::value(nullptr), "data.text must be a string"},
      {"chain.tx", "tags", json::object{}, "data.tags must be an array of {name, value} objects"},
      {"chain.tx", "tags", json::array{"x"}, "data.tags[0] must be an object with name and value"},
      {"chain.tx", "tags", json::array{json::object{{"value", "v"}}}, "data.tags[0].name is required"},
      {"chain.tx", "tags", json::array{json::object{{"name", ""}, {"value", "v"}}},
       "data.tags[0].name must be a non-empty string"},
      {"chain.tx", "tags", json::array{json::object{{"name", "n"}}}, "data.tags[0].value is required"},
      {"chain.tx", "tags", json::array{json::object{{"name", "n"}, {"value", 3}}},
       "data.tags[0].value must be a string"},
  };
  for (const auto& c : cases) {
    auto data = exampleData(c.topic);
    data[c.field] = c.value;
    auto r = withData(c.topic, data);
    ASSERT_FALSE(r) << c.topic << " " << c.field << " accepted " << json::serialize(c.value);
    EXPECT_EQ(r.error().code, Errc::invalid_params);
    EXPECT_EQ(r.error().message, c.message);
    EXPECT_THAT(r.error().field, HasSubstr("data." + c.field));
  }
}

TEST(CatalogTest, LargeUnsignedIntegersAreAccepted) {
  auto data = exampleData("wallet.balance");
  data["available"] = std::uint64_t{18446744073709551615ull};
  EXPECT_TRUE(withData("wallet.balance", data));
}

TEST(CatalogTest, ApplyCatalogPrefixesFieldsAndIgnoresOtherTopics) {
  Event e;
  auto bad = applyCatalog("dex.price", json::object{{"market", "XMR/EUR"}}, e, "[4]");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().field, "[4].data.price_rate");
  EXPECT_EQ(bad.error().message, "data.price_rate is required");

  Event other;
  EXPECT_TRUE(applyCatalog("acme.alerts", json::object{{"market", "XMR/EUR"}}, other, ""));
  EXPECT_TRUE(other.attributes.empty());
}

}  // namespace
}  // namespace herald::schema
