// ConfiguredAccounts: the Accounts checker for a fixed table of account -> secret written in the
// gateway's configuration (a monero-lws deployment that knows its wallets' view keys up front).
// Secrets are compared in constant time, so the time an answer takes says nothing about how much of
// a guess was right.
//
// Must not: answer inline (verify() posts its answer, as the Accounts contract requires), log or
// echo a secret.
#pragma once

#include "core/accounts.h"

#include <functional>
#include <map>
#include <string>
#include <string_view>

namespace herald::auth {

// Equal in time that depends only on the lengths, never on where the first difference is.
bool constantTimeEqual(std::string_view a, std::string_view b) noexcept;

class ConfiguredAccounts final : public Accounts {
 public:
  // `post` runs a function later on the thread that calls verify() (one instance per worker, like
  // History): Server::post bound to that worker.
  using Post = std::function<void(std::function<void()>)>;

  ConfiguredAccounts(std::map<std::string, std::string, std::less<>> secrets, Post post);

  // Errc::invalid_params for an empty account or secret, Errc::unauthorized "unknown account"
  // (field "account") or "secret does not match" (field "secret"), success otherwise. Thread: the
  // caller's worker, via `post`.
  void verify(std::string account, std::string secret, std::function<void(Result<void>)> done) override;

 private:
  Result<void> check(std::string_view account, std::string_view secret) const;

  std::map<std::string, std::string, std::less<>> secrets_;
  Post post_;
};

}  // namespace herald::auth
