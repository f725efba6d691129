// ar.io subscribe: the WebSocket protocol proposed for ar.io gateways (seed 004; docs/protocol/
// ario.md maps every clause to code and test). JSON text frames {"method", "event", "params",
// "result"}:
//   ar_subscribe {event: new_tx | new_block, params}  -> ar_subscribe_accepted {result: uuid v4}
//                                                       | ar_subscribe_denied {result: {reason, message}}
//   ar_subscribe_msg {params: {subscription}, result}   new_tx: an array of every matching transaction
//                                                       one publish brought; new_block: one block
//   ar_unsubscribe {params: {subscription}}            -> ar_unsubscribe_accepted {result: id}
//                                                       | ar_unsubscribe_denied {result: {reason, message}}
//   anything else                                      -> ar_error {result: {reason, message}}
// new_tx maps to chain.tx with a filter on the attributes owner, target and tag:<name>; new_block to
// chain.block. Subscription ids are per subscription (uuid v4), so frames are encoded per subscriber.
//
// Per-connection limits live in the connection's state: a token bucket over every message and a
// count of live subscriptions (kept from the replies the hub asks this dialect to encode).
//
// Must not: do I/O, or let one connection's state touch another's.
#pragma once

#include "core/dialect.h"
#include "core/filter.h"
#include "core/rate_limiter.h"

#include <cstddef>
#include <string_view>

namespace herald::dialects {

struct ArioOptions {
  // Messages per second per connection: subscribing is rare (a client sets up its filters once);
  // 10 per second with a burst of 20 lets a client restore a dozen subscriptions at once.
  RateLimit rate{10, 20};
  // Live subscriptions per connection: every subscription is a filter checked against every
  // transaction, and a wallet or indexer needs a handful.
  std::size_t max_subscriptions = 20;
  FilterLimits filter;
};

class Ario final : public herald::Dialect {
 public:
  static constexpr std::string_view kName = "ar.io";

  explicit Ario(ArioOptions options = {}) : options_(options) {}

  std::string_view name() const override { return kName; }
  std::unique_ptr<DialectState> newState() const override;

  // Never throws; every problem is a Rejection whose reply names a reason (docs/protocol/ario.md).
  Decoded decode(std::string_view bytes, bool binary, DialectState& state,
                 const DecodeContext& context) const override;
  FramePtr encodeReply(const Reply& reply, DialectState& state) const override;
  // chain.block -> ar_subscribe_msg with one Block as result; anything else -> nullptr.
  FramePtr encodeEvent(const Event& event, std::string_view subscription, const Cursor& cursor,
                       const Delivery& delivery, const NodeView& node) const override;
  // chain.tx events -> ar_subscribe_msg with an array of Transactions as result.
  FramePtr encodeBatch(std::span<const EventPtr> events, std::string_view subscription, const Cursor& last,
                       const Delivery& delivery, const NodeView& node) const override;
  FramePtr encodeGap(std::string_view subscription, const Gap& gap) const override;
  bool sharedSubscriptionIds() const override { return false; }

  // The denial reason a client sees for `code` (the table in docs/protocol/ario.md).
  static std::string_view reason(Errc code) noexcept;

  // Item shapes (docs/protocol/ario.md): event data with Arweave's names.
  static std::string transactionItem(const Event& event);
  static std::string blockItem(const Event& event);

 private:
  ArioOptions options_;
};

}  // namespace herald::dialects
