#include "core/subscription_index.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <set>

namespace herald {
namespace {

// The index must agree with the obvious definition: a group matches when its topic equals the
// event's and its filter matches. Checked on random subscriptions and events, with churn.
TEST(SubscriptionIndex, AgreesWithBruteForceOnRandomData) {
  std::mt19937 random(12345);
  const std::vector<std::string> topics = {"dex.offer", "chain.tx", "dex.price"};
  const std::vector<std::string> keys = {"market", "currency", "tag:App", "owner"};
  const std::vector<std::string> values = {"a", "b", "c", "d", "e"};
  auto pick = [&](const auto& v) { return v[random() % v.size()]; };

  auto randomFilter = [&]() {
    std::vector<Clause> clauses;
    int n = static_cast<int>(random() % 3);
    for (int i = 0; i < n; ++i) {
      Clause c{pick(keys), {}};
      int m = 1 + static_cast<int>(random() % 3);
      for (int j = 0; j < m; ++j) c.any_of.push_back(pick(values));
      clauses.push_back(c);
    }
    return *Filter::make(clauses);
  };

  SubscriptionIndex index;
  struct Entry {
    std::string topic;
    Filter filter;
    SubscriptionGroup* group;
  };
  // Subscriptions are identified by address only; the index never dereferences them.
  std::vector<Entry> entries;
  for (int i = 0; i < 600; ++i) {
    Subscription* fake = reinterpret_cast<Subscription*>(static_cast<std::uintptr_t>(i + 1) * 16);
    std::string topic = pick(topics);
    Filter filter = randomFilter();
    SubscriptionGroup& g = index.join(topic, filter, fake);
    entries.push_back({topic, filter, &g});
  }
  // Churn: remove a third, so group deletion and index cleanup are exercised.
  for (int i = 0; i < 200; ++i) {
    std::size_t at = random() % entries.size();
    Subscription* fake = reinterpret_cast<Subscription*>(static_cast<std::uintptr_t>(at + 1) * 16);
    if (entries[at].group == nullptr) continue;
    index.leave(*entries[at].group, fake);
    entries[at].group = nullptr;
  }

  for (int round = 0; round < 2000; ++round) {
    Event e;
    e.topic = pick(topics);
    int n = static_cast<int>(random() % 4);
    for (int i = 0; i < n; ++i) {
      Attribute a{pick(keys), {}};
      int m = 1 + static_cast<int>(random() % 3);
      for (int j = 0; j < m; ++j) a.values.push_back(pick(values));
      e.attributes.push_back(a);
    }
    e.normalizeAttributes();

    std::set<std::string> expected;
    for (const auto& entry : entries) {
      if (entry.group != nullptr && entry.topic == e.topic && entry.filter.matches(e)) {
        expected.insert(entry.topic + "\n" + entry.filter.canonical());
      }
    }
    std::vector<SubscriptionGroup*> out;
    index.match(e, out);
    std::set<std::string> got;
    for (auto* g : out) {
      EXPECT_TRUE(got.insert(g->key).second) << "group reported twice: " << g->key;
      EXPECT_FALSE(g->members.empty());
    }
    ASSERT_EQ(got, expected) << "round " << round;
  }
}

TEST(SubscriptionIndex, SameTopicAndFilterShareOneGroup) {
  SubscriptionIndex index;
  auto f1 = *Filter::make({{"market", {"XMR/BTC", "XMR/USD"}}});
  auto f2 = *Filter::make({{"market", {"XMR/USD", "XMR/BTC"}}});
  auto* a = reinterpret_cast<Subscription*>(16);
  auto* b = reinterpret_cast<Subscription*>(32);
  SubscriptionGroup& g1 = index.join("dex.offer", f1, a);
  SubscriptionGroup& g2 = index.join("dex.offer", f2, b);
  EXPECT_EQ(&g1, &g2);
  EXPECT_EQ(g1.members.size(), 2u);
  EXPECT_EQ(index.groupCount(), 1u);
  EXPECT_EQ(g1.shared_id.view(), sharedSubscriptionId(g1.key));
  index.leave(g1, a);
  EXPECT_EQ(index.groupCount(), 1u);
  index.leave(g2, b);
  EXPECT_EQ(index.groupCount(), 0u);
}

TEST(SubscriptionIndex, EventWithSeveralAnchorValuesReportsGroupOnce) {
  SubscriptionIndex index;
  auto f = *Filter::make({{"tag:App", {"x", "y"}}});
  index.join("chain.tx", f, reinterpret_cast<Subscription*>(16));
  Event e;
  e.topic = "chain.tx";
  e.attributes = {{"tag:App", {"x", "y"}}};
  std::vector<SubscriptionGroup*> out;
  index.match(e, out);
  EXPECT_EQ(out.size(), 1u);
}

TEST(SharedSubscriptionId, IsStableAndDistinct) {
  EXPECT_EQ(sharedSubscriptionId("a\n"), sharedSubscriptionId("a\n"));
  EXPECT_NE(sharedSubscriptionId("a\n"), sharedSubscriptionId("b\n"));
  EXPECT_EQ(sharedSubscriptionId("x").size(), 17u);
}

}  // namespace
}  // namespace herald
