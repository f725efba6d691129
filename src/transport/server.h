// Server: listeners (TCP, TLS, Unix domain socket) and the worker threads that own connections.
// One io_context per worker; a connection stays on the worker that accepted it for its whole life.
#pragma once

#include "core/metrics.h"
#include "transport/application.h"

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace herald::transport {

struct ListenerConfig {
  enum class Kind { tcp, tls, unix_socket };
  Kind kind = Kind::tcp;
  std::string host = "127.0.0.1";  // tcp/tls
  std::uint16_t port = 8080;       // tcp/tls; 0 = any free port (see Server::boundEndpoints)
  std::string path;                // unix_socket
  std::string cert_file;           // tls: PEM certificate chain
  std::string key_file;            // tls: PEM private key
  // WebSocket mount paths this listener upgrades ("/ar"); an upgrade to any other path gets 404.
  // Empty: every mount. A dialect's own port (SIP-50 WebsocketPort, ar.io WS_PORT) is restricted.
  std::vector<std::string> paths;
};

struct TransportLimits {
  std::size_t max_message_bytes = 1 << 20;   // inbound WebSocket message; over it: close 1009
  std::size_t max_http_body_bytes = 8 << 20; // publish batches
  std::chrono::milliseconds handshake_timeout{10'000};
  std::chrono::milliseconds idle_timeout{60'000};  // pings are sent at half of it; no pong: closed
  std::size_t max_connections = 100'000;     // WebSocket connections; over it: HTTP 503
  std::vector<std::string> allowed_origins;  // empty = any; otherwise exact match or HTTP 403
  // Plain TCP and Unix WebSockets run on transport's own RFC 6455 session (gathered writes, no
  // buffer while idle); false puts them on Beast's websocket stream like TLS ones.
  bool lean_websocket = true;
};

struct ServerConfig {
  std::vector<ListenerConfig> listeners;
  std::size_t workers = 0;  // 0 = one per core
  TransportLimits limits;
};

class Server {
 public:
  Server(ServerConfig config, Application& app, Metrics& metrics);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds every listener (errors name the listener) and starts the worker threads.
  // Returns the bound endpoints as text ("127.0.0.1:8080", "unix:/run/herald.sock"), in config order.
  std::vector<std::string> start();

  std::size_t workerCount() const noexcept;

  // Runs `fn` on worker `index`'s thread (FIFO per worker).
  void post(std::size_t index, std::function<void()> fn);

  // Runs `fn` on worker `worker`'s thread every `period` (a steady clock; a late run is not made up
  // twice), from start() until stop() begins. May be called before or after start(), from any thread.
  void every(std::size_t worker, std::chrono::milliseconds period, std::function<void()> fn);

  // Stops accepting, closes every WebSocket with 1001 "going away" (`beforeClose` runs first on each
  // worker, so the application can say goodbye), waits up to `grace`, then stops the workers.
  void stop(std::chrono::milliseconds grace = std::chrono::milliseconds{2000});

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace herald::transport
