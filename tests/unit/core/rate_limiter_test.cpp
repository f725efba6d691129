#include "core/rate_limiter.h"

#include <gtest/gtest.h>

namespace herald {
namespace {

TEST(TokenBucket, AllowsBurstThenRefillsAtRate) {
  TokenBucket bucket(RateLimit{10, 3}, 1000);
  EXPECT_TRUE(bucket.tryTake(1000));
  EXPECT_TRUE(bucket.tryTake(1000));
  EXPECT_TRUE(bucket.tryTake(1000));
  EXPECT_FALSE(bucket.tryTake(1000));
  EXPECT_FALSE(bucket.tryTake(1050));  // half a token
  EXPECT_TRUE(bucket.tryTake(1100));   // 10/s -> one token per 100 ms
  EXPECT_FALSE(bucket.tryTake(1100));
}

TEST(TokenBucket, NeverExceedsBurst) {
  TokenBucket bucket(RateLimit{10, 2}, 0);
  EXPECT_TRUE(bucket.tryTake(1'000'000));
  EXPECT_TRUE(bucket.tryTake(1'000'000));
  EXPECT_FALSE(bucket.tryTake(1'000'000));
}

TEST(TokenBucket, ClockGoingBackwardsGrantsNothing) {
  TokenBucket bucket(RateLimit{10, 1}, 5000);
  EXPECT_TRUE(bucket.tryTake(5000));
  EXPECT_FALSE(bucket.tryTake(1000));
}

}  // namespace
}  // namespace herald
