// Dialect: one wire protocol. Pure: bytes in, commands out; events in, frames out. No sockets, no
// clocks (time arrives as a value), no threads. Implementations live in dialects/; core only sees
// this interface.
//
// One Dialect object serves every connection that negotiated it (its methods are const and must be
// safe to call from several workers at once); per-connection parsing state lives in DialectState.
#pragma once

#include "core/command.h"
#include "core/cursor.h"
#include "core/event.h"
#include "core/frame.h"

#include <cstdint>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

namespace herald {

class DialectState {
 public:
  virtual ~DialectState() = default;
};

// What the gateway knows right now that a dialect may put into its frames.
struct NodeView {
  EventPtr status;  // the latest `node.status` event this worker has seen; null before the first
};

struct DecodeContext {
  std::int64_t now_ms = 0;  // wall clock, Unix ms (timestamp freshness checks)
  const NodeView* node = nullptr;
};

// What a dialect does when a connection opens: frames to send first (a greeting such as SIP-50
// CONNECTED) and commands to run on the client's behalf (implicit subscriptions of read-only
// dialects). Their replies are not sent when the commands are implicit.
struct Opening {
  std::vector<FramePtr> frames;
  std::vector<Command> commands;
};

// Why the gateway is ending a connection on its own initiative (see Dialect::closingFrame).
enum class ClosingReason {
  slow_consumer,  // the outbound queue reached its byte bound; what was queued is dropped
};

class Dialect {
 public:
  virtual ~Dialect() = default;

  virtual std::string_view name() const = 0;

  virtual std::unique_ptr<DialectState> newState() const = 0;

  virtual Opening open(const NodeView& /*node*/, DialectState& /*state*/) const { return {}; }

  // One client message. Never throws; anything malformed becomes a Rejection naming the problem.
  virtual Decoded decode(std::string_view bytes, bool binary, DialectState& state,
                         const DecodeContext& context) const = 0;

  // `state` is the connection's: a dialect may remember per-request details there (the route a
  // request id came in on) and use them when the reply is encoded. nullptr: the dialect has no form
  // for this reply (a read-only dialect, a login answered by its snapshot) and nothing is sent.
  virtual FramePtr encodeReply(const Reply& reply, DialectState& state) const = 0;

  // The notification for one event on one subscription. When sharedSubscriptionIds() is true the
  // hub calls this once per (event, subscription group) and shares the frame among the group, so it
  // must not depend on per-connection state. Set the frame's accepted_ns from the event. nullptr:
  // nothing is sent for this event.
  virtual FramePtr encodeEvent(const Event& event, std::string_view subscription, const Cursor& cursor,
                               const Delivery& delivery, const NodeView& node) const = 0;

  // For Delivery::batch subscriptions: every event one publish brought, in seq order, in one frame.
  // Default: the dialect has no batched form (never called unless a batch subscription exists).
  virtual FramePtr encodeBatch(std::span<const EventPtr> events, std::string_view subscription,
                               const Cursor& last, const Delivery& delivery, const NodeView& node) const;

  // Sent before replayed events when a resuming subscription cannot get everything it missed.
  // nullptr: the dialect has no way to say it (the gap is then only counted).
  virtual FramePtr encodeGap(std::string_view subscription, const Gap& gap) const = 0;

  // After a successful login: the account's history (events of LoginCommand::snapshot_topic with
  // attribute account=<account>, ascending, possibly truncated to the history bound) in one frame.
  virtual FramePtr encodeSnapshot(const LoginCommand& /*login*/, std::span<const EventPtr> /*history*/,
                                  const Cursor& /*head*/, const NodeView& /*node*/) const {
    return nullptr;
  }

  // For a SubscribeCommand::snapshot subscription, after each history page: `events` holds every
  // matching event kept so far, ascending; drop those no longer current (an offer added, then
  // removed), so what the hub holds grows with the current state rather than with the history.
  // Default: keep everything.
  virtual void foldSnapshot(const Delivery& /*delivery*/, std::vector<EventPtr>& /*events*/) const {}

  // After the snapshot: the subscriptions that keep the client live (their `since` is set by the
  // hub to the snapshot's cursor).
  virtual std::vector<SubscribeCommand> afterLogin(const LoginCommand& /*login*/) const { return {}; }

  // The last frame a connection is sent when the gateway closes it for `reason`: the dialect's own
  // way of saying why (lws `error:` queue_error). The hub queues it alone (everything else queued
  // is dropped) and closes after it is written; the transport bounds that close, so a peer that
  // stopped reading cannot hold it open. nullptr: the dialect has no such message and only the
  // WebSocket close code tells the client.
  virtual FramePtr closingFrame(ClosingReason /*reason*/) const { return nullptr; }

  // > 0: the hub sends heartbeat() to a connection that has been sent nothing for this long.
  virtual std::int64_t heartbeatMs() const { return 0; }
  virtual FramePtr heartbeat() const { return nullptr; }

  // True when subscription ids are derived from topic+filter+delivery (equal for every session in a
  // group), so event frames can be shared. False when each subscription needs its own id (uuid v4).
  virtual bool sharedSubscriptionIds() const { return true; }
};

}  // namespace herald
