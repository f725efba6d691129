// SubscriptionIndex::match with a million subscriptions: every subscription filters on its own value of
// one attribute (a million groups), or a hundred share each value (10,000 groups); the event matches
// one value. Matching must cost hash lookups, not a scan: the time should not grow with the count.
#include "core/subscription_index.h"

#include "core/session.h"
#include "fixtures.h"

#include <benchmark/benchmark.h>

#include <deque>

namespace herald::bench {
namespace {

struct IndexFixture {
  SubscriptionIndex index;
  std::deque<Subscription> subs;  // stable addresses

  IndexFixture(std::size_t subscriptions, std::size_t per_value) {
    for (std::size_t i = 0; i < subscriptions; ++i) {
      auto filter = Filter::make({Clause{"k", {"v" + std::to_string(i / per_value)}}});
      subs.emplace_back();
      subs.back().group = &index.join("bench.tick", *filter, &subs.back());
    }
  }
};

void BM_IndexMatch(benchmark::State& state) {
  const auto subscriptions = static_cast<std::size_t>(state.range(0));
  const auto per_value = static_cast<std::size_t>(state.range(1));
  static std::unique_ptr<IndexFixture> fixture;  // built once per shape: a million joins take seconds
  static std::pair<std::size_t, std::size_t> shape;
  if (!fixture || shape != std::pair{subscriptions, per_value}) {
    fixture.reset();
    fixture = std::make_unique<IndexFixture>(subscriptions, per_value);
    shape = {subscriptions, per_value};
  }
  auto event = makeBenchEvent("bench.tick", "v" + std::to_string(subscriptions / per_value / 2));
  std::vector<SubscriptionGroup*> out;
  out.reserve(16);
  std::size_t members = 0;
  for (auto _ : state) {
    out.clear();
    fixture->index.match(*event, out);
    members += out.empty() ? 0 : out.front()->members.size();
    benchmark::DoNotOptimize(out.data());
  }
  state.counters["groups"] = static_cast<double>(fixture->index.groupCount());
  state.counters["members_per_match"] = static_cast<double>(members) / static_cast<double>(state.iterations());
}
BENCHMARK(BM_IndexMatch)->Args({1'000'000, 1})->Args({1'000'000, 100})->Args({10'000, 1})->Unit(benchmark::kNanosecond);

// An event whose value nobody subscribed to: the cost of a miss.
void BM_IndexMiss(benchmark::State& state) {
  IndexFixture fixture(static_cast<std::size_t>(state.range(0)), 1);
  auto event = makeBenchEvent("bench.tick", "nobody");
  std::vector<SubscriptionGroup*> out;
  for (auto _ : state) {
    out.clear();
    fixture.index.match(*event, out);
    benchmark::DoNotOptimize(out.data());
  }
}
BENCHMARK(BM_IndexMiss)->Arg(100'000);

}  // namespace
}  // namespace herald::bench
