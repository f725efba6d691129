// LogHistogram: latency counts in log-spaced buckets (16 per power of two, so any reported value is
// within 1/16 = 6.25% of the true one), mergeable by addition: each client process keeps one and the
// coordinator sums them. Values are nanoseconds; 0 .. 2^64 all fit, in 8 KiB.
//
// Pure and single-threaded; no I/O.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <limits>

namespace herald::bench {

class LogHistogram {
 public:
  static constexpr unsigned kSubBits = 4;  // 2^4 sub-buckets per power of two
  static constexpr std::size_t kSub = std::size_t{1} << kSubBits;
  static constexpr std::size_t kBuckets = (64 - kSubBits + 1) * kSub;

  void record(std::uint64_t value) noexcept {
    ++counts_[indexOf(value)];
    ++count_;
    sum_ += value;
    if (value > max_) max_ = value;
    if (value < min_) min_ = value;
  }

  void merge(const LogHistogram& other) noexcept;

  // Adds `n` samples to bucket `index` (rebuilding a histogram that was sent as bucket counts);
  // max/min/sum are set separately with setExtremes.
  void addBucket(std::size_t index, std::uint64_t n) noexcept;
  void setExtremes(std::uint64_t min, std::uint64_t max, std::uint64_t sum) noexcept;

  // The value at quantile q (0..1): the upper bound of the bucket holding that rank, never above max.
  // 0 when empty.
  std::uint64_t quantile(double q) const noexcept;

  std::uint64_t count() const noexcept { return count_; }
  std::uint64_t max() const noexcept { return max_; }
  std::uint64_t min() const noexcept { return count_ ? min_ : 0; }
  std::uint64_t sum() const noexcept { return sum_; }
  double mean() const noexcept { return count_ ? static_cast<double>(sum_) / static_cast<double>(count_) : 0.0; }
  std::uint64_t bucket(std::size_t index) const noexcept { return counts_[index]; }

  // Bucket of a value: exact below 16, then 16 buckets per power of two.
  static std::size_t indexOf(std::uint64_t value) noexcept {
    if (value < kSub) return static_cast<std::size_t>(value);
    const unsigned msb = 63u - static_cast<unsigned>(__builtin_clzll(value));
    const unsigned shift = msb - kSubBits;
    return (static_cast<std::size_t>(shift + 1) << kSubBits) + static_cast<std::size_t>((value >> shift) & (kSub - 1));
  }
  static std::uint64_t lowerBound(std::size_t index) noexcept;
  static std::uint64_t upperBound(std::size_t index) noexcept;

 private:
  std::array<std::uint64_t, kBuckets> counts_{};
  std::uint64_t count_ = 0;
  std::uint64_t sum_ = 0;
  std::uint64_t max_ = 0;
  std::uint64_t min_ = std::numeric_limits<std::uint64_t>::max();
};

}  // namespace herald::bench
