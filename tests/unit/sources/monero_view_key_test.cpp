#include "sources/monero_view_key.h"

#include <gtest/gtest.h>

namespace herald::sources {
namespace {

// A regtest wallet made by monero-wallet-rpc create_wallet, and its secret view key (query_key).
constexpr const char* kAddress =
    "44DYH44PdsUUmnrnQQmKV5ahLGm4bcFY9bvkaxm8RuB97t6rLgrgrTvX9Jhwbh8DkANcU5ipAjxxm6xtTtWLSvqjQCtmUxP";
constexpr const char* kViewKey = "2bfa9f0077416e0eab252b4b22c7bed70f8658f1da7277298a8f795a4c99330d";

TEST(MoneroViewKey, AcceptsTheKeyOfTheAddressInEitherCase) {
  EXPECT_TRUE(checkViewKey(kAddress, kViewKey));
  EXPECT_TRUE(checkViewKey(kAddress, "2BFA9F0077416E0EAB252B4B22C7BED70F8658F1DA7277298A8F795A4C99330D"));
}

TEST(MoneroViewKey, RefusesAnotherValidKeyAsNotMatching) {
  std::string other = kViewKey;
  other[10] = other[10] == '0' ? '1' : '0';
  auto r = checkViewKey(kAddress, other);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::unauthorized);
  EXPECT_EQ(r.error().field, "secret");
  EXPECT_EQ(r.error().message, "view key does not match the address");
}

TEST(MoneroViewKey, RefusesMalformedKeysNamingTheProblem) {
  auto short_key = checkViewKey(kAddress, "2bfa");
  ASSERT_FALSE(short_key);
  EXPECT_EQ(short_key.error().code, Errc::invalid_params);
  EXPECT_EQ(short_key.error().field, "secret");
  EXPECT_NE(short_key.error().message.find("64 hex digits, got 4"), std::string::npos);

  std::string not_hex(64, 'g');
  EXPECT_EQ(checkViewKey(kAddress, not_hex).error().code, Errc::invalid_params);

  // Above the group order: monerod would never have made it (sc_check fails).
  auto unreduced = checkViewKey(kAddress, std::string(64, 'f'));
  ASSERT_FALSE(unreduced);
  EXPECT_EQ(unreduced.error().code, Errc::invalid_params);
  EXPECT_NE(unreduced.error().message.find("not reduced"), std::string::npos);

  auto zero = checkViewKey(kAddress, std::string(64, '0'));
  ASSERT_FALSE(zero);
  EXPECT_EQ(zero.error().code, Errc::invalid_params);
}

TEST(MoneroViewKey, RefusesMalformedAddressesAsTheAccountField) {
  auto r = checkViewKey("not-an-address", kViewKey);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::invalid_params);
  EXPECT_EQ(r.error().field, "account");
  std::string truncated(kAddress);
  truncated.pop_back();
  EXPECT_EQ(checkViewKey(truncated, kViewKey).error().field, "account");
}

}  // namespace
}  // namespace herald::sources
