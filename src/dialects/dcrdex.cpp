// dcrdex msgjson codec. decode() parses one Message and either answers it here (`connect`), turns it
// into a hub command (market feeds) or rejects it with the dcrdex code of the failure; the encoders
// build Message text by appending to one string.
//
// Wire facts carried over from the reference (decred/dcrdex dex/msgjson): Message {type, route, id,
// payload}; types 1 request, 2 response, 3 notification; a response payload is {result, error}
// with error {code, message}; ids are unsigned integers > 0; JSON members a message does not
// define are ignored, as Go's decoder ignores them (notably the message-level "sig").
//
// Must not: do I/O, throw, or let anything a client sends change how another client is answered
// (the ConnectLedger changes only for a correctly signed connect of a registered account).
#include "dialects/dcrdex.h"
#include "core/text.h"

#include <algorithm>
#include <array>
#include <boost/json.hpp>
#include <charconv>
#include <limits>

#include "core/subscription_index.h"
#include "schema/event_json.h"

namespace herald::dialects {
namespace {

namespace json = boost::json;
using dcrdex::AccountId;
using dcrdex::Market;

enum class Route { orderbook, unsub_orderbook, price_feed };

constexpr std::string_view kOrderBookTag = "orderbook";
constexpr std::string_view kPriceFeedTag = "price_feed";
// The companions of an orderbook subscription (SubscribeCommand::companions), named by the route
// their events become.
constexpr std::string_view kEpochOrderTag = "epoch_order";
constexpr std::string_view kMatchProofTag = "match_proof";
constexpr std::string_view kOfferTopic = "dex.offer";
constexpr std::string_view kEpochTopic = "dex.epoch";
constexpr std::string_view kMatchTopic = "dex.match";

// Requests still waiting for their reply. Replies arrive in order right after their command, so a
// connection rarely has more than one; the bound only stops a client that never reads from
// growing this map.
constexpr std::size_t kMaxPending = 64;

// A connected account's tier. The reference reports bond tier (>= 1: may trade); a registered
// account is all Herald knows of, and it is allowed everything Herald serves.
constexpr int kRegisteredTier = 1;

class DcrdexState final : public DialectState {
 public:
  struct Pending {
    Route route;
    std::string market;  // dcrdex market name for the orderbook routes
  };

  std::optional<AccountId> account;
  std::map<RequestId, Pending> pending;
  std::map<std::string, std::string> books;  // market name -> subscription id
  std::string price_feed;                    // subscription id; empty: not subscribed
};

Rejection reject(RequestId id, Errc code, std::string message, std::string field = {}) {
  return Rejection{std::move(id), Error::make(code, std::move(message), std::move(field))};
}

// --- encoding --------------------------------------------------------------------------------

template <class Int>
void appendInt(std::string& out, Int n) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, n);
  out.append(buf, end);
}

std::string responseHead(const RequestId& id, std::size_t extra) {
  std::string out;
  out.reserve(48 + id.size() + extra);
  out += "{\"type\":2";
  if (!id.empty()) {
    out += ",\"id\":";
    out += id;
  }
  out += ",\"payload\":{";
  return out;
}

std::string resultText(const RequestId& id, std::string_view result) {
  std::string out = responseHead(id, result.size());
  out += "\"result\":";
  out += result;
  out += "}}";
  return out;
}

std::string errorText(const RequestId& id, int code, std::string_view message) {
  std::string out = responseHead(id, 48 + message.size());
  out += "\"result\":null,\"error\":{\"code\":";
  appendInt(out, code);
  out += ",\"message\":";
  schema::appendJsonString(out, message);
  out += "}}}";
  return out;
}

std::string notificationHead(std::string_view route, std::size_t extra) {
  std::string out;
  out.reserve(40 + route.size() + extra);
  out += "{\"type\":3,\"route\":\"";
  out += route;
  out += "\",\"payload\":";
  return out;
}

// --- reading the client's JSON --------------------------------------------------------------

std::optional<std::uint64_t> asUint(const json::value& v) {
  if (v.is_uint64()) return v.get_uint64();
  if (v.is_int64() && v.get_int64() >= 0) return static_cast<std::uint64_t>(v.get_int64());
  return std::nullopt;
}

// --- reading an event's data (validated by the catalog at ingest) ----------------------------

std::string_view stringField(const json::object& data, std::string_view key) {
  const json::value* v = data.if_contains(key);
  return (v != nullptr && v->is_string()) ? std::string_view(v->get_string()) : std::string_view();
}

void appendNumberField(std::string& out, const json::object& data, std::string_view key) {
  const json::value* v = data.if_contains(key);
  if (v != nullptr && (v->is_int64() || v->is_uint64())) {
    out += json::serialize(*v);
  } else {
    out.push_back('0');
  }
}

// dcrdex market id of a catalog market: from the asset table, else spelled the same way.
std::string marketName(std::string_view catalog) {
  if (auto m = dcrdex::marketFromCatalog(catalog)) return m->name;
  std::string out(catalog);
  for (char& c : out) {
    if (c == '/') c = '_';
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

json::object parseData(const Event& event) {
  boost::system::error_code ec;
  json::value data =
      json::parse(event.data.empty() ? std::string_view("{}") : std::string_view(event.data), ec);
  if (ec || !data.is_object()) return {};
  return std::move(data.get_object());
}

// The reference's TradeNote members of a booked offer: side (1 buy, 2 sell), qty, rate, time.
void appendTrade(std::string& out, const Event& event, const json::object& data) {
  out += ",\"side\":";
  out += stringField(data, "direction") == "buy" ? '1' : '2';
  out += ",\"qty\":";
  appendNumberField(out, data, "amount");
  out += ",\"rate\":";
  appendNumberField(out, data, "price_rate");
  out += ",\"time\":";
  appendInt(out, event.time_ms);
}

// OrderNote's seq and marketid, then oid: the head of every per-order notification.
void appendOrderHead(std::string& out, const Event& event, std::string_view catalog_market,
                     std::string_view oid) {
  out += "{\"seq\":";
  appendInt(out, event.seq);
  out += ",\"marketid\":";
  schema::appendJsonString(out, marketName(catalog_market));
  out += ",\"oid\":";
  schema::appendJsonString(out, oid);
}

std::string bookNote(const Event& event, const json::object& data) {
  const bool removed = stringField(data, "action") == "removed";
  std::string out = notificationHead(removed ? "unbook_order" : "book_order", 160 + event.data.size());
  appendOrderHead(out, event, stringField(data, "market"), stringField(data, "offer_id"));
  if (!removed) appendTrade(out, event, data);
  out += "}}";
  return out;
}

// The reference's EpochOrderNote. A cancel carries no TradeNote (the reference builds it from the
// order id alone) but names its target; otype is the reference's order type: 1 limit, 2 market,
// 3 cancel. Members the reference omits when zero (rate of a market order) are omitted here too.
std::string epochNote(const Event& event, const json::object& data) {
  const std::string_view type = stringField(data, "order_type");
  const bool cancel = type == "cancel";
  std::string out = notificationHead("epoch_order", 240 + event.data.size());
  appendOrderHead(out, event, stringField(data, "market"), stringField(data, "order_id"));
  if (!cancel) {
    out += ",\"side\":";
    out += stringField(data, "direction") == "buy" ? '1' : '2';
    out += ",\"qty\":";
    appendNumberField(out, data, "amount");
    const json::value* rate = data.if_contains("price_rate");
    if (const auto r = rate != nullptr ? asUint(*rate) : std::nullopt; r && *r != 0) {
      out += ",\"rate\":";
      appendInt(out, *r);
    }
  }
  out += ",\"time\":";
  appendNumberField(out, data, "timestamp_ms");
  out += ",\"com\":";
  schema::appendJsonString(out, stringField(data, "commitment"));
  out += ",\"otype\":";
  out += type == "limit" ? '1' : type == "market" ? '2' : '3';
  out += ",\"epoch\":";
  appendNumberField(out, data, "epoch");
  if (cancel) {
    out += ",\"target\":";
    schema::appendJsonString(out, stringField(data, "target"));
  }
  out += "}}";
  return out;
}

std::string stringArray(const json::object& data, std::string_view key) {
  const json::value* v = data.if_contains(key);
  return v != nullptr && v->is_array() ? json::serialize(*v) : std::string("[]");
}

// The reference's MatchProofNote. It changes no book, so like the reference it carries no seq.
std::string matchNote(const json::object& data) {
  std::string out = notificationHead("match_proof", 200);
  out += "{\"marketid\":";
  schema::appendJsonString(out, marketName(stringField(data, "market")));
  out += ",\"epoch\":";
  appendNumberField(out, data, "epoch");
  out += ",\"preimages\":";
  out += stringArray(data, "preimages");
  out += ",\"misses\":";
  out += stringArray(data, "misses");
  out += ",\"csum\":";
  schema::appendJsonString(out, stringField(data, "checksum"));
  out += ",\"seed\":";
  schema::appendJsonString(out, stringField(data, "seed"));
  out += "}}";
  return out;
}

// The reference's OrderBook result: the market's current book (each offer added and not removed
// since, oldest first, as BookOrderNote without seq and marketid, which the reference leaves empty
// inside a book). `seq` is the log position the book was read up to; every notification that
// follows has a larger seq, so nothing is missed or applied twice. The current epoch and fee rates
// are not known to Herald (0), and recent matches are not kept.
std::string orderBookResult(const Market& market, std::uint64_t seq, std::span<const EventPtr> book) {
  std::string out;
  out.reserve(160 + market.name.size() + book.size() * 160);
  out += "{\"marketid\":";
  schema::appendJsonString(out, market.name);
  out += ",\"seq\":";
  appendInt(out, seq);
  out += ",\"epoch\":0,\"orders\":[";
  bool first = true;
  for (const EventPtr& event : book) {
    const json::object data = parseData(*event);
    if (!first) out += ',';
    first = false;
    out += "{\"oid\":";
    schema::appendJsonString(out, stringField(data, "offer_id"));
    appendTrade(out, *event, data);
    out += '}';
  }
  out += "],\"baseFeeRate\":0,\"quoteFeeRate\":0,\"recentMatches\":[]}";
  return out;
}

// The market filter every feed of one market subscribes with.
Result<Filter> marketFilter(const Market& market) {
  return Filter::make({Clause{"market", {market.catalog}}});
}

SubscribeCommand feedCommand(std::string_view topic, std::string_view tag, const Filter& filter) {
  SubscribeCommand sub;
  sub.topic = std::string(topic);
  sub.filter = filter;
  sub.delivery.tag = std::string(tag);
  return sub;
}

// The reference's Spot. Herald's dex.price carries the rate and when it was observed; the volume and
// 24-hour statistics are not known to it and are sent as 0.
std::string priceNote(const json::object& data) {
  const auto market = dcrdex::marketFromCatalog(stringField(data, "market"));
  std::string out = notificationHead("price_update", 200);
  out += "{\"stamp\":";
  appendNumberField(out, data, "timestamp_ms");
  out += ",\"baseID\":";
  appendInt(out, market ? market->base : 0);
  out += ",\"quoteID\":";
  appendInt(out, market ? market->quote : 0);
  out += ",\"rate\":";
  appendNumberField(out, data, "price_rate");
  out += ",\"bookVolume\":0,\"change24\":0,\"vol24\":0,\"high24\":0,\"low24\":0}}";
  return out;
}

}  // namespace

struct Dcrdex::ConnectRequest {
  RequestId id;
  std::vector<std::uint8_t> account;
  std::uint16_t api_version = 0;
  std::uint64_t timestamp_ms = 0;
  std::vector<std::uint8_t> signature;
};

// --- construction ------------------------------------------------------------------------------

Result<std::unique_ptr<Dcrdex>> Dcrdex::make(const DcrdexConfig& config) {
  std::unique_ptr<Dcrdex> d(new Dcrdex());
  d->secp_ = std::make_unique<dcrdex::Secp256k1>();
  // `field` names the DcrdexConfig member; the app maps it to its own key.
  const auto bad = [](std::string field, const std::string& message) {
    std::string text = "dcrdex " + field + ": " + message;
    return Error::make(Errc::invalid_params, std::move(text), std::move(field));
  };

  for (const auto& [id_hex, key_hex] : config.accounts) {
    const std::string field = "accounts";
    const auto id = dcrdex::fromHex(id_hex);
    if (!id || id->size() != 32) return bad(field, id_hex + ": an account id is 64 hex digits");
    const auto key = dcrdex::fromHex(key_hex);
    if (!key || !d->secp_->validPublicKey(*key)) {
      return bad(field, id_hex + ": expected a compressed secp256k1 public key (66 hex digits)");
    }
    const AccountId derived = dcrdex::accountIdFromPublicKey(*key);
    if (!std::equal(derived.begin(), derived.end(), id->begin())) {
      return bad(field, id_hex + ": the id of this public key is " + dcrdex::toHex(derived) +
                            " (BLAKE-256 applied twice to the compressed key)");
    }
    Account account;
    std::copy(key->begin(), key->end(), account.public_key.begin());
    d->accounts_.emplace(derived, account);
  }

  if (config.gateway_key.empty()) {
    auto secret = d->secp_->generateSecretKey();
    if (!secret) return Error::make(Errc::internal, "dcrdex: no randomness for a gateway key");
    d->gateway_secret_ = *secret;
    d->key_generated_ = true;
  } else {
    const auto secret = dcrdex::fromHex(config.gateway_key);
    if (!secret || secret->size() != 32) return bad("gateway_key", "expected 64 hex digits");
    std::copy(secret->begin(), secret->end(), d->gateway_secret_.begin());
    if (!d->secp_->validSecretKey(d->gateway_secret_)) {
      return bad("gateway_key", "not a valid secp256k1 secret key");
    }
  }
  d->gateway_public_ = d->secp_->publicKey(d->gateway_secret_);

  if (config.timestamp_window_ms <= 0) return bad("timestamp_window_ms", "must be > 0");
  d->window_ms_ = config.timestamp_window_ms;
  if (config.api_versions.empty()) return bad("api_versions", "at least one version is needed");
  d->api_versions_ = config.api_versions;

  // A price_feed subscription filters on every served market: keep within FilterLimits' 64 values.
  constexpr std::size_t kMaxMarkets = 64;
  if (config.markets.size() > kMaxMarkets) return bad("markets", "at most 64 markets");
  for (const auto& name : config.markets) {
    auto market = dcrdex::marketFromName(name);
    if (!market) {
      return bad("markets",
                 "unknown market '" + name + "' (expected <base>_<quote> of known SLIP-0044 asset symbols)");
    }
    if (std::find(d->markets_.begin(), d->markets_.end(), *market) == d->markets_.end()) {
      d->markets_.push_back(std::move(*market));
    }
  }
  d->feeds_require_connect_ = config.feeds_require_connect;
  return d;
}

std::unique_ptr<DialectState> Dcrdex::newState() const { return std::make_unique<DcrdexState>(); }

int Dcrdex::errorCode(Errc code) noexcept {
  using namespace dcrdex_code;
  switch (code) {
    case Errc::parse_error:
      return kRPCParseError;
    case Errc::unknown_method:
      return kRPCUnknownRoute;
    case Errc::invalid_params:
      return kInvalidRequestError;
    case Errc::invalid_request:
      return kUnknownMessageType;
    case Errc::unknown_topic:
      return kUnknownMarket;
    case Errc::unknown_subscription:
      return kNotSubscribedError;
    case Errc::duplicate_subscription:
      return kDuplicateRequestError;
    case Errc::too_many_subscriptions:
    case Errc::rate_limited:
      return kTooManyRequestsError;
    case Errc::unauthorized:
      return kUnauthorizedConnection;
    case Errc::forbidden:
      return kRouteUnavailableError;
    case Errc::cursor_ahead:
    case Errc::too_large:
      return kInvalidRequestError;
    case Errc::unavailable:
      return kTryAgainLaterError;
    case Errc::internal:
      return kRPCInternalError;
  }
  return kRPCInternalError;
}

bool Dcrdex::isAuthenticatedRoute(std::string_view route) noexcept {
  static constexpr std::array<std::string_view, 7> kRoutes = {"limit",  "market",       "cancel",      "init",
                                                              "redeem", "match_status", "order_status"};
  return std::find(kRoutes.begin(), kRoutes.end(), route) != kRoutes.end();
}

Decoded Dcrdex::decode(std::string_view bytes, bool binary, DialectState& state_base,
                       const DecodeContext& context) const {
  auto& state = static_cast<DcrdexState&>(state_base);
  if (binary)
    return reject({}, Errc::parse_error, "binary frames are not part of dcrdex msgjson: send JSON text");

  // The message only lives for this call: parse into a stack-backed arena (a typical message fits).
  unsigned char buffer[4096];
  json::monotonic_resource arena(buffer, sizeof buffer);
  boost::system::error_code ec;
  const json::value doc = json::parse(bytes, ec, &arena);
  if (ec) return reject({}, Errc::parse_error, "message is not valid JSON: " + ec.message());
  if (!doc.is_object()) return reject({}, Errc::parse_error, "a message must be a JSON object");
  const json::object& msg = doc.get_object();

  std::uint64_t type = 0;  // absent: the reference's InvalidMessageType (0)
  if (const json::value* t = msg.if_contains("type")) {
    const auto n = asUint(*t);
    if (!n)
      return reject({}, Errc::parse_error, "type must be an integer (1 request, 2 response, 3 notification)",
                    "type");
    type = *n;
  }
  std::uint64_t id = 0;  // absent: 0, which no request may carry
  if (const json::value* i = msg.if_contains("id")) {
    const auto n = i->is_null() ? std::optional<std::uint64_t>(0) : asUint(*i);
    if (!n) return reject({}, Errc::parse_error, "id must be an integer > 0", "id");
    id = *n;
  }
  RequestId rid = id > 0 ? std::to_string(id) : RequestId();

  if (type != 1) {
    if (type == 2) {
      return reject(std::move(rid), Errc::invalid_request,
                    "unexpected response: this gateway sends no requests to answer", "type");
    }
    if (type == 3) {
      return reject(std::move(rid), Errc::invalid_request, "notifications from clients are not accepted",
                    "type");
    }
    return reject(std::move(rid), Errc::invalid_request, "unknown message type " + std::to_string(type),
                  "type");
  }
  if (id == 0) return reject({}, Errc::parse_error, "a request needs an id > 0", "id");

  std::string_view route;
  if (const json::value* r = msg.if_contains("route")) {
    if (!r->is_string()) return reject(std::move(rid), Errc::parse_error, "route must be a string", "route");
    route = r->get_string();
  }
  const json::value* payload = msg.if_contains("payload");

  if (route == "connect") {
    const auto bad = [&](std::string field, std::string_view expected) {
      return reject(rid, Errc::invalid_params, "payload." + field + ": expected " + std::string(expected),
                    "payload." + field);
    };
    if (payload == nullptr || !payload->is_object()) {
      return reject(rid, Errc::invalid_params, "payload: expected {accountid, apiver, timestamp, sig}",
                    "payload");
    }
    const json::object& p = payload->get_object();
    ConnectRequest request;
    request.id = rid;
    const json::value* account = p.if_contains("accountid");
    if (account == nullptr || !account->is_string()) return bad("accountid", "a hex string");
    auto account_bytes = dcrdex::fromHex(account->get_string());
    if (!account_bytes) return bad("accountid", "a hex string");
    request.account = std::move(*account_bytes);
    const json::value* apiver = p.if_contains("apiver");
    const auto api = apiver != nullptr ? asUint(*apiver) : std::nullopt;
    if (!api || *api > std::numeric_limits<std::uint16_t>::max()) return bad("apiver", "an integer 0..65535");
    request.api_version = static_cast<std::uint16_t>(*api);
    const json::value* timestamp = p.if_contains("timestamp");
    const auto ts = timestamp != nullptr ? asUint(*timestamp) : std::nullopt;
    if (!ts) return bad("timestamp", "Unix milliseconds, an integer >= 0");
    request.timestamp_ms = *ts;
    const json::value* sig = p.if_contains("sig");
    if (sig == nullptr || !sig->is_string()) return bad("sig", "a hex string");
    auto sig_bytes = dcrdex::fromHex(sig->get_string());
    if (!sig_bytes) return bad("sig", "a hex string");
    request.signature = std::move(*sig_bytes);
    return connect(request, state, context);
  }

  const bool feed = route == "orderbook" || route == "unsub_orderbook" || route == "price_feed";
  if (feed || isAuthenticatedRoute(route)) {
    if (!state.account && (!feed || feeds_require_connect_)) {
      return reject(
          std::move(rid), Errc::unauthorized,
          "cannot use route '" + std::string(route) + "' on an unauthorized connection: connect first",
          "route");
    }
    if (!feed) {
      return reject(std::move(rid), Errc::forbidden,
                    "route '" + std::string(route) +
                        "' is not served by this gateway: it relays market feeds "
                        "and does not trade",
                    "route");
    }
  } else {
    const std::string shown(utf8Prefix(route, 64));  // a route is echoed, but not without bound
    return reject(std::move(rid), Errc::unknown_method, "unknown route '" + shown + "'", "route");
  }
  if (state.pending.size() >= kMaxPending && !state.pending.contains(rid)) {
    return reject(std::move(rid), Errc::rate_limited, "too many requests awaiting a response");
  }

  if (route == "price_feed") {
    std::vector<std::string> names;
    for (const auto& m : markets_) names.push_back(m.catalog);
    SubscribeCommand sub;
    sub.topic = "dex.price";
    if (!names.empty()) {
      auto filter = Filter::make({Clause{"market", std::move(names)}});
      if (!filter) return Rejection{std::move(rid), filter.error()};
      sub.filter = std::move(*filter);
    }
    sub.delivery.tag = std::string(kPriceFeedTag);
    state.pending[rid] = {Route::price_feed, {}};
    return Command{std::move(rid), std::move(sub)};
  }

  if (route == "orderbook") {
    const json::object* p = payload != nullptr ? payload->if_object() : nullptr;
    const json::value* base = p != nullptr ? p->if_contains("base") : nullptr;
    const json::value* quote = p != nullptr ? p->if_contains("quote") : nullptr;
    const auto b = base != nullptr ? asUint(*base) : std::nullopt;
    const auto q = quote != nullptr ? asUint(*quote) : std::nullopt;
    constexpr std::uint64_t kMaxAsset = std::numeric_limits<std::uint32_t>::max();
    if (!b || !q || *b > kMaxAsset || *q > kMaxAsset) {
      return reject(std::move(rid), Errc::invalid_params,
                    "payload: expected {\"base\": <SLIP-0044 asset id>, \"quote\": <SLIP-0044 asset id>}",
                    "payload");
    }
    const auto market = dcrdex::marketFromIds(static_cast<std::uint32_t>(*b), static_cast<std::uint32_t>(*q));
    if (!market || std::find(markets_.begin(), markets_.end(), *market) == markets_.end()) {
      return reject(std::move(rid), Errc::unknown_topic,
                    "unknown market: base " + std::to_string(*b) + ", quote " + std::to_string(*q),
                    "payload");
    }
    auto filter = marketFilter(*market);
    if (!filter) return Rejection{std::move(rid), filter.error()};
    // The book comes from the log (snapshot); epoch and match notifications start where it ends.
    SubscribeCommand sub = feedCommand(kOfferTopic, kOrderBookTag, *filter);
    sub.snapshot = true;
    sub.companions = {feedCommand(kEpochTopic, kEpochOrderTag, *filter),
                      feedCommand(kMatchTopic, kMatchProofTag, *filter)};
    state.pending[rid] = {Route::orderbook, market->name};
    return Command{std::move(rid), std::move(sub)};
  }

  // unsub_orderbook
  const json::object* p = payload != nullptr ? payload->if_object() : nullptr;
  const json::value* market_id = p != nullptr ? p->if_contains("marketid") : nullptr;
  if (market_id == nullptr || !market_id->is_string()) {
    return reject(std::move(rid), Errc::invalid_params,
                  "payload: expected {\"marketid\": \"<base>_<quote>\"}", "payload.marketid");
  }
  const std::string name(market_id->get_string().subview(0, 64));
  const auto market = dcrdex::marketFromName(name);
  if (!market || std::find(markets_.begin(), markets_.end(), *market) == markets_.end()) {
    return reject(std::move(rid), Errc::unknown_topic, "unknown market: " + name, "payload.marketid");
  }
  const auto book = state.books.find(market->name);
  if (book == state.books.end()) {
    return reject(std::move(rid), Errc::unknown_subscription, "not subscribed to " + market->name,
                  "payload.marketid");
  }
  state.pending[rid] = {Route::unsub_orderbook, market->name};
  // The companions' ids are derived like every shared id, so they need no bookkeeping here; they
  // leave silently (a book whose snapshot never finished has none).
  Answer answer;
  answer.commands.push_back(Command{rid, UnsubscribeCommand{book->second}});
  if (auto filter = marketFilter(*market)) {
    for (const auto& [topic, tag] :
         {std::pair{kEpochTopic, kEpochOrderTag}, std::pair{kMatchTopic, kMatchProofTag}}) {
      const SubscribeCommand companion = feedCommand(topic, tag, *filter);
      UnsubscribeCommand leave;
      leave.subscription = sharedSubscriptionId(groupKey(topic, companion.filter, companion.delivery));
      leave.implicit = true;
      answer.commands.push_back(Command{{}, std::move(leave)});
    }
  }
  return answer;
}

Decoded Dcrdex::connect(const ConnectRequest& request, DialectState& state_base,
                        const DecodeContext& context) const {
  using namespace dcrdex_code;
  auto& state = static_cast<DcrdexState&>(state_base);
  const auto fail = [&](int code, std::string_view message) {
    return Answer{{makeFrame(errorText(request.id, code, message))}, {}, std::nullopt, {}};
  };

  AccountId account{};
  if (request.account.size() != account.size()) {
    return fail(kAuthenticationError, "authentication error: an account id is 32 bytes");
  }
  std::copy(request.account.begin(), request.account.end(), account.begin());
  const auto found = accounts_.find(account);
  if (found == accounts_.end()) {
    return fail(kAccountNotFoundError, "no account found for account ID: " + dcrdex::toHex(account));
  }
  if (std::find(api_versions_.begin(), api_versions_.end(), request.api_version) == api_versions_.end()) {
    return fail(kRPCVersionUnsupported,
                "API version " + std::to_string(request.api_version) + " is not supported");
  }
  // Freshness first: it is cheap and needs no key. The distance is computed without overflow for
  // any uint64 timestamp.
  const auto now = static_cast<std::uint64_t>(std::max<std::int64_t>(context.now_ms, 0));
  const std::uint64_t distance =
      request.timestamp_ms > now ? request.timestamp_ms - now : now - request.timestamp_ms;
  if (distance > static_cast<std::uint64_t>(window_ms_)) {
    return fail(kClockRangeError,
                "timestamp " + std::to_string(request.timestamp_ms) + " is " + std::to_string(distance) +
                    " ms from the gateway's clock; the limit is " + std::to_string(window_ms_) + " ms");
  }
  const dcrdex::ConnectMessage message =
      dcrdex::connectMessage(account, request.api_version, request.timestamp_ms);
  if (!secp_->verify(found->second.public_key, message, request.signature)) {
    return fail(kSignatureError, "signature error: secp256k1 signature verification failed");
  }
  // Only a correctly signed connect may move the ledger, so nobody can lock an account out.
  if (!ledger_.accept(account, request.timestamp_ms)) {
    const auto last = ledger_.last(account).value_or(0);
    return fail(kConnectReplayError, "timestamp " + std::to_string(request.timestamp_ms) +
                                         " is not newer than this account's last accepted connect (" +
                                         std::to_string(last) + ")");
  }
  state.account = account;

  const std::vector<std::uint8_t> sig = secp_->sign(gateway_secret_, message);
  std::string result;
  result.reserve(260);
  result += "{\"activematches\":[],\"activeorderstatuses\":[],\"score\":0,\"tier\":";
  appendInt(result, kRegisteredTier);
  result += ",\"activeBonds\":[],\"legacyFeePaid\":false,\"suspended\":false,\"sig\":\"";
  result += dcrdex::toHex(sig);
  result += "\"}";
  return Answer{{makeFrame(resultText(request.id, result))}, {}, std::nullopt, {}};
}

FramePtr Dcrdex::encodeReply(const Reply& reply, DialectState& state_base) const {
  auto& state = static_cast<DcrdexState&>(state_base);
  const auto take = [&](const RequestId& id) {
    std::optional<DcrdexState::Pending> out;
    if (auto it = state.pending.find(id); it != state.pending.end()) {
      out = std::move(it->second);
      state.pending.erase(it);
    }
    return out;
  };
  struct Visitor {
    const Dcrdex& self;
    DcrdexState& state;
    const decltype(take)& take_pending;

    std::string operator()(const SubscribedReply& r) const {
      const auto pending = take_pending(r.id);
      if (pending && pending->route == Route::orderbook) {
        state.books[pending->market] = r.subscription;
        if (auto market = dcrdex::marketFromName(pending->market)) {
          return resultText(r.id, orderBookResult(*market, r.cursor.seq, r.snapshot));
        }
      }
      if (pending && pending->route == Route::price_feed) {
        state.price_feed = r.subscription;
        // The reference answers with its current spots; Herald keeps none (the next price_update
        // of each market brings it).
        return resultText(r.id, "{}");
      }
      return resultText(r.id, "true");
    }
    std::string operator()(const UnsubscribedReply& r) const {
      take_pending(r.id);
      std::erase_if(state.books, [&](const auto& entry) { return entry.second == r.subscription; });
      if (state.price_feed == r.subscription) state.price_feed.clear();
      return resultText(r.id, "true");
    }
    std::string operator()(const PongReply& r) const {
      take_pending(r.id);
      return resultText(r.id, "true");
    }
    std::string operator()(const LoggedInReply& r) const {
      take_pending(r.id);
      return resultText(r.id, "true");
    }
    std::string operator()(const ErrorReply& r) const {
      take_pending(r.id);
      return errorText(r.id, Dcrdex::errorCode(r.error.code), r.error.message);
    }
  };
  return makeFrame(std::visit(Visitor{*this, state, take}, reply));
}

FramePtr Dcrdex::encodeEvent(const Event& event, std::string_view /*subscription*/, const Cursor& /*cursor*/,
                             const Delivery& delivery, const NodeView& /*node*/) const {
  const json::object object = parseData(event);

  std::string out;
  if (delivery.tag == kOrderBookTag) {
    out = bookNote(event, object);
  } else if (delivery.tag == kEpochOrderTag) {
    out = epochNote(event, object);
  } else if (delivery.tag == kMatchProofTag) {
    out = matchNote(object);
  } else if (delivery.tag == kPriceFeedTag) {
    out = priceNote(object);
  } else {
    // Not a subscription this dialect makes; kept well-formed rather than dropped.
    out = notificationHead(event.topic, event.data.size());
    out += event.data.empty() ? std::string_view("{}") : std::string_view(event.data);
    out += '}';
  }
  return makeFrame(std::move(out), false, event.accepted_ns);
}

void Dcrdex::foldSnapshot(const Delivery& delivery, std::vector<EventPtr>& events) const {
  if (delivery.tag != kOrderBookTag) return;
  // The book is every offer whose latest event is `added` (a later `added` of the same id is an
  // update and replaces the earlier one), in the order of those latest events.
  std::map<std::string, std::size_t, std::less<>> latest;  // offer id -> index of its latest event
  std::vector<bool> added(events.size(), false);
  for (std::size_t i = 0; i < events.size(); ++i) {
    const json::object data = parseData(*events[i]);
    latest.insert_or_assign(std::string(stringField(data, "offer_id")), i);
    added[i] = stringField(data, "action") != "removed";
  }
  std::vector<bool> keep(events.size(), false);
  for (const auto& [id, index] : latest) keep[index] = added[index];
  std::size_t i = 0;
  std::erase_if(events, [&](const EventPtr&) { return !keep[i++]; });
}

FramePtr Dcrdex::encodeGap(std::string_view /*subscription*/, const Gap& /*gap*/) const { return nullptr; }

}  // namespace herald::dialects
