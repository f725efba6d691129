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

TEST(LatencyHistogram, TallyAddsTheSameAsObservingEachValue) {
  LatencyHistogram direct;
  LatencyHistogram tallied;
  LatencyHistogram::Tally tally;
  for (std::uint64_t v : {0ULL, 50ULL, 51ULL, 100ULL, 101ULL, 7'000ULL, 10'000'000'000ULL}) {
    direct.observe(v);
    tally.observe(v);
  }
  tallied.add(tally);
  tallied.add(LatencyHistogram::Tally{});  // an empty tally changes nothing
  for (std::size_t i = 0; i <= LatencyHistogram::kBuckets; ++i) EXPECT_EQ(tallied.bucket(i), direct.bucket(i)) << i;
  EXPECT_EQ(tallied.count(), direct.count());
  EXPECT_EQ(tallied.sumUs(), direct.sumUs());
}

}  // namespace
}  // namespace herald
