#include "core/filter.h"

#include <gtest/gtest.h>

namespace herald {
namespace {

Event eventWith(std::vector<Attribute> attributes) {
  Event e;
  e.topic = "dex.offer";
  e.attributes = std::move(attributes);
  e.normalizeAttributes();
  return e;
}

TEST(Filter, EmptyFilterMatchesEverything) {
  Filter f;
  EXPECT_TRUE(f.matchesAll());
  EXPECT_TRUE(f.matches(eventWith({})));
}

TEST(Filter, EqualityAnyOfAndAllOf) {
  auto market = Filter::make({{"market", {"XMR/BTC"}}});
  ASSERT_TRUE(market);
  EXPECT_TRUE(market->matches(eventWith({{"market", {"XMR/BTC"}}})));
  EXPECT_FALSE(market->matches(eventWith({{"market", {"XMR/USD"}}})));
  EXPECT_FALSE(market->matches(eventWith({{"currency", {"XMR/BTC"}}})));

  auto any = Filter::make({{"market", {"XMR/USD", "XMR/BTC"}}});
  ASSERT_TRUE(any);
  EXPECT_TRUE(any->matches(eventWith({{"market", {"XMR/USD"}}})));
  EXPECT_FALSE(any->matches(eventWith({{"market", {"XMR/EUR"}}})));

  // Two clauses on one key: the event's tag list must hold both values.
  auto all = Filter::make({{"tag:App", {"a"}}, {"tag:App", {"b"}}});
  ASSERT_TRUE(all);
  EXPECT_TRUE(all->matches(eventWith({{"tag:App", {"a", "b", "c"}}})));
  EXPECT_FALSE(all->matches(eventWith({{"tag:App", {"a", "c"}}})));
}

TEST(Filter, CanonicalFormIgnoresOrderAndDuplicates) {
  auto a = Filter::make({{"b", {"2", "1", "1"}}, {"a", {"x"}}});
  auto b = Filter::make({{"a", {"x"}}, {"b", {"1", "2"}}});
  ASSERT_TRUE(a && b);
  EXPECT_EQ(*a, *b);
  EXPECT_EQ(a->canonical(), b->canonical());
  auto c = Filter::make({{"a", {"x"}}, {"b", {"1"}}});
  EXPECT_NE(a->canonical(), c->canonical());
}

TEST(Filter, CanonicalFormCannotBeForgedBySeparators) {
  auto a = Filter::make({{"k", {"a;1:b"}}});
  auto b = Filter::make({{"k", {"a"}}, {"1:b", {"x"}}});
  ASSERT_TRUE(a && b);
  EXPECT_NE(a->canonical(), b->canonical());
}

TEST(Filter, RejectsBadInputNamingTheField) {
  auto empty_values = Filter::make({{"market", {}}});
  ASSERT_FALSE(empty_values);
  EXPECT_EQ(empty_values.error().code, Errc::invalid_params);
  EXPECT_EQ(empty_values.error().field, "filter.market");

  EXPECT_FALSE(Filter::make({{"", {"x"}}}));

  FilterLimits limits;
  limits.max_clauses = 2;
  EXPECT_FALSE(Filter::make({{"a", {"1"}}, {"b", {"1"}}, {"c", {"1"}}}, limits));
  limits = {};
  limits.max_values_per_clause = 2;
  auto too_many = Filter::make({{"a", {"1", "2", "3"}}}, limits);
  ASSERT_FALSE(too_many);
  EXPECT_NE(too_many.error().message.find("limit is 2"), std::string::npos);
  limits = {};
  limits.max_text = 4;
  EXPECT_FALSE(Filter::make({{"a", {"12345"}}}, limits));
}

}  // namespace
}  // namespace herald
