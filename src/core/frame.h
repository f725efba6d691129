// Frame: the bytes of one outbound message, built once by a dialect and shared, immutable, by every
// session queue that carries it.
#pragma once

#include <memory>
#include <string>

namespace herald {

struct Frame {
  std::string bytes;
  bool binary = false;  // WebSocket opcode: binary (msgpack, protobuf) or text
};

using FramePtr = std::shared_ptr<const Frame>;

inline FramePtr makeFrame(std::string bytes, bool binary = false) {
  return std::make_shared<const Frame>(Frame{std::move(bytes), binary});
}

}  // namespace herald
