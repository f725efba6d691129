// MemoryEventLog beyond the shared contract (event_log_contract_test.cpp): its epoch.
#include "store/memory_event_log.h"

#include <gtest/gtest.h>

namespace herald::store {
namespace {

TEST(MemoryEventLog, EachLogGetsItsOwnRandomEpoch) {
  MemoryEventLog first;
  MemoryEventLog second;
  EXPECT_NE(first.bounds().epoch, 0u);
  EXPECT_NE(first.bounds().epoch, second.bounds().epoch);
}

TEST(MemoryEventLog, AChosenEpochIsUsedInCursors) {
  MemoryEventLog log(0x1234);
  std::vector<Event> batch(2);
  auto cursor = log.append(batch);
  ASSERT_TRUE(cursor);
  EXPECT_EQ(*cursor, (Cursor{0x1234, 2}));
  auto read = log.readAfter(Cursor{0x1234, 0}, {}, 10);
  ASSERT_TRUE(read);
  EXPECT_EQ(read->next, (Cursor{0x1234, 2}));
}

TEST(MemoryEventLog, AZeroEpochIsReplacedByARandomOne) {
  MemoryEventLog log(0);
  EXPECT_NE(log.bounds().epoch, 0u);
}

}  // namespace
}  // namespace herald::store
