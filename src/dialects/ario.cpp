// ar.io codec: see ario.h. Replies carry no request id (the protocol has none); the dialect uses
// RequestId for its own purpose instead: it holds the method a reply answers ("ar_subscribe",
// "ar_unsubscribe", or empty for anything else), so the hub's replies, its rate-limit errors
// included, come back named after the right request.
#include "dialects/ario.h"
#include "core/text.h"
#include "schema/event_json.h"

#include <boost/json.hpp>

#include <optional>

namespace herald::dialects {
namespace {

namespace json = boost::json;

constexpr std::string_view kSubscribe = "ar_subscribe";
constexpr std::string_view kUnsubscribe = "ar_unsubscribe";
constexpr std::string_view kTxTopic = "chain.tx";
constexpr std::string_view kBlockTopic = "chain.block";

struct ArioState final : DialectState {
  std::optional<TokenBucket> bucket;  // created at the first message, when the clock is known
  std::size_t subscriptions = 0;      // live: accepted minus unsubscribed
};

Rejection deny(std::string_view method, Errc code, std::string message, std::string field = {}) {
  return Rejection{std::string(method), Error::make(code, std::move(message), std::move(field))};
}

// Builds the filter of a new_tx subscription. Every condition given must hold.
Result<Filter> txFilter(const json::value* params, const FilterLimits& limits) {
  if (params == nullptr || params->is_null()) return Filter{};
  if (!params->is_object()) {
    return Error::make(Errc::invalid_params, "params must be null or an object {owner, target, tags}", "params");
  }
  std::vector<Clause> clauses;
  for (const auto& member : params->get_object()) {
    const std::string_view key = member.key();
    const json::value& v = member.value();
    if (key == "owner" || key == "target") {
      if (v.is_null()) continue;
      if (!v.is_string() || v.get_string().empty()) {
        return Error::make(Errc::invalid_params, "params." + std::string(key) + " must be a non-empty string",
                           "params." + std::string(key));
      }
      clauses.push_back(Clause{std::string(key), {std::string(v.get_string())}});
    } else if (key == "tags") {
      if (v.is_null()) continue;
      if (!v.is_array()) {
        return Error::make(Errc::invalid_params, "params.tags must be an array of {name, value}", "params.tags");
      }
      std::size_t i = 0;
      for (const auto& tag : v.get_array()) {
        const std::string field = "params.tags[" + std::to_string(i++) + "]";
        const json::object* o = tag.if_object();
        const json::value* name = o != nullptr ? o->if_contains("name") : nullptr;
        const json::value* value = o != nullptr ? o->if_contains("value") : nullptr;
        if (o == nullptr || o->size() != 2 || name == nullptr || value == nullptr || !name->is_string() ||
            !value->is_string() || name->get_string().empty() || value->get_string().empty()) {
          return Error::make(Errc::invalid_params,
                             field + " must be {\"name\": non-empty string, \"value\": non-empty string}", field);
        }
        clauses.push_back(Clause{"tag:" + std::string(name->get_string()), {std::string(value->get_string())}});
      }
    } else {
      return Error::make(Errc::invalid_params,
                         "params." + std::string(utf8Prefix(key, 64)) + " is not a new_tx parameter (owner, target, tags)",
                         "params." + std::string(utf8Prefix(key, 64)));
    }
  }
  auto filter = Filter::make(std::move(clauses), limits);
  if (!filter) {
    Error e = filter.error();
    e.message = "params: " + e.message;
    e.field = "params";
    return e;
  }
  return filter;
}

bool emptyParams(const json::value* params) {
  return params == nullptr || params->is_null() || (params->is_object() && params->get_object().empty());
}

Decoded decodeSubscribe(const json::object& msg, const ArioOptions& options, const ArioState& state) {
  for (const auto& member : msg) {
    const std::string_view key = member.key();
    if (key != "method" && key != "event" && key != "params") {
      return deny(kSubscribe, Errc::invalid_params,
                  "\"" + std::string(utf8Prefix(key, 64)) + "\" is not a member of ar_subscribe", std::string(key));
    }
  }
  const json::value* event = msg.if_contains("event");
  if (event == nullptr || !event->is_string()) {
    return deny(kSubscribe, Errc::unknown_method, "event must be \"new_tx\" or \"new_block\"", "event");
  }
  if (state.subscriptions >= options.max_subscriptions) {
    return deny(kSubscribe, Errc::too_many_subscriptions,
                "this connection has " + std::to_string(state.subscriptions) + " subscriptions; the limit is " +
                    std::to_string(options.max_subscriptions));
  }
  const json::value* params = msg.if_contains("params");
  SubscribeCommand command;
  const std::string_view name = event->get_string();
  if (name == "new_tx") {
    auto filter = txFilter(params, options.filter);
    if (!filter) return Rejection{std::string(kSubscribe), filter.error()};
    command.topic = std::string(kTxTopic);
    command.filter = std::move(*filter);
    command.delivery.batch = true;  // "result: Transaction[]": every match of one publish together
  } else if (name == "new_block") {
    if (!emptyParams(params)) return deny(kSubscribe, Errc::invalid_params, "new_block takes no params", "params");
    command.topic = std::string(kBlockTopic);
  } else {
    return deny(kSubscribe, Errc::unknown_method,
                "unknown event \"" + std::string(utf8Prefix(name, 64)) + "\"; events are new_tx and new_block", "event");
  }
  return Command{std::string(kSubscribe), std::move(command)};
}

Decoded decodeUnsubscribe(const json::object& msg) {
  const json::value* params = msg.if_contains("params");
  const json::object* o = params != nullptr ? params->if_object() : nullptr;
  const json::value* id = o != nullptr ? o->if_contains("subscription") : nullptr;
  if (id == nullptr || !id->is_string() || id->get_string().empty()) {
    return deny(kUnsubscribe, Errc::invalid_params, "params.subscription must be a subscription id",
                "params.subscription");
  }
  return Command{std::string(kUnsubscribe), UnsubscribeCommand{std::string(id->get_string())}};
}


std::string msgHead(std::string_view subscription) {
  std::string out = R"({"method":"ar_subscribe_msg","params":{"subscription":)";
  schema::appendJsonString(out, subscription);
  out += R"(},"result":)";
  return out;
}

json::object parseObject(std::string_view text) {
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec || !v.is_object()) return {};
  return std::move(v.get_object());
}

// The event's data with some members renamed (in place, order kept) and the rest as published.
std::string renamed(std::string_view data, std::initializer_list<std::pair<std::string_view, std::string_view>> names,
                    bool ms_to_seconds_timestamp) {
  json::object in = parseObject(data);
  json::object out;
  out.reserve(in.size());
  for (auto& member : in) {
    std::string_view key = member.key();
    json::value value = std::move(member.value());
    for (const auto& [from, to] : names) {
      if (key == from) {
        key = to;
        break;
      }
    }
    if (ms_to_seconds_timestamp && key == "timestamp" && value.is_int64()) value = value.get_int64() / 1000;
    out[key] = std::move(value);
  }
  return json::serialize(out);
}

}  // namespace

std::unique_ptr<DialectState> Ario::newState() const { return std::make_unique<ArioState>(); }

std::string_view Ario::reason(Errc code) noexcept {
  switch (code) {
    case Errc::invalid_params:
      return "bad_params";
    case Errc::unknown_method:
      return "unknown_event";
    case Errc::too_many_subscriptions:
      return "limit_reached";
    case Errc::rate_limited:
      return "rate_limited";
    case Errc::unknown_subscription:
      return "unknown_subscription";
    case Errc::parse_error:
    case Errc::invalid_request:
      return "bad_request";
    case Errc::unknown_topic:
    case Errc::unavailable:
      return "unavailable";
    default:
      return "internal";
  }
}

Decoded Ario::decode(std::string_view bytes, bool binary, DialectState& state, const DecodeContext& context) const {
  auto& s = static_cast<ArioState&>(state);
  if (binary) return deny({}, Errc::invalid_request, "binary frames are not part of this protocol: send JSON text");
  boost::system::error_code ec;
  const json::value doc = json::parse(bytes, ec);
  if (ec) return deny({}, Errc::parse_error, "message is not valid JSON: " + ec.message());
  const json::object* msg = doc.if_object();
  if (msg == nullptr) return deny({}, Errc::invalid_request, "a message must be a JSON object");
  const json::value* method = msg->if_contains("method");
  if (method == nullptr || !method->is_string()) {
    return deny({}, Errc::invalid_request, "method must be ar_subscribe or ar_unsubscribe", "method");
  }
  const std::string_view name = method->get_string();
  const std::string_view answered = name == kSubscribe || name == kUnsubscribe ? name : std::string_view{};

  if (!s.bucket) s.bucket.emplace(options_.rate, context.now_ms);
  if (!s.bucket->tryTake(context.now_ms)) {
    return deny(answered, Errc::rate_limited,
                "over " + std::to_string(static_cast<long long>(options_.rate.per_second)) +
                    " messages per second (burst " + std::to_string(static_cast<long long>(options_.rate.burst)) +
                    "); slow down");
  }
  if (name == kSubscribe) return decodeSubscribe(*msg, options_, s);
  if (name == kUnsubscribe) return decodeUnsubscribe(*msg);
  return deny({}, Errc::invalid_request,
              "unknown method \"" + std::string(utf8Prefix(name, 64)) + "\"; methods are ar_subscribe and ar_unsubscribe",
              "method");
}

FramePtr Ario::encodeReply(const Reply& reply, DialectState& state) const {
  auto& s = static_cast<ArioState&>(state);
  std::string out;
  if (const auto* r = std::get_if<SubscribedReply>(&reply)) {
    ++s.subscriptions;
    out = R"({"method":"ar_subscribe_accepted","result":)";
    schema::appendJsonString(out, r->subscription);
    out += "}";
  } else if (const auto* r = std::get_if<UnsubscribedReply>(&reply)) {
    if (s.subscriptions > 0) --s.subscriptions;
    out = R"({"method":"ar_unsubscribe_accepted","result":)";
    schema::appendJsonString(out, r->subscription);
    out += "}";
  } else if (const auto* r = std::get_if<ErrorReply>(&reply)) {
    const std::string_view method = r->id == kSubscribe     ? "ar_subscribe_denied"
                                    : r->id == kUnsubscribe ? "ar_unsubscribe_denied"
                                                            : "ar_error";
    out = R"({"method":")";
    out += method;
    out += R"(","result":{"reason":)";
    schema::appendJsonString(out, reason(r->error.code));
    out += R"(,"message":)";
    schema::appendJsonString(out, r->error.message);
    out += "}}";
  } else {
    return nullptr;  // no ping, no login in this protocol
  }
  return makeFrame(std::move(out));
}

std::string Ario::transactionItem(const Event& event) {
  return renamed(event.data, {{"txid", "id"}, {"fee", "reward"}}, false);
}

std::string Ario::blockItem(const Event& event) {
  return renamed(event.data,
                 {{"hash", "indep_hash"}, {"prev_hash", "previous_block"}, {"timestamp_ms", "timestamp"}, {"tx_ids", "txs"}},
                 true);
}

FramePtr Ario::encodeEvent(const Event& event, std::string_view subscription, const Cursor& /*cursor*/,
                           const Delivery& /*delivery*/, const NodeView& /*node*/) const {
  if (event.topic != kBlockTopic) return nullptr;
  std::string out = msgHead(subscription);
  out += blockItem(event);
  out += "}";
  return makeFrame(std::move(out), false, event.accepted_ns);
}

FramePtr Ario::encodeBatch(std::span<const EventPtr> events, std::string_view subscription, const Cursor& /*last*/,
                           const Delivery& /*delivery*/, const NodeView& /*node*/) const {
  std::string out = msgHead(subscription);
  out.push_back('[');
  bool first = true;
  std::int64_t accepted_ns = 0;
  for (const EventPtr& event : events) {
    if (event->topic != kTxTopic) continue;
    if (!first) out.push_back(',');
    first = false;
    out += transactionItem(*event);
    accepted_ns = event->accepted_ns;
  }
  if (first) return nullptr;
  out += "]}";
  return makeFrame(std::move(out), false, accepted_ns);
}

FramePtr Ario::encodeGap(std::string_view /*subscription*/, const Gap& /*gap*/) const {
  return nullptr;  // subscriptions never resume: "notifications are sent for current events"
}

}  // namespace herald::dialects
