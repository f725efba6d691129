// monero-lws feed: the push-only WebSocket API of a Monero light-wallet server
// (docs/protocol/monero-lws-feed.md is the client's contract: every message, field and code).
//
// Two Dialect objects share this code, one per subprotocol: `lws.feed.v0.json` (text frames) and
// `lws.feed.v0.msgpack` (binary frames, crypto blobs as `bin`). Every frame is `<type>:` followed by
// the payload. The client sends exactly one message, `login:`; the gateway answers with `tx_sync:`
// (the account's history from the log) or `error:` and a close, then pushes `blocks:`, `mempool:`,
// `warning:` and, last of all, `error:`.
//
// Where the lws codes live: herald::Error carries Errc + field; lwsCode() maps them to the ten lws
// codes, one table, so a rejection made here and an ErrorReply made by the hub (a failed account
// check) are answered alike.
//
// Must not: do I/O, keep per-connection state outside DialectState, renumber a code.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/dialect.h"
#include "dialects/lws_value.h"

namespace herald::dialects {

// The codes of `warning:` and `error:` messages. Never renumber: clients switch on them.
enum class LwsCode : std::uint16_t {
  unspecified_error = 0,
  account_not_found = 1,
  bad_address = 2,
  bad_view_key = 3,
  blockchain_reorg = 4,
  daemon_unresponsive = 5,
  parse_error = 6,
  protocol_error = 7,
  queue_error = 8,
  schema_error = 9,
};

struct LwsFeedConfig {
  // Addresses of other networks are refused with bad_address. "any": mainnet, testnet and stagenet.
  std::string network = "any";
  // The login is the only client message and is small (two keys, two flags): 2 KiB leaves room for
  // an integrated address and whitespace while bounding what an unauthenticated client makes us parse.
  std::size_t max_login_bytes = 2048;
};

class LwsFeed final : public herald::Dialect {
 public:
  enum class Encoding { json, msgpack };

  static constexpr std::string_view kJsonSubprotocol = "lws.feed.v0.json";
  static constexpr std::string_view kMsgpackSubprotocol = "lws.feed.v0.msgpack";
  static constexpr std::string_view kPath = "/feed";
  static constexpr std::string_view kHistoryTopic = "account.tx";

  // Delivery tags of the subscriptions afterLogin() makes (they tell encodeEvent what to build).
  static constexpr std::string_view kTagTx = "tx";
  static constexpr std::string_view kTagTxReceivesOnly = "tx.receives_only";
  static constexpr std::string_view kTagBlock = "block";
  static constexpr std::string_view kTagReorg = "reorg";
  static constexpr std::string_view kTagNotice = "notice";

  LwsFeed(LwsFeedConfig config, Encoding encoding);

  // The subprotocol name (also the dialect's name).
  std::string_view name() const override;
  Encoding encoding() const noexcept { return encoding_; }

  std::unique_ptr<DialectState> newState() const override;

  // Before login: `login:` + payload → LoginCommand{account = address, secret = lowercase hex view
  // key, snapshot_topic = "account.tx", options tx_sync / receives_only = "true"|"false"}. Anything
  // else, and any message after the login, is a fatal Rejection (the error frame, then the close).
  Decoded decode(std::string_view bytes, bool binary, DialectState& state,
                 const DecodeContext& context) const override;

  // ErrorReply → `error:{"msg","code"}`. Replies lws has no message for (LoggedInReply, a
  // SubscribedReply of a non-implicit subscription, ...) → nullptr: nothing is sent.
  FramePtr encodeReply(const Reply& reply, DialectState& state) const override;

  // By Delivery::tag: account.tx → `blocks:` (confirmed) or `mempool:` (pool receive); chain.block
  // → `blocks:`; chain.reorg → `warning:` blockchain_reorg; system.notice daemon_unresponsive →
  // `warning:` daemon_unresponsive. nullptr when the event has no lws message on that subscription (a
  // pool spend, a spend for a receives_only client, any other notice).
  FramePtr encodeEvent(const Event& event, std::string_view subscription, const Cursor& cursor,
                       const Delivery& delivery, const NodeView& node) const override;

  // lws has no way to resume: events the client cannot be given end the stream, as a missed message
  // does in lws (`error:` queue_error; the client logs in again and gets a fresh tx_sync).
  FramePtr encodeGap(std::string_view subscription, const Gap& gap) const override;

  // A slow consumer's last frame: `error:` queue_error (the seed's code 8: the server could not keep
  // the client's queue); the client logs in again for a fresh tx_sync.
  FramePtr closingFrame(ClosingReason reason) const override;

  // `tx_sync:` from the account's account.tx history (see the protocol page for every field).
  FramePtr encodeSnapshot(const LoginCommand& login, std::span<const EventPtr> history, const Cursor& head,
                          const NodeView& node) const override;

  // account.tx for the address; unless receives_only: chain.block, chain.reorg and warning/error
  // system.notice. All implicit, live from the snapshot's cursor.
  std::vector<SubscribeCommand> afterLogin(const LoginCommand& login) const override;

  // The lws code a client sees for `error` (the table in docs/protocol/monero-lws-feed.md).
  static LwsCode lwsCode(const Error& error) noexcept;

  // `error:` frame in `encoding`; exposed for tests and for callers that must end a stream themselves.
  FramePtr errorFrame(std::string_view message, LwsCode code) const;

 private:
  FramePtr frame(std::string_view prefix, const lws::Value& payload, std::int64_t accepted_ns = 0) const;

  LwsFeedConfig config_;
  Encoding encoding_;
};

}  // namespace herald::dialects
