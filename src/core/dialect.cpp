// Dialect defaults that need a body. A dialect without a batched form never gets a batch
// subscription from its own decoder, so reaching the default is a bug in that dialect.
#include "core/dialect.h"

#include <cassert>

namespace herald {

FramePtr Dialect::encodeBatch(std::span<const EventPtr> /*events*/, std::string_view /*subscription*/,
                              const Cursor& /*last*/, const Delivery& /*delivery*/, const NodeView& /*node*/) const {
  assert(false && "Dialect::encodeBatch: this dialect asked for batch delivery but has no batched form");
  return nullptr;  // release: nothing is sent (the hub skips a null frame)
}

}  // namespace herald
