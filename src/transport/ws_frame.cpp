// RFC 6455 frame parsing (either direction) and frame building; see ws_frame.h. No I/O, no Beast.
#include "transport/ws_frame.h"
#include "core/text.h"

#include <cstring>

namespace herald::transport::ws {

namespace {

bool isControl(Opcode opcode) noexcept { return static_cast<std::uint8_t>(opcode) >= 8; }

bool isKnown(std::uint8_t opcode) noexcept { return opcode <= 2 || (opcode >= 8 && opcode <= 10); }

// XORs `bytes` with the 4-byte key starting at key position `offset % 4`.
void unmask(std::span<char> bytes, const std::uint8_t (&key)[4], std::uint64_t offset) noexcept {
  std::uint8_t rotated[8];
  for (std::size_t i = 0; i < 8; ++i) rotated[i] = key[(offset + i) % 4];
  std::uint64_t word_key;
  std::memcpy(&word_key, rotated, 8);
  std::size_t i = 0;
  char* data = bytes.data();
  for (; i + 8 <= bytes.size(); i += 8) {
    std::uint64_t word;
    std::memcpy(&word, data + i, 8);
    word ^= word_key;
    std::memcpy(data + i, &word, 8);
  }
  for (; i < bytes.size(); ++i) data[i] = static_cast<char>(static_cast<std::uint8_t>(data[i]) ^ rotated[i % 8]);
}

}  // namespace

std::size_t buildServerHeader(std::uint8_t* out, Opcode opcode, std::uint64_t payload_size, bool fin) {
  out[0] = static_cast<std::uint8_t>((fin ? 0x80 : 0x00) | static_cast<std::uint8_t>(opcode));
  if (payload_size < 126) {
    out[1] = static_cast<std::uint8_t>(payload_size);
    return 2;
  }
  if (payload_size <= 0xFFFF) {
    out[1] = 126;
    out[2] = static_cast<std::uint8_t>(payload_size >> 8);
    out[3] = static_cast<std::uint8_t>(payload_size);
    return 4;
  }
  out[1] = 127;
  for (int i = 0; i < 8; ++i) out[2 + i] = static_cast<std::uint8_t>(payload_size >> (56 - 8 * i));
  return 10;
}

std::string encodeClientFrame(Opcode opcode, std::string_view payload, std::uint32_t mask_key, bool fin) {
  std::uint8_t header[kMaxServerHeader + 4];
  std::size_t size = buildServerHeader(header, opcode, payload.size(), fin);
  header[1] |= 0x80;
  const std::uint8_t key[4] = {static_cast<std::uint8_t>(mask_key >> 24), static_cast<std::uint8_t>(mask_key >> 16),
                               static_cast<std::uint8_t>(mask_key >> 8), static_cast<std::uint8_t>(mask_key)};
  std::memcpy(header + size, key, 4);
  size += 4;
  std::string out(reinterpret_cast<const char*>(header), size);
  out.append(payload);
  unmask(std::span<char>(out.data() + size, payload.size()), key, 0);
  return out;
}

std::string closePayload(std::uint16_t code, std::string_view reason) {
  // Cut so the reason stays valid UTF-8 (peers must fail one that is not).
  reason = utf8Prefix(reason, kMaxCloseReason);
  std::string out;
  out.reserve(2 + reason.size());
  out.push_back(static_cast<char>(code >> 8));
  out.push_back(static_cast<char>(code & 0xFF));
  out.append(reason);
  return out;
}

bool isValidReceivedCloseCode(std::uint16_t code) noexcept {
  if (code >= 1000 && code <= 1003) return true;
  if (code >= 1007 && code <= 1011) return true;
  return code >= 3000 && code <= 4999;
}

bool Utf8Validator::feed(std::string_view bytes) noexcept {
  const auto* p = reinterpret_cast<const std::uint8_t*>(bytes.data());
  const auto* end = p + bytes.size();
  while (p != end) {
    if (need_ == 0) {
      // Text is mostly ASCII: skip eight bytes at a time while no high bit is set.
      while (end - p >= 8) {
        std::uint64_t word;
        std::memcpy(&word, p, 8);
        if ((word & 0x8080808080808080ULL) != 0) break;
        p += 8;
      }
      if (p == end) break;
      const std::uint8_t b = *p++;
      if (b < 0x80) continue;
      lo_ = 0x80;
      hi_ = 0xBF;
      if (b >= 0xC2 && b <= 0xDF) {
        need_ = 1;
      } else if (b == 0xE0) {
        need_ = 2;
        lo_ = 0xA0;  // overlong below U+0800
      } else if ((b >= 0xE1 && b <= 0xEC) || b == 0xEE || b == 0xEF) {
        need_ = 2;
      } else if (b == 0xED) {
        need_ = 2;
        hi_ = 0x9F;  // surrogates U+D800..U+DFFF
      } else if (b == 0xF0) {
        need_ = 3;
        lo_ = 0x90;  // overlong below U+10000
      } else if (b >= 0xF1 && b <= 0xF3) {
        need_ = 3;
      } else if (b == 0xF4) {
        need_ = 3;
        hi_ = 0x8F;  // past U+10FFFF
      } else {
        return false;
      }
    } else {
      const std::uint8_t b = *p++;
      if (b < lo_ || b > hi_) return false;
      --need_;
      lo_ = 0x80;
      hi_ = 0xBF;
    }
  }
  return true;
}

void FrameParser::releaseMemory() noexcept {
  if (in_message_ || in_frame_) return;
  std::string().swap(held_);
  std::string().swap(control_);
}

ParseEvent FrameParser::fail(std::uint16_t code, std::string reason) {
  ended_ = true;
  failure_ = std::move(reason);
  ParseEvent event;
  event.kind = ParseEvent::Kind::violation;
  event.code = code;
  event.reason = failure_;
  return event;
}

// The first two bytes decide everything that needs no length: checked before waiting for the rest.
bool FrameParser::checkFirstBytes(ParseEvent& out) {
  const std::uint8_t b0 = header_[0];
  const std::uint8_t b1 = header_[1];
  if ((b0 & 0x70) != 0) {
    out = fail(kCloseProtocolError, "RSV bits set without a negotiated extension");
    return false;
  }
  const std::uint8_t opcode = b0 & 0x0F;
  if (!isKnown(opcode)) {
    out = fail(kCloseProtocolError, "unknown opcode " + std::to_string(opcode));
    return false;
  }
  if (((b1 & 0x80) != 0) != masked_) {
    out = fail(kCloseProtocolError, masked_ ? "client frame not masked" : "server frame masked");
    return false;
  }
  const std::uint8_t len7 = b1 & 0x7F;
  if (opcode >= 8) {
    if ((b0 & 0x80) == 0) {
      out = fail(kCloseProtocolError, "fragmented control frame");
      return false;
    }
    if (len7 > kMaxControlPayload) {
      out = fail(kCloseProtocolError, "control frame payload over 125 bytes");
      return false;
    }
  } else if (opcode == 0 && !in_message_) {
    out = fail(kCloseProtocolError, "continuation frame without a message to continue");
    return false;
  } else if (opcode != 0 && in_message_) {
    out = fail(kCloseProtocolError, "new data frame before the fragmented message ended");
    return false;
  }
  header_need_ = static_cast<std::uint8_t>(2 + (len7 == 126 ? 2 : len7 == 127 ? 8 : 0) + (masked_ ? 4 : 0));
  return true;
}

bool FrameParser::headerDone(ParseEvent& out) {
  fin_ = (header_[0] & 0x80) != 0;
  opcode_ = static_cast<Opcode>(header_[0] & 0x0F);
  const std::uint8_t len7 = header_[1] & 0x7F;
  std::uint64_t length = len7;
  std::size_t at = 2;
  if (len7 == 126) {
    length = (std::uint64_t{header_[2]} << 8) | header_[3];
    at = 4;
    if (length < 126) {
      out = fail(kCloseProtocolError, "payload length not in its shortest form");
      return false;
    }
  } else if (len7 == 127) {
    length = 0;
    for (int i = 0; i < 8; ++i) length = (length << 8) | header_[2 + i];
    at = 10;
    if ((length >> 63) != 0) {
      out = fail(kCloseProtocolError, "64-bit payload length with the high bit set");
      return false;
    }
    if (length <= 0xFFFF) {
      out = fail(kCloseProtocolError, "payload length not in its shortest form");
      return false;
    }
  }
  if (masked_) std::memcpy(mask_, header_ + at, 4);
  if (!isControl(opcode_)) {
    if (opcode_ != Opcode::continuation) {
      message_binary_ = opcode_ == Opcode::binary;
      message_size_ = 0;
      utf8_.reset();
    }
    if (length > max_message_ - message_size_) {
      out = fail(kCloseTooBig, "message over " + std::to_string(max_message_) + " bytes");
      return false;
    }
    message_size_ += static_cast<std::size_t>(length);
    in_message_ = !fin_;
    // A message that was open stays open until its final fragment's payload is complete.
    if (opcode_ == Opcode::continuation) in_message_ = true;
  }
  remaining_ = length;
  frame_offset_ = 0;
  in_frame_ = true;
  header_size_ = 0;
  header_need_ = 2;
  return true;
}

// Unmasks payload bytes in place and checks text as it arrives, so invalid UTF-8 fails early.
bool FrameParser::payloadBytes(std::span<char> bytes, ParseEvent& out) {
  if (masked_) unmask(bytes, mask_, frame_offset_);
  frame_offset_ += bytes.size();
  remaining_ -= bytes.size();
  if (!isControl(opcode_) && !message_binary_ && !utf8_.feed(std::string_view(bytes.data(), bytes.size()))) {
    out = fail(kCloseInvalidPayload, "invalid UTF-8 in a text message");
    return false;
  }
  return true;
}

ParseEvent FrameParser::frameDone(std::string_view payload) {
  in_frame_ = false;
  ParseEvent event;
  switch (opcode_) {
    case Opcode::ping:
      event.kind = ParseEvent::Kind::ping;
      event.payload = payload;
      return event;
    case Opcode::pong:
      event.kind = ParseEvent::Kind::pong;
      event.payload = payload;
      return event;
    case Opcode::close: {
      if (payload.size() == 1) return fail(kCloseProtocolError, "close frame with a 1-byte payload");
      event.kind = ParseEvent::Kind::close;
      event.code = kCloseNoStatus;
      if (payload.size() >= 2) {
        event.code = static_cast<std::uint16_t>((static_cast<std::uint8_t>(payload[0]) << 8) |
                                                static_cast<std::uint8_t>(payload[1]));
        if (!isValidReceivedCloseCode(event.code)) {
          return fail(kCloseProtocolError, "close code " + std::to_string(event.code) + " is not allowed");
        }
        event.reason = payload.substr(2);
        Utf8Validator reason_utf8;
        if (!reason_utf8.feed(event.reason) || !reason_utf8.complete()) {
          return fail(kCloseInvalidPayload, "close reason is not valid UTF-8");
        }
      }
      ended_ = true;
      return event;
    }
    default:
      break;
  }
  if (!fin_) return event;  // need_more: the message continues in the next data frame
  if (!message_binary_ && !utf8_.complete()) return fail(kCloseInvalidPayload, "text message ends inside a UTF-8 sequence");
  in_message_ = false;
  event.kind = ParseEvent::Kind::message;
  event.binary = message_binary_;
  event.payload = payload;
  return event;
}

ParseEvent FrameParser::next(std::span<char>& input) {
  ParseEvent event;
  if (ended_) return event;
  if (release_held_) {
    release_held_ = false;
    held_.clear();
  }
  if (release_control_) {
    release_control_ = false;
    control_.clear();
  }
  for (;;) {
    if (!in_frame_) {
      while (header_size_ < header_need_) {
        if (input.empty()) return event;
        header_[header_size_++] = static_cast<std::uint8_t>(input.front());
        input = input.subspan(1);
        if (header_size_ == 2 && !checkFirstBytes(event)) return event;
      }
      if (!headerDone(event)) return event;
    }
    const bool control = isControl(opcode_);
    std::string& store = control ? control_ : held_;
    const bool whole = frame_offset_ == 0 && input.size() >= remaining_;
    // The common case: a whole frame (a whole message, or a control frame) is in this read. It is
    // unmasked where it lies and handed over without a copy.
    if (whole && (control || (fin_ && held_.empty()))) {
      const auto size = static_cast<std::size_t>(remaining_);
      std::span<char> bytes = input.first(size);
      input = input.subspan(size);
      if (!payloadBytes(bytes, event)) return event;
      event = frameDone(std::string_view(bytes.data(), bytes.size()));
      if (event.kind != ParseEvent::Kind::need_more) return event;
      continue;
    }
    const auto take = static_cast<std::size_t>(std::min<std::uint64_t>(remaining_, input.size()));
    std::span<char> bytes = input.first(take);
    input = input.subspan(take);
    if (!payloadBytes(bytes, event)) return event;
    store.append(bytes.data(), bytes.size());
    if (remaining_ != 0) return event;  // need_more: input is used up
    event = frameDone(store);
    if (control) {
      release_control_ = true;
    } else if (fin_) {
      release_held_ = true;
    }
    // frameDone may fail (an unfinished UTF-8 sequence, a bad close frame): that ends the loop too.
    if (event.kind != ParseEvent::Kind::need_more) return event;
  }
}

}  // namespace herald::transport::ws
