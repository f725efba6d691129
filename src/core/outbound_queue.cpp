#include "core/outbound_queue.h"

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
  for (auto& f : frames_) out.push_back(std::move(f));
  frames_.clear();
  bytes_ = 0;
  return n;
}

void OutboundQueue::clear() {
  frames_.clear();
  bytes_ = 0;
}

}  // namespace herald
