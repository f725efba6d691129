// The seam between transport and everything above it. Transport owns sockets, TLS, HTTP parsing,
// WebSocket framing, timeouts and connection limits; it knows no event meaning and no dialect
// syntax. It hands each HTTP request and each WebSocket upgrade to an Application, and each
// accepted WebSocket to a WsEndpoint that produces and consumes frames.
//
// Threads: every call into Application and WsEndpoint happens on the worker thread that owns the
// connection (worker index given), and every callback must be invoked on that same thread.
#pragma once

#include "core/frame.h"

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace herald::transport {

struct HttpRequest {
  std::string method;   // "GET", "POST", ...
  std::string target;   // path plus query, as sent
  std::vector<std::pair<std::string, std::string>> headers;  // names lowercased
  std::string body;
  std::string remote;   // "127.0.0.1:53412", "unix"
  bool secure = false;  // arrived over TLS

  // First value of a header (name lowercase), or empty.
  std::string_view header(std::string_view name) const;
};

struct HttpResponse {
  unsigned status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
};

using Respond = std::function<void(HttpResponse)>;

// Transport's side of an accepted WebSocket, handed to the endpoint.
class WsConnection {
 public:
  virtual ~WsConnection() = default;
  // The endpoint has frames to write: transport will call WsEndpoint::takeFrames when it can write.
  virtual void wake() = 0;
  // Close with a WebSocket close code and reason; `after_flush` writes taken/queued frames first.
  // Every close is bounded by a grace period (5 s) after which the connection is dropped.
  virtual void close(std::uint16_t code, std::string_view reason, bool after_flush) = 0;
};

// The application's side of an accepted WebSocket.
class WsEndpoint {
 public:
  virtual ~WsEndpoint() = default;
  // Called once, right after the handshake, with the connection to write through.
  virtual void onOpen(WsConnection& connection) = 0;
  virtual void onMessage(std::string_view bytes, bool binary) = 0;
  // Append frames ready to write to `out`; return how many.
  virtual std::size_t takeFrames(std::vector<FramePtr>& out) = 0;
  // Every frame taken so far has been written and nothing is waiting.
  virtual void onDrained() = 0;
  // The connection is gone (closed by either side or failed). Called exactly once, last.
  virtual void onClose() = 0;
};

struct WsUpgrade {
  std::string path;                        // target without the query
  std::string query;
  std::vector<std::string> subprotocols;   // Sec-WebSocket-Protocol, in client order
  std::string origin;                      // Origin header, may be empty
  std::vector<std::pair<std::string, std::string>> headers;  // names lowercased
  std::string remote;
  bool secure = false;
};

// What the application decides about an upgrade request.
struct WsAccept {
  bool accepted = false;
  std::string subprotocol;           // echoed in the handshake response when non-empty
  std::unique_ptr<WsEndpoint> endpoint;
  HttpResponse refusal;              // sent instead of the upgrade when !accepted
};

class Application {
 public:
  virtual ~Application() = default;
  virtual void handleHttp(std::size_t worker, HttpRequest request, Respond respond) = 0;
  virtual WsAccept upgrade(std::size_t worker, const WsUpgrade& request) = 0;
  // Server::stop() calls this once on each worker, before it closes that worker's WebSockets with
  // 1001, so the application can queue a goodbye frame (it is flushed before the close frame).
  virtual void beforeClose(std::size_t /*worker*/) {}
};

}  // namespace herald::transport
