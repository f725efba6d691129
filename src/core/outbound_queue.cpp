#include "core/outbound_queue.h"

#include <iterator>

namespace herald {

bool OutboundQueue::push(FramePtr frame, bool force) {
  const std::size_t size = frame->bytes.size();
  if (!force && !frames_.empty() && bytes_ + size > max_bytes_) return false;
  bytes_ += size;
  frames_.push_back(std::move(frame));
  return true;
}

std::size_t OutboundQueue::drainTo(std::vector<FramePtr>& out) {
  const std::size_t n = frames_.size();
  if (out.empty()) {
    // The caller's (already drained) vector and this one trade storage: neither allocates.
    out.swap(frames_);
  } else {
    out.insert(out.end(), std::make_move_iterator(frames_.begin()), std::make_move_iterator(frames_.end()));
  }
  frames_.clear();
  bytes_ = 0;
  return n;
}

void OutboundQueue::clear() {
  frames_.clear();
  bytes_ = 0;
}

}  // namespace herald
