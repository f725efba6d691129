// OutboundQueue: the frames waiting to be written to one connection, bounded in bytes. The bound is
// what keeps a slow client from hurting anyone else: a push over it fails and the owner closes the
// session as a slow consumer. Replay pages are pushed with `force` (they are paced by draining
// instead, see Hub). Single-threaded: owned by the session's worker.
//
// A vector, not a deque: it is only ever appended to and drained whole, so it never needs to pop
// from the front; an empty one owns no memory (a deque allocates ~600 bytes up front, per idle
// connection), and a drained one keeps its capacity, so steady delivery allocates nothing per push.
#pragma once

#include "core/frame.h"

#include <cstddef>
#include <vector>

namespace herald {

class OutboundQueue {
 public:
  explicit OutboundQueue(std::size_t max_bytes) : max_bytes_(max_bytes) {}

  // Appends unless that would take the queue over max_bytes (returns false, queue unchanged).
  // A frame larger than the whole bound is still accepted into an empty queue, so one big message
  // cannot wedge a fast client (the message size limit bounds it elsewhere).
  bool push(FramePtr frame, bool force = false);

  // Moves every queued frame to `out` (appending) for one gather write; returns how many.
  std::size_t drainTo(std::vector<FramePtr>& out);

  void clear();
  bool empty() const noexcept { return frames_.empty(); }
  std::size_t bytes() const noexcept { return bytes_; }
  std::size_t size() const noexcept { return frames_.size(); }
  std::size_t maxBytes() const noexcept { return max_bytes_; }

 private:
  std::vector<FramePtr> frames_;
  std::size_t bytes_ = 0;
  std::size_t max_bytes_;
};

}  // namespace herald
