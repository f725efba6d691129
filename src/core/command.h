// Commands (what a client asks, decoded by a dialect) and replies (what the gateway answers, encoded
// by a dialect). Plain values: the dialect owns the syntax, the hub owns the meaning.
#pragma once

#include "core/cursor.h"
#include "core/filter.h"
#include "core/result.h"

#include <optional>
#include <string>
#include <variant>

namespace herald {

// The request id exactly as the client wrote it, as JSON text ("7", "\"a1\""); empty when the
// request carried none (a reply then uses null).
using RequestId = std::string;

struct SubscribeCommand {
  std::string topic;
  Filter filter;
  std::optional<Cursor> since;  // resume after this position; none = live from now
};

struct UnsubscribeCommand {
  std::string subscription;
};

struct PingCommand {};

using CommandBody = std::variant<SubscribeCommand, UnsubscribeCommand, PingCommand>;

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

using Decoded = std::variant<Command, Rejection, Ignored>;

struct SubscribedReply {
  RequestId id;
  std::string subscription;
  std::string topic;
  Cursor cursor;  // position the subscription starts after: resume from here to miss nothing
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

using Reply = std::variant<SubscribedReply, UnsubscribedReply, PongReply, ErrorReply>;

}  // namespace herald
