#include "auth/configured_accounts.h"

#include <gtest/gtest.h>

#include <deque>
#include <functional>
#include <optional>

namespace herald::auth {
namespace {

class ConfiguredAccountsTest : public ::testing::Test {
 protected:
  ConfiguredAccountsTest()
      : accounts_({{"4Alice", "a1b2c3"}, {"4Bob", "ffff"}},
                  [this](std::function<void()> fn) { posted_.push_back(std::move(fn)); }) {}

  // Verifies and returns the result, checking it was posted and not given inline.
  Result<void> verify(std::string account, std::string secret) {
    std::optional<Result<void>> got;
    accounts_.verify(std::move(account), std::move(secret), [&](Result<void> r) { got = std::move(r); });
    EXPECT_FALSE(got.has_value()) << "answered inline";
    EXPECT_EQ(posted_.size(), 1u);
    while (!posted_.empty()) {
      auto fn = std::move(posted_.front());
      posted_.pop_front();
      fn();
    }
    EXPECT_TRUE(got.has_value());
    return got.value_or(Error::make(Errc::internal, "no answer"));
  }

  std::deque<std::function<void()>> posted_;
  ConfiguredAccounts accounts_;
};

TEST_F(ConfiguredAccountsTest, KnownAccountWithItsSecretIsAccepted) {
  EXPECT_TRUE(verify("4Alice", "a1b2c3"));
  EXPECT_TRUE(verify("4Bob", "ffff"));
}

TEST_F(ConfiguredAccountsTest, WrongSecretOrUnknownAccountIsUnauthorized) {
  auto wrong = verify("4Alice", "a1b2c4");
  ASSERT_FALSE(wrong);
  EXPECT_EQ(wrong.error().code, Errc::unauthorized);
  EXPECT_EQ(wrong.error().message, "secret does not match");
  EXPECT_EQ(wrong.error().field, "secret");
  auto prefix = verify("4Alice", "a1b2c");
  ASSERT_FALSE(prefix);
  EXPECT_EQ(prefix.error().code, Errc::unauthorized);
  auto other = verify("4Alice", "ffff");  // another account's secret
  ASSERT_FALSE(other);
  auto unknown = verify("4Carol", "a1b2c3");
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().code, Errc::unauthorized);
  EXPECT_EQ(unknown.error().message, "unknown account");
  EXPECT_EQ(unknown.error().field, "account");
}

TEST_F(ConfiguredAccountsTest, EmptyInputIsInvalid) {
  auto no_account = verify("", "a1b2c3");
  ASSERT_FALSE(no_account);
  EXPECT_EQ(no_account.error().code, Errc::invalid_params);
  auto no_secret = verify("4Alice", "");
  ASSERT_FALSE(no_secret);
  EXPECT_EQ(no_secret.error().code, Errc::invalid_params);
}

TEST(ConstantTimeEqual, ComparesWholeTexts) {
  EXPECT_TRUE(constantTimeEqual("", ""));
  EXPECT_TRUE(constantTimeEqual("abc", "abc"));
  EXPECT_FALSE(constantTimeEqual("abc", "abd"));
  EXPECT_FALSE(constantTimeEqual("abc", "ab"));
  EXPECT_FALSE(constantTimeEqual("ab", "abc"));
  EXPECT_FALSE(constantTimeEqual("", "a"));
  EXPECT_FALSE(constantTimeEqual(std::string_view("a\0", 2), "a"));
}

}  // namespace
}  // namespace herald::auth
