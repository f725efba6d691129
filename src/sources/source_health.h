// SourceHealthCell: a source's health and counters, shared between the source's threads and the
// sink's acknowledgement callbacks (which run on the log-writer thread and may outlive the source,
// hence shared ownership). Every source of node data keeps one.
#pragma once

#include "bus/pipeline.h"
#include "sources/source.h"

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace herald::sources {

class SourceHealthCell {
 public:
  explicit SourceHealthCell(std::string name);

  SourceHealth snapshot() const;
  void set(SourceState state, std::string detail);
  // Adds `n` to the named counter (e.g. "blocks", "reorgs", "reconnects"); counters appear in
  // SourceHealth::counters.
  void count(const std::string& counter, std::uint64_t n = 1);
  void running(bool on);

  // Hands `batch` to `sink`; the acknowledgement updates last_event_ms or, on failure, degrades the
  // health with the reason. Not under any lock (a sink may acknowledge inline).
  static void publish(const std::shared_ptr<SourceHealthCell>& cell, bus::EventSink& sink, std::vector<Event> batch,
                      std::int64_t now_ms);

 private:
  mutable std::mutex mutex_;
  SourceHealth health_;
  bool running_ = false;
};

// Wall clock in Unix milliseconds.
std::int64_t systemNowMs();

// Exponential backoff between reconnect attempts: initial, doubling, capped at max; reset() after a
// success. Pure arithmetic, so the schedule is unit-tested.
class Backoff {
 public:
  Backoff(std::chrono::milliseconds initial, std::chrono::milliseconds max);
  std::chrono::milliseconds next();  // the delay before the next attempt, then doubles it
  void reset();
  bool failing() const noexcept { return failures_ > 0; }
  std::uint32_t failures() const noexcept { return failures_; }

 private:
  std::chrono::milliseconds initial_;
  std::chrono::milliseconds max_;
  std::chrono::milliseconds current_;
  std::uint32_t failures_ = 0;
};

}  // namespace herald::sources
