// WsSession: one accepted WebSocket, from handshake to the endpoint's onClose. Owns the Beast
// stream and the application's WsEndpoint; knows nothing of what the frames mean.
//
// Its async operations own it (shared_ptr); the worker lists it without owning it. At most one read,
// one write and one close are in flight, which Beast's websocket stream supports concurrently.
// The write loop asks the endpoint for frames only when the previous write finished, so a slow
// client's backlog stays in the endpoint's byte-bounded queue, where its policy applies, never in
// transport.
#include "transport/ws_session.h"
#include "core/text.h"

#include "transport/lean_ws_session.h"

#include <boost/asio/buffer.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/bind_handler.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/field.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <type_traits>
#include <string_view>
#include <utility>
#include <vector>

namespace herald::transport::detail {

namespace http = beast::http;
namespace websocket = beast::websocket;

namespace {

// RFC 6455 §5.5: a control frame carries at most 125 bytes; the close code takes 2 of them.
constexpr std::size_t kMaxCloseReasonBytes = 123;


websocket::stream_base::duration orNone(std::chrono::milliseconds limit) {
  if (limit.count() <= 0) return websocket::stream_base::none();
  return limit;
}

template <class Stream>
class WsSession final : public WsConnection,
                        public Connection,
                        public std::enable_shared_from_this<WsSession<Stream>> {
 public:
  WsSession(Worker& worker, Stream&& stream, WebSocketSlot slot, std::unique_ptr<WsEndpoint> endpoint,
            UpgradeRequest request, std::string subprotocol)
      : worker_(worker),
        live_(worker.state),
        ws_(std::move(stream)),
        slot_(std::move(slot)),
        endpoint_(std::move(endpoint)),
        request_(std::move(request)),
        subprotocol_(std::move(subprotocol)) {}

  // Reached with the session unfinished only when the io_context is destroyed with its operations
  // still queued (stop() gave up waiting); the endpoint still hears onClose exactly once.
  ~WsSession() override { finish(); }

  void run() { doAccept(); }

  void wake() override {
    if (phase_ != Phase::open || writing_) return;
    doWrite();
  }

  void close(std::uint16_t code, std::string_view reason, bool after_flush) override {
    if (phase_ == Phase::closing || phase_ == Phase::ended) return;
    if (close_) {
      // The first code stands; a later request can only make the close happen sooner.
      close_->after_flush = close_->after_flush && after_flush;
    } else {
      close_ = PendingClose{code, std::string(utf8Prefix(reason, kMaxCloseReasonBytes)), after_flush};
    }
    // A client that stopped reading (the slow consumer an immediate close is usually for, or one
    // whose last frames an after-flush close is still writing) may never let a write finish: every
    // close gets a bounded grace, then the connection is dropped.
    armCloseGrace();
    // While handshaking, onAccept acts on it; while writing, the write loop does.
    if (phase_ == Phase::handshaking || writing_) return;
    startClosing();
  }

  std::shared_ptr<Connection> retain() override { return this->shared_from_this(); }

  void goAway() override {
    close(static_cast<std::uint16_t>(websocket::close_code::going_away), "going away", true);
  }

  void abort() override { beast::get_lowest_layer(ws_).close(); }

 private:
  enum class Phase { handshaking, open, closing, ended };
  struct PendingClose {
    std::uint16_t code;
    std::string reason;
    bool after_flush;
  };

  void doAccept() {
    const TransportLimits& limits = worker_.state.limits;
    websocket::stream_base::timeout timeouts{};
    timeouts.handshake_timeout = orNone(limits.handshake_timeout);
    timeouts.idle_timeout = orNone(limits.idle_timeout);
    timeouts.keep_alive_pings = true;
    ws_.set_option(timeouts);
    // The websocket stream's own timer takes over from the one that bounded the HTTP request.
    beast::get_lowest_layer(ws_).expires_never();
    ws_.read_message_max(limits.max_message_bytes);
    // One frame per message: the client gets each message in one piece and no header per 4 KiB.
    ws_.auto_fragment(false);
    ws_.set_option(websocket::stream_base::decorator([subprotocol = subprotocol_](websocket::response_type& res) {
      res.set(http::field::server, "herald");
      if (!subprotocol.empty()) res.set(http::field::sec_websocket_protocol, subprotocol);
    }));
    ws_.async_accept(request_, beast::bind_front_handler(&WsSession::onAccept, this->shared_from_this()));
  }

  void onAccept(beast::error_code ec) {
    if (ec) {
      finish();
      return;
    }
    phase_ = Phase::open;
    counted_ = true;
    Metrics::add(worker_.state.metrics.connections, 1);
    Metrics::add(worker_.state.metrics.connections_total);
    endpoint_->onOpen(*this);
    if (phase_ != Phase::open) return;
    doRead();
    // A close asked for during the handshake (stop() going away) runs now.
    if (close_ && !writing_) startClosing();
  }

  void doRead() {
    ws_.async_read(read_buffer_, beast::bind_front_handler(&WsSession::onRead, this->shared_from_this()));
  }

  void onRead(beast::error_code ec, std::size_t /*bytes*/) {
    if (ec) {
      // While closing, the close operation's completion ends the session.
      if (phase_ != Phase::closing) finish();
      return;
    }
    if (phase_ == Phase::ended) return;
    Metrics::add(worker_.state.metrics.messages_in);
    const auto data = read_buffer_.cdata();
    endpoint_->onMessage(std::string_view(static_cast<const char*>(data.data()), data.size()), ws_.got_binary());
    read_buffer_.clear();
    if (phase_ == Phase::open) doRead();
  }

  // The write loop: writes the batch in order, then asks the endpoint for more, until it has none.
  void doWrite() {
    writing_ = true;
    while (next_ == batch_.size()) {
      batch_.clear();
      next_ = 0;
      if (close_ && !close_->after_flush) break;
      endpoint_->takeFrames(batch_);
      std::erase(batch_, nullptr);  // a null frame would be an endpoint bug; there is nothing to write
      if (batch_.empty()) break;
    }
    if (next_ == batch_.size() || (close_ && !close_->after_flush)) {
      writing_ = false;
      if (close_) {
        doClose();
      } else if (std::exchange(wrote_, false)) {
        endpoint_->onDrained();
      }
      return;
    }
    const Frame& frame = *batch_[next_];
    ws_.binary(frame.binary);
    ws_.async_write(boost::asio::buffer(frame.bytes),
                    beast::bind_front_handler(&WsSession::onWrite, this->shared_from_this()));
  }

  void onWrite(beast::error_code ec, std::size_t bytes) {
    if (ec) {
      writing_ = false;
      batch_.clear();
      next_ = 0;
      finish();
      return;
    }
    Metrics& metrics = worker_.state.metrics;
    Metrics::add(metrics.frames_out);
    Metrics::add(metrics.bytes_out, bytes);
    if (const std::int64_t accepted = batch_[next_]->accepted_ns; accepted != 0) {
      const std::int64_t now = std::chrono::duration_cast<std::chrono::nanoseconds>(
                                   std::chrono::steady_clock::now().time_since_epoch())
                                   .count();
      metrics.publish_to_write.observe(now > accepted ? static_cast<std::uint64_t>(now - accepted) / 1000 : 0);
    }
    batch_[next_].reset();  // the frame's bytes are shared; let them go as soon as they are written
    ++next_;
    wrote_ = true;
    if (phase_ != Phase::open) {
      writing_ = false;
      return;
    }
    doWrite();
  }

  void startClosing() {
    if (close_->after_flush) {
      doWrite();  // ends in doClose once the endpoint has nothing more
    } else {
      doClose();
    }
  }

  void doClose() {
    phase_ = Phase::closing;
    websocket::close_reason reason(close_->code);
    reason.reason = close_->reason;
    ws_.async_close(reason, beast::bind_front_handler(&WsSession::onClosed, this->shared_from_this()));
  }

  void onClosed(beast::error_code /*ec*/) { finish(); }

  void armCloseGrace() {
    if (close_timer_armed_) return;
    close_timer_armed_ = true;
    close_timer_.expires_after(kCloseGrace);
    close_timer_.async_wait([self = this->shared_from_this()](beast::error_code ec) {
      if (!ec) self->finish();
    });
  }

  // Ends the session once, whichever side or failure ended it: the endpoint hears onClose last.
  void finish() {
    if (phase_ == Phase::ended) return;
    phase_ = Phase::ended;
    if (close_timer_armed_) close_timer_.cancel();
    // Any operation still in flight (a write stuck on a dead peer) fails now instead of lingering.
    beast::get_lowest_layer(ws_).close();
    if (counted_) Metrics::add(worker_.state.metrics.connections, -1);
    slot_.release();
    endpoint_->onClose();
  }

  Worker& worker_;
  LiveConnection live_;
  websocket::stream<Stream> ws_;
  WebSocketSlot slot_;
  std::unique_ptr<WsEndpoint> endpoint_;
  UpgradeRequest request_;
  std::string subprotocol_;

  beast::flat_buffer read_buffer_;
  std::vector<FramePtr> batch_;  // taken from the endpoint, written in order
  std::size_t next_ = 0;         // first frame of batch_ not yet written
  bool writing_ = false;         // the write loop owns the stream's write side
  bool wrote_ = false;           // a frame was written since the last onDrained
  bool counted_ = false;         // in the connections gauge
  Phase phase_ = Phase::handshaking;
  std::optional<PendingClose> close_;
  // How long a close (slow consumer, rate abuse, an error reply, going away) waits for the writes
  // it needs and the close frame: long enough for a live client on a slow link, short enough that
  // a dead one does not hold a connection slot.
  static constexpr std::chrono::seconds kCloseGrace{5};
  boost::asio::steady_timer close_timer_{ws_.get_executor()};
  bool close_timer_armed_ = false;
};

}  // namespace

template <class Stream>
void startWebSocket(Worker& worker, Stream stream, WebSocketSlot slot, std::unique_ptr<WsEndpoint> endpoint,
                    UpgradeRequest request, std::string subprotocol) {
  if constexpr (!std::is_same_v<Stream, TlsStream>) {
    // Plain sockets get the lean session (lean_ws_session.cpp says why); TLS keeps Beast's stream.
    if (worker.state.limits.lean_websocket) {
      startLeanWebSocket<typename Stream::protocol_type>(
          worker, stream.release_socket(), std::move(slot), std::move(endpoint),
          request[http::field::sec_websocket_key], request[http::field::sec_websocket_version], subprotocol);
      return;
    }
  }
  auto session = std::make_shared<WsSession<Stream>>(worker, std::move(stream), std::move(slot), std::move(endpoint),
                                                     std::move(request), std::move(subprotocol));
  worker.track(*session);
  session->run();
}

template void startWebSocket<TcpStream>(Worker&, TcpStream, WebSocketSlot, std::unique_ptr<WsEndpoint>,
                                        UpgradeRequest, std::string);
template void startWebSocket<TlsStream>(Worker&, TlsStream, WebSocketSlot, std::unique_ptr<WsEndpoint>,
                                        UpgradeRequest, std::string);
template void startWebSocket<UnixStream>(Worker&, UnixStream, WebSocketSlot, std::unique_ptr<WsEndpoint>,
                                         UpgradeRequest, std::string);

}  // namespace herald::transport::detail
