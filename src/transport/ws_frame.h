// RFC 6455 framing with no I/O, for either end of a connection: the header of an unmasked frame
// (what a server sends), a masked frame (what a client sends), and an incremental parser of the
// peer's frames that enforces every rule the reading end must (masking in the sender's direction,
// no RSV bits without an extension, known opcodes, control frame size and FIN, fragmentation
// order, the message size limit, UTF-8 of text messages and of close reasons, valid close codes).
// It must not allocate per frame while a message fits in one read, and it must never read past the
// bytes it is given. Every violation names the rule and the close code that fails the connection.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace herald::transport::ws {

enum class Opcode : std::uint8_t { continuation = 0, text = 1, binary = 2, close = 8, ping = 9, pong = 10 };

// Close codes the parser fails a connection with (RFC 6455 §7.4.1).
inline constexpr std::uint16_t kCloseNormal = 1000;
inline constexpr std::uint16_t kCloseGoingAway = 1001;
inline constexpr std::uint16_t kCloseProtocolError = 1002;
inline constexpr std::uint16_t kCloseInvalidPayload = 1007;
inline constexpr std::uint16_t kCloseTooBig = 1009;
// Received in a close frame with no payload; never sent (§7.1.5).
inline constexpr std::uint16_t kCloseNoStatus = 1005;

// A control frame carries at most 125 bytes (§5.5); a close reason 123 after the code.
inline constexpr std::size_t kMaxControlPayload = 125;
inline constexpr std::size_t kMaxCloseReason = kMaxControlPayload - 2;
inline constexpr std::size_t kMaxServerHeader = 10;

// The length of an unmasked frame's header for `payload_size` bytes: 2, 4 or 10.
constexpr std::size_t serverHeaderSize(std::uint64_t payload_size) {
  return payload_size < 126 ? 2 : payload_size <= 0xFFFF ? 4 : 10;
}

// Writes the header of an unmasked frame with `payload_size` bytes to `out` and returns its length
// (serverHeaderSize).
std::size_t buildServerHeader(std::uint8_t* out, Opcode opcode, std::uint64_t payload_size, bool fin = true);

// A whole client frame, masked with `mask_key`: what a client sends. For tests, fuzzing and load
// generators; the server never masks.
std::string encodeClientFrame(Opcode opcode, std::string_view payload, std::uint32_t mask_key, bool fin = true);

// The payload of a close frame: the code then the reason, cut to 123 bytes on a UTF-8 boundary.
std::string closePayload(std::uint16_t code, std::string_view reason);

// Close codes a peer may put in a close frame (§7.4): 1000–1003, 1007–1011, 3000–4999.
bool isValidReceivedCloseCode(std::uint16_t code) noexcept;

// Validates UTF-8 across calls (a sequence may span fragments): rejects overlong forms, surrogates
// and code points past U+10FFFF.
class Utf8Validator {
 public:
  bool feed(std::string_view bytes) noexcept;
  // True when no multi-byte sequence is left open (the end of a text message).
  bool complete() const noexcept { return need_ == 0; }
  void reset() noexcept { need_ = 0; }

 private:
  std::uint8_t need_ = 0;
  std::uint8_t lo_ = 0x80;
  std::uint8_t hi_ = 0xBF;
};

struct ParseEvent {
  enum class Kind : std::uint8_t { need_more, message, ping, pong, close, violation };
  Kind kind = Kind::need_more;
  bool binary = false;       // message: opcode binary
  std::string_view payload;  // message/ping/pong: the unmasked bytes, valid until the next call
  // close: the code received (kCloseNoStatus when none); violation: the code to close with
  std::uint16_t code = 0;
  std::string_view reason;   // close: the reason received; violation: the rule broken
};

// Who sends the frames a parser reads. Clients mask every frame and servers mask none (§5.1); the
// reading end fails the connection with 1002 when a frame breaks that.
enum class Sender : std::uint8_t { client, server };

class FrameParser {
 public:
  explicit FrameParser(std::size_t max_message_bytes, Sender sender = Sender::client)
      : max_message_(max_message_bytes), masked_(sender == Sender::client) {}

  // Consumes bytes from the front of `input` up to the next complete message or control frame and
  // returns it; need_more once `input` is used up. Client frames are unmasked in place. After a
  // violation or a close frame parsing has ended (see ended()): further calls consume nothing and
  // return need_more.
  ParseEvent next(std::span<char>& input);
  bool ended() const noexcept { return ended_; }

  // True while part of a frame or of a fragmented message is held between calls.
  bool holdsPartial() const noexcept { return header_size_ != 0 || in_frame_ || in_message_; }
  // Gives back the memory a finished message used (the idle state keeps none).
  void releaseMemory() noexcept;

 private:
  ParseEvent fail(std::uint16_t code, std::string reason);
  bool checkFirstBytes(ParseEvent& out);
  bool headerDone(ParseEvent& out);
  bool payloadBytes(std::span<char> bytes, ParseEvent& out);
  ParseEvent frameDone(std::string_view payload);

  std::size_t max_message_;
  bool masked_;                   // every frame must carry a mask key (a client's), or none may
  std::uint8_t header_[14] = {};
  std::uint8_t header_size_ = 0;  // header bytes gathered so far
  std::uint8_t header_need_ = 2;  // header bytes this frame has in all (known after the first two)
  bool in_frame_ = false;         // header done, payload bytes remain
  bool in_message_ = false;       // a fragmented data message is open
  bool message_binary_ = false;
  bool fin_ = false;
  Opcode opcode_ = Opcode::continuation;
  std::uint8_t mask_[4] = {};
  std::uint64_t remaining_ = 0;   // payload bytes of the current frame still to come
  std::uint64_t frame_offset_ = 0;  // payload bytes of the current frame seen (mask phase)
  std::size_t message_size_ = 0;  // bytes of the open message so far
  Utf8Validator utf8_;
  std::string held_;              // a frame or message that spans reads, unmasked
  std::string control_;           // a control frame that spans reads
  std::string failure_;           // the rule a violation broke
  bool ended_ = false;            // a violation or a close frame ended parsing
  // The last event pointed into held_ or control_: cleared on the next call, not before.
  bool release_held_ = false;
  bool release_control_ = false;
};

}  // namespace herald::transport::ws
