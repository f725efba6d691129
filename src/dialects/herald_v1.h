// herald.v1: Herald's own WebSocket dialect, JSON-RPC 2.0 over text frames (docs/protocol/herald-v1.md
// is the client's contract: methods, notifications, every error and close code).
//
// Must not: do I/O, keep per-connection state outside DialectState, or renumber a code.
//
// Deviation from JSON-RPC 2.0, on purpose: a request without an id is answered as if its id were
// null instead of being treated as a silent notification; a subscribe whose confirmation (and
// subscription id) never arrives would be useless, and a client that omits the id by mistake learns
// about it from the reply. Batch requests (JSON arrays) are refused with -32600: every request gets
// exactly one reply frame, which keeps per-message rate limiting and ordering simple.
#pragma once

#include "core/dialect.h"
#include "core/filter.h"

#include <string_view>

namespace herald::dialects {

class HeraldV1 final : public herald::Dialect {
 public:
  static constexpr std::string_view kName = "herald.v1";
  static constexpr std::string_view kSubprotocol = "herald.v1.json";

  explicit HeraldV1(FilterLimits filter_limits = {}) : filter_limits_(filter_limits) {}

  std::string_view name() const override { return kName; }
  std::unique_ptr<DialectState> newState() const override;

  // Text frames holding one JSON-RPC request object. Never throws. Malformed input becomes a
  // Rejection (never fatal: the connection stays usable) whose error names the offending field.
  Decoded decode(std::string_view bytes, bool binary, DialectState& state,
                 const DecodeContext& context) const override;

  FramePtr encodeReply(const Reply& reply, DialectState& state) const override;
  FramePtr encodeEvent(const Event& event, std::string_view subscription, const Cursor& cursor,
                       const Delivery& delivery, const NodeView& node) const override;
  FramePtr encodeGap(std::string_view subscription, const Gap& gap) const override;

  // The JSON-RPC error code a client sees for `code` (the table in docs/protocol/herald-v1.md).
  static int errorCode(Errc code) noexcept;

 private:
  FilterLimits filter_limits_;
};

}  // namespace herald::dialects
