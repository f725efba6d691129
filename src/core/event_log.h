// EventLog: the durable, ordered history of events, and the only source of seqs. Implementations:
// SqliteEventLog (embedded default), MemoryEventLog (no persistence); one contract test suite
// (tests/unit/store/event_log_contract_test.cpp) runs against each.
//
// Threads: append() and applyRetention() are called by one writer thread only; readAfter() and
// bounds() may be called from any thread concurrently with the writer.
#pragma once

#include "core/cursor.h"
#include "core/event.h"
#include "core/result.h"

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

namespace herald {

struct LogBounds {
  std::uint64_t epoch = 0;
  std::uint64_t first_seq = 1;  // oldest retained event; last_seq + 1 when the log is empty
  std::uint64_t last_seq = 0;   // newest event ever appended in this epoch (survives retention)

  Cursor head() const noexcept { return Cursor{epoch, last_seq}; }
};

struct RetentionPolicy {
  std::uint64_t max_events = 1'000'000;         // 0 = no count limit
  std::int64_t max_age_ms = 7LL * 24 * 3600 * 1000;  // 0 = no age limit
};

struct ReadBatch {
  std::vector<EventPtr> events;  // ascending seq
  std::vector<Gap> gaps;         // what the reader will never get, reported before `events`
  Cursor next;                   // pass as `after` to continue
  bool at_head = false;          // nothing after `next` existed when this was read
};

class EventLog {
 public:
  virtual ~EventLog() = default;

  // Assigns consecutive seqs (from last_seq + 1) to the batch, in order, and makes it durable as one
  // unit: all or nothing. Returns the cursor of the last event. time_ms is kept as given.
  virtual Result<Cursor> append(std::span<Event> batch) = 0;

  // Events with seq > after.seq (of `topic`, or all when empty), at most `limit`.
  // - after.epoch differs from the log's epoch: gap {after.epoch, after.seq + 1, 0, epoch_changed},
  //   then reading starts at the first retained event of the current epoch.
  // - after.seq < first_seq - 1: gap {epoch, after.seq + 1, first_seq - 1, history_expired}.
  // - after.seq > last_seq in the current epoch: Errc::cursor_ahead.
  virtual Result<ReadBatch> readAfter(const Cursor& after, std::string_view topic, std::size_t limit) = 0;

  virtual LogBounds bounds() const = 0;

  // Deletes the oldest events beyond `policy`; returns how many were deleted.
  virtual Result<std::size_t> applyRetention(const RetentionPolicy& policy, std::int64_t now_ms) = 0;
};

}  // namespace herald
