// SourceHealthCell and Backoff: see source_health.h.
#include "sources/source_health.h"

#include <algorithm>

namespace herald::sources {

SourceHealthCell::SourceHealthCell(std::string name) {
  health_.name = std::move(name);
  health_.detail = "not started";
}

SourceHealth SourceHealthCell::snapshot() const {
  std::lock_guard lock(mutex_);
  return health_;
}

void SourceHealthCell::set(SourceState state, std::string detail) {
  std::lock_guard lock(mutex_);
  health_.state = state;
  health_.detail = std::move(detail);
}

void SourceHealthCell::count(const std::string& counter, std::uint64_t n) {
  std::lock_guard lock(mutex_);
  auto& counters = health_.counters;
  auto it = std::lower_bound(counters.begin(), counters.end(), counter,
                             [](const auto& entry, const std::string& name) { return entry.first < name; });
  if (it == counters.end() || it->first != counter) it = counters.emplace(it, counter, 0);
  it->second += n;
}

void SourceHealthCell::running(bool on) {
  std::lock_guard lock(mutex_);
  running_ = on;
}

void SourceHealthCell::publish(const std::shared_ptr<SourceHealthCell>& cell, bus::EventSink& sink,
                               std::vector<Event> batch, std::int64_t now_ms) {
  if (batch.empty()) return;
  sink.publish(std::move(batch), [cell, now_ms](Result<Cursor> result) {
    std::lock_guard lock(cell->mutex_);
    if (!cell->running_) return;
    if (result) {
      cell->health_.last_event_ms = std::max(cell->health_.last_event_ms, now_ms);
    } else {
      cell->health_.state = SourceState::degraded;
      cell->health_.detail = "publish failed: " + result.error().message;
    }
  });
}

std::int64_t systemNowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

Backoff::Backoff(std::chrono::milliseconds initial, std::chrono::milliseconds max)
    : initial_(std::max(initial, std::chrono::milliseconds(1))), max_(std::max(max, initial_)), current_(initial_) {}

std::chrono::milliseconds Backoff::next() {
  const auto delay = current_;
  current_ = std::min(current_ * 2, max_);
  ++failures_;
  return delay;
}

void Backoff::reset() {
  current_ = initial_;
  failures_ = 0;
}

}  // namespace herald::sources
