// Read planning: the readAfter contract of core/event_log.h in one place (see read_plan.h).
#include "store/read_plan.h"

#include <string>

namespace herald::store {

Result<ReadStart> planRead(const LogBounds& bounds, const Cursor& after) {
  ReadStart start;
  const std::uint64_t last_expired = bounds.first_seq - 1;  // first_seq >= 1 always
  if (after.epoch != bounds.epoch) {
    start.gaps.push_back(Gap{after.epoch, after.seq + 1, 0, GapReason::epoch_changed});
    if (last_expired > 0) {
      start.gaps.push_back(Gap{bounds.epoch, 1, last_expired, GapReason::history_expired});
    }
    start.after_seq = last_expired;
    return start;
  }
  if (after.seq > bounds.last_seq) {
    return Error::make(Errc::cursor_ahead,
                       "cursor " + after.toString() + " is past the log head " + bounds.head().toString());
  }
  if (after.seq < last_expired) {
    start.gaps.push_back(Gap{bounds.epoch, after.seq + 1, last_expired, GapReason::history_expired});
    start.after_seq = last_expired;
    return start;
  }
  start.after_seq = after.seq;
  return start;
}

void finishRead(ReadBatch& batch, const LogBounds& bounds, std::uint64_t after_seq, std::size_t limit) {
  std::uint64_t next_seq = after_seq;
  if (batch.events.size() < limit) {
    next_seq = bounds.last_seq;
  } else if (!batch.events.empty()) {
    next_seq = batch.events.back()->seq;
  }
  batch.next = Cursor{bounds.epoch, next_seq};
  batch.at_head = next_seq >= bounds.last_seq;
}

}  // namespace herald::store
