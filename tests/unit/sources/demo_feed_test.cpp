#include "sources/demo_feed.h"

#include "schema/catalog.h"
#include "schema/event_json.h"

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>

namespace herald::sources {
namespace {

namespace json = boost::json;

constexpr std::int64_t kStartMs = 1'700'000'000'000;
constexpr std::int64_t kTickMs = 500;

DemoConfig seeded(std::uint64_t seed) {
  DemoConfig config;
  config.seed = seed;
  return config;
}

// Every event of `ticks` ticks, each tick stamped kTickMs after the previous one.
std::vector<std::vector<Event>> run(DemoFeed& feed, int ticks) {
  std::vector<std::vector<Event>> out;
  for (int t = 0; t < ticks; ++t) {
    auto events = feed.tick(kStartMs + t * kTickMs);
    EXPECT_TRUE(events) << events.error().field << ": " << events.error().message;
    out.push_back(events ? std::move(*events) : std::vector<Event>{});
  }
  return out;
}

std::vector<Event> flatten(const std::vector<std::vector<Event>>& ticks) {
  std::vector<Event> all;
  for (const auto& tick : ticks) all.insert(all.end(), tick.begin(), tick.end());
  return all;
}

json::object dataOf(const Event& event) { return json::parse(event.data).as_object(); }

bool isLowerHex64(std::string_view text) {
  return text.size() == 64 && std::all_of(text.begin(), text.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

TEST(DemoFeedTest, SameSeedGivesSameEvents) {
  DemoFeed a(seeded(42));
  DemoFeed b(seeded(42));
  EXPECT_EQ(flatten(run(a, 60)), flatten(run(b, 60)));
}

TEST(DemoFeedTest, DifferentSeedsGiveDifferentChains) {
  DemoFeed a(seeded(1));
  DemoFeed b(seeded(2));
  EXPECT_NE(flatten(run(a, 8)), flatten(run(b, 8)));
}

TEST(DemoFeedTest, EveryEventPassesTheCatalogAgain) {
  DemoFeed feed(seeded(7));
  const auto topics = schema::topicSet();
  std::set<std::string> seen;
  for (const auto& event : flatten(run(feed, 80))) {
    json::object published;
    published["topic"] = event.topic;
    published["data"] = json::parse(event.data);
    auto again = schema::eventFromJson(published, topics, schema::PublishLimits{}, event.time_ms);
    ASSERT_TRUE(again) << event.topic << " " << again.error().field << ": " << again.error().message;
    EXPECT_EQ(*again, event);
    seen.insert(event.topic);
  }
  EXPECT_EQ(seen,
            (std::set<std::string>{"chain.block", "mempool.tx", "dex.offer", "dex.price", "node.status"}));
}

TEST(DemoFeedTest, BlocksAreConsecutiveChainedAndCarryThePreviousMempool) {
  DemoConfig config = seeded(11);
  config.start_height = 500;
  DemoFeed feed(config);
  std::vector<std::string> pending;  // mempool txids since the last block
  std::optional<std::int64_t> last_height;
  std::string last_hash;
  int blocks = 0;
  const auto ticks = run(feed, 100);
  for (std::size_t t = 0; t < ticks.size(); ++t) {
    for (const auto& event : ticks[t]) {
      if (event.topic == "mempool.tx") {
        pending.emplace_back(dataOf(event).at("txid").as_string());
        continue;
      }
      if (event.topic != "chain.block") continue;
      ++blocks;
      EXPECT_EQ(t % config.ticks_per_block, 0U) << "a block is due every ticks_per_block ticks";
      const auto data = dataOf(event);
      const auto height = data.at("height").as_int64();
      if (last_height) {
        EXPECT_EQ(height, *last_height + 1);
        EXPECT_EQ(data.at("prev_hash").as_string(), last_hash);
      } else {
        EXPECT_EQ(height, 500);
      }
      EXPECT_TRUE(isLowerHex64(data.at("hash").as_string()));
      EXPECT_TRUE(isLowerHex64(data.at("prev_hash").as_string()));
      EXPECT_EQ(data.at("timestamp_ms").as_int64(), kStartMs + static_cast<std::int64_t>(t) * kTickMs);
      std::vector<std::string> tx_ids;
      for (const auto& id : data.at("tx_ids").as_array()) tx_ids.emplace_back(id.as_string());
      EXPECT_EQ(tx_ids, pending);
      EXPECT_EQ(data.at("tx_count").as_int64(), static_cast<std::int64_t>(tx_ids.size()));
      pending.clear();
      last_height = height;
      last_hash = data.at("hash").as_string();
    }
  }
  EXPECT_EQ(blocks, 25);
  EXPECT_EQ(feed.height(), 524U);
}

TEST(DemoFeedTest, MempoolTransactionsLookReal) {
  DemoFeed feed(seeded(5));
  std::size_t count = 0;
  std::set<std::string> txids;
  for (const auto& event : flatten(run(feed, 40))) {
    if (event.topic != "mempool.tx") continue;
    ++count;
    const auto data = dataOf(event);
    EXPECT_TRUE(isLowerHex64(data.at("txid").as_string()));
    EXPECT_GT(data.at("fee").as_int64(), 0);
    EXPECT_GT(data.at("size").as_int64(), 0);
    txids.emplace(data.at("txid").as_string());
  }
  // 10 blocks at a mean of 6 transactions each: several per block, and never the same txid twice.
  EXPECT_GT(count, 20U);
  EXPECT_EQ(txids.size(), count);
}

TEST(DemoFeedTest, EveryMarketGetsOnePricePerTick) {
  DemoFeed feed(seeded(3));
  const auto markets = defaultDemoMarkets();
  for (const auto& tick : run(feed, 20)) {
    std::multiset<std::string> priced;
    for (const auto& event : tick) {
      if (event.topic != "dex.price") continue;
      const auto data = dataOf(event);
      priced.emplace(data.at("market").as_string());
      EXPECT_GT(data.at("price_rate").as_int64(), 0);
      ASSERT_NE(event.attribute("market"), nullptr);
      EXPECT_EQ(event.attribute("market")->front(), data.at("market").as_string());
    }
    std::multiset<std::string> expected;
    for (const auto& m : markets) expected.insert(m.market);
    EXPECT_EQ(priced, expected);
  }
}

TEST(DemoFeedTest, OffersAreRemovedOnlyAfterBeingAddedAndTheBookStaysBounded) {
  DemoConfig config = seeded(9);
  config.max_open_offers = 10;
  DemoFeed feed(config);
  std::map<std::string, json::object> open;
  std::map<std::string, DemoMarket> markets;
  for (const auto& m : config.markets) markets.emplace(m.market, m);
  int added = 0;
  int removed = 0;
  for (const auto& event : flatten(run(feed, 400))) {
    if (event.topic != "dex.offer") continue;
    auto data = dataOf(event);
    const std::string id(data.at("offer_id").as_string());
    const auto& market = markets.at(std::string(data.at("market").as_string()));
    EXPECT_EQ(data.at("currency").as_string(), market.currency);
    const std::string method(data.at("payment_method").as_string());
    EXPECT_NE(std::find(market.payment_methods.begin(), market.payment_methods.end(), method),
              market.payment_methods.end());
    EXPECT_GT(data.at("price_rate").as_int64(), 0);
    EXPECT_GT(data.at("amount").as_int64(), 0);
    ASSERT_NE(event.attribute("payment_method"), nullptr);
    EXPECT_EQ(event.attribute("payment_method")->front(), method);
    if (data.at("action") == "added") {
      ++added;
      EXPECT_TRUE(open.emplace(id, data).second) << "offer id reused: " << id;
    } else {
      ++removed;
      auto it = open.find(id);
      ASSERT_NE(it, open.end()) << "removed an offer never added: " << id;
      data["action"] = "added";
      EXPECT_EQ(data, it->second) << "a removal carries the offer as it was added";
      open.erase(it);
    }
    EXPECT_LE(open.size(), config.max_open_offers);
  }
  EXPECT_GT(added, 20);
  EXPECT_GT(removed, 10);
}

TEST(DemoFeedTest, NodeStatusOnFirstTickAndEveryFewBlocks) {
  DemoConfig config = seeded(13);
  config.status_every_blocks = 3;
  DemoFeed feed(config);
  std::vector<std::int64_t> status_heights;
  std::int64_t height = 0;
  for (const auto& event : flatten(run(feed, 40))) {
    if (event.topic == "chain.block") height = dataOf(event).at("height").as_int64();
    if (event.topic != "node.status") continue;
    const auto data = dataOf(event);
    EXPECT_EQ(data.at("version"), "herald-demo");
    EXPECT_EQ(data.at("network"), "demo");
    EXPECT_EQ(data.at("local_height").as_int64(), height);
    EXPECT_EQ(data.at("global_height").as_int64(), height);
    EXPECT_EQ(data.at("connected"), true);
    EXPECT_EQ(data.at("syncing"), false);
    EXPECT_GT(data.at("peers").as_int64(), 0);
    status_heights.push_back(height);
  }
  EXPECT_EQ(status_heights, (std::vector<std::int64_t>{1, 3, 6, 9}));
}

TEST(DemoFeedTest, NonsenseSettingsAreClampedNotFatal) {
  DemoConfig config = seeded(17);
  config.ticks_per_block = 0;
  config.markets.clear();
  DemoFeed feed(config);
  const auto ticks = run(feed, 3);
  for (const auto& tick : ticks) {
    EXPECT_EQ(
        std::count_if(tick.begin(), tick.end(), [](const Event& e) { return e.topic == "chain.block"; }), 1);
    EXPECT_EQ(std::count_if(tick.begin(), tick.end(), [](const Event& e) { return e.topic == "dex.price"; }),
              static_cast<std::ptrdiff_t>(defaultDemoMarkets().size()));
  }
}

}  // namespace
}  // namespace herald::sources
