// DemoSource: see demo_source.h.
#include "sources/demo_source.h"

#include <algorithm>
#include <chrono>

namespace herald::sources {

struct DemoSource::Shared {
  mutable std::mutex mutex;
  SourceHealth health;
  std::size_t in_flight = 0;
  bool running = false;
};

DemoSource::DemoSource(DemoConfig config)
    : config_(std::move(config)), feed_(config_), shared_(std::make_shared<Shared>()) {
  config_.max_in_flight = std::max<std::size_t>(config_.max_in_flight, 1);  // 0 would never publish
  shared_->health.name = config_.name;
  shared_->health.detail = "not started";
}

DemoSource::~DemoSource() { stop(); }

void DemoSource::start(bus::EventSink& sink) {
  if (thread_.joinable()) return;
  {
    std::lock_guard lock(mutex_);
    stopping_ = false;
  }
  {
    std::lock_guard lock(shared_->mutex);
    shared_->running = true;
    shared_->health.state = SourceState::ok;
    shared_->health.detail.clear();
  }
  thread_ = std::thread([this, &sink] { run(sink); });
}

void DemoSource::stop() {
  if (!thread_.joinable()) return;
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
  std::lock_guard lock(shared_->mutex);
  shared_->running = false;
  shared_->health.state = SourceState::down;
  shared_->health.detail = "stopped";
}

SourceHealth DemoSource::health() const {
  std::lock_guard lock(shared_->mutex);
  return shared_->health;
}

std::int64_t DemoSource::nowMs() const {
  if (config_.now_ms) return config_.now_ms();
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void DemoSource::run(bus::EventSink& sink) {
  using Clock = std::chrono::steady_clock;
  // Deadlines are counted from an origin rather than chained, so rounding never accumulates into
  // drift; the period is in microseconds because a block interval need not divide by the ticks.
  const auto ticks = std::max<std::uint32_t>(config_.ticks_per_block, 1);
  const auto period = std::max(std::chrono::microseconds(config_.block_interval_ms * 1000 / ticks),
                               std::chrono::microseconds(std::chrono::milliseconds(1)));
  auto origin = Clock::now();
  std::int64_t n = 0;
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    lock.unlock();
    produce(sink);
    lock.lock();
    ++n;
    auto due = origin + n * period;
    if (const auto now = Clock::now(); due + period < now) {
      origin = now;
      n = 1;
      due = origin + period;
    }
    wake_.wait_until(lock, due, [this] { return stopping_; });
  }
}

void DemoSource::produce(bus::EventSink& sink) {
  {
    std::lock_guard lock(shared_->mutex);
    if (shared_->in_flight >= config_.max_in_flight) {
      // The feed is not advanced, so the chain stays consecutive; the demo just slows down.
      shared_->health.state = SourceState::degraded;
      shared_->health.detail =
          "sink has " + std::to_string(shared_->in_flight) + " unacknowledged batches; skipping ticks";
      return;
    }
  }
  const std::int64_t now = nowMs();
  auto events = feed_.tick(now);
  if (!events) {
    std::lock_guard lock(shared_->mutex);
    shared_->health.state = SourceState::down;
    shared_->health.detail =
        "event rejected by the catalog: " + events.error().message + " (" + events.error().field + ")";
    return;
  }
  if (events->empty()) return;
  {
    std::lock_guard lock(shared_->mutex);
    ++shared_->in_flight;
  }
  // Not under any lock: a sink may acknowledge inline.
  sink.publish(std::move(*events), [shared = shared_, now](Result<Cursor> result) {
    std::lock_guard lock(shared->mutex);
    --shared->in_flight;
    if (!shared->running) return;
    if (result) {
      shared->health.state = SourceState::ok;
      shared->health.detail.clear();
      shared->health.last_event_ms = std::max(shared->health.last_event_ms, now);
    } else {
      shared->health.state = SourceState::degraded;
      shared->health.detail = "publish failed: " + result.error().message;
    }
  });
}

}  // namespace herald::sources
