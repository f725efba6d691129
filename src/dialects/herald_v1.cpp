// herald.v1 codec. decode() parses a client's JSON-RPC request into a Command; the encoders build
// frames by appending to one pre-sized string (encodeEvent runs once per event and group, and its
// bytes are shared by every matching session, so it never builds a JSON tree and copies `data`
// verbatim).
//
// Must not: do I/O, throw, or let anything a client sends change how another client is answered.
#include "dialects/herald_v1.h"
#include "core/text.h"
#include "schema/event_json.h"

#include <boost/json.hpp>

#include <charconv>

namespace herald::dialects {
namespace {

namespace json = boost::json;

class HeraldV1State final : public DialectState {};

Rejection reject(RequestId id, Errc code, std::string message, std::string field = {}) {
  return Rejection{std::move(id), Error::make(code, std::move(message), std::move(field))};
}

Rejection badParam(RequestId id, const std::string& field, std::string_view reason) {
  return reject(std::move(id), Errc::invalid_params, field + ": " + std::string(reason), field);
}

// --- raw id text -----------------------------------------------------------------------------
// The reply must carry the request's id exactly as written: boost::json would turn 1.0 into 1E0 and
// 1e400 into Infinity. These helpers walk text already validated as one JSON object and return the
// raw text of its last top-level "id" member (the parser also keeps the last of duplicate keys).

std::size_t skipWs(std::string_view s, std::size_t i) {
  while (i < s.size() && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r')) ++i;
  return i;
}

// `i` at an opening quote; returns the index just past the closing quote.
std::size_t skipString(std::string_view s, std::size_t i) {
  for (++i; i < s.size(); ++i) {
    if (s[i] == '\\') {
      ++i;
    } else if (s[i] == '"') {
      return i + 1;
    }
  }
  return s.size();
}

std::size_t skipValue(std::string_view s, std::size_t i) {
  if (i >= s.size()) return i;
  if (s[i] == '"') return skipString(s, i);
  if (s[i] == '{' || s[i] == '[') {
    int depth = 0;
    while (i < s.size()) {
      const char c = s[i];
      if (c == '"') {
        i = skipString(s, i);
        continue;
      }
      if (c == '{' || c == '[') ++depth;
      if (c == '}' || c == ']') {
        if (--depth == 0) return i + 1;
      }
      ++i;
    }
    return i;
  }
  while (i < s.size() && s[i] != ',' && s[i] != '}' && s[i] != ']' && s[i] != ' ' && s[i] != '\t' &&
         s[i] != '\n' && s[i] != '\r') {
    ++i;
  }
  return i;
}

bool keyIsId(std::string_view raw) {
  if (raw == "\"id\"") return true;
  if (raw.find('\\') == std::string_view::npos) return false;
  boost::system::error_code ec;
  const json::value key = json::parse(raw, ec);
  return !ec && key.is_string() && key.get_string() == "id";
}

std::string rawId(std::string_view s) {
  std::string_view found;
  std::size_t i = skipWs(s, 0);
  if (i >= s.size() || s[i] != '{') return {};
  i = skipWs(s, i + 1);
  while (i < s.size() && s[i] == '"') {
    const std::size_t key_end = skipString(s, i);
    const std::string_view key = s.substr(i, key_end - i);
    i = skipWs(s, key_end);
    if (i >= s.size() || s[i] != ':') return {};
    i = skipWs(s, i + 1);
    const std::size_t value_end = skipValue(s, i);
    if (keyIsId(key)) found = s.substr(i, value_end - i);
    i = skipWs(s, value_end);
    if (i < s.size() && s[i] == ',') i = skipWs(s, i + 1);
  }
  return std::string(found);
}

// --- params ----------------------------------------------------------------------------------

bool isIdKind(const json::value& v) {
  return v.is_string() || v.is_int64() || v.is_uint64() || v.is_double() || v.is_null();
}

// Optional members may be given as null, which reads as absent: clients often serialize an unset
// cursor that way.
const json::value* optionalMember(const json::object& obj, std::string_view key) {
  const json::value* v = obj.if_contains(key);
  return (v == nullptr || v->is_null()) ? nullptr : v;
}

std::optional<Rejection> checkKnownParams(const RequestId& id, const json::object& params,
                                          std::initializer_list<std::string_view> known) {
  for (const auto& member : params) {
    bool ok = false;
    for (auto k : known) ok = ok || member.key() == k;
    if (!ok) return badParam(id, "params." + std::string(member.key()), "unknown field");
  }
  return std::nullopt;
}

// Filter::make names fields "filter..."; on this surface they live under "params.".
Error underParams(Error error) {
  const std::string old_field = error.field;
  error.field = error.field.empty() ? std::string("params.filter") : "params." + error.field;
  if (!old_field.empty() && error.message.starts_with(old_field)) {
    error.message = error.field + error.message.substr(old_field.size());
  } else {
    error.message = error.field + ": " + error.message;
  }
  return error;
}

Decoded decodeSubscribe(RequestId id, const json::value* params, const FilterLimits& limits) {
  if (params == nullptr) return badParam(std::move(id), "params", "required: {\"topic\": ...}");
  if (!params->is_object()) return badParam(std::move(id), "params", "expected an object");
  const auto& obj = params->get_object();
  if (auto bad = checkKnownParams(id, obj, {"topic", "filter", "since"})) return std::move(*bad);

  SubscribeCommand cmd;
  const json::value* topic = obj.if_contains("topic");
  if (topic == nullptr || !topic->is_string() || topic->get_string().empty()) {
    return badParam(std::move(id), "params.topic", "expected a non-empty string");
  }
  cmd.topic = std::string(topic->get_string());

  if (const json::value* filter = optionalMember(obj, "filter")) {
    if (!filter->is_object()) return badParam(std::move(id), "params.filter", "expected an object");
    std::vector<Clause> clauses;
    clauses.reserve(filter->get_object().size());
    for (const auto& member : filter->get_object()) {
      const std::string field = "params.filter." + std::string(member.key());
      constexpr std::string_view kExpected = "expected a string or a non-empty array of strings";
      Clause clause{std::string(member.key()), {}};
      const json::value& v = member.value();
      if (v.is_string()) {
        clause.any_of.emplace_back(v.get_string());
      } else if (v.is_array() && !v.get_array().empty()) {
        for (const auto& item : v.get_array()) {
          if (!item.is_string()) return badParam(std::move(id), field, kExpected);
          clause.any_of.emplace_back(item.get_string());
        }
      } else {
        return badParam(std::move(id), field, kExpected);
      }
      clauses.push_back(std::move(clause));
    }
    auto made = Filter::make(std::move(clauses), limits);
    if (!made) return Rejection{std::move(id), underParams(made.error())};
    cmd.filter = std::move(*made);
  }

  if (const json::value* since = optionalMember(obj, "since")) {
    if (!since->is_string()) return badParam(std::move(id), "params.since", "expected a cursor string");
    auto cursor = Cursor::parse(since->get_string());
    if (!cursor) return badParam(std::move(id), "params.since", cursor.error().message);
    cmd.since = *cursor;
  }
  return Command{std::move(id), std::move(cmd)};
}

Decoded decodeUnsubscribe(RequestId id, const json::value* params) {
  if (params == nullptr) return badParam(std::move(id), "params", "required: {\"subscription\": ...}");
  if (!params->is_object()) return badParam(std::move(id), "params", "expected an object");
  const auto& obj = params->get_object();
  if (auto bad = checkKnownParams(id, obj, {"subscription"})) return std::move(*bad);
  const json::value* sub = obj.if_contains("subscription");
  if (sub == nullptr || !sub->is_string() || sub->get_string().empty()) {
    return badParam(std::move(id), "params.subscription", "expected a non-empty string");
  }
  return Command{std::move(id), UnsubscribeCommand{std::string(sub->get_string())}};
}

Decoded decodePing(RequestId id, const json::value* params) {
  const bool empty = params == nullptr || (params->is_object() && params->get_object().empty()) ||
                     (params->is_array() && params->get_array().empty());
  if (!empty) return badParam(std::move(id), "params", "ping takes no parameters");
  return Command{std::move(id), PingCommand{}};
}

// --- encoding --------------------------------------------------------------------------------


void appendUint(std::string& out, std::uint64_t n) {
  char buf[20];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, n);
  out.append(buf, end);
}

void appendInt(std::string& out, std::int64_t n) {
  char buf[20];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, n);
  out.append(buf, end);
}

void appendEpoch(std::string& out, std::uint64_t epoch) {
  static constexpr char kHex[] = "0123456789abcdef";
  for (int shift = 60; shift >= 0; shift -= 4) out.push_back(kHex[(epoch >> shift) & 0xf]);
}

// Same text as Cursor::toString(), without the temporary string.
void appendCursor(std::string& out, const Cursor& cursor) {
  out.push_back('"');
  appendEpoch(out, cursor.epoch);
  out.push_back(':');
  appendUint(out, cursor.seq);
  out.push_back('"');
}

void appendId(std::string& out, const RequestId& id) { out += id.empty() ? std::string_view("null") : id; }

std::string replyHead(const RequestId& id, std::size_t extra) {
  std::string out;
  out.reserve(40 + id.size() + extra);
  out += "{\"jsonrpc\":\"2.0\",\"id\":";
  appendId(out, id);
  return out;
}

std::string encodeError(const ErrorReply& reply) {
  const Error& e = reply.error;
  std::string out = replyHead(reply.id, 96 + e.message.size() + e.field.size());
  out += ",\"error\":{\"code\":";
  appendInt(out, HeraldV1::errorCode(e.code));
  out += ",\"message\":";
  schema::appendJsonString(out, e.message);
  out += ",\"data\":{";
  if (!e.field.empty()) {
    out += "\"field\":";
    schema::appendJsonString(out, e.field);
    out += ',';
  }
  out += "\"reason\":";
  schema::appendJsonString(out, errcName(e.code));
  out += "}}}";
  return out;
}

}  // namespace

std::unique_ptr<DialectState> HeraldV1::newState() const { return std::make_unique<HeraldV1State>(); }

int HeraldV1::errorCode(Errc code) noexcept {
  switch (code) {
    case Errc::parse_error:
      return -32700;
    case Errc::invalid_request:
      return -32600;
    case Errc::unknown_method:
      return -32601;
    case Errc::invalid_params:
      return -32602;
    case Errc::internal:
      return -32603;
    case Errc::unknown_topic:
      return -32001;
    case Errc::too_many_subscriptions:
      return -32002;
    case Errc::rate_limited:
      return -32003;
    case Errc::cursor_ahead:
      return -32004;
    case Errc::duplicate_subscription:
      return -32005;
    case Errc::unknown_subscription:
      return -32006;
    case Errc::unauthorized:
      return -32010;
    case Errc::forbidden:
      return -32011;
    case Errc::too_large:
      return -32012;
    case Errc::unavailable:
      return -32013;
  }
  return -32603;
}

Decoded HeraldV1::decode(std::string_view bytes, bool binary, DialectState& /*state*/,
                         const DecodeContext& /*context*/) const {
  if (binary) return reject({}, Errc::invalid_request, "binary frames are not part of herald.v1");

  // The request only lives for this call: parse into a stack-backed arena (a typical request fits
  // and needs no heap), spilling to the heap for larger ones.
  unsigned char buffer[4096];
  json::monotonic_resource arena(buffer, sizeof buffer);
  boost::system::error_code ec;
  const json::value doc = json::parse(bytes, ec, &arena);
  if (ec) return reject({}, Errc::parse_error, "message is not valid JSON: " + ec.message());
  if (doc.is_array()) {
    return reject({}, Errc::invalid_request,
                  "batch requests are not supported by herald.v1: send one request object per message");
  }
  if (!doc.is_object()) return reject({}, Errc::invalid_request, "a request must be a JSON object");
  const auto& req = doc.get_object();

  RequestId id;
  if (const json::value* raw = req.if_contains("id")) {
    if (!isIdKind(*raw)) {
      return reject({}, Errc::invalid_request, "id must be a string, a number or null", "id");
    }
    id = rawId(bytes);
    if (id.empty()) id = json::serialize(*raw);  // unreachable for parsed text; keeps a reply possible
  }
  for (const auto& member : req) {
    const std::string_view key = member.key();
    if (key != "jsonrpc" && key != "id" && key != "method" && key != "params") {
      return reject(std::move(id), Errc::invalid_request,
                    "unknown request member \"" + std::string(key) + "\"", std::string(key));
    }
  }
  const json::value* version = req.if_contains("jsonrpc");
  if (version == nullptr || !version->is_string() || version->get_string() != "2.0") {
    return reject(std::move(id), Errc::invalid_request, "jsonrpc must be \"2.0\"", "jsonrpc");
  }
  const json::value* method = req.if_contains("method");
  if (method == nullptr || !method->is_string()) {
    return reject(std::move(id), Errc::invalid_request, "method must be a string", "method");
  }
  const json::value* params = req.if_contains("params");
  const std::string_view name = method->get_string();
  if (name == "subscribe") return decodeSubscribe(std::move(id), params, filter_limits_);
  if (name == "unsubscribe") return decodeUnsubscribe(std::move(id), params);
  if (name == "ping") return decodePing(std::move(id), params);
  std::string shown(utf8Prefix(name, 64));  // a method name is echoed, but not without bound
  return reject(std::move(id), Errc::unknown_method, "method not found: " + shown, "method");
}

FramePtr HeraldV1::encodeReply(const Reply& reply, DialectState& /*state*/) const {
  struct Visitor {
    std::string operator()(const SubscribedReply& r) const {
      std::string out = replyHead(r.id, 96 + r.subscription.size());
      out += ",\"result\":{\"subscription\":";
      schema::appendJsonString(out, r.subscription);
      out += ",\"cursor\":";
      appendCursor(out, r.cursor);
      out += "}}";
      return out;
    }
    std::string operator()(const UnsubscribedReply& r) const {
      std::string out = replyHead(r.id, 16);
      out += ",\"result\":true}";
      return out;
    }
    std::string operator()(const PongReply& r) const {
      std::string out = replyHead(r.id, 20);
      out += ",\"result\":\"pong\"}";
      return out;
    }
    std::string operator()(const ErrorReply& r) const { return encodeError(r); }
    // herald.v1 has no login method, so this reply is never asked for; it reads like the others.
    std::string operator()(const LoggedInReply& r) const {
      std::string out = replyHead(r.id, 32 + r.account.size());
      out += ",\"result\":{\"account\":";
      schema::appendJsonString(out, r.account);
      out += "}}";
      return out;
    }
  };
  return makeFrame(std::visit(Visitor{}, reply));
}

FramePtr HeraldV1::encodeEvent(const Event& event, std::string_view subscription, const Cursor& cursor,
                               const Delivery& /*delivery*/, const NodeView& /*node*/) const {
  // Fixed text is ~110 bytes, two numbers up to 20 digits each, the cursor 38.
  std::string out;
  out.reserve(200 + subscription.size() + event.topic.size() + event.data.size());
  out += "{\"jsonrpc\":\"2.0\",\"method\":\"event\",\"params\":{\"subscription\":";
  schema::appendJsonString(out, subscription);
  out += ",\"topic\":";
  schema::appendJsonString(out, event.topic);
  out += ",\"seq\":";
  appendUint(out, event.seq);
  out += ",\"cursor\":";
  appendCursor(out, cursor);
  out += ",\"time_ms\":";
  appendInt(out, event.time_ms);
  out += ",\"data\":";
  out += event.data.empty() ? std::string_view("{}") : std::string_view(event.data);
  out += "}}";
  return makeFrame(std::move(out), false, event.accepted_ns);
}

FramePtr HeraldV1::encodeGap(std::string_view subscription, const Gap& gap) const {
  std::string out;
  out.reserve(200 + subscription.size());
  out += "{\"jsonrpc\":\"2.0\",\"method\":\"gap\",\"params\":{\"subscription\":";
  schema::appendJsonString(out, subscription);
  out += ",\"epoch\":\"";
  appendEpoch(out, gap.epoch);
  out += "\",\"missed_from\":";
  appendUint(out, gap.missed_from);
  out += ",\"missed_to\":";
  if (gap.missed_to == 0) {
    out += "null";
  } else {
    appendUint(out, gap.missed_to);
  }
  out += ",\"reason\":";
  schema::appendJsonString(out, gapReasonName(gap.reason));
  out += "}}";
  return makeFrame(std::move(out));
}

}  // namespace herald::dialects
