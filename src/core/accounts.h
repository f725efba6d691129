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
  // Errc::not_found-like cases use Errc::unauthorized with a message naming what is wrong
  // ("unknown account", "view key does not match"), Errc::invalid_params for malformed input,
  // Errc::unavailable when the checker cannot be reached.
  virtual void verify(std::string account, std::string secret, std::function<void(Result<void>)> done) = 0;
};

}  // namespace herald
