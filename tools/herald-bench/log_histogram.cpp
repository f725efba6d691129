#include "log_histogram.h"

#include <algorithm>
#include <cmath>

namespace herald::bench {

void LogHistogram::merge(const LogHistogram& other) noexcept {
  for (std::size_t i = 0; i < kBuckets; ++i) counts_[i] += other.counts_[i];
  count_ += other.count_;
  sum_ += other.sum_;
  max_ = std::max(max_, other.max_);
  min_ = std::min(min_, other.min_);
}

void LogHistogram::addBucket(std::size_t index, std::uint64_t n) noexcept {
  if (index >= kBuckets) return;
  counts_[index] += n;
  count_ += n;
}

void LogHistogram::setExtremes(std::uint64_t min, std::uint64_t max, std::uint64_t sum) noexcept {
  min_ = std::min(min_, min);
  max_ = std::max(max_, max);
  sum_ += sum;
}

std::uint64_t LogHistogram::lowerBound(std::size_t index) noexcept {
  if (index < kSub) return index;
  const std::size_t shift = (index >> kSubBits) - 1;
  return static_cast<std::uint64_t>(kSub + (index & (kSub - 1))) << shift;
}

std::uint64_t LogHistogram::upperBound(std::size_t index) noexcept {
  if (index < kSub) return index;
  const std::size_t shift = (index >> kSubBits) - 1;
  return lowerBound(index) + ((std::uint64_t{1} << shift) - 1);
}

std::uint64_t LogHistogram::quantile(double q) const noexcept {
  if (count_ == 0) return 0;
  q = std::clamp(q, 0.0, 1.0);
  // Rank of the sample at q, 1-based: the smallest value with at least q of the samples at or below it.
  auto rank = static_cast<std::uint64_t>(std::ceil(q * static_cast<double>(count_)));
  rank = std::max<std::uint64_t>(rank, 1);
  std::uint64_t seen = 0;
  for (std::size_t i = 0; i < kBuckets; ++i) {
    seen += counts_[i];
    if (seen >= rank) return std::min(upperBound(i), max_);
  }
  return max_;
}

}  // namespace herald::bench
