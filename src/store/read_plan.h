// Read planning shared by every EventLog implementation: turns a resume cursor and the log's bounds
// into the gaps to report and the seq to read after, and finishes a batch with its next cursor. Kept
// apart so the memory and SQLite logs cannot drift from the readAfter contract of core/event_log.h.
//
// Must not: touch storage. Pure functions of their arguments.
#pragma once

#include "core/cursor.h"
#include "core/event_log.h"
#include "core/result.h"

#include <cstddef>
#include <cstdint>
#include <vector>

namespace herald::store {

struct ReadStart {
  std::vector<Gap> gaps;        // to report before any event
  std::uint64_t after_seq = 0;  // read events with seq > after_seq, in `bounds.epoch`
};

// Gaps and start position for a read after `after`, given a consistent snapshot of `bounds`.
// - foreign epoch: {after.epoch, after.seq + 1, 0, epoch_changed}; reading starts at the first
//   retained event, and when events 1 .. first_seq - 1 of the current epoch are already gone they are
//   reported too ({epoch, 1, first_seq - 1, history_expired}), so the gaps are the exact loss.
// - after.seq < first_seq - 1: {epoch, after.seq + 1, first_seq - 1, history_expired}.
// - after.seq > last_seq: Errc::cursor_ahead.
Result<ReadStart> planRead(const LogBounds& bounds, const Cursor& after);

// Sets `batch.next` and `batch.at_head` once `batch.events` holds what a read with `limit` found
// after `after_seq` (in seq order, all seqs <= bounds.last_seq). Fewer events than `limit` means the
// read saw everything up to last_seq, even with a topic filter, so the next read can start there.
void finishRead(ReadBatch& batch, const LogBounds& bounds, std::uint64_t after_seq, std::size_t limit);

}  // namespace herald::store
