// Metrics: the gateway's counters and gauges, shared by every thread (relaxed atomics; a reading is
// a snapshot, not a transaction). Rendering to Prometheus text lives in api/, not here.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>

namespace herald {

// Log-spaced latency buckets in microseconds: 50 us .. ~1.6 s, doubling.
class LatencyHistogram {
 public:
  static constexpr std::size_t kBuckets = 16;
  static constexpr std::uint64_t kFirstBoundUs = 50;

  // Observations gathered by one thread without atomics and added in one go (see add): a worker's
  // delivery path then touches no cache line the other workers write.
  struct Tally {
    std::array<std::uint64_t, kBuckets + 1> buckets{};
    std::uint64_t count = 0;
    std::uint64_t sum_us = 0;
    void observe(std::uint64_t micros) noexcept {
      ++buckets[bucketOf(micros)];
      ++count;
      sum_us += micros;
    }
  };

  void observe(std::uint64_t micros) noexcept;
  void add(const Tally& tally) noexcept;
  // The bucket observe() counts `micros` in.
  static std::size_t bucketOf(std::uint64_t micros) noexcept;
  // Upper bound (us) of bucket i; the last bucket is +Inf.
  static std::uint64_t boundUs(std::size_t i) noexcept { return kFirstBoundUs << i; }
  std::uint64_t bucket(std::size_t i) const noexcept { return buckets_[i].load(std::memory_order_relaxed); }
  std::uint64_t count() const noexcept { return count_.load(std::memory_order_relaxed); }
  std::uint64_t sumUs() const noexcept { return sum_us_.load(std::memory_order_relaxed); }

 private:
  std::array<std::atomic<std::uint64_t>, kBuckets + 1> buckets_{};
  std::atomic<std::uint64_t> count_{0};
  std::atomic<std::uint64_t> sum_us_{0};
};

struct Metrics {
  template <class T>
  using A = std::atomic<T>;
  // gauges
  A<std::int64_t> connections{0};
  A<std::int64_t> subscriptions{0};
  A<std::int64_t> queue_bytes{0};
  // counters
  A<std::uint64_t> connections_total{0};
  A<std::uint64_t> connections_rejected{0};   // over max_connections, bad origin, bad path
  A<std::uint64_t> events_in{0};              // durable events accepted from publishers and sources
  A<std::uint64_t> events_out{0};             // frames carrying an event enqueued to a session
  A<std::uint64_t> frames_out{0};             // frames written to sockets
  A<std::uint64_t> bytes_out{0};              // bytes of frames written to sockets
  A<std::uint64_t> messages_in{0};            // client messages received
  A<std::uint64_t> messages_ignored{0};       // client messages a dialect accepted and ignored (read-only)
  A<std::uint64_t> slow_consumer_closes{0};
  A<std::uint64_t> rate_limit_hits{0};
  A<std::uint64_t> rate_limit_closes{0};
  A<std::uint64_t> client_errors{0};          // error replies sent to clients
  A<std::uint64_t> replayed_events{0};
  A<std::uint64_t> publish_rejected{0};       // publish requests refused (bad input, auth)
  A<std::uint64_t> log_commits{0};            // group commits (fsyncs)
  A<std::uint64_t> retention_deleted{0};
  LatencyHistogram publish_to_write;          // event accepted -> its frame written to a socket

  static void add(A<std::uint64_t>& c, std::uint64_t n = 1) noexcept { c.fetch_add(n, std::memory_order_relaxed); }
  static void add(A<std::int64_t>& g, std::int64_t n) noexcept { g.fetch_add(n, std::memory_order_relaxed); }
};

}  // namespace herald
