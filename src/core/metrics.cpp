#include "core/metrics.h"

#include <bit>

namespace herald {

void LatencyHistogram::observe(std::uint64_t micros) noexcept {
  std::size_t i = 0;
  if (micros > kFirstBoundUs) {
    // Bucket i holds (50us << (i-1), 50us << i]: the index is the bit width of the ratio.
    i = static_cast<std::size_t>(std::bit_width((micros - 1) / kFirstBoundUs));
    if (i > kBuckets) i = kBuckets;
  }
  buckets_[i].fetch_add(1, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
  sum_us_.fetch_add(micros, std::memory_order_relaxed);
}

}  // namespace herald
