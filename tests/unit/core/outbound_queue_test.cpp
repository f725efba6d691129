#include "core/outbound_queue.h"

#include <gtest/gtest.h>

namespace herald {
namespace {

TEST(OutboundQueue, BoundsBytesAndDrainsInOrder) {
  OutboundQueue q(10);
  EXPECT_TRUE(q.push(makeFrame("aaaa")));
  EXPECT_TRUE(q.push(makeFrame("bbbb")));
  EXPECT_FALSE(q.push(makeFrame("ccc")));  // 11 > 10
  EXPECT_EQ(q.bytes(), 8u);
  EXPECT_TRUE(q.push(makeFrame("cc")));    // exactly 10
  std::vector<FramePtr> out;
  EXPECT_EQ(q.drainTo(out), 3u);
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[0]->bytes, "aaaa");
  EXPECT_EQ(out[2]->bytes, "cc");
  EXPECT_TRUE(q.empty());
  EXPECT_EQ(q.bytes(), 0u);
}

TEST(OutboundQueue, OversizedFrameEntersEmptyQueueOnly) {
  OutboundQueue q(4);
  EXPECT_TRUE(q.push(makeFrame("0123456789")));
  EXPECT_FALSE(q.push(makeFrame("x")));
}

TEST(OutboundQueue, ForcedPushIgnoresTheBound) {
  OutboundQueue q(4);
  EXPECT_TRUE(q.push(makeFrame("1234")));
  EXPECT_TRUE(q.push(makeFrame("5678"), true));
  EXPECT_EQ(q.bytes(), 8u);
}

TEST(OutboundQueue, SharedFrameIsNotCopied) {
  OutboundQueue a(100), b(100);
  auto frame = makeFrame("shared");
  a.push(frame);
  b.push(frame);
  std::vector<FramePtr> out;
  a.drainTo(out);
  b.drainTo(out);
  EXPECT_EQ(out[0].get(), out[1].get());
}

}  // namespace
}  // namespace herald
