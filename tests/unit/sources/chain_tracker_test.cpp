#include "sources/chain_tracker.h"

#include <gtest/gtest.h>

#include <map>

namespace herald::sources {
namespace {

// A chain of hashes "h<height><branch>" so forks are easy to read.
std::string id(std::uint64_t height, char branch = 'a') { return "h" + std::to_string(height) + branch; }

ChainTracker trackerUpTo(std::uint64_t tip, std::size_t window = 720) {
  ChainTracker t(window);
  for (std::uint64_t h = 0; h <= tip; ++h) t.accept(h, id(h));
  return t;
}

TEST(ChainTracker, EmptyTrackerStarts) {
  ChainTracker t;
  EXPECT_EQ(t.classify({5, id(4), {id(5)}}).kind, ChainStep::Kind::start);
}

TEST(ChainTracker, NextBlockExtends) {
  auto t = trackerUpTo(10);
  const auto step = t.classify({11, id(10), {id(11), id(12)}});
  EXPECT_EQ(step.kind, ChainStep::Kind::extend);
  EXPECT_EQ(step.first_new, 0u);
}

TEST(ChainTracker, RepeatFromASecondNodeIsADuplicate) {
  auto t = trackerUpTo(10);
  EXPECT_EQ(t.classify({10, id(9), {id(10)}}).kind, ChainStep::Kind::duplicate);
  EXPECT_EQ(t.classify({9, id(8), {id(9), id(10)}}).kind, ChainStep::Kind::duplicate);
}

TEST(ChainTracker, OverlapThenNewBlocksExtendsFromTheFirstUnknown) {
  auto t = trackerUpTo(10);
  const auto step = t.classify({9, id(8), {id(9), id(10), id(11)}});
  EXPECT_EQ(step.kind, ChainStep::Kind::extend);
  EXPECT_EQ(step.first_new, 2u);
}

TEST(ChainTracker, HeightBeyondTheNextIsAGap) {
  auto t = trackerUpTo(10);
  const auto step = t.classify({14, id(13), {id(14)}});
  EXPECT_EQ(step.kind, ChainStep::Kind::gap);
  EXPECT_EQ(step.gap_from, 11u);
  EXPECT_EQ(step.gap_to, 13u);
}

TEST(ChainTracker, LowerHeightOnAKnownParentIsAReorg) {
  // pop_blocks 2, then a longer branch: blocks 9' 10' 11' on parent 8.
  auto t = trackerUpTo(10);
  const auto step = t.classify({9, id(8), {id(9, 'b')}});
  EXPECT_EQ(step.kind, ChainStep::Kind::reorg);
  EXPECT_EQ(step.fork_height, 8u);
  EXPECT_EQ(step.depth, 2u);
  EXPECT_EQ(step.old_tip, id(10));
  EXPECT_EQ(step.first_new, 0u);
}

TEST(ChainTracker, SameHeightDifferentParentIsAnUnknownFork) {
  // Block 11 whose parent is not our 10: the fork is below the announcement.
  auto t = trackerUpTo(10);
  EXPECT_EQ(t.classify({11, id(10, 'b'), {id(11, 'b')}}).kind, ChainStep::Kind::unknown_fork);
}

TEST(ChainTracker, ReorgAtTheTipHeightReplacesOneBlock) {
  auto t = trackerUpTo(10);
  const auto step = t.classify({10, id(9), {id(10, 'b'), id(11, 'b')}});
  EXPECT_EQ(step.kind, ChainStep::Kind::reorg);
  EXPECT_EQ(step.fork_height, 9u);
  EXPECT_EQ(step.depth, 1u);
}

TEST(ChainTracker, RollbackThenAcceptFollowsTheNewBranch) {
  auto t = trackerUpTo(10);
  t.rollback(8);
  EXPECT_EQ(t.tipHeight(), 8u);
  t.accept(9, id(9, 'b'));
  EXPECT_EQ(t.tipHash(), id(9, 'b'));
  EXPECT_EQ(t.classify({10, id(9, 'b'), {id(10, 'b')}}).kind, ChainStep::Kind::extend);
}

TEST(ChainTracker, AcceptBelowTheTipDropsTheOldBranch) {
  auto t = trackerUpTo(10);
  t.accept(9, id(9, 'b'));
  EXPECT_EQ(t.tipHeight(), 9u);
  EXPECT_FALSE(t.hashAt(10));
}

TEST(ChainTracker, WindowIsBounded) {
  auto t = trackerUpTo(100, 10);
  EXPECT_EQ(t.lowestHeight(), 91u);
  EXPECT_FALSE(t.hashAt(90));
  // A fork below the window cannot be placed from the tracker alone.
  EXPECT_EQ(t.classify({50, id(49, 'b'), {id(50, 'b')}}).kind, ChainStep::Kind::unknown_fork);
}

TEST(FindFork, WalksBackToTheLastSharedBlock) {
  auto t = trackerUpTo(20);
  std::map<std::uint64_t, std::string> node;
  for (std::uint64_t h = 0; h <= 22; ++h) node[h] = h <= 17 ? id(h) : id(h, 'b');
  int lookups = 0;
  auto fork = findFork(t, 22, [&](std::uint64_t h) -> Result<std::string> {
    ++lookups;
    return node.at(h);
  });
  ASSERT_TRUE(fork);
  EXPECT_EQ(*fork, 17u);
  EXPECT_EQ(lookups, 4);  // 20, 19, 18, 17
}

TEST(FindFork, NodeBelowOurTipComparesFromItsTip) {
  auto t = trackerUpTo(20);
  auto fork = findFork(t, 15, [&](std::uint64_t h) -> Result<std::string> { return id(h); });
  ASSERT_TRUE(fork);
  EXPECT_EQ(*fork, 15u);
}

TEST(FindFork, LookupFailureIsReported) {
  auto t = trackerUpTo(5);
  auto fork = findFork(t, 5, [](std::uint64_t) -> Result<std::string> {
    return Error::make(Errc::unavailable, "down");
  });
  ASSERT_FALSE(fork);
  EXPECT_EQ(fork.error().code, Errc::unavailable);
}

TEST(FindFork, DeeperThanTheWindowIsInternal) {
  auto t = trackerUpTo(30, 5);
  auto fork = findFork(t, 30, [](std::uint64_t h) -> Result<std::string> { return id(h, 'z'); });
  ASSERT_FALSE(fork);
  EXPECT_EQ(fork.error().code, Errc::internal);
}

TEST(PlanRanges, SplitsIntoBoundedPieces) {
  using R = std::vector<std::pair<std::uint64_t, std::uint64_t>>;
  EXPECT_EQ(planRanges(5, 4, 10), R{});
  EXPECT_EQ(planRanges(5, 5, 10), (R{{5, 5}}));
  EXPECT_EQ(planRanges(1, 25, 10), (R{{1, 10}, {11, 20}, {21, 25}}));
  EXPECT_EQ(planRanges(1, 20, 10), (R{{1, 10}, {11, 20}}));
  EXPECT_EQ(planRanges(0, 2, 0), (R{{0, 0}, {1, 1}, {2, 2}}));
  EXPECT_EQ(planRanges(UINT64_MAX - 1, UINT64_MAX, 10), (R{{UINT64_MAX - 1, UINT64_MAX}}));
}

}  // namespace
}  // namespace herald::sources
