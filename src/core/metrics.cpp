#include "core/metrics.h"

#include <bit>

namespace herald {

std::size_t LatencyHistogram::bucketOf(std::uint64_t micros) noexcept {
  if (micros <= kFirstBoundUs) return 0;
  // Bucket i holds (50us << (i-1), 50us << i]: the index is the bit width of the ratio.
  const auto i = static_cast<std::size_t>(std::bit_width((micros - 1) / kFirstBoundUs));
  return i > kBuckets ? kBuckets : i;
}

void LatencyHistogram::observe(std::uint64_t micros) noexcept {
  buckets_[bucketOf(micros)].fetch_add(1, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
  sum_us_.fetch_add(micros, std::memory_order_relaxed);
}

void LatencyHistogram::add(const Tally& tally) noexcept {
  if (tally.count == 0) return;
  for (std::size_t i = 0; i < tally.buckets.size(); ++i) {
    if (tally.buckets[i] != 0) buckets_[i].fetch_add(tally.buckets[i], std::memory_order_relaxed);
  }
  count_.fetch_add(tally.count, std::memory_order_relaxed);
  sum_us_.fetch_add(tally.sum_us, std::memory_order_relaxed);
}

}  // namespace herald
