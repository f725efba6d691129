// ChainTracker: see chain_tracker.h.
#include "sources/chain_tracker.h"

#include <algorithm>

namespace herald::sources {

const char* chainStepName(ChainStep::Kind kind) noexcept {
  switch (kind) {
    case ChainStep::Kind::start: return "start";
    case ChainStep::Kind::extend: return "extend";
    case ChainStep::Kind::duplicate: return "duplicate";
    case ChainStep::Kind::gap: return "gap";
    case ChainStep::Kind::reorg: return "reorg";
    case ChainStep::Kind::unknown_fork: return "unknown_fork";
  }
  return "unknown";
}

ChainTracker::ChainTracker(std::size_t window) : window_(std::max<std::size_t>(window, 2)) {}

std::uint64_t ChainTracker::tipHeight() const noexcept { return hashes_.empty() ? 0 : hashes_.rbegin()->first; }

std::string ChainTracker::tipHash() const { return hashes_.empty() ? std::string() : hashes_.rbegin()->second; }

std::uint64_t ChainTracker::lowestHeight() const noexcept { return hashes_.empty() ? 0 : hashes_.begin()->first; }

std::optional<std::string> ChainTracker::hashAt(std::uint64_t height) const {
  const auto it = hashes_.find(height);
  if (it == hashes_.end()) return std::nullopt;
  return it->second;
}

ChainStep ChainTracker::classify(const ChainAnnouncement& a) const {
  ChainStep step;
  if (a.ids.empty()) {
    step.kind = ChainStep::Kind::duplicate;
    return step;
  }
  if (hashes_.empty()) {
    step.kind = ChainStep::Kind::start;
    return step;
  }
  const std::uint64_t tip = tipHeight();
  if (a.first_height > tip + 1) {
    step.kind = ChainStep::Kind::gap;
    step.gap_from = tip + 1;
    step.gap_to = a.first_height - 1;
    return step;
  }
  // Skip blocks we already have (the same block announced by a second node, or a replay after a
  // catch-up by RPC): the first unknown one decides.
  std::size_t k = 0;
  while (k < a.ids.size()) {
    const auto known = hashAt(a.first_height + k);
    if (!known || *known != a.ids[k]) break;
    ++k;
  }
  if (k == a.ids.size()) {
    step.kind = ChainStep::Kind::duplicate;
    return step;
  }
  const std::uint64_t height = a.first_height + k;
  const std::string& parent = k == 0 ? a.first_prev : a.ids[k - 1];
  step.first_new = k;
  const auto parent_known = height == 0 ? std::optional<std::string>() : hashAt(height - 1);
  if (!parent_known || *parent_known != parent) {
    step.kind = ChainStep::Kind::unknown_fork;
    return step;
  }
  if (height == tip + 1) {
    step.kind = ChainStep::Kind::extend;
    return step;
  }
  step.kind = ChainStep::Kind::reorg;
  step.fork_height = height - 1;
  step.depth = tip - step.fork_height;
  step.old_tip = tipHash();
  return step;
}

void ChainTracker::accept(std::uint64_t height, std::string hash) {
  hashes_.erase(hashes_.lower_bound(height), hashes_.end());
  // A block that does not continue the remembered chain starts a new one: keeping older entries
  // would leave a hole that classify() would read as a fork.
  if (!hashes_.empty() && hashes_.rbegin()->first + 1 != height) hashes_.clear();
  hashes_.emplace(height, std::move(hash));
  while (hashes_.size() > window_) hashes_.erase(hashes_.begin());
}

void ChainTracker::rollback(std::uint64_t fork_height) {
  hashes_.erase(hashes_.upper_bound(fork_height), hashes_.end());
}

Result<std::uint64_t> findFork(const ChainTracker& tracker, std::uint64_t node_tip,
                               const std::function<Result<std::string>(std::uint64_t)>& node_hash_at) {
  if (tracker.empty()) return Error::make(Errc::internal, "no chain to compare: the tracker is empty");
  std::uint64_t h = std::min(tracker.tipHeight(), node_tip);
  const std::uint64_t lowest = tracker.lowestHeight();
  while (true) {
    if (h < lowest) break;
    const auto ours = tracker.hashAt(h);
    auto theirs = node_hash_at(h);
    if (!theirs) return theirs.error();
    if (ours && *ours == *theirs) return h;
    if (h == 0) break;
    --h;
  }
  return Error::make(Errc::internal, "the node's chain shares no block with the last " +
                                         std::to_string(tracker.tipHeight() - lowest + 1) +
                                         " blocks seen: the fork is deeper than the window");
}

std::vector<std::pair<std::uint64_t, std::uint64_t>> planRanges(std::uint64_t from, std::uint64_t to,
                                                                std::uint64_t max_per_range) {
  std::vector<std::pair<std::uint64_t, std::uint64_t>> out;
  if (from > to) return out;
  const std::uint64_t step = std::max<std::uint64_t>(max_per_range, 1);
  for (std::uint64_t start = from;; start += step) {
    const std::uint64_t end = to - start >= step ? start + step - 1 : to;
    out.emplace_back(start, end);
    if (end == to) break;
  }
  return out;
}

}  // namespace herald::sources
