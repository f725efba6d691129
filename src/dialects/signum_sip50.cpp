// Signum SIP-50 codec: see signum_sip50.h. Payloads are built from the catalog's event data
// (docs/events.md) and the node view:
//   CONNECTED.version/networkName/globalHeight/localHeight/isConnected/isSyncing
//     <- node.status version/network/global_height/local_height/connected/syncing
//   BLOCK_PUSHED.blockId <- chain.block hash; timestamp <- timestamp_ms as Signum epoch seconds;
//     localHeight <- height; globalHeight <- max(node.status global_height, height);
//     progress = localHeight / globalHeight (1 when globalHeight is 0 or reached);
//     transactionCount <- tx_count
//   PENDING_TRANSACTIONS_ADDED.transactionIds <- mempool.tx txid, in seq order
// A field missing from the data (only possible for a malformed source) reads as 0, "" or false.
#include "dialects/signum_sip50.h"
#include "schema/event_json.h"

#include <boost/json.hpp>

#include <algorithm>
#include <charconv>
#include <limits>

namespace herald::dialects {
namespace {

namespace json = boost::json;

class SignumState final : public DialectState {};

constexpr std::string_view kBlockTopic = "chain.block";
constexpr std::string_view kMempoolTopic = "mempool.tx";
// What CONNECTED says before the first node.status: nothing is known, so nothing is claimed.
constexpr std::string_view kUnknown = "unknown";

json::object parseObject(std::string_view text) {
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec || !v.is_object()) return {};
  return std::move(v.get_object());
}

std::int64_t intField(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  if (v == nullptr) return 0;
  if (v->is_int64()) return v->get_int64();
  if (v->is_uint64()) return static_cast<std::int64_t>(std::min<std::uint64_t>(v->get_uint64(), std::numeric_limits<std::int64_t>::max()));
  return 0;
}

std::string_view textField(const json::object& o, std::string_view key, std::string_view fallback = {}) {
  const json::value* v = o.if_contains(key);
  return v != nullptr && v->is_string() ? std::string_view(v->get_string()) : fallback;
}

bool boolField(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  return v != nullptr && v->is_bool() && v->get_bool();
}


void appendInt(std::string& out, std::int64_t n) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, n);
  out.append(buf, end);
}

// Shortest text that reads back as the same double, always with a fraction or exponent, so a
// client that types JSON numbers sees a float (1.0, not 1).
void appendFloat(std::string& out, double x) {
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, x);
  const std::string_view text(buf, static_cast<std::size_t>(end - buf));
  out += text;
  if (text.find_first_of(".eE") == std::string_view::npos) out += ".0";
}

void appendBool(std::string& out, bool b) { out += b ? "true" : "false"; }

}  // namespace

std::unique_ptr<DialectState> SignumSip50::newState() const { return std::make_unique<SignumState>(); }

FramePtr SignumSip50::connected(const NodeView& node) {
  const json::object status = node.status ? parseObject(node.status->data) : json::object{};
  std::string out = R"({"e":"CONNECTED","p":{"version":)";
  schema::appendJsonString(out, textField(status, "version", kUnknown));
  out += R"(,"networkName":)";
  schema::appendJsonString(out, textField(status, "network", kUnknown));
  out += R"(,"globalHeight":)";
  appendInt(out, intField(status, "global_height"));
  out += R"(,"localHeight":)";
  appendInt(out, intField(status, "local_height"));
  out += R"(,"isConnected":)";
  appendBool(out, boolField(status, "connected"));
  out += R"(,"isSyncing":)";
  appendBool(out, boolField(status, "syncing"));
  out += "}}";
  return makeFrame(std::move(out));
}

Opening SignumSip50::open(const NodeView& node, DialectState& /*state*/) const {
  Opening opening;
  opening.frames.push_back(connected(node));

  SubscribeCommand blocks;
  blocks.topic = std::string(kBlockTopic);
  blocks.delivery.debounce_ms = options_.debounce_ms;
  blocks.implicit = true;
  opening.commands.push_back(Command{{}, std::move(blocks)});

  SubscribeCommand mempool;
  mempool.topic = std::string(kMempoolTopic);
  mempool.delivery.batch = true;
  mempool.implicit = true;
  opening.commands.push_back(Command{{}, std::move(mempool)});
  return opening;
}

Decoded SignumSip50::decode(std::string_view /*bytes*/, bool /*binary*/, DialectState& /*state*/,
                            const DecodeContext& /*context*/) const {
  // "The Websocket connection is intended exclusively for reading": nothing a client says has meaning.
  return Ignored{};
}

FramePtr SignumSip50::encodeReply(const Reply& /*reply*/, DialectState& /*state*/) const { return nullptr; }

FramePtr SignumSip50::encodeEvent(const Event& event, std::string_view /*subscription*/, const Cursor& /*cursor*/,
                                  const Delivery& /*delivery*/, const NodeView& node) const {
  if (event.topic != kBlockTopic) return nullptr;
  const json::object block = parseObject(event.data);
  const json::object status = node.status ? parseObject(node.status->data) : json::object{};
  const std::int64_t local = intField(block, "height");
  const std::int64_t global = std::max(intField(status, "global_height"), local);
  const double progress =
      global == 0 || local >= global ? 1.0 : static_cast<double>(local) / static_cast<double>(global);
  const std::int64_t timestamp = std::max<std::int64_t>(0, intField(block, "timestamp_ms") / 1000 - kSignumEpochUnixSeconds);

  std::string out = R"({"e":"BLOCK_PUSHED","p":{"timestamp":)";
  appendInt(out, timestamp);
  out += R"(,"blockId":)";
  schema::appendJsonString(out, textField(block, "hash"));
  out += R"(,"localHeight":)";
  appendInt(out, local);
  out += R"(,"globalHeight":)";
  appendInt(out, global);
  out += R"(,"progress":)";
  appendFloat(out, progress);
  out += R"(,"transactionCount":)";
  appendInt(out, intField(block, "tx_count"));
  out += "}}";
  return makeFrame(std::move(out), false, event.accepted_ns);
}

FramePtr SignumSip50::encodeBatch(std::span<const EventPtr> events, std::string_view /*subscription*/,
                                  const Cursor& /*last*/, const Delivery& /*delivery*/, const NodeView& /*node*/) const {
  std::string out = R"({"e":"PENDING_TRANSACTIONS_ADDED","p":{"transactionIds":[)";
  std::size_t written = 0;
  std::size_t total = 0;
  std::int64_t accepted_ns = 0;
  for (const EventPtr& event : events) {
    if (event->topic != kMempoolTopic) continue;
    ++total;
    if (written == options_.max_transaction_ids) continue;
    const json::object tx = parseObject(event->data);
    if (written > 0) out.push_back(',');
    schema::appendJsonString(out, textField(tx, "txid"));
    ++written;
    accepted_ns = event->accepted_ns;
  }
  if (total == 0) return nullptr;
  out += R"(],"hasMore":)";
  appendBool(out, total > written);
  out += "}}";
  return makeFrame(std::move(out), false, accepted_ns);
}

FramePtr SignumSip50::encodeGap(std::string_view /*subscription*/, const Gap& /*gap*/) const { return nullptr; }

FramePtr SignumSip50::heartbeat() const {
  // The seed's example carries no payload: the member is left out rather than sent empty.
  static const FramePtr frame = makeFrame(R"({"e":"HEARTBEAT"})");
  return frame;
}

}  // namespace herald::dialects
