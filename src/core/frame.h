// Frame: the bytes of one outbound message, built once by a dialect and shared, immutable, by every
// session queue that carries it.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

namespace herald {

struct Frame {
  std::string bytes;
  bool binary = false;       // WebSocket opcode: binary (msgpack, protobuf) or text
  std::int64_t accepted_ns = 0;  // the event's Event::accepted_ns; 0 for replies and history
};

using FramePtr = std::shared_ptr<const Frame>;

inline FramePtr makeFrame(std::string bytes, bool binary = false, std::int64_t accepted_ns = 0) {
  return std::make_shared<const Frame>(Frame{std::move(bytes), binary, accepted_ns});
}

}  // namespace herald
