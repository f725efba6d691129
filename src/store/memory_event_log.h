// MemoryEventLog: the EventLog kept in process memory, for gateways that run without persistence
// (history lasts until restart; a restart starts a new epoch, so resuming clients are told) and as
// the reference the contract suite is proven against.
//
// Must not: do I/O. append() cannot fail short of running out of memory.
#pragma once

#include "core/event_log.h"

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace herald::store {

class MemoryEventLog final : public EventLog {
 public:
  // A fresh log with a random nonzero epoch (std::random_device).
  MemoryEventLog();
  // A fresh log with a chosen epoch (nonzero), for reproducible tests.
  explicit MemoryEventLog(std::uint64_t epoch);

  Result<Cursor> append(std::span<Event> batch) override;
  Result<ReadBatch> readAfter(const Cursor& after, std::string_view topic, std::size_t limit) override;
  LogBounds bounds() const override;
  Result<std::size_t> applyRetention(const RetentionPolicy& policy, std::int64_t now_ms) override;

 private:
  struct TopicHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
  };

  LogBounds boundsLocked() const noexcept { return LogBounds{epoch_, first_seq_, last_seq_}; }
  void dropOldest();

  // One mutex for everything: every operation holds it for a bounded copy of at most `limit` pointers
  // (or one batch), so readers wait only that long on the writer.
  mutable std::mutex mutex_;
  const std::uint64_t epoch_;
  std::uint64_t first_seq_ = 1;
  std::uint64_t last_seq_ = 0;
  std::deque<EventPtr> events_;  // seqs first_seq_ .. last_seq_, contiguous
  // The same events per topic, so a filtered read of a rare topic does not walk the whole log.
  std::unordered_map<std::string, std::deque<EventPtr>, TopicHash, std::equal_to<>> by_topic_;
};

}  // namespace herald::store
