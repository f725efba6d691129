// planRead/finishRead: the readAfter contract as pure functions of the bounds.
#include "store/read_plan.h"

#include <gtest/gtest.h>

#include <memory>

namespace herald::store {
namespace {

constexpr std::uint64_t kEpoch = 0xabc;

TEST(ReadPlan, ACursorInsideTheRetainedHistoryReadsOnWithoutGaps) {
  auto start = planRead(LogBounds{kEpoch, 5, 9}, Cursor{kEpoch, 7});
  ASSERT_TRUE(start);
  EXPECT_TRUE(start->gaps.empty());
  EXPECT_EQ(start->after_seq, 7u);
}

TEST(ReadPlan, ACursorBeforeTheRetainedHistoryGetsTheExpiredRange) {
  auto start = planRead(LogBounds{kEpoch, 5, 9}, Cursor{kEpoch, 1});
  ASSERT_TRUE(start);
  EXPECT_EQ(start->gaps, (std::vector<Gap>{{kEpoch, 2, 4, GapReason::history_expired}}));
  EXPECT_EQ(start->after_seq, 4u);
}

TEST(ReadPlan, ACursorJustBeforeTheFirstRetainedEventMissedNothing) {
  auto start = planRead(LogBounds{kEpoch, 5, 9}, Cursor{kEpoch, 4});
  ASSERT_TRUE(start);
  EXPECT_TRUE(start->gaps.empty());
}

TEST(ReadPlan, AForeignEpochStartsAtTheFirstRetainedEvent) {
  auto start = planRead(LogBounds{kEpoch, 1, 9}, Cursor{7, 100});
  ASSERT_TRUE(start);
  EXPECT_EQ(start->gaps, (std::vector<Gap>{{7, 101, 0, GapReason::epoch_changed}}));
  EXPECT_EQ(start->after_seq, 0u);

  start = planRead(LogBounds{kEpoch, 5, 9}, Cursor{7, 100});
  ASSERT_TRUE(start);
  EXPECT_EQ(start->gaps, (std::vector<Gap>{{7, 101, 0, GapReason::epoch_changed},
                                           {kEpoch, 1, 4, GapReason::history_expired}}));
  EXPECT_EQ(start->after_seq, 4u);
}

TEST(ReadPlan, ACursorPastTheHeadIsAnError) {
  auto start = planRead(LogBounds{kEpoch, 1, 9}, Cursor{kEpoch, 10});
  ASSERT_FALSE(start);
  EXPECT_EQ(start.error().code, Errc::cursor_ahead);
  EXPECT_TRUE(planRead(LogBounds{kEpoch, 1, 9}, Cursor{kEpoch, 9}));
}

ReadBatch batchOf(std::initializer_list<std::uint64_t> seqs) {
  ReadBatch batch;
  for (auto seq : seqs) {
    auto e = std::make_shared<Event>();
    e->seq = seq;
    batch.events.push_back(std::move(e));
  }
  return batch;
}

TEST(ReadPlan, AShortReadEndsAtTheHead) {
  ReadBatch batch = batchOf({3, 5});
  finishRead(batch, LogBounds{kEpoch, 1, 9}, 2, 10);
  EXPECT_EQ(batch.next, (Cursor{kEpoch, 9}));
  EXPECT_TRUE(batch.at_head);
}

TEST(ReadPlan, AFullReadContinuesAfterItsLastEvent) {
  ReadBatch batch = batchOf({3, 5});
  finishRead(batch, LogBounds{kEpoch, 1, 9}, 2, 2);
  EXPECT_EQ(batch.next, (Cursor{kEpoch, 5}));
  EXPECT_FALSE(batch.at_head);

  ReadBatch last = batchOf({8, 9});
  finishRead(last, LogBounds{kEpoch, 1, 9}, 7, 2);
  EXPECT_EQ(last.next, (Cursor{kEpoch, 9}));
  EXPECT_TRUE(last.at_head);
}

TEST(ReadPlan, AZeroLimitStaysWhereItIs) {
  ReadBatch batch;
  finishRead(batch, LogBounds{kEpoch, 1, 9}, 4, 0);
  EXPECT_EQ(batch.next, (Cursor{kEpoch, 4}));
  EXPECT_FALSE(batch.at_head);
}

}  // namespace
}  // namespace herald::store
