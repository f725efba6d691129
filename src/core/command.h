// Commands (what a client asks, decoded by a dialect) and replies (what the gateway answers, encoded
// by a dialect). Plain values: the dialect owns the syntax, the hub owns the meaning.
#pragma once

#include "core/cursor.h"
#include "core/event.h"
#include "core/filter.h"
#include "core/frame.h"
#include "core/result.h"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace herald {

// The request id exactly as the client wrote it, as JSON text ("7", "\"a1\""); empty when the
// request carried none (a reply then uses null).
using RequestId = std::string;

// How a subscription's events are turned into frames. Part of a subscription group's identity:
// sessions share frames only when topic, filter and delivery are all equal.
struct Delivery {
  // > 0: only the latest event of each window of this many ms is sent (SIP-50 BLOCK_PUSHED). The
  // window opens at the first event after a quiet period; the hub's tick closes it.
  std::int64_t debounce_ms = 0;
  // true: the events one publish brings (one commit: "the same instant") are sent together as one
  // frame made by Dialect::encodeBatch (ar.io result arrays, SIP-50 PENDING_TRANSACTIONS_ADDED).
  bool batch = false;
  // Free text the dialect uses to tell its own subscriptions apart when encoding (a dcrdex route,
  // an lws message type); the hub only compares it. Empty for most.
  std::string tag;

  friend bool operator==(const Delivery&, const Delivery&) = default;
};

struct SubscribeCommand {
  std::string topic;
  Filter filter;
  std::optional<Cursor> since;  // resume after this position; none = live from now
  Delivery delivery;
  // true: no SubscribedReply is sent (subscriptions a dialect makes on the client's behalf).
  bool implicit = false;
  // true (with no `since`): the topic's history matching the filter is read from the start of the
  // log, folded by Dialect::foldSnapshot (what is still current: a market's book), and handed to
  // the dialect in SubscribedReply::snapshot; the reply's cursor is where that history ends and
  // live events follow it with no gap and no duplicate. Bounded by HubLimits::snapshot_events.
  bool snapshot = false;
  // Made after the reply, implicit, from the reply's cursor: further topics of the same feed (a
  // dcrdex book's epoch and match notifications) that must start exactly where the snapshot ends.
  std::vector<SubscribeCommand> companions = {};
};

struct UnsubscribeCommand {
  std::string subscription;
  // true: no reply, not even for an unknown id (leaving a companion the client never named).
  bool implicit = false;
};

struct PingCommand {};

// Proof of control of an account (monero-lws `login:`: address + view key). The hub checks it with
// the Accounts service; on success it sends the dialect's snapshot of the account's history
// (Dialect::encodeSnapshot) and then runs Dialect::afterLogin's subscriptions from the snapshot's
// cursor, so nothing falls between history and live. Any failure is answered with an ErrorReply and
// the connection is closed after it (a failed login leaves nothing to talk about).
struct LoginCommand {
  std::string account;
  std::string secret;
  std::string snapshot_topic;   // history topic for the snapshot ("account.tx"); empty: no snapshot
  std::map<std::string, std::string> options;  // dialect-defined (lws: tx_sync, receives_only)
};

using CommandBody = std::variant<SubscribeCommand, UnsubscribeCommand, PingCommand, LoginCommand>;

struct Command {
  RequestId id;
  CommandBody body;
};

// A client message the dialect could not turn into a command. `fatal` marks a protocol violation
// after which the connection is closed (with `close_code`); otherwise the connection stays usable.
struct Rejection {
  RequestId id;
  Error error;
  bool fatal = false;
  std::uint16_t close_code = 1002;
};

// A message the dialect accepts and deliberately does nothing with (read-only dialects, notifications).
struct Ignored {};

// A message the dialect answers by itself (a signed dcrdex `connect` response): frames to send, then
// commands to run (their replies are sent too unless implicit), then optionally a close.
struct Answer {
  std::vector<FramePtr> frames;
  std::vector<Command> commands;
  std::optional<std::uint16_t> close_code;  // set: close after the frames are written
  std::string close_reason;
};

using Decoded = std::variant<Command, Rejection, Ignored, Answer>;

struct SubscribedReply {
  RequestId id;
  std::string subscription;
  std::string topic;
  Cursor cursor;  // position the subscription starts after: resume from here to miss nothing
  Delivery delivery;
  // SubscribeCommand::snapshot: the folded history up to `cursor`, ascending. Empty otherwise.
  std::vector<EventPtr> snapshot = {};
};

struct LoggedInReply {
  RequestId id;
  std::string account;
};

struct UnsubscribedReply {
  RequestId id;
  std::string subscription;
};

struct PongReply {
  RequestId id;
};

struct ErrorReply {
  RequestId id;
  Error error;
};

using Reply = std::variant<SubscribedReply, UnsubscribedReply, PongReply, ErrorReply, LoggedInReply>;

}  // namespace herald
