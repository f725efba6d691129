#include "core/metrics.h"

#include <gtest/gtest.h>

namespace herald {
namespace {

TEST(LatencyHistogram, PlacesValuesInDoublingBuckets) {
  LatencyHistogram h;
  h.observe(0);      // le 50us
  h.observe(50);     // le 50us
  h.observe(51);     // le 100us
  h.observe(100);    // le 100us
  h.observe(101);    // le 200us
  h.observe(10'000'000'000ULL);  // +Inf
  EXPECT_EQ(h.bucket(0), 2u);
  EXPECT_EQ(h.bucket(1), 2u);
  EXPECT_EQ(h.bucket(2), 1u);
  EXPECT_EQ(h.bucket(LatencyHistogram::kBuckets), 1u);
  EXPECT_EQ(h.count(), 6u);
  EXPECT_EQ(LatencyHistogram::boundUs(2), 200u);
}

}  // namespace
}  // namespace herald
