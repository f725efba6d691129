// Hub::publish, the live fan-out path of one worker: match, encode once per group (herald.v1), push the
// shared frame onto every member session's queue, then transport's takeFrames for every session.
// A counting allocator reports heap allocations per event and per delivery: the target is none per
// delivery in the steady state (per-event work such as encoding the one frame may allocate).
#include "core/hub.h"

#include "counting_allocator.h"
#include "dialects/herald_v1.h"
#include "fixtures.h"

#include <benchmark/benchmark.h>

#include <deque>
#include <string>
#include <vector>

namespace herald::bench {
namespace {

// One per session: records which sessions were woken, so only those are drained (as transport does).
class WakeOutlet final : public Outlet {
 public:
  WakeOutlet(std::vector<SessionId>& woken) : woken_(woken) {}
  void wake() override { woken_.push_back(id); }
  void close(std::uint16_t, std::string_view, bool) override {}
  SessionId id = 0;

 private:
  std::vector<SessionId>& woken_;
};

struct HubFixture {
  TopicSet topics{std::vector<std::string>{"bench.tick"}};
  NoHistory history;
  Metrics metrics;
  dialects::HeraldV1 dialect;
  Hub hub;
  std::deque<WakeOutlet> outlets;  // stable addresses
  std::vector<SessionId> woken;
  std::vector<FramePtr> batch;

  // `count` sessions; session i filters on value i % values (values == 0: no filter).
  HubFixture(std::size_t count, std::size_t values)
      : hub(HubLimits{}, topics, history, metrics, Cursor{0x7d3f0c2a9b1e4f60, 0}, 1) {
    woken.reserve(count);
    for (std::size_t i = 0; i < count; ++i) {
      WakeOutlet& outlet = outlets.emplace_back(woken);
      outlet.id = hub.open(dialect, outlet, 0);
      const std::string filter =
          values == 0 ? "" : ",\"filter\":{\"k\":\"v" + std::to_string(i % values) + "\"}";
      hub.onMessage(outlet.id,
                    "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"subscribe\",\"params\":{\"topic\":\"bench.tick\"" +
                        filter + "}}",
                    false, 0);
    }
    drainWoken();  // the subscribe replies
  }

  // What transport does for each woken connection: take its frames (the write itself is not here).
  void drainWoken() {
    for (const SessionId id : woken) {
      hub.takeFrames(id, batch);
      batch.clear();
      hub.onDrained(id);
    }
    woken.clear();
  }
};

void BM_HubPublish(benchmark::State& state) {
  const auto count = static_cast<std::size_t>(state.range(0));
  const auto values = static_cast<std::size_t>(state.range(1));
  HubFixture f(count, values);
  auto event = makeBenchEvent("bench.tick", "v0");
  std::uint64_t seq = 0;
  const EventPtr shared = event;
  // Warm up: the first events grow reused buffers to their steady size.
  for (int i = 0; i < 16; ++i) {
    event->seq = ++seq;
    f.hub.publish(std::span<const EventPtr>(&shared, 1), 0);
    f.drainWoken();
  }
  const std::uint64_t events_out_before = f.metrics.events_out.load();
  const std::uint64_t allocations_before = allocationCount();
  for (auto _ : state) {
    event->seq = ++seq;  // frames copy what they need, so the event can be reused
    f.hub.publish(std::span<const EventPtr>(&shared, 1), 0);
    f.drainWoken();
  }
  const auto allocations = static_cast<double>(allocationCount() - allocations_before);
  const auto deliveries = static_cast<double>(f.metrics.events_out.load() - events_out_before);
  const auto events = static_cast<double>(state.iterations());
  state.SetItemsProcessed(static_cast<std::int64_t>(deliveries));
  state.counters["deliveries_per_event"] = deliveries / events;
  state.counters["allocs_per_event"] = allocations / events;
  state.counters["allocs_per_delivery"] = deliveries > 0 ? allocations / deliveries : 0;
  state.counters["ns_per_delivery"] =
      benchmark::Counter(deliveries, benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}
// Unfiltered: every session on the topic. Filtered: 100 sessions per value, the event hits one value.
BENCHMARK(BM_HubPublish)
    ->ArgNames({"sessions", "values"})
    ->Args({1, 0})
    ->Args({1'000, 0})
    ->Args({10'000, 0})
    ->Args({10'000, 100});

}  // namespace
}  // namespace herald::bench
