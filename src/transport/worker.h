// Worker: one event-loop thread's state (its io_context and the connections it owns) and the state
// all workers share (application, metrics, limits, live counts). Internal to transport; nothing
// outside src/transport includes it.
//
// Connections are listed (intrusively) in the worker that owns them, touched only on that worker's
// thread, so stop() can reach every live connection without a lock on the connection path. A
// connection leaves the list in its destructor: the list holds no ownership, and unlike a list of
// weak_ptr it keeps no memory of ended connections alive (a weak_ptr pins its make_shared block, and
// after a burst of handshakes that was every finished HTTP session until the next sweep).
#pragma once

#include "core/metrics.h"
#include "transport/application.h"
#include "transport/server.h"

#include <boost/asio/io_context.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/beast/core/basic_stream.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <boost/intrusive/list.hpp>

#include <unistd.h>

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

// Moves a connection's descriptor from one socket object to another (of another io_context, or of a
// leaner socket type) without losing a byte. False when it cannot: `from` keeps the descriptor if
// release() failed, otherwise it is closed here, as if the peer had gone.
template <class From, class To>
bool moveDescriptor(From& from, const typename To::protocol_type& protocol, To& to) {
  boost::system::error_code ec;
  const auto native = from.release(ec);
  if (ec) return false;
  to.assign(protocol, native, ec);
  if (ec) {
    ::close(native);
    return false;
  }
  return true;
}

// What stop() asks of a live connection. Called on the connection's worker thread only.
class Connection
    : public boost::intrusive::list_base_hook<boost::intrusive::link_mode<boost::intrusive::auto_unlink>> {
 public:
  virtual ~Connection() = default;
  // Shared ownership of this connection, for a caller that may outlive the call that ends it.
  virtual std::shared_ptr<Connection> retain() = 0;
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
  boost::intrusive::list<Connection, boost::intrusive::constant_time_size<false>> connections;
  std::unique_ptr<LeanWsShard, LeanWsShardDeleter> lean;
  bool stopping = false;  // set by stop(); connections handed over after it are refused
  // Concurrency hint 1: exactly one thread runs this io_context, so Asio can skip its locking.
  asio::io_context ioc{1};

  // Worker thread only. The connection leaves the list when it is destroyed.
  void track(Connection& connection) { connections.push_back(connection); }

  // Worker thread only: owners of every live connection, so a caller can end them one by one
  // while the list changes under it.
  std::vector<std::shared_ptr<Connection>> liveConnections() {
    std::vector<std::shared_ptr<Connection>> live;
    for (auto& connection : connections) live.push_back(connection.retain());
    return live;
  }
};

}  // namespace herald::transport::detail
