// ChainTracker: the recent best chain as a source has announced it (height -> hash, a bounded
// window), and the decision of what an upstream "blocks were added" notice means against it: the
// next blocks, a repeat (two nodes announce the same block), a gap to fill from RPC, or a reorg.
//
// Pure: no I/O, no clock. The source owns one tracker on its own thread. findFork() walks back with a
// lookup the caller supplies (RPC in the source, a table in tests), so the fork search is tested
// without a node.
#pragma once

#include "core/result.h"

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace herald::sources {

// Blocks added to the best chain, in height order: the first one's height and parent, then ids.
struct ChainAnnouncement {
  std::uint64_t first_height = 0;
  std::string first_prev;
  std::vector<std::string> ids;
};

struct ChainStep {
  enum class Kind {
    start,         // nothing known yet: accept the blocks as the start of the chain
    extend,        // ids[first_new..] continue the tip
    duplicate,     // every block is already known: nothing to do
    gap,           // blocks between the tip and the announcement are missing: fetch gap_from..gap_to
    reorg,         // the blocks above fork_height are replaced by ids[first_new..]
    unknown_fork,  // the announcement does not connect to any block in the window: resolve by RPC
  };
  Kind kind = Kind::start;
  std::size_t first_new = 0;       // extend, reorg: index into ids of the first block to emit
  std::uint64_t fork_height = 0;   // reorg: height of the last block both branches share
  std::uint64_t depth = 0;         // reorg: blocks removed from the old branch
  std::string old_tip;             // reorg: hash of the old best block
  std::uint64_t gap_from = 0;      // gap: first missing height
  std::uint64_t gap_to = 0;        // gap: last missing height
};

const char* chainStepName(ChainStep::Kind kind) noexcept;

class ChainTracker {
 public:
  // `window`: how many recent blocks are remembered; a reorg deeper than this is found by RPC alone.
  // 720 blocks is one day of Monero and well beyond any reorg seen on mainnet.
  explicit ChainTracker(std::size_t window = 720);

  bool empty() const noexcept { return hashes_.empty(); }
  std::uint64_t tipHeight() const noexcept;  // 0 when empty
  std::string tipHash() const;               // empty when empty
  std::optional<std::string> hashAt(std::uint64_t height) const;
  std::uint64_t lowestHeight() const noexcept;  // lowest height still in the window; 0 when empty

  // What `a` means. Never changes the tracker.
  ChainStep classify(const ChainAnnouncement& a) const;

  // Records a block as the new tip (after it was emitted). A block at or below the tip first drops
  // every block at and above its height, so accepting after rollback() or over an old branch is safe.
  void accept(std::uint64_t height, std::string hash);
  // Forgets every block above `fork_height`.
  void rollback(std::uint64_t fork_height);
  void clear() { hashes_.clear(); }

 private:
  std::size_t window_;
  std::map<std::uint64_t, std::string> hashes_;
};

// Where the tracker's branch and the node's best chain part: walks down from min(tip, node_tip),
// asking `node_hash_at(h)` for the node's hash at h, until it equals the tracker's. Returns the fork
// height (the last shared block). Errc::unavailable if a lookup fails; Errc::internal "deeper than
// the window" if no block in the window is shared (the caller then restarts from the node's tip).
Result<std::uint64_t> findFork(const ChainTracker& tracker, std::uint64_t node_tip,
                               const std::function<Result<std::string>(std::uint64_t)>& node_hash_at);

// Splits the heights [from, to] into consecutive ranges of at most `max_per_range` (>= 1), so a long
// catch-up is fetched and published in bounded pieces. Empty when from > to.
std::vector<std::pair<std::uint64_t, std::uint64_t>> planRanges(std::uint64_t from, std::uint64_t to,
                                                                std::uint64_t max_per_range);

}  // namespace herald::sources
