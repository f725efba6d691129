// Accounts: checks that a client controls an account (monero-lws address + view key) before the
// hub streams that account's events. Implementations: a configured table, monero-wallet-rpc
// (sources/). Core only sees this interface.
#pragma once

#include "core/result.h"

#include <functional>
#include <string>

namespace herald {

class Accounts {
 public:
  virtual ~Accounts() = default;

  // Calls `done` later on the calling worker's thread (never inline) with success, or an Error:
  // Errc::unauthorized with Error::field "account" (no such account) or "secret" (the secret does
  // not match) and a message saying so, Errc::invalid_params (field likewise) for malformed input,
  // Errc::unavailable when the checker cannot be reached. Dialects map on code and field only.
  virtual void verify(std::string account, std::string secret, std::function<void(Result<void>)> done) = 0;
};

}  // namespace herald
