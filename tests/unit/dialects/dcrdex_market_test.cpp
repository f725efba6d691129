#include "dialects/dcrdex_market.h"

#include <gtest/gtest.h>

namespace herald::dialects::dcrdex {
namespace {

TEST(DcrdexMessageRate, SpecExample) {
  // Paying 0.001 Y for each 1 Z: r_msg = 1 x 10^8 x 0.001 = 100000.
  auto rate = messageRate("0.001");
  ASSERT_TRUE(rate);
  EXPECT_EQ(*rate, 100000u);
}

TEST(DcrdexMessageRate, ExactDecimalsAndFloor) {
  EXPECT_EQ(*messageRate("1"), 100000000u);
  EXPECT_EQ(*messageRate("1."), 100000000u);
  EXPECT_EQ(*messageRate(".5"), 50000000u);
  EXPECT_EQ(*messageRate("0.00000001"), 1u);
  EXPECT_EQ(*messageRate("0.000000019"), 1u);  // floored, not rounded
  EXPECT_EQ(*messageRate("0.000000009"), 0u);
  EXPECT_EQ(*messageRate("123.456789129"), 12345678912u);
  // 0.1 + 0.2 style values are exact: no binary floating point is involved.
  EXPECT_EQ(*messageRate("0.3"), 30000000u);
  EXPECT_EQ(*messageRate("0.0027"), 270000u);
  EXPECT_EQ(*messageRate("184467440737.09551615"), 18446744073709551615u);
}

TEST(DcrdexMessageRate, RefusesWhatIsNotPlainDecimal) {
  for (const char* bad : {"", ".", "-1", "+1", "1e3", "1.2.3", "0x10", " 1", "1,5", "184467440737.09551616",
                          "99999999999999999999"}) {
    auto rate = messageRate(bad);
    EXPECT_FALSE(rate) << bad;
    if (!rate) {
      EXPECT_EQ(rate.error().code, Errc::invalid_params) << bad;
    }
  }
}

TEST(DcrdexMessageRate, DecimalRoundTrip) {
  EXPECT_EQ(decimalRate(100000), "0.001");
  EXPECT_EQ(decimalRate(100000000), "1");
  EXPECT_EQ(decimalRate(12345678912), "123.45678912");
  EXPECT_EQ(decimalRate(1), "0.00000001");
  EXPECT_EQ(decimalRate(0), "0");
  for (std::uint64_t r : {0ull, 1ull, 7ull, 270000ull, 15872000000ull, 18446744073709551615ull}) {
    EXPECT_EQ(*messageRate(decimalRate(r)), r);
  }
}

TEST(DcrdexUnits, MillisecondsToSecondsRoundDown) {
  EXPECT_EQ(unixSeconds(1732450000999), 1732450000u);
  EXPECT_EQ(unixSeconds(1732450000000), 1732450000u);
  EXPECT_EQ(unixSeconds(999), 0u);
}

TEST(DcrdexAssets, Slip44) {
  EXPECT_EQ(assetId("dcr"), 42u);
  EXPECT_EQ(assetId("btc"), 0u);
  EXPECT_EQ(assetId("eth"), 60u);
  EXPECT_EQ(assetId("DCR"), std::nullopt);  // dcrdex symbols are lowercase
  EXPECT_EQ(assetSymbol(42), "dcr");
  EXPECT_EQ(assetSymbol(999999), std::nullopt);
}

TEST(DcrdexMarkets, ThreeSpellingsOfOneMarket) {
  const Market expected{"dcr_btc", "DCR/BTC", 42, 0};
  EXPECT_EQ(marketFromIds(42, 0), expected);
  EXPECT_EQ(marketFromName("dcr_btc"), expected);
  EXPECT_EQ(marketFromCatalog("DCR/BTC"), expected);
  EXPECT_EQ(marketFromName("DCR_BTC"), std::nullopt);
  EXPECT_EQ(marketFromName("dcr_dcr"), std::nullopt);
  EXPECT_EQ(marketFromName("dcrbtc"), std::nullopt);
  EXPECT_EQ(marketFromCatalog("XMR/EUR"), std::nullopt);  // EUR has no SLIP-0044 id
  EXPECT_EQ(marketFromIds(42, 424242), std::nullopt);
}

}  // namespace
}  // namespace herald::dialects::dcrdex
