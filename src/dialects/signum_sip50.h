// Signum SIP-50: the read-only WebSocket event API of Signum nodes (seed 002; docs/protocol/
// signum-sip50.md maps every clause to code and test). Frames are {"e": EVENT, "p": payload}:
//   CONNECTED                    on every connection, from the node view (the latest node.status)
//   HEARTBEAT                    when nothing else was sent for the heartbeat interval
//   BLOCK_PUSHED                 chain.block, debounced: only the latest block of each window
//   PENDING_TRANSACTIONS_ADDED   mempool.tx, every transaction of one publish in one frame, capped
// The connection subscribes itself on open (implicit subscriptions); whatever a client sends is
// ignored (the hub counts it in herald_messages_ignored_total).
//
// Must not: do I/O, or keep per-connection state (every frame is shared by all connections).
#pragma once

#include "core/dialect.h"

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace herald::dialects {

struct SignumSip50Options {
  // API.WebsocketHeartbeatInterval: 30 s, Signum's default.
  std::int64_t heartbeat_ms = 30'000;
  // The SIP's example ("e.g. one second"): a syncing node pushes dozens of blocks per second.
  std::int64_t debounce_ms = 1'000;
  // The SIP's cap ("e.g. up to 100 tx"): a PENDING_TRANSACTIONS_ADDED frame stays a few KB.
  std::size_t max_transaction_ids = 100;
};

class SignumSip50 final : public herald::Dialect {
 public:
  static constexpr std::string_view kName = "signum.sip50";
  // Signum's epoch (the genesis block, 2014-08-11 02:00:00 UTC) in Unix seconds: BLOCK_PUSHED's
  // timestamp counts seconds from it, as every Signum timestamp does.
  static constexpr std::int64_t kSignumEpochUnixSeconds = 1'407'722'400;

  explicit SignumSip50(SignumSip50Options options = {}) : options_(options) {}

  std::string_view name() const override { return kName; }
  std::unique_ptr<DialectState> newState() const override;

  // CONNECTED, then implicit subscriptions to chain.block (debounced) and mempool.tx (batched).
  Opening open(const NodeView& node, DialectState& state) const override;
  // Read-only: every message is Ignored.
  Decoded decode(std::string_view bytes, bool binary, DialectState& state,
                 const DecodeContext& context) const override;
  // The SIP has no replies: nullptr for every one.
  FramePtr encodeReply(const Reply& reply, DialectState& state) const override;
  // chain.block -> BLOCK_PUSHED; anything else -> nullptr.
  FramePtr encodeEvent(const Event& event, std::string_view subscription, const Cursor& cursor,
                       const Delivery& delivery, const NodeView& node) const override;
  // mempool.tx events -> one PENDING_TRANSACTIONS_ADDED with the first max_transaction_ids ids and
  // hasMore = whether any were left out.
  FramePtr encodeBatch(std::span<const EventPtr> events, std::string_view subscription, const Cursor& last,
                       const Delivery& delivery, const NodeView& node) const override;
  FramePtr encodeGap(std::string_view subscription, const Gap& gap) const override;

  std::int64_t heartbeatMs() const override { return options_.heartbeat_ms; }
  FramePtr heartbeat() const override;

  // CONNECTED for this node view (also used by open()).
  static FramePtr connected(const NodeView& node);

 private:
  SignumSip50Options options_;
};

}  // namespace herald::dialects
