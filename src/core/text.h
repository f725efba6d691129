// How client text is cut before it is echoed (in an error message, a close reason): never inside a
// UTF-8 sequence, since a cut sequence makes the reply invalid UTF-8, which JSON text and WebSocket
// close reasons forbid.
#pragma once

#include <cstddef>
#include <string_view>

namespace herald {

// The longest prefix of `text` of at most `max_bytes` bytes that does not end inside a UTF-8
// sequence (a well-formed text stays well-formed).
constexpr std::string_view utf8Prefix(std::string_view text, std::size_t max_bytes) {
  if (text.size() <= max_bytes) return text;
  std::size_t end = max_bytes;
  // Back up over continuation bytes (10xxxxxx) to the start of the sequence that would be cut.
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
  return text.substr(0, end);
}

}  // namespace herald
