// The handshake answer on its own: RFC 6455 §1.3's accept-key example, the 101's headers, and the
// refusals of a missing or malformed key and of an unsupported version.
#include "transport/ws_handshake.h"

#include <gtest/gtest.h>

namespace herald::transport::ws {
namespace {

constexpr const char* kRfcKey = "dGhlIHNhbXBsZSBub25jZQ==";

TEST(WsHandshake, AcceptKeyMatchesTheRfcExample) {
  EXPECT_EQ(acceptKey(kRfcKey), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
}

TEST(WsHandshake, SwitchingProtocolsCarriesAcceptServerAndSubprotocol) {
  const HandshakeAnswer answer = answerHandshake(kRfcKey, "13", "herald.v1.json");
  ASSERT_TRUE(answer.accepted);
  EXPECT_EQ(answer.response.rfind("HTTP/1.1 101 Switching Protocols\r\n", 0), 0u);
  EXPECT_NE(answer.response.find("\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"), std::string::npos);
  EXPECT_NE(answer.response.find("\r\nSec-WebSocket-Protocol: herald.v1.json\r\n"), std::string::npos);
  EXPECT_NE(answer.response.find("\r\nServer: herald\r\n"), std::string::npos);
  EXPECT_NE(answer.response.find("\r\nUpgrade: websocket\r\n"), std::string::npos);
  EXPECT_EQ(answer.response.substr(answer.response.size() - 4), "\r\n\r\n");
  EXPECT_EQ(answerHandshake(kRfcKey, "13", "").response.find("Sec-WebSocket-Protocol"), std::string::npos);
}

TEST(WsHandshake, BadKeyOrVersionIsRefusedWithTheReason) {
  const HandshakeAnswer old_version = answerHandshake(kRfcKey, "8", "");
  EXPECT_FALSE(old_version.accepted);
  EXPECT_EQ(old_version.response.rfind("HTTP/1.1 426 Upgrade Required\r\n", 0), 0u);
  EXPECT_NE(old_version.response.find("\r\nSec-WebSocket-Version: 13\r\n"), std::string::npos);

  const HandshakeAnswer no_version = answerHandshake(kRfcKey, "", "");
  EXPECT_EQ(no_version.response.rfind("HTTP/1.1 400 Bad Request\r\n", 0), 0u);
  EXPECT_NE(no_version.response.find("missing Sec-WebSocket-Version"), std::string::npos);

  const HandshakeAnswer no_key = answerHandshake("", "13", "");
  EXPECT_FALSE(no_key.accepted);
  EXPECT_NE(no_key.response.find("missing Sec-WebSocket-Key"), std::string::npos);

  for (const char* key : {"short==", "dGhlIHNhbXBsZSBub25jZQ=x", "dGhlIHNhbXBsZSBub25jZ!=="}) {
    const HandshakeAnswer bad = answerHandshake(key, "13", "");
    EXPECT_FALSE(bad.accepted) << key;
    EXPECT_NE(bad.response.find("Sec-WebSocket-Key is not the base64 of 16 bytes"), std::string::npos) << key;
    // The body's length is announced, so the client reads the whole refusal.
    const auto body = bad.response.substr(bad.response.find("\r\n\r\n") + 4);
    EXPECT_NE(bad.response.find("Content-Length: " + std::to_string(body.size()) + "\r\n"), std::string::npos);
  }
}

}  // namespace
}  // namespace herald::transport::ws
