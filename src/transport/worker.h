// Worker: one event-loop thread's state (its io_context and the connections it owns) and the state
// all workers share (application, metrics, limits, live counts). Internal to transport; nothing
// outside src/transport includes it.
//
// Connections are tracked by weak_ptr in the worker that owns them, touched only on that worker's
// thread, so stop() can reach every live connection without a lock on the connection path.
#pragma once

#include "core/metrics.h"
#include "transport/application.h"
#include "transport/server.h"

#include <boost/asio/io_context.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/beast/core/basic_stream.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <memory>
#include <mutex>
#include <utility>
#include <vector>

namespace herald::transport::detail {

namespace asio = boost::asio;
namespace beast = boost::beast;

// The three transports a listener can hand over; HTTP and WebSocket code is a template over them.
using TcpStream = beast::tcp_stream;
using TlsStream = beast::ssl_stream<beast::tcp_stream>;
using UnixStream = beast::basic_stream<asio::local::stream_protocol>;

// What stop() asks of a live connection. Called on the connection's worker thread only.
class Connection {
 public:
  virtual ~Connection() = default;
  // Finish what is in flight, then close (a WebSocket flushes and sends 1001 "going away").
  virtual void goAway() = 0;
  // Close the socket now: pending operations fail and the connection ends.
  virtual void abort() = 0;
};

// Shared by every worker. Outlives every connection: Server::stop() waits for them all to end
// before the workers (and this) are destroyed.
struct ServerState {
  ServerState(Application& app_in, Metrics& metrics_in, const TransportLimits& limits_in)
      : app(app_in), metrics(metrics_in), limits(limits_in) {}

  Application& app;
  Metrics& metrics;
  const TransportLimits& limits;
  // WebSockets holding a slot (handshaking or open), across all workers: the max_connections gate.
  std::atomic<std::size_t> websockets{0};

  // Connections of any kind not yet destroyed; stop() waits for zero.
  void connectionOpened() {
    std::lock_guard lock(mutex_);
    ++connections_;
  }
  void connectionClosed() {
    std::lock_guard lock(mutex_);
    if (--connections_ == 0) all_closed_.notify_all();
  }
  // True if every connection ended by `deadline`.
  bool waitAllClosed(std::chrono::steady_clock::time_point deadline) {
    std::unique_lock lock(mutex_);
    return all_closed_.wait_until(lock, deadline, [this] { return connections_ == 0; });
  }

 private:
  std::mutex mutex_;
  std::condition_variable all_closed_;
  std::size_t connections_ = 0;
};

// Counts one connection in ServerState for as long as the owning session object lives.
class LiveConnection {
 public:
  explicit LiveConnection(ServerState& state) : state_(state) { state_.connectionOpened(); }
  ~LiveConnection() { state_.connectionClosed(); }
  LiveConnection(const LiveConnection&) = delete;
  LiveConnection& operator=(const LiveConnection&) = delete;

 private:
  ServerState& state_;
};

// One WebSocket's place under max_connections; released once, when the WebSocket ends.
class WebSocketSlot {
 public:
  WebSocketSlot() = default;
  // Takes a slot if one is free; otherwise the returned slot is empty (see held()).
  static WebSocketSlot tryTake(ServerState& state) {
    if (state.websockets.fetch_add(1, std::memory_order_relaxed) >= state.limits.max_connections) {
      state.websockets.fetch_sub(1, std::memory_order_relaxed);
      return {};
    }
    return WebSocketSlot(&state);
  }
  WebSocketSlot(WebSocketSlot&& other) noexcept : state_(std::exchange(other.state_, nullptr)) {}
  WebSocketSlot& operator=(WebSocketSlot&& other) noexcept {
    if (this != &other) {
      release();
      state_ = std::exchange(other.state_, nullptr);
    }
    return *this;
  }
  ~WebSocketSlot() { release(); }

  bool held() const noexcept { return state_ != nullptr; }
  void release() noexcept {
    if (state_ != nullptr) std::exchange(state_, nullptr)->websockets.fetch_sub(1, std::memory_order_relaxed);
  }

 private:
  explicit WebSocketSlot(ServerState* state) : state_(state) {}
  ServerState* state_ = nullptr;
};

// The lean WebSocket sessions' per-worker state (shared read buffer, write scratch, sweep); defined
// in lean_ws_session.cpp, created by the first lean session on the worker.
struct LeanWsShard;
struct LeanWsShardDeleter {
  void operator()(LeanWsShard* shard) const noexcept;
};

struct Worker {
  Worker(std::size_t index_in, ServerState& state_in) : index(index_in), state(state_in) {}

  const std::size_t index;
  ServerState& state;
  // Worker thread only. Declared before `ioc` so it outlives the handlers the io_context destroys.
  std::vector<std::weak_ptr<Connection>> connections;
  std::unique_ptr<LeanWsShard, LeanWsShardDeleter> lean;
  bool stopping = false;  // set by stop(); connections handed over after it are refused
  // Concurrency hint 1: exactly one thread runs this io_context, so Asio can skip its locking.
  asio::io_context ioc{1};

  // Worker thread only.
  void track(std::weak_ptr<Connection> connection) {
    if (connections.size() >= sweep_at_) {
      std::erase_if(connections, [](const auto& weak) { return weak.expired(); });
      sweep_at_ = std::max(kMinSweep, connections.size() * 2);
    }
    connections.push_back(std::move(connection));
  }

 private:
  // Expired entries are swept when the list doubles, so tracking stays amortized O(1).
  static constexpr std::size_t kMinSweep = 64;
  std::size_t sweep_at_ = kMinSweep;
};

}  // namespace herald::transport::detail
