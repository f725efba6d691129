// The per-event encoding work: each dialect's encoder for one ~200-byte event (herald.v1 now; a new
// dialect adds its own benchmark here), and Frame building (the shared, immutable bytes every
// session queue holds).
#include "core/frame.h"
#include "dialects/herald_v1.h"
#include "fixtures.h"

#include <benchmark/benchmark.h>

namespace herald::bench {
namespace {

void BM_HeraldV1EncodeEvent(benchmark::State& state) {
  const dialects::HeraldV1 dialect;
  auto event = makeBenchEvent("bench.tick", "v1", static_cast<std::size_t>(state.range(0)));
  const Cursor cursor{0x7d3f0c2a9b1e4f60, 1};
  const Delivery delivery;
  const NodeView node;
  std::size_t bytes = 0;
  for (auto _ : state) {
    FramePtr frame = dialect.encodeEvent(*event, "s3c9f00d1a7be2e45", cursor, delivery, node);
    bytes += frame->bytes.size();
    benchmark::DoNotOptimize(frame.get());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(bytes));
}
BENCHMARK(BM_HeraldV1EncodeEvent)->Arg(200)->Arg(2000);

void BM_MakeFrame(benchmark::State& state) {
  const std::string bytes(static_cast<std::size_t>(state.range(0)), 'x');
  for (auto _ : state) {
    FramePtr frame = makeFrame(std::string(bytes));
    benchmark::DoNotOptimize(frame.get());
  }
}
BENCHMARK(BM_MakeFrame)->Arg(350);

}  // namespace
}  // namespace herald::bench
