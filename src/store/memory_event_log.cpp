// MemoryEventLog: see memory_event_log.h. Retention by age removes only a prefix of the log (oldest
// first, stopping at the first event young enough), so the retained history stays contiguous and the
// gaps a reader is told about are exact even if event times are not monotonic.
#include "store/memory_event_log.h"

#include "store/read_plan.h"

#include <algorithm>
#include <memory>
#include <random>

namespace herald::store {
namespace {

std::uint64_t randomEpoch() {
  std::random_device device;
  std::uint64_t epoch = 0;
  while (epoch == 0) epoch = (std::uint64_t{device()} << 32) ^ std::uint64_t{device()};
  return epoch;
}

}  // namespace

MemoryEventLog::MemoryEventLog() : epoch_(randomEpoch()) {}

MemoryEventLog::MemoryEventLog(std::uint64_t epoch) : epoch_(epoch == 0 ? randomEpoch() : epoch) {}

Result<Cursor> MemoryEventLog::append(std::span<Event> batch) {
  // Copies are made before taking the lock (readers wait less) and before any state changes, so
  // running out of memory leaves the log as it was: all or nothing.
  std::vector<std::shared_ptr<Event>> copies;
  copies.reserve(batch.size());
  for (const Event& event : batch) copies.push_back(std::make_shared<Event>(event));

  std::lock_guard lock(mutex_);
  const std::uint64_t first = last_seq_ + 1;
  for (std::size_t i = 0; i < copies.size(); ++i) {
    copies[i]->seq = first + i;
    batch[i].seq = first + i;
    by_topic_[copies[i]->topic].push_back(copies[i]);
    events_.push_back(std::move(copies[i]));
  }
  last_seq_ += copies.size();
  return Cursor{epoch_, last_seq_};
}

Result<ReadBatch> MemoryEventLog::readAfter(const Cursor& after, std::string_view topic, std::size_t limit) {
  std::lock_guard lock(mutex_);
  const LogBounds bounds = boundsLocked();
  auto start = planRead(bounds, after);
  if (!start) return start.error();

  ReadBatch batch;
  batch.gaps = std::move(start->gaps);
  const std::uint64_t after_seq = start->after_seq;
  auto bySeq = [](const EventPtr& e, std::uint64_t seq) { return e->seq <= seq; };
  if (topic.empty()) {
    // Contiguous seqs: the first event after `after_seq` is at a known index.
    auto from = events_.begin() + static_cast<std::ptrdiff_t>(after_seq + 1 - first_seq_);
    auto count = std::min<std::size_t>(limit, static_cast<std::size_t>(events_.end() - from));
    batch.events.assign(from, from + static_cast<std::ptrdiff_t>(count));
  } else if (auto it = by_topic_.find(topic); it != by_topic_.end()) {
    const auto& events = it->second;
    auto from = std::lower_bound(events.begin(), events.end(), after_seq, bySeq);
    auto count = std::min<std::size_t>(limit, static_cast<std::size_t>(events.end() - from));
    batch.events.assign(from, from + static_cast<std::ptrdiff_t>(count));
  }
  finishRead(batch, bounds, after_seq, limit);
  return batch;
}

LogBounds MemoryEventLog::bounds() const {
  std::lock_guard lock(mutex_);
  return boundsLocked();
}

void MemoryEventLog::dropOldest() {
  const EventPtr& oldest = events_.front();
  auto it = by_topic_.find(oldest->topic);
  it->second.pop_front();  // the oldest event of the log is the oldest of its topic
  if (it->second.empty()) by_topic_.erase(it);
  events_.pop_front();
  ++first_seq_;
}

Result<std::size_t> MemoryEventLog::applyRetention(const RetentionPolicy& policy, std::int64_t now_ms) {
  std::lock_guard lock(mutex_);
  std::size_t deleted = 0;
  if (policy.max_events > 0) {
    while (events_.size() > policy.max_events) {
      dropOldest();
      ++deleted;
    }
  }
  if (policy.max_age_ms > 0) {
    const std::int64_t cutoff = now_ms - policy.max_age_ms;
    while (!events_.empty() && events_.front()->time_ms < cutoff) {
      dropOldest();
      ++deleted;
    }
  }
  return deleted;
}

}  // namespace herald::store
