// The catalog as data: one row per topic with its required fields and the attributes derived from
// them. A table rather than code per topic so docs/events.md, the validator and the derivations are
// read side by side and cannot drift apart silently (tests run every docs example through here).
//
// Must not: accept a catalog event whose data would not mean what docs/events.md says, or derive an
// attribute from anything but `data`.
#include "schema/catalog.h"

#include <boost/json.hpp>

#include <array>
#include <charconv>
#include <span>

namespace herald::schema {
namespace {

namespace json = boost::json;

enum class Type {
  id,    // non-empty string: hashes, ids, names
  text,  // any string, possibly empty
  uint,  // non-negative integer: heights, amounts, prices, times, counts
  boolean,
  id_array,     // array of non-empty strings
  tags,         // array of {name: non-empty string, value: string}
  enumeration,  // one of `allowed`
};

struct FieldSpec {
  std::string_view name;
  Type type;
  bool nullable = false;
  std::span<const std::string_view> allowed = {};
};

// An attribute derived from one data field. Several rows may share a key (dex.chat: both parties
// become values of `account`).
struct Derivation {
  std::string_view key;
  std::string_view from;
};

struct TopicSpec {
  std::string_view topic;
  std::span<const FieldSpec> fields;
  std::span<const Derivation> derive;
  bool tags = false;  // derive `tag:<name>` = value from data.tags
};

constexpr std::array<std::string_view, 2> kTxDirections{"receive", "spend"};
constexpr std::array<std::string_view, 2> kOfferActions{"added", "removed"};
constexpr std::array<std::string_view, 2> kOfferDirections{"buy", "sell"};
constexpr std::array<std::string_view, 3> kNoticeLevels{"info", "warning", "error"};

constexpr std::array kChainBlock{
    FieldSpec{"height", Type::uint},   FieldSpec{"hash", Type::id},
    FieldSpec{"prev_hash", Type::id},  FieldSpec{"timestamp_ms", Type::uint},
    FieldSpec{"tx_count", Type::uint}, FieldSpec{"tx_ids", Type::id_array},
};
constexpr std::array kChainReorg{
    FieldSpec{"fork_height", Type::uint},
    FieldSpec{"depth", Type::uint},
    FieldSpec{"old_tip", Type::id},
    FieldSpec{"new_tip", Type::id},
};
// target is text: transactions without a recipient (data uploads, contract creation) carry "".
constexpr std::array kChainTx{
    FieldSpec{"txid", Type::id},     FieldSpec{"height", Type::uint}, FieldSpec{"owner", Type::id},
    FieldSpec{"target", Type::text}, FieldSpec{"tags", Type::tags},   FieldSpec{"fee", Type::uint},
};
constexpr std::array kChainTxDerive{Derivation{"owner", "owner"}, Derivation{"target", "target"}};
constexpr std::array kMempoolTx{
    FieldSpec{"txid", Type::id},
    FieldSpec{"fee", Type::uint},
    FieldSpec{"size", Type::uint},
};
constexpr std::array kNodeStatus{
    FieldSpec{"version", Type::id},        FieldSpec{"network", Type::id},
    FieldSpec{"local_height", Type::uint}, FieldSpec{"global_height", Type::uint},
    FieldSpec{"connected", Type::boolean}, FieldSpec{"syncing", Type::boolean},
    FieldSpec{"peers", Type::uint},
};
constexpr std::array kAccountTx{
    FieldSpec{"account", Type::id},
    FieldSpec{"txid", Type::id},
    FieldSpec{"height", Type::uint, /*nullable=*/true},  // null while in the mempool
    FieldSpec{"direction", Type::enumeration, false, kTxDirections},
    FieldSpec{"amount", Type::uint},
    FieldSpec{"fee", Type::uint},
    FieldSpec{"timestamp_ms", Type::uint},
};
constexpr std::array kAccountDerive{Derivation{"account", "account"}};
constexpr std::array kDexOffer{
    FieldSpec{"offer_id", Type::id},     FieldSpec{"action", Type::enumeration, false, kOfferActions},
    FieldSpec{"market", Type::id},       FieldSpec{"direction", Type::enumeration, false, kOfferDirections},
    FieldSpec{"price_rate", Type::uint}, FieldSpec{"amount", Type::uint},
    FieldSpec{"currency", Type::id},     FieldSpec{"payment_method", Type::id},
};
constexpr std::array kDexOfferDerive{
    Derivation{"market", "market"},
    Derivation{"currency", "currency"},
    Derivation{"payment_method", "payment_method"},
    Derivation{"direction", "direction"},
};
constexpr std::array kDexPrice{
    FieldSpec{"market", Type::id},
    FieldSpec{"price_rate", Type::uint},
    FieldSpec{"timestamp_ms", Type::uint},
};
constexpr std::array kMarketDerive{Derivation{"market", "market"}};
// A DEX's epoch-based matching (dcrdex): an order entering an epoch's queue, and the proof that
// closes an epoch (the preimages revealed, the orders that missed, the checksum and shuffle seed).
// Hex strings are carried as ids; `target` is "" unless the order is a cancel.
constexpr std::array<std::string_view, 3> kEpochOrderTypes{"limit", "market", "cancel"};
constexpr std::array kDexEpoch{
    FieldSpec{"order_id", Type::id},
    FieldSpec{"market", Type::id},
    FieldSpec{"epoch", Type::uint},
    FieldSpec{"order_type", Type::enumeration, false, kEpochOrderTypes},
    FieldSpec{"direction", Type::enumeration, false, kOfferDirections},
    FieldSpec{"amount", Type::uint},
    FieldSpec{"price_rate", Type::uint},
    FieldSpec{"commitment", Type::id},
    FieldSpec{"target", Type::text},
    FieldSpec{"timestamp_ms", Type::uint},
};
constexpr std::array kDexMatch{
    FieldSpec{"market", Type::id},          FieldSpec{"epoch", Type::uint},
    FieldSpec{"preimages", Type::id_array}, FieldSpec{"misses", Type::id_array},
    FieldSpec{"checksum", Type::id},        FieldSpec{"seed", Type::id},
};
constexpr std::array kDexTrade{
    FieldSpec{"trade_id", Type::id},     FieldSpec{"phase", Type::id},    FieldSpec{"account", Type::id},
    FieldSpec{"counterparty", Type::id}, FieldSpec{"amount", Type::uint},
};
constexpr std::array kDexTradeDerive{Derivation{"account", "account"}, Derivation{"trade_id", "trade_id"}};
constexpr std::array kDexChat{
    FieldSpec{"trade_id", Type::id}, FieldSpec{"from", Type::id},           FieldSpec{"to", Type::id},
    FieldSpec{"text", Type::text},   FieldSpec{"timestamp_ms", Type::uint},
};
constexpr std::array kDexChatDerive{
    Derivation{"account", "from"},
    Derivation{"account", "to"},
    Derivation{"trade_id", "trade_id"},
};
// A dispute is between the trade's two parties; naming them lets each subscribe by account.
// ruling stays null until the arbitrator decides.
constexpr std::array kDexDispute{
    FieldSpec{"trade_id", Type::id},
    FieldSpec{"state", Type::id},
    FieldSpec{"buyer", Type::id},
    FieldSpec{"seller", Type::id},
    FieldSpec{"ruling", Type::text, /*nullable=*/true},
};
constexpr std::array kDexDisputeDerive{
    Derivation{"account", "buyer"},
    Derivation{"account", "seller"},
    Derivation{"trade_id", "trade_id"},
};
constexpr std::array kWalletBalance{
    FieldSpec{"account", Type::id},
    FieldSpec{"available", Type::uint},
    FieldSpec{"locked", Type::uint},
};
constexpr std::array kSystemNotice{
    FieldSpec{"level", Type::enumeration, false, kNoticeLevels},
    FieldSpec{"code", Type::id},
    FieldSpec{"message", Type::text},
};
constexpr std::array kLevelDerive{Derivation{"level", "level"}};

constexpr std::array kCatalog{
    TopicSpec{"chain.block", kChainBlock, {}},
    TopicSpec{"chain.reorg", kChainReorg, {}},
    TopicSpec{"chain.tx", kChainTx, kChainTxDerive, /*tags=*/true},
    TopicSpec{"mempool.tx", kMempoolTx, {}},
    TopicSpec{"node.status", kNodeStatus, {}},
    TopicSpec{"account.tx", kAccountTx, kAccountDerive},
    TopicSpec{"dex.offer", kDexOffer, kDexOfferDerive},
    TopicSpec{"dex.price", kDexPrice, kMarketDerive},
    TopicSpec{"dex.epoch", kDexEpoch, kMarketDerive},
    TopicSpec{"dex.match", kDexMatch, kMarketDerive},
    TopicSpec{"dex.trade", kDexTrade, kDexTradeDerive},
    TopicSpec{"dex.chat", kDexChat, kDexChatDerive},
    TopicSpec{"dex.dispute", kDexDispute, kDexDisputeDerive},
    TopicSpec{"wallet.balance", kWalletBalance, kAccountDerive},
    TopicSpec{"system.notice", kSystemNotice, kLevelDerive},
};

// Longest accepted topic name; also a sane bound for metric labels and log lines.
constexpr std::size_t kMaxTopicName = 128;

const TopicSpec* findSpec(std::string_view topic) {
  for (const auto& spec : kCatalog) {
    if (spec.topic == topic) return &spec;
  }
  return nullptr;
}

Error fieldError(std::string_view prefix, const std::string& path, std::string_view problem) {
  return Error::make(Errc::invalid_params, path + " " + std::string(problem), fieldPath(prefix, path));
}

bool isUnsigned(const json::value& v) { return v.is_uint64() || (v.is_int64() && v.get_int64() >= 0); }

std::string joinAllowed(std::span<const std::string_view> allowed) {
  std::string out;
  for (std::size_t i = 0; i < allowed.size(); ++i) {
    if (i > 0) out += ", ";
    out += allowed[i];
  }
  return out;
}

bool isNonEmptyString(const json::value& v) { return v.is_string() && !v.get_string().empty(); }

Result<void> checkField(const FieldSpec& spec, const json::value& v, std::string_view prefix) {
  const std::string path = "data." + std::string(spec.name);
  if (spec.nullable && v.is_null()) return {};
  const char* orNull = spec.nullable ? " or null" : "";
  switch (spec.type) {
    case Type::id:
      if (!v.is_string()) return fieldError(prefix, path, std::string("must be a string") + orNull);
      if (v.get_string().empty()) return fieldError(prefix, path, "must not be empty");
      return {};
    case Type::text:
      if (!v.is_string()) return fieldError(prefix, path, std::string("must be a string") + orNull);
      return {};
    case Type::uint:
      if (!v.is_int64() && !v.is_uint64()) {
        return fieldError(prefix, path, std::string("must be an integer") + orNull);
      }
      if (!isUnsigned(v)) return fieldError(prefix, path, "must not be negative");
      return {};
    case Type::boolean:
      if (!v.is_bool()) return fieldError(prefix, path, std::string("must be a boolean") + orNull);
      return {};
    case Type::enumeration:
      if (!v.is_string()) return fieldError(prefix, path, "must be a string");
      for (auto allowed : spec.allowed) {
        if (v.get_string() == allowed) return {};
      }
      return fieldError(prefix, path, "must be one of: " + joinAllowed(spec.allowed));
    case Type::id_array: {
      if (!v.is_array()) return fieldError(prefix, path, "must be an array of strings");
      const auto& arr = v.get_array();
      for (std::size_t i = 0; i < arr.size(); ++i) {
        if (!isNonEmptyString(arr[i])) {
          return fieldError(prefix, path + "[" + std::to_string(i) + "]", "must be a non-empty string");
        }
      }
      return {};
    }
    case Type::tags: {
      if (!v.is_array()) return fieldError(prefix, path, "must be an array of {name, value} objects");
      const auto& arr = v.get_array();
      for (std::size_t i = 0; i < arr.size(); ++i) {
        const std::string item = path + "[" + std::to_string(i) + "]";
        if (!arr[i].is_object()) return fieldError(prefix, item, "must be an object with name and value");
        const auto& tag = arr[i].get_object();
        const auto* name = tag.if_contains("name");
        if (name == nullptr) return fieldError(prefix, item + ".name", "is required");
        if (!isNonEmptyString(*name)) return fieldError(prefix, item + ".name", "must be a non-empty string");
        const auto* value = tag.if_contains("value");
        if (value == nullptr) return fieldError(prefix, item + ".value", "is required");
        if (!value->is_string()) return fieldError(prefix, item + ".value", "must be a string");
      }
      return {};
    }
  }
  return {};
}

// Appends the text form of a scalar: strings as they are, integers in decimal, booleans as
// true/false. Empty strings derive nothing: no filter can usefully ask for "".
void appendValue(const json::value& v, std::vector<std::string>& out) {
  switch (v.kind()) {
    case json::kind::string:
      if (!v.get_string().empty()) out.emplace_back(v.get_string());
      break;
    case json::kind::int64:
      out.push_back(std::to_string(v.get_int64()));
      break;
    case json::kind::uint64:
      out.push_back(std::to_string(v.get_uint64()));
      break;
    case json::kind::bool_:
      out.emplace_back(v.get_bool() ? "true" : "false");
      break;
    case json::kind::array:
      for (const auto& item : v.get_array()) appendValue(item, out);
      break;
    default:
      break;  // null (not derived), doubles and objects never appear in derived fields
  }
}

void addAttribute(Event& event, std::string key, std::vector<std::string> values) {
  if (values.empty()) return;
  event.attributes.push_back(Attribute{std::move(key), std::move(values)});
}

}  // namespace

std::vector<std::string> catalogTopics() {
  std::vector<std::string> out;
  out.reserve(kCatalog.size());
  for (const auto& spec : kCatalog) out.emplace_back(spec.topic);
  return out;
}

TopicSet topicSet(const std::vector<std::string>& extra) {
  TopicSet set(catalogTopics());
  for (const auto& name : extra) set.add(name);
  return set;
}

bool isCatalogTopic(std::string_view topic) { return findSpec(topic) != nullptr; }

Result<void> checkTopicName(std::string_view name) {
  if (name.empty() || name.size() > kMaxTopicName) {
    return Error::make(Errc::invalid_params, "topic must be 1-" + std::to_string(kMaxTopicName) +
                                                 " characters, got " + std::to_string(name.size()));
  }
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
    if (!ok) return Error::make(Errc::invalid_params, "topic may contain only a-z, 0-9, '.', '_' and '-'");
  }
  return {};
}

Result<void> applyCatalog(std::string_view topic, const boost::json::object& data, Event& event,
                          std::string_view field) {
  const TopicSpec* spec = findSpec(topic);
  if (spec == nullptr) return {};
  for (const auto& f : spec->fields) {
    const json::value* v = data.if_contains(f.name);
    if (v == nullptr) return fieldError(field, "data." + std::string(f.name), "is required");
    if (auto ok = checkField(f, *v, field); !ok) return ok.error();
  }
  for (const auto& d : spec->derive) {
    std::vector<std::string> values;
    appendValue(data.at(d.from), values);
    addAttribute(event, std::string(d.key), std::move(values));
  }
  if (spec->tags) {
    for (const auto& item : data.at("tags").get_array()) {
      const auto& tag = item.get_object();
      std::vector<std::string> values;
      appendValue(tag.at("value"), values);
      addAttribute(event, "tag:" + std::string(tag.at("name").get_string()), std::move(values));
    }
  }
  return {};
}

std::string fieldPath(std::string_view prefix, std::string_view path) {
  if (prefix.empty()) return std::string(path);
  std::string out;
  out.reserve(prefix.size() + 1 + path.size());
  out.append(prefix).append(".").append(path);
  return out;
}

}  // namespace herald::schema
