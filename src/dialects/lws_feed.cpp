// monero-lws feed codec (see lws_feed.h and docs/protocol/monero-lws-feed.md).
//
// Every message is built once as an lws::Value and written in the connection's encoding, so the JSON
// and msgpack forms cannot drift apart. Event data is catalog-validated JSON (docs/events.md); the
// account.tx fields lws needs beyond the catalog's (output keys, prefix hash, ...) are read from the
// event's optional data members when a source provides them, and otherwise get the documented
// defaults.
//
// Must not: do I/O, throw, or let one client's message change what another is sent.
#include "dialects/lws_feed.h"

#include <algorithm>
#include <array>
#include <boost/json.hpp>
#include <map>
#include <optional>

#include "core/hex.h"
#include "schema/monero_address.h"

namespace herald::dialects {
namespace {

namespace json = boost::json;
using lws::Value;

constexpr std::string_view kLoginPrefix = "login:";
constexpr std::string_view kTxSyncPrefix = "tx_sync:";
constexpr std::string_view kBlocksPrefix = "blocks:";
constexpr std::string_view kMempoolPrefix = "mempool:";
constexpr std::string_view kWarningPrefix = "warning:";
constexpr std::string_view kErrorPrefix = "error:";

// Data members that hold hex crypto blobs: binary in msgpack, hex in JSON.
constexpr std::array<std::string_view, 7> kBlobKeys = {
    "hash", "prefix_hash", "payment_id", "public_key", "tx_pub_key", "rct", "key_image"};
constexpr std::size_t kKeyBytes = 32;  // Monero hashes and public keys

// WebSocket close codes after an `error:` the dialect itself sends.
constexpr std::uint16_t kCloseProtocol = 1002;  // not lws syntax, or a message after the login
constexpr std::uint16_t kClosePolicy = 1008;    // credentials of the wrong form

class LwsFeedState final : public DialectState {
 public:
  bool login_seen = false;
};

// --- reading event data ----------------------------------------------------------------------

std::optional<std::uint64_t> uintMember(const json::object& obj, std::string_view key) {
  const json::value* v = obj.if_contains(key);
  if (v == nullptr) return std::nullopt;
  if (v->is_uint64()) return v->get_uint64();
  if (v->is_int64() && v->get_int64() >= 0) return static_cast<std::uint64_t>(v->get_int64());
  return std::nullopt;
}

std::string_view stringMember(const json::object& obj, std::string_view key) {
  const json::value* v = obj.if_contains(key);
  return (v != nullptr && v->is_string()) ? std::string_view(v->get_string()) : std::string_view{};
}

bool boolMember(const json::object& obj, std::string_view key) {
  const json::value* v = obj.if_contains(key);
  return v != nullptr && v->is_bool() && v->get_bool();
}

const json::object* objectMember(const json::object& obj, std::string_view key) {
  const json::value* v = obj.if_contains(key);
  return (v != nullptr && v->is_object()) ? &v->get_object() : nullptr;
}

const json::array* arrayMember(const json::object& obj, std::string_view key) {
  const json::value* v = obj.if_contains(key);
  return (v != nullptr && v->is_array()) ? &v->get_array() : nullptr;
}

// A hex member as a Blob; a non-hex string stays a string (passed on as given). Absent: `fallback`
// zero bytes, or nothing when `fallback` is 0.
std::optional<Value> blobMember(const json::object& obj, std::string_view key, std::size_t fallback) {
  const std::string_view text = stringMember(obj, key);
  if (!text.empty()) {
    if (auto bytes = hex::decode(text)) return Value::blob(std::move(*bytes));
    return Value::string(std::string(text));
  }
  if (fallback == 0) return std::nullopt;
  return Value::blob(std::string(fallback, '\0'));
}

std::optional<json::object> parseData(const Event& event) {
  boost::system::error_code ec;
  json::value doc = json::parse(event.data, ec);
  if (ec || !doc.is_object()) return std::nullopt;
  return std::move(doc.get_object());
}

// The node's best height (node.status local_height), when the gateway has seen one.
std::optional<std::uint64_t> nodeHeight(const NodeView& node) {
  if (!node.status) return std::nullopt;
  const auto data = parseData(*node.status);
  if (!data) return std::nullopt;
  return uintMember(*data, "local_height");
}

// --- account.tx → lws transaction -------------------------------------------------------------

struct AccountTx {
  const json::object* data = nullptr;
  std::string txid;
  std::optional<std::uint64_t> height;  // none: in the pool
  bool receive = true;
};

std::optional<AccountTx> readAccountTx(const json::object& data) {
  AccountTx tx;
  tx.data = &data;
  tx.txid = std::string(stringMember(data, "txid"));
  if (tx.txid.empty()) return std::nullopt;
  tx.height = uintMember(data, "height");
  tx.receive = stringMember(data, "direction") != "spend";
  return tx;
}

// {"maj_i", "min_i"} from `recipient` (lws form) or `subaddr_index` {"major", "minor"}
// (monero-wallet-rpc's form); nothing for the primary address (0/0), which lws leaves out.
std::optional<Value> recipientOf(const json::object& data) {
  std::uint64_t major = 0;
  std::uint64_t minor = 0;
  if (const json::object* r = objectMember(data, "recipient")) {
    major = uintMember(*r, "maj_i").value_or(0);
    minor = uintMember(*r, "min_i").value_or(0);
  } else if (const json::object* s = objectMember(data, "subaddr_index")) {
    major = uintMember(*s, "major").value_or(0);
    minor = uintMember(*s, "minor").value_or(0);
  }
  if (major == 0 && minor == 0) return std::nullopt;
  return Value::object({{"maj_i", Value::uint(major)}, {"min_i", Value::uint(minor)}});
}

Value legacyId(std::uint64_t amount, std::uint64_t index) {
  return Value::object(
      {{"legacy", Value::object({{"amount", Value::uint(amount)}, {"index", Value::uint(index)}})}});
}

// One receive in lws form from the event's own fields (an event is one output of one transaction).
Value synthesizedReceive(const json::object& data, bool confirmed) {
  Value out = Value::object();
  if (confirmed) out.add("id", legacyId(0, uintMember(data, "global_index").value_or(0)));
  out.add("amount", Value::uint(uintMember(data, "amount").value_or(0)));
  out.add("public_key", *blobMember(data, "public_key", kKeyBytes));
  out.add("index", Value::uint(uintMember(data, "index").value_or(0)));
  out.add("tx_pub_key", *blobMember(data, "tx_pub_key", kKeyBytes));
  if (auto rct = blobMember(data, "rct", 0)) out.add("rct", std::move(*rct));
  if (auto recipient = recipientOf(data)) out.add("recipient", std::move(*recipient));
  return out;
}

Value synthesizedSpend(const json::object& data) {
  Value out = Value::object();
  out.add("id", legacyId(0, uintMember(data, "spent_global_index").value_or(0)));
  out.add("key_image", *blobMember(data, "key_image", kKeyBytes));
  return out;
}

// Adds the event's receives and spends: its own `receives` / `spends` arrays when a source sent them
// (passed through, hex blobs made binary), otherwise one entry made from its fields by direction.
void addOutputs(const AccountTx& tx, bool confirmed, Value& receives, Value& spends) {
  if (const json::array* given = arrayMember(*tx.data, "receives")) {
    for (const auto& item : *given) receives.push(lws::fromJson(item, kBlobKeys));
  } else if (tx.receive) {
    receives.push(synthesizedReceive(*tx.data, confirmed));
  }
  if (const json::array* given = arrayMember(*tx.data, "spends")) {
    for (const auto& item : *given) spends.push(lws::fromJson(item, kBlobKeys));
  } else if (!tx.receive) {
    spends.push(synthesizedSpend(*tx.data));
  }
}

// Transaction-level members, in the order of the lws examples.
void addTxHead(Value& out, const AccountTx& tx, bool mark_mempool) {
  const json::object& data = *tx.data;
  out.add("hash", hex::decode(tx.txid) ? Value::blob(*hex::decode(tx.txid)) : Value::string(tx.txid));
  out.add("prefix_hash", *blobMember(data, "prefix_hash", kKeyBytes));
  const auto ms = data.if_contains("timestamp_ms");
  const std::int64_t timestamp_ms = (ms != nullptr && ms->is_int64()) ? ms->get_int64() : 0;
  out.add("timestamp", Value::uint(timestamp_ms > 0 ? static_cast<std::uint64_t>(timestamp_ms / 1000) : 0));
  out.add("fee", Value::uint(uintMember(data, "fee").value_or(0)));
  out.add("unlock_time", Value::uint(uintMember(data, "unlock_time").value_or(0)));
  if (tx.height) out.add("height", Value::uint(*tx.height));
  if (auto payment_id = blobMember(data, "payment_id", 0)) out.add("payment_id", std::move(*payment_id));
  if (boolMember(data, "coinbase")) out.add("coinbase", Value::boolean(true));
  if (mark_mempool && !tx.height) out.add("mempool", Value::boolean(true));
  out.add("mixin", Value::uint(uintMember(data, "mixin").value_or(0)));
}

// One lws transaction from the latest event of each direction of one txid (either may be null).
std::optional<Value> buildTransaction(const AccountTx& latest, const AccountTx* receive,
                                      const AccountTx* spend, bool mark_mempool, bool receives_only) {
  Value receives = Value::array();
  Value spends = Value::array();
  const bool confirmed = latest.height.has_value();
  if (receive != nullptr) addOutputs(*receive, confirmed, receives, spends);
  if (spend != nullptr) addOutputs(*spend, confirmed, receives, spends);
  if (receives_only) {
    if (receives.items().empty()) return std::nullopt;
    spends = Value::array();
  }
  Value out = Value::object();
  addTxHead(out, latest, mark_mempool);
  if (!receives.items().empty()) out.add("receives", std::move(receives));
  if (!spends.items().empty()) out.add("spends", std::move(spends));
  return out;
}

Value mempoolMessage(const AccountTx& tx) {
  const json::object& data = *tx.data;
  // The output this message is about: the first of `receives` when given, else the event itself.
  const json::object* output = &data;
  if (const json::array* given = arrayMember(data, "receives");
      given != nullptr && !given->empty() && (*given)[0].is_object()) {
    output = &(*given)[0].get_object();
  }
  Value out = Value::object();
  addTxHead(out, tx, false);
  // addTxHead's order puts mixin last; lws's mempool message continues with the output's members.
  out.add("amount",
          Value::uint(uintMember(*output, "amount").value_or(uintMember(data, "amount").value_or(0))));
  out.add("public_key", *blobMember(*output, "public_key", kKeyBytes));
  out.add("tx_pub_key", *blobMember(*output, "tx_pub_key", kKeyBytes));
  out.add("index", Value::uint(uintMember(*output, "index").value_or(0)));
  if (auto recipient = recipientOf(*output)) out.add("recipient", std::move(*recipient));
  if (auto rct = blobMember(*output, "rct", 0)) out.add("rct", std::move(*rct));
  return out;
}

Value blocksMessage(std::uint64_t height, std::optional<std::uint64_t> node_height) {
  Value out = Value::object();
  out.add("scan_start", Value::uint(height > 0 ? height - 1 : 0));
  out.add("scan_end", Value::uint(height));
  out.add("blockchain_height", Value::uint(std::max(height, node_height.value_or(0))));
  return out;
}

Value warningMessage(std::string message, LwsCode code, std::uint64_t counter, std::uint64_t height) {
  return Value::object({{"msg", Value::string(std::move(message))},
                        {"code", Value::uint(static_cast<std::uint16_t>(code))},
                        {"counter", Value::uint(counter)},
                        {"height", Value::uint(height)}});
}

// --- login -----------------------------------------------------------------------------------

Rejection reject(Errc code, std::string message, std::string field, std::uint16_t close_code) {
  Rejection r{{}, Error::make(code, std::move(message), std::move(field))};
  r.fatal = true;
  r.close_code = close_code;
  return r;
}

// An optional boolean login member; `out` untouched when absent or null.
std::optional<Rejection> readFlag(const Value& root, std::string_view key, bool& out) {
  const Value* v = root.find(key);
  if (v == nullptr || v->isNull()) return std::nullopt;
  if (v->kind() != Value::Kind::boolean) {
    return reject(Errc::invalid_params, std::string(key) + " must be true or false", std::string(key),
                  kCloseProtocol);
  }
  out = v->asBool();
  return std::nullopt;
}

// The view key as lowercase hex: 64 hex digits in JSON, 32 bytes of `bin` in msgpack (a hex string
// is accepted there too).
std::optional<std::string> viewKeyHex(const Value& v) {
  if (v.kind() == Value::Kind::blob) {
    if (v.text().size() != kKeyBytes) return std::nullopt;
    return hex::encode(v.text());
  }
  if (v.kind() != Value::Kind::string || v.text().size() != kKeyBytes * 2) return std::nullopt;
  auto bytes = hex::decode(v.text());
  if (!bytes) return std::nullopt;
  return hex::encode(*bytes);
}

}  // namespace

// --- LwsFeed ---------------------------------------------------------------------------------

LwsFeed::LwsFeed(LwsFeedConfig config, Encoding encoding) : config_(std::move(config)), encoding_(encoding) {}

std::string_view LwsFeed::name() const {
  return encoding_ == Encoding::json ? kJsonSubprotocol : kMsgpackSubprotocol;
}

std::unique_ptr<DialectState> LwsFeed::newState() const { return std::make_unique<LwsFeedState>(); }

LwsCode LwsFeed::lwsCode(const Error& error) noexcept {
  const std::string_view field = error.field;
  const auto names = [&](std::string_view a, std::string_view b) {
    return field == a || field == b || field.ends_with(std::string(".") + std::string(a)) ||
           field.ends_with(std::string(".") + std::string(b));
  };
  switch (error.code) {
    case Errc::parse_error:
      return LwsCode::parse_error;
    case Errc::invalid_request:
    case Errc::unknown_method:
    case Errc::rate_limited:
    case Errc::too_large:
      return LwsCode::protocol_error;
    case Errc::invalid_params:
      if (names("address", "account")) return LwsCode::bad_address;
      if (names("view_key", "secret")) return LwsCode::bad_view_key;
      return LwsCode::schema_error;
    case Errc::unauthorized:
      // Accounts names the credential that failed (Error::field); a refusal naming neither is a
      // credential mismatch, as lws reports a view key that does not open the account.
      if (names("address", "account")) return LwsCode::account_not_found;
      return LwsCode::bad_view_key;
    case Errc::forbidden:
      return LwsCode::account_not_found;  // lws does not tell a hidden account from a missing one
    case Errc::unavailable:
      return LwsCode::daemon_unresponsive;
    case Errc::unknown_topic:
    case Errc::too_many_subscriptions:
    case Errc::duplicate_subscription:
    case Errc::unknown_subscription:
    case Errc::cursor_ahead:
    case Errc::internal:
      return LwsCode::unspecified_error;
  }
  return LwsCode::unspecified_error;
}

FramePtr LwsFeed::frame(std::string_view prefix, const Value& payload, std::int64_t accepted_ns) const {
  std::string out;
  out.reserve(256);
  out.append(prefix);
  if (encoding_ == Encoding::json) {
    lws::appendJson(out, payload);
  } else {
    lws::appendMsgpack(out, payload);
  }
  return makeFrame(std::move(out), encoding_ == Encoding::msgpack, accepted_ns);
}

FramePtr LwsFeed::errorFrame(std::string_view message, LwsCode code) const {
  return frame(kErrorPrefix, Value::object({{"msg", Value::string(std::string(message))},
                                            {"code", Value::uint(static_cast<std::uint16_t>(code))}}));
}

Decoded LwsFeed::decode(std::string_view bytes, bool /*binary*/, DialectState& state,
                        const DecodeContext& /*context*/) const {
  auto& lws_state = static_cast<LwsFeedState&>(state);
  if (lws_state.login_seen) {
    return reject(Errc::invalid_request, "the feed takes one login: message; nothing may follow it", {},
                  kCloseProtocol);
  }
  lws_state.login_seen = true;  // whatever happens next, this was the client's one message

  if (bytes.size() > config_.max_login_bytes) {
    return reject(Errc::too_large,
                  "login: message is " + std::to_string(bytes.size()) + " bytes, over the limit of " +
                      std::to_string(config_.max_login_bytes),
                  {}, kCloseProtocol);
  }
  const std::size_t colon = bytes.find(':');
  if (colon == std::string_view::npos || bytes.substr(0, colon + 1) != kLoginPrefix) {
    return reject(Errc::invalid_request, "the first message must be login: followed by the payload", {},
                  kCloseProtocol);
  }
  const std::string_view payload = bytes.substr(kLoginPrefix.size());

  Value root;
  if (encoding_ == Encoding::json) {
    boost::system::error_code ec;
    const json::value doc = json::parse(payload, ec);
    if (ec)
      return reject(Errc::parse_error, "login: payload is not valid JSON: " + ec.message(), {},
                    kCloseProtocol);
    root = lws::fromJson(doc);
  } else {
    auto read = lws::readMsgpack(payload);
    if (!read)
      return reject(Errc::parse_error, "login: payload: " + read.error().message, {}, kCloseProtocol);
    root = std::move(*read);
  }

  if (root.kind() != Value::Kind::object) {
    return reject(Errc::invalid_params, "login: payload must be an object", "login", kCloseProtocol);
  }
  const Value* account = root.find("account");
  if (account == nullptr || account->kind() != Value::Kind::object) {
    return reject(Errc::invalid_params, "account must be an object with address and view_key", "login",
                  kCloseProtocol);
  }
  const Value* address = account->find("address");
  if (address == nullptr || address->kind() != Value::Kind::string) {
    return reject(Errc::invalid_params, "account.address must be a string", "login", kCloseProtocol);
  }
  const Value* view_key = account->find("view_key");
  if (view_key == nullptr || view_key->isNull()) {
    return reject(Errc::invalid_params, "account.view_key is required", "login", kCloseProtocol);
  }

  const schema::monero::AddressCheck check = schema::monero::checkAddress(address->text());
  if (!check.info) {
    return reject(Errc::invalid_params, "account.address: " + check.problem, "account.address", kClosePolicy);
  }
  if (check.info->kind == schema::monero::AddressKind::subaddress) {
    return reject(Errc::invalid_params,
                  "account.address: a subaddress cannot log in; use the primary address", "account.address",
                  kClosePolicy);
  }
  if (config_.network != "any" && check.info->network != config_.network) {
    return reject(
        Errc::invalid_params,
        "account.address is a " + check.info->network + " address; this gateway serves " + config_.network,
        "account.address", kClosePolicy);
  }
  auto key = viewKeyHex(*view_key);
  if (!key) {
    return reject(Errc::invalid_params,
                  encoding_ == Encoding::json ? "account.view_key must be 64 hex digits"
                                              : "account.view_key must be 32 bytes (bin) or 64 hex digits",
                  "account.view_key", kClosePolicy);
  }

  bool tx_sync = true;
  bool receives_only = false;
  if (auto bad = readFlag(root, "tx_sync", tx_sync)) return std::move(*bad);
  if (auto bad = readFlag(root, "receives_only", receives_only)) return std::move(*bad);

  LoginCommand login;
  login.account = address->text();
  login.secret = std::move(*key);
  login.snapshot_topic = std::string(kHistoryTopic);
  login.options["tx_sync"] = tx_sync ? "true" : "false";
  login.options["receives_only"] = receives_only ? "true" : "false";
  return Command{{}, std::move(login)};
}

FramePtr LwsFeed::encodeReply(const Reply& reply, DialectState& /*state*/) const {
  if (const auto* error = std::get_if<ErrorReply>(&reply)) {
    return errorFrame(error->error.message, lwsCode(error->error));
  }
  return nullptr;
}

FramePtr LwsFeed::encodeEvent(const Event& event, std::string_view /*subscription*/, const Cursor& /*cursor*/,
                              const Delivery& delivery, const NodeView& node) const {
  const auto data = parseData(event);
  if (!data) return nullptr;
  const std::string_view tag = delivery.tag;

  if (event.topic == kHistoryTopic) {
    const auto tx = readAccountTx(*data);
    if (!tx) return nullptr;
    const bool receives_only = tag == kTagTxReceivesOnly;
    if (!tx->height) {
      // lws pushes pool receives only: spends are the client's own doing.
      if (!tx->receive && !arrayMember(*data, "receives")) return nullptr;
      return frame(kMempoolPrefix, mempoolMessage(*tx), event.accepted_ns);
    }
    const AccountTx* receive = tx->receive ? &*tx : nullptr;
    const AccountTx* spend = tx->receive ? nullptr : &*tx;
    auto transaction = buildTransaction(*tx, receive, spend, false, receives_only);
    if (!transaction) return nullptr;
    Value message = blocksMessage(*tx->height, nodeHeight(node));
    message.add("transactions", Value::array({std::move(*transaction)}));
    return frame(kBlocksPrefix, message, event.accepted_ns);
  }
  if (event.topic == "chain.block") {
    const auto height = uintMember(*data, "height");
    if (!height) return nullptr;
    return frame(kBlocksPrefix, blocksMessage(*height, nodeHeight(node)), event.accepted_ns);
  }
  if (event.topic == "chain.reorg") {
    const std::uint64_t fork = uintMember(*data, "fork_height").value_or(0);
    const std::uint64_t depth = uintMember(*data, "depth").value_or(0);
    std::string message = "blockchain reorganization: " + std::to_string(depth) + " block(s) above height " +
                          std::to_string(fork) + " replaced; roll back transactions above it";
    return frame(kWarningPrefix,
                 warningMessage(std::move(message), LwsCode::blockchain_reorg, event.seq, fork),
                 event.accepted_ns);
  }
  if (event.topic == "system.notice") {
    if (stringMember(*data, "code") != "daemon_unresponsive") return nullptr;
    std::string message(stringMember(*data, "message"));
    if (message.empty()) message = "the node is not responding";
    return frame(kWarningPrefix,
                 warningMessage(std::move(message), LwsCode::daemon_unresponsive, event.seq,
                                nodeHeight(node).value_or(0)),
                 event.accepted_ns);
  }
  return nullptr;
}

FramePtr LwsFeed::encodeGap(std::string_view /*subscription*/, const Gap& gap) const {
  std::string message = "missed events";
  if (gap.missed_to != 0) {
    message += " " + std::to_string(gap.missed_from) + ".." + std::to_string(gap.missed_to);
  }
  message += " (" + std::string(gapReasonName(gap.reason)) + "); log in again for a fresh tx_sync";
  return errorFrame(message, LwsCode::queue_error);
}

FramePtr LwsFeed::closingFrame(ClosingReason reason) const {
  switch (reason) {
    case ClosingReason::slow_consumer:
      return errorFrame("slow consumer: the client did not read fast enough and its queue is full; "
                        "log in again for a fresh tx_sync",
                        LwsCode::queue_error);
  }
  return nullptr;
}

FramePtr LwsFeed::encodeSnapshot(const LoginCommand& login, std::span<const EventPtr> history,
                                 const Cursor& /*head*/, const NodeView& node) const {
  const auto option = [&](const char* key, bool fallback) {
    auto it = login.options.find(key);
    return it == login.options.end() ? fallback : it->second == "true";
  };
  const bool tx_sync = option("tx_sync", true);
  const bool receives_only = option("receives_only", false);

  // Parse once; the AccountTx views point into `parsed`, which must not move afterwards.
  std::vector<json::object> parsed;
  parsed.reserve(history.size());
  for (const EventPtr& event : history) {
    if (!event || event->topic != kHistoryTopic) continue;
    if (auto data = parseData(*event)) parsed.push_back(std::move(*data));
  }

  // Per txid: the latest event of each direction (a pool event is superseded by its confirmation),
  // in order of first appearance.
  struct Entry {
    std::optional<AccountTx> latest, receive, spend;
  };
  std::vector<Entry> entries;
  std::map<std::string, std::size_t, std::less<>> by_txid;
  std::uint64_t top = 0;
  for (const json::object& data : parsed) {
    auto tx = readAccountTx(data);
    if (!tx) continue;
    if (tx->height) top = std::max(top, *tx->height);
    auto [it, inserted] = by_txid.try_emplace(tx->txid, entries.size());
    if (inserted) entries.emplace_back();
    Entry& entry = entries[it->second];
    (tx->receive ? entry.receive : entry.spend) = *tx;
    entry.latest = std::move(*tx);
  }
  const std::uint64_t height = std::max(top, nodeHeight(node).value_or(0));

  Value message = Value::object();
  message.add("scanned_block_height", Value::uint(height));
  message.add("start_height", Value::uint(0));
  message.add("blockchain_height", Value::uint(height));
  if (tx_sync) {
    // lws order: by height, pool transactions last; first appearance breaks ties.
    std::stable_sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
      const auto key = [](const Entry& e) { return e.latest->height.value_or(UINT64_MAX); };
      return key(a) < key(b);
    });
    Value transactions = Value::array();
    for (const Entry& entry : entries) {
      auto tx = buildTransaction(*entry.latest, entry.receive ? &*entry.receive : nullptr,
                                 entry.spend ? &*entry.spend : nullptr, true, receives_only);
      if (tx) transactions.push(std::move(*tx));
    }
    if (!transactions.items().empty()) message.add("transactions", std::move(transactions));
  }
  return frame(kTxSyncPrefix, message);
}

std::vector<SubscribeCommand> LwsFeed::afterLogin(const LoginCommand& login) const {
  const auto it = login.options.find("receives_only");
  const bool receives_only = it != login.options.end() && it->second == "true";

  std::vector<SubscribeCommand> out;
  const auto add = [&](std::string_view topic, std::vector<Clause> clauses, std::string_view tag) {
    SubscribeCommand sub;
    sub.topic = std::string(topic);
    auto filter = Filter::make(std::move(clauses));
    if (!filter) return;  // never widen to every account: no subscription rather than a wrong one
    sub.filter = std::move(*filter);
    sub.delivery.tag = std::string(tag);
    sub.implicit = true;
    out.push_back(std::move(sub));
  };
  add(kHistoryTopic, {Clause{"account", {login.account}}}, receives_only ? kTagTxReceivesOnly : kTagTx);
  if (!receives_only) {
    add("chain.block", {}, kTagBlock);
    add("chain.reorg", {}, kTagReorg);
    add("system.notice", {Clause{"level", {"error", "warning"}}}, kTagNotice);
  }
  return out;
}

}  // namespace herald::dialects
