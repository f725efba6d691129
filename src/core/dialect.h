// Dialect: one wire protocol. Pure: bytes in, commands out; events in, frames out. No sockets, no
// clocks, no threads. Implementations live in dialects/; core only sees this interface.
//
// One Dialect object serves every connection that negotiated it (its methods are const and must be
// safe to call from several workers at once); per-connection parsing state lives in DialectState.
#pragma once

#include "core/command.h"
#include "core/cursor.h"
#include "core/event.h"
#include "core/frame.h"

#include <memory>
#include <string_view>

namespace herald {

class DialectState {
 public:
  virtual ~DialectState() = default;
};

class Dialect {
 public:
  virtual ~Dialect() = default;

  virtual std::string_view name() const = 0;

  virtual std::unique_ptr<DialectState> newState() const = 0;

  // One client message. Never throws; anything malformed becomes a Rejection naming the problem.
  virtual Decoded decode(std::string_view bytes, bool binary, DialectState& state) const = 0;

  virtual FramePtr encodeReply(const Reply& reply) const = 0;

  // The notification for one event on one subscription. When sharedSubscriptionIds() is true the
  // hub calls this once per (event, subscription group) and shares the frame among the group.
  virtual FramePtr encodeEvent(const Event& event, std::string_view subscription, const Cursor& cursor) const = 0;

  // Sent before replayed events when a resuming subscription cannot get everything it missed.
  virtual FramePtr encodeGap(std::string_view subscription, const Gap& gap) const = 0;

  // True when subscription ids are derived from topic+filter (equal for every session in a group),
  // so event frames can be shared. False when each subscription needs its own id (random uuid).
  virtual bool sharedSubscriptionIds() const { return true; }
};

}  // namespace herald
