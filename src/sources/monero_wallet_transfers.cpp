// get_transfers → WalletTransfer → account.tx: see monero_wallet_transfers.h.
#include "sources/monero_wallet_transfers.h"

#include <array>
#include <boost/json.hpp>
#include <string_view>

#include "sources/source_events.h"

namespace herald::sources {
namespace {

namespace json = boost::json;

constexpr std::size_t kTxidHex = 64;

bool isHex(std::string_view text) {
  for (char c : text) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) return false;
  }
  return true;
}

Error badField(const std::string& where, std::string_view problem) {
  return Error::make(Errc::parse_error, where + " " + std::string(problem));
}

Result<WalletTransfer> readTransfer(const json::value& v, const std::string& where, std::string_view list) {
  auto obj = readObject(v, where);
  if (!obj) return obj.error();
  const json::object& o = **obj;
  WalletTransfer t;
  auto txid = readString(o, "txid", where);
  if (!txid) return txid.error();
  if (txid->size() != kTxidHex || !isHex(*txid)) return badField(where + ".txid", "must be 64 hex digits");
  t.txid = std::move(*txid);
  t.receive = list == "in" || list == "pool";
  auto amount = readUint(o, "amount", where);
  if (!amount) return amount.error();
  t.amount = *amount;
  auto timestamp = readUint(o, "timestamp", where);
  if (!timestamp) return timestamp.error();
  t.timestamp = *timestamp;
  if (list == "in" || list == "out") {
    auto height = readUint(o, "height", where);
    if (!height) return height.error();
    t.height = *height;
  }
  if (!t.receive && o.contains("fee")) {
    auto fee = readUint(o, "fee", where);
    if (!fee) return fee.error();
    t.fee = *fee;
  }
  if (o.contains("unlock_time")) {
    auto unlock = readUint(o, "unlock_time", where);
    if (!unlock) return unlock.error();
    t.unlock_time = *unlock;
  }
  if (o.contains("payment_id")) {
    auto pid = readString(o, "payment_id", where);
    if (!pid) return pid.error();
    if (!isHex(*pid)) return badField(where + ".payment_id", "must be hex");
    if (pid->find_first_not_of('0') != std::string::npos) t.payment_id = std::move(*pid);
  }
  if (const json::value* sub = o.if_contains("subaddr_index")) {
    auto index = readObject(*sub, where + ".subaddr_index");
    if (!index) return index.error();
    auto major = readUint(**index, "major", where + ".subaddr_index");
    if (!major) return major.error();
    auto minor = readUint(**index, "minor", where + ".subaddr_index");
    if (!minor) return minor.error();
    if (*major > UINT32_MAX || *minor > UINT32_MAX)
      return badField(where + ".subaddr_index", "is out of range");
    t.major = static_cast<std::uint32_t>(*major);
    t.minor = static_cast<std::uint32_t>(*minor);
  }
  if (const json::value* type = o.if_contains("type"); type != nullptr && type->is_string()) {
    t.coinbase = type->get_string() == "block";  // monero-wallet-rpc's type for a mined output
  }
  return t;
}

}  // namespace

Result<std::vector<WalletTransfer>> readTransfers(const json::value& result) {
  auto obj = readObject(result, "get_transfers");
  if (!obj) return obj.error();
  std::vector<WalletTransfer> out;
  for (std::string_view list : std::array<std::string_view, 4>{"in", "out", "pending", "pool"}) {
    const json::value* items = (*obj)->if_contains(list);
    if (items == nullptr) continue;
    const std::string where = "get_transfers." + std::string(list);
    if (!items->is_array()) return badField(where, "must be an array");
    const json::array& array = items->get_array();
    for (std::size_t i = 0; i < array.size(); ++i) {
      auto t = readTransfer(array[i], where + "[" + std::to_string(i) + "]", list);
      if (!t) return t.error();
      out.push_back(std::move(*t));
    }
  }
  return out;
}

std::vector<WalletTransfer> TransferLedger::changes(const std::vector<WalletTransfer>& now) {
  std::vector<WalletTransfer> out;
  std::map<WalletTransfer::Key, Seen> next;
  for (const WalletTransfer& t : now) {
    const Seen seen{t.height, t.amount, t.fee};
    // The same transfer listed twice (a mined one still echoed by the pool list for a moment): the
    // first listing wins, and readTransfers lists in / out before pending / pool.
    if (!next.try_emplace(t.key(), seen).second) continue;
    const auto it = last_.find(t.key());
    const bool same = it != last_.end() && it->second.height == seen.height &&
                      it->second.amount == seen.amount && it->second.fee == seen.fee;
    if (!same) out.push_back(t);
  }
  last_ = std::move(next);
  return out;
}

Result<Event> accountTxEvent(const std::string& account, const WalletTransfer& t, const TopicSet& topics,
                             std::int64_t now_ms) {
  json::object data;
  data["account"] = account;
  data["txid"] = t.txid;
  data["height"] = t.height ? json::value(*t.height) : json::value(nullptr);
  data["direction"] = t.receive ? "receive" : "spend";
  data["amount"] = t.amount;
  data["fee"] = t.fee;
  data["timestamp_ms"] = t.timestamp * 1000;
  data["unlock_time"] = t.unlock_time;
  if (!t.payment_id.empty()) data["payment_id"] = t.payment_id;
  if (t.major != 0 || t.minor != 0) data["subaddr_index"] = {{"major", t.major}, {"minor", t.minor}};
  if (t.coinbase) data["coinbase"] = true;
  return makeEvent("account.tx", std::move(data), topics, now_ms);
}

}  // namespace herald::sources
