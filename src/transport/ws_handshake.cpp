// WebSocket handshake responses; see ws_handshake.h.
#include "transport/ws_handshake.h"

#include <openssl/evp.h>
#include <openssl/sha.h>

namespace herald::transport::ws {

namespace {

constexpr std::string_view kGuid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

bool isBase64Of16Bytes(std::string_view key) {
  // 16 bytes encode to 22 characters and "==".
  if (key.size() != 24 || key.substr(22) != "==") return false;
  for (char c : key.substr(0, 22)) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/';
    if (!ok) return false;
  }
  return true;
}

std::string refusal(std::string_view status, std::string_view extra_header, std::string_view message) {
  std::string body = std::string(R"({"error":")") + std::string(message) + "\"}";
  std::string out = "HTTP/1.1 ";
  out.append(status);
  out.append("\r\nServer: herald\r\nConnection: close\r\nContent-Type: application/json\r\n");
  out.append(extra_header);
  out.append("Content-Length: " + std::to_string(body.size()) + "\r\n\r\n");
  out.append(body);
  return out;
}

}  // namespace

std::string acceptKey(std::string_view key) {
  std::string input(key);
  input.append(kGuid);
  unsigned char digest[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const unsigned char*>(input.data()), input.size(), digest);
  unsigned char encoded[4 * ((SHA_DIGEST_LENGTH + 2) / 3) + 1];
  const int size = EVP_EncodeBlock(encoded, digest, SHA_DIGEST_LENGTH);
  return std::string(reinterpret_cast<const char*>(encoded), static_cast<std::size_t>(size));
}

HandshakeAnswer answerHandshake(std::string_view key, std::string_view version, std::string_view subprotocol) {
  HandshakeAnswer answer;
  if (version != "13") {
    // §4.4: the versions this server speaks go back in the refusal.
    answer.response = version.empty() ? refusal("400 Bad Request", "", "missing Sec-WebSocket-Version")
                                      : refusal("426 Upgrade Required", "Sec-WebSocket-Version: 13\r\n",
                                                "unsupported Sec-WebSocket-Version (13 is supported)");
    return answer;
  }
  if (key.empty()) {
    answer.response = refusal("400 Bad Request", "", "missing Sec-WebSocket-Key");
    return answer;
  }
  if (!isBase64Of16Bytes(key)) {
    answer.response = refusal("400 Bad Request", "", "Sec-WebSocket-Key is not the base64 of 16 bytes");
    return answer;
  }
  answer.accepted = true;
  answer.response = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nServer: herald\r\n";
  answer.response.append("Sec-WebSocket-Accept: " + acceptKey(key) + "\r\n");
  if (!subprotocol.empty()) {
    answer.response.append("Sec-WebSocket-Protocol: ");
    answer.response.append(subprotocol);
    answer.response.append("\r\n");
  }
  answer.response.append("\r\n");
  return answer;
}

}  // namespace herald::transport::ws
