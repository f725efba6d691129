// OutboundQueue push and drain: what the hub does per delivery (push a shared frame) and what
// transport does per write (drain everything into one batch). Also counts allocations per push.
#include "core/outbound_queue.h"

#include "counting_allocator.h"

#include <benchmark/benchmark.h>

#include <vector>

namespace herald::bench {
namespace {

void BM_QueuePushDrain(benchmark::State& state) {
  const auto frames_per_drain = static_cast<std::size_t>(state.range(0));
  OutboundQueue queue(4 << 20);
  const FramePtr frame = makeFrame(std::string(350, 'x'));
  std::vector<FramePtr> batch;
  batch.reserve(frames_per_drain);
  const std::uint64_t allocations_before = allocationCount();
  for (auto _ : state) {
    for (std::size_t i = 0; i < frames_per_drain; ++i) queue.push(frame);
    queue.drainTo(batch);
    batch.clear();
  }
  const double pushes = static_cast<double>(state.iterations()) * static_cast<double>(frames_per_drain);
  state.SetItemsProcessed(static_cast<std::int64_t>(pushes));
  state.counters["allocs_per_push"] = static_cast<double>(allocationCount() - allocations_before) / pushes;
}
BENCHMARK(BM_QueuePushDrain)->Arg(1)->Arg(16)->Arg(64);

}  // namespace
}  // namespace herald::bench
