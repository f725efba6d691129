// The server's answer to a WebSocket upgrade request that was already admitted (RFC 6455 §4.2.2):
// the 101 response with Sec-WebSocket-Accept, or the HTTP error that refuses a malformed key or an
// unsupported version. Text in, text out; it must not read sockets or decide admission (that is
// http_session.cpp's, before this).
#pragma once

#include <string>
#include <string_view>

namespace herald::transport::ws {

// base64(SHA-1(key + the RFC 6455 GUID)).
std::string acceptKey(std::string_view key);

struct HandshakeAnswer {
  bool accepted = false;
  std::string response;  // the whole HTTP response, headers and body
};

// `key` and `version` are the request's Sec-WebSocket-Key and Sec-WebSocket-Version; `subprotocol`
// is echoed when non-empty.
HandshakeAnswer answerHandshake(std::string_view key, std::string_view version, std::string_view subprotocol);

}  // namespace herald::transport::ws
