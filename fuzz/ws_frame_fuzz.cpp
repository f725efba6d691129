// libFuzzer target for the RFC 6455 frame parser, reading a client's frames (as the server does) and
// a server's (as herald-bench does): arbitrary bytes fed in arbitrary chunks must never crash it or
// make it read out of bounds; and frames built from the input, masked by encodeClientFrame and
// unmasked with buildServerHeader, must parse back to exactly the messages and control frames
// encoded.
#include "fuzz_support.h"
#include "transport/ws_frame.h"

#include <cstdint>
#include <string>
#include <vector>

using herald::fuzz::require;
namespace ws = herald::transport::ws;

namespace {

constexpr std::size_t kMaxMessage = 4096;

void parseRaw(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return;
  // The first byte picks the read size, as a socket would cut the stream, and who sent the frames.
  const std::size_t chunk = 1 + data[0] % 64;
  const ws::Sender sender = (data[0] & 0x80) != 0 ? ws::Sender::server : ws::Sender::client;
  std::string wire(reinterpret_cast<const char*>(data + 1), size - 1);
  ws::FrameParser parser(kMaxMessage, sender);
  for (std::size_t at = 0; at < wire.size() && !parser.ended(); at += chunk) {
    std::span<char> input(wire.data() + at, std::min(chunk, wire.size() - at));
    for (;;) {
      const ws::ParseEvent event = parser.next(input);
      if (event.kind == ws::ParseEvent::Kind::need_more) break;
      if (event.kind == ws::ParseEvent::Kind::message) require(event.payload.size() <= kMaxMessage);
      if (event.kind == ws::ParseEvent::Kind::violation) {
        require(event.code == 1002 || event.code == 1007 || event.code == 1009);
        require(!event.reason.empty());
      }
      if (parser.ended()) break;
    }
    require(input.empty() || parser.ended());
  }
}

std::string serverFrame(ws::Opcode opcode, std::string_view payload, bool fin) {
  std::uint8_t header[ws::kMaxServerHeader];
  const std::size_t size = ws::buildServerHeader(header, opcode, payload.size(), fin);
  return std::string(reinterpret_cast<const char*>(header), size) + std::string(payload);
}

using Expected = std::vector<std::pair<ws::ParseEvent::Kind, std::string>>;

void parseBack(std::string& wire, std::size_t chunk, ws::Sender sender, const Expected& expected) {
  ws::FrameParser parser(kMaxMessage, sender);
  std::size_t seen = 0;
  for (std::size_t pos = 0; pos < wire.size(); pos += chunk) {
    std::span<char> input(wire.data() + pos, std::min(chunk, wire.size() - pos));
    for (;;) {
      const ws::ParseEvent event = parser.next(input);
      if (event.kind == ws::ParseEvent::Kind::need_more) break;
      require(seen < expected.size());
      require(event.kind == expected[seen].first);
      require(event.payload == expected[seen].second);
      ++seen;
    }
  }
  require(seen == expected.size());
  require(!parser.holdsPartial());
}

// Builds valid frames from the input: each message of random size split into random fragments,
// pings between fragments, once as a client sends them and once as a server does; then parses
// each back in random chunks.
void roundTrip(const std::uint8_t* data, std::size_t size) {
  std::size_t at = 0;
  auto byte = [&]() -> std::uint8_t { return at < size ? data[at++] : 0; };
  std::string client_wire;
  std::string server_wire;
  Expected expected;
  const std::size_t chunk = 1 + byte() % 200;
  while (at < size) {
    const bool binary = byte() & 1;
    const std::size_t length = (byte() << 4 | byte()) % kMaxMessage;
    std::string payload;
    for (std::size_t i = 0; i < length; ++i) payload.push_back(binary ? static_cast<char>(byte()) : 'a' + byte() % 26);
    const std::size_t fragments = 1 + byte() % 4;
    std::size_t sent = 0;
    for (std::size_t f = 0; f < fragments; ++f) {
      const bool last = f + 1 == fragments;
      const std::size_t piece = last ? length - sent : std::min(length - sent, std::size_t{byte()});
      const ws::Opcode opcode = f == 0 ? (binary ? ws::Opcode::binary : ws::Opcode::text) : ws::Opcode::continuation;
      const std::uint32_t key = static_cast<std::uint32_t>(byte()) << 24 | byte() << 8 | byte();
      const std::string_view part = std::string_view(payload).substr(sent, piece);
      client_wire += ws::encodeClientFrame(opcode, part, key, last);
      server_wire += serverFrame(opcode, part, last);
      sent += piece;
      if (!last && (byte() & 1)) {
        const std::string ping(byte() % 126, 'p');
        client_wire += ws::encodeClientFrame(ws::Opcode::ping, ping, key ^ 0x5a5a5a5a);
        server_wire += serverFrame(ws::Opcode::ping, ping, true);
        expected.emplace_back(ws::ParseEvent::Kind::ping, ping);
      }
    }
    expected.emplace_back(ws::ParseEvent::Kind::message, payload);
  }
  parseBack(client_wire, chunk, ws::Sender::client, expected);
  parseBack(server_wire, chunk, ws::Sender::server, expected);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  parseRaw(data, size);
  roundTrip(data, size);
  return 0;
}
