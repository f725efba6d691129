// ConfiguredAccounts: see configured_accounts.h.
#include "auth/configured_accounts.h"

#include <algorithm>

namespace herald::auth {

bool constantTimeEqual(std::string_view a, std::string_view b) noexcept {
  // Every byte of the longer text is visited whatever the contents; a length difference alone
  // makes the result false without an early return.
  const std::size_t n = std::max(a.size(), b.size());
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  for (std::size_t i = 0; i < n; ++i) {
    const unsigned char x = i < a.size() ? static_cast<unsigned char>(a[i]) : 0;
    const unsigned char y = i < b.size() ? static_cast<unsigned char>(b[i]) : 0;
    diff |= static_cast<unsigned char>(x ^ y);
  }
  return diff == 0;
}

ConfiguredAccounts::ConfiguredAccounts(std::map<std::string, std::string, std::less<>> secrets, Post post)
    : secrets_(std::move(secrets)), post_(std::move(post)) {}

Result<void> ConfiguredAccounts::check(std::string_view account, std::string_view secret) const {
  if (account.empty()) return Error::make(Errc::invalid_params, "account is empty", "account");
  if (secret.empty()) return Error::make(Errc::invalid_params, "secret is empty", "secret");
  const auto it = secrets_.find(account);
  // `field` says which credential failed, so a dialect maps the refusal to its own code without
  // reading the message.
  if (it == secrets_.end()) return Error::make(Errc::unauthorized, "unknown account", "account");
  if (!constantTimeEqual(it->second, secret)) {
    return Error::make(Errc::unauthorized, "secret does not match", "secret");
  }
  return {};
}

void ConfiguredAccounts::verify(std::string account, std::string secret, std::function<void(Result<void>)> done) {
  Result<void> result = check(account, secret);
  post_([done = std::move(done), result = std::move(result)]() mutable { done(std::move(result)); });
}

}  // namespace herald::auth
