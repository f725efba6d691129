// What a watched Monero account's wallet says it received and sent: monero-wallet-rpc's
// get_transfers reply read into WalletTransfer values, a TransferLedger that tells which of them are
// new or changed since the last look (a pool transfer that got a height, a reorg that moved one), and
// the account.tx event each change becomes.
//
// One account.tx event per (txid, direction, subaddress): the lws feed folds them by txid. Receives
// carry fee 0 (the catalog's rule: the fee is what the account paid). Members beyond the catalog's
// (unlock_time, payment_id, subaddr_index, coinbase) are passed on for the lws feed dialect.
//
// Pure: no I/O, no clock; errors name the reply's field ("get_transfers.in[2].txid").
#pragma once

#include <boost/json/value.hpp>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "core/event.h"
#include "core/result.h"
#include "core/topics.h"

namespace herald::sources {

struct WalletTransfer {
  std::string txid;
  bool receive = true;                  // in / pool: receive; out / pending: spend
  std::optional<std::uint64_t> height;  // none while in the pool (or pending)
  std::uint64_t amount = 0;
  std::uint64_t fee = 0;        // 0 for receives
  std::uint64_t timestamp = 0;  // Unix seconds (block time, or when the pool saw it)
  std::uint64_t unlock_time = 0;
  std::string payment_id;   // empty when none (all zeros)
  std::uint32_t major = 0;  // subaddress index
  std::uint32_t minor = 0;
  bool coinbase = false;

  using Key = std::tuple<std::string, bool, std::uint32_t, std::uint32_t>;
  Key key() const { return {txid, receive, major, minor}; }
};

// The lists get_transfers was asked for (in, out, pending, pool; failed ones are not account history)
// in that order. Errc::parse_error naming the member when a listed transfer lacks a field or has one
// of the wrong type; a list that is absent is empty (monero-wallet-rpc leaves empty lists out).
Result<std::vector<WalletTransfer>> readTransfers(const boost::json::value& result);

// Remembers the last state of each transfer of one account.
class TransferLedger {
 public:
  // The transfers of `now` that are new or differ (height, amount, fee) from what was last seen,
  // in `now`'s order; remembers `now`. A transfer missing from `now` is forgotten (it left the pool
  // or a reorg removed it); if it comes back it is new again.
  std::vector<WalletTransfer> changes(const std::vector<WalletTransfer>& now);
  std::size_t size() const noexcept { return last_.size(); }

 private:
  struct Seen {
    std::optional<std::uint64_t> height;
    std::uint64_t amount = 0;
    std::uint64_t fee = 0;
  };
  std::map<WalletTransfer::Key, Seen> last_;
};

// account.tx for `account` (attribute account=<address>), through the catalog.
Result<Event> accountTxEvent(const std::string& account, const WalletTransfer& transfer,
                             const TopicSet& topics, std::int64_t now_ms);

}  // namespace herald::sources
