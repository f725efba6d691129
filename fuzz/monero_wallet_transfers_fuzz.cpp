// Fuzzes the monero-wallet source's readers of outside bytes: a get_transfers reply from
// monero-wallet-rpc (readTransfers, then the ledger and account.tx for what it accepted) and a login's
// address + view key (checkViewKey: the first 95 or 106 bytes are the address, the rest the key).
// Beyond "no crash": every accepted transfer has a 64-hex txid and becomes a catalog-valid account.tx;
// reading the same reply twice reports no change the second time; a refused login names its field.
#include <boost/json.hpp>
#include <cstdint>
#include <string_view>

#include "fuzz_support.h"
#include "schema/catalog.h"
#include "sources/monero_view_key.h"
#include "sources/monero_wallet_transfers.h"

using namespace herald;
using herald::fuzz::require;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const TopicSet topics = schema::topicSet({});
  const std::string_view text(reinterpret_cast<const char*>(data), size);

  for (std::size_t split : {std::size_t{95}, std::size_t{106}}) {
    if (text.size() < split) break;
    auto login = sources::checkViewKey(text.substr(0, split), text.substr(split));
    if (!login) require(login.error().field == "account" || login.error().field == "secret");
  }

  boost::system::error_code ec;
  const boost::json::value doc = boost::json::parse(text, ec);
  if (ec) return 0;
  auto transfers = sources::readTransfers(doc);
  if (!transfers) return 0;
  sources::TransferLedger ledger;
  const auto first = ledger.changes(*transfers);
  require(first.size() <= transfers->size());
  require(ledger.changes(*transfers).empty());
  for (const auto& t : first) {
    require(t.txid.size() == 64);
    auto event = sources::accountTxEvent("4" + std::string(94, 'A'), t, topics, 1);
    require(event.has_value());
    herald::fuzz::mustParse(event->data);
  }
  return 0;
}
