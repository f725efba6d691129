// HttpSession: one connection's HTTP/1.1 life: requests read one at a time (keep-alive; pipelined
// requests are answered in order because the next is not read until the response is written),
// each handed to the Application, whose answer may come later on the same worker. An admitted
// WebSocket upgrade hands the stream to a WsSession and ends this session.
//
// Upgrade admission is decided here, before the handshake, in this order: max_connections (503),
// allowed_origins (403), then the Application (its refusal is sent as is). Every refusal closes the
// connection and counts in connections_rejected.
#include "transport/http_session.h"

#include "transport/ws_session.h"

#include <boost/asio/dispatch.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket/rfc6455.hpp>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <optional>
#include <string_view>
#include <type_traits>
#include <utility>

namespace herald::transport::detail {

namespace http = beast::http;

namespace {

// Room for long cookies and bearer tokens; browsers and proxies cap request headers near this.
constexpr std::uint32_t kMaxHeaderBytes = 16 * 1024;
// After the final response on a connection, unread request bytes would turn our close into a reset
// that can destroy the response in flight: read and discard for this long (a lingering close).
constexpr std::chrono::seconds kLingerTimeout{2};
// A TLS peer that never answers close_notify must not hold the connection open.
constexpr std::chrono::seconds kTlsShutdownTimeout{2};
// Granularity of the lingering read; the bytes are discarded.
constexpr std::size_t kDrainChunkBytes = 4096;

template <class Stream>
constexpr bool kIsTls = std::is_same_v<Stream, TlsStream>;

std::string lowercase(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

template <class Fields>
std::vector<std::pair<std::string, std::string>> lowercaseHeaders(const Fields& fields) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& field : fields) out.emplace_back(lowercase(field.name_string()), std::string(field.value()));
  return out;
}

// Sec-WebSocket-Protocol may repeat and holds comma-separated tokens; keeps client order.
template <class Fields>
std::vector<std::string> subprotocols(const Fields& fields) {
  std::vector<std::string> out;
  auto [first, last] = fields.equal_range(http::field::sec_websocket_protocol);
  for (auto it = first; it != last; ++it) {
    std::string_view value = it->value();
    while (!value.empty()) {
      const auto comma = value.find(',');
      std::string_view token = value.substr(0, comma);
      while (!token.empty() && (token.front() == ' ' || token.front() == '\t')) token.remove_prefix(1);
      while (!token.empty() && (token.back() == ' ' || token.back() == '\t')) token.remove_suffix(1);
      if (!token.empty()) out.emplace_back(token);
      if (comma == std::string_view::npos) break;
      value.remove_prefix(comma + 1);
    }
  }
  return out;
}

void setTimer(beast::tcp_stream& stream, std::chrono::steady_clock::duration limit) {
  if (limit.count() <= 0) {
    stream.expires_never();
  } else {
    stream.expires_after(limit);
  }
}
void setTimer(UnixStream& stream, std::chrono::steady_clock::duration limit) {
  if (limit.count() <= 0) {
    stream.expires_never();
  } else {
    stream.expires_after(limit);
  }
}

HttpResponse errorResponse(unsigned status, std::string_view message) {
  HttpResponse response;
  response.status = status;
  response.body = std::string(R"({"error":")") + std::string(message) + "\"}";
  return response;
}

template <class Stream>
class HttpSession final : public Connection, public std::enable_shared_from_this<HttpSession<Stream>> {
 public:
  HttpSession(Worker& worker, Stream&& stream, std::string remote, MountPaths paths = {})
      : worker_(worker), live_(worker.state), stream_(std::move(stream)), remote_(std::move(remote)),
        paths_(std::move(paths)) {}

  void run() {
    if constexpr (kIsTls<Stream>) {
      doHandshake();
    } else {
      doReadHeader();
    }
  }

  std::shared_ptr<Connection> retain() override { return this->shared_from_this(); }

  void goAway() override {
    going_away_ = true;
    // Nothing is owed to a connection that is between requests (or still sending one): close it.
    // One awaiting its response gets it, then closes (see onWrite).
    if (phase_ == Phase::handshaking || phase_ == Phase::reading) abort();
  }

  void abort() override {
    phase_ = Phase::done;
    if (!handed_over_) beast::get_lowest_layer(stream_).close();
  }

 private:
  enum class Phase { handshaking, reading, responding, closing, done };

  const TransportLimits& limits() const { return worker_.state.limits; }

  void doHandshake() {
    setTimer(beast::get_lowest_layer(stream_), limits().handshake_timeout);
    stream_.async_handshake(boost::asio::ssl::stream_base::server,
                            beast::bind_front_handler(&HttpSession::onHandshake, this->shared_from_this()));
  }

  void onHandshake(beast::error_code ec) {
    if (ec || phase_ == Phase::done) {
      abort();
      return;
    }
    doReadHeader();
  }

  void doReadHeader() {
    phase_ = Phase::reading;
    parser_.emplace();
    parser_->header_limit(kMaxHeaderBytes);
    parser_->body_limit(limits().max_http_body_bytes);
    // A new connection gets handshake_timeout for its first request; a kept-alive one idle_timeout.
    setTimer(beast::get_lowest_layer(stream_), requests_ == 0 ? limits().handshake_timeout : limits().idle_timeout);
    http::async_read_header(stream_, buffer_, *parser_,
                            beast::bind_front_handler(&HttpSession::onReadHeader, this->shared_from_this()));
  }

  void onReadHeader(beast::error_code ec, std::size_t /*bytes*/) {
    if (ec) {
      onReadError(ec);
      return;
    }
    if (parser_->is_done()) {
      onRequest();
      return;
    }
    if (beast::iequals(parser_->get()[http::field::expect], "100-continue")) {
      doContinue();
    } else {
      doReadBody();
    }
  }

  // Clients that wait for "100 Continue" before a large body (curl does) get it at once.
  void doContinue() {
    continue_.emplace(http::status::continue_, parser_->get().version());
    http::async_write(stream_, *continue_,
                      beast::bind_front_handler(&HttpSession::onContinue, this->shared_from_this()));
  }

  void onContinue(beast::error_code ec, std::size_t /*bytes*/) {
    continue_.reset();
    if (ec) {
      abort();
      return;
    }
    doReadBody();
  }

  void doReadBody() {
    http::async_read(stream_, buffer_, *parser_,
                     beast::bind_front_handler(&HttpSession::onReadBody, this->shared_from_this()));
  }

  void onReadBody(beast::error_code ec, std::size_t /*bytes*/) {
    if (ec) {
      onReadError(ec);
      return;
    }
    onRequest();
  }

  void onReadError(beast::error_code ec) {
    if (phase_ == Phase::done) return;
    version_ = parser_ && parser_->is_header_done() ? parser_->get().version() : 11;
    if (ec == http::error::body_limit) {
      doWrite(errorResponse(413, "request body too large"), false);
    } else if (ec == http::error::header_limit) {
      doWrite(errorResponse(431, "request header too large"), false);
    } else if (ec.category() == http::make_error_code(http::error::bad_target).category() &&
               ec != http::error::end_of_stream &&
               ec != http::error::partial_message) {
      doWrite(errorResponse(400, "bad request"), false);
    } else {
      abort();  // closed by the peer, timed out, or stopped: nobody to answer
    }
  }

  void onRequest() {
    ++requests_;
    auto& request = parser_->get();
    version_ = request.version();
    if (beast::websocket::is_upgrade(request)) {
      onUpgrade();
      return;
    }
    phase_ = Phase::responding;
    keep_alive_ = request.keep_alive();
    // The timer bounds socket operations; the Application takes the time it needs.
    beast::get_lowest_layer(stream_).expires_never();

    HttpRequest out;
    out.method = std::string(request.method_string());
    out.target = std::string(request.target());
    out.headers = lowercaseHeaders(request);
    out.body = std::move(request.body());
    out.remote = remote_;
    out.secure = kIsTls<Stream>;
    parser_.reset();

    const std::uint64_t id = ++response_id_;
    awaiting_response_ = true;
    Respond respond = [self = this->shared_from_this(), id](HttpResponse response) {
      // Runs inline when called on the worker thread, as the contract asks; posted otherwise.
      boost::asio::dispatch(self->stream_.get_executor(), [self, id, response = std::move(response)]() mutable {
        self->onResponse(id, std::move(response));
      });
    };
    worker_.state.app.handleHttp(worker_.index, std::move(out), std::move(respond));
  }

  void onResponse(std::uint64_t id, HttpResponse response) {
    // A second call, or one after the connection failed, has no request left to answer.
    if (id != response_id_ || !awaiting_response_ || phase_ != Phase::responding) return;
    awaiting_response_ = false;
    doWrite(std::move(response), keep_alive_);
  }

  void onUpgrade() {
    ServerState& state = worker_.state;
    const auto& request = parser_->get();
    // A listener dedicated to some mounts (a dialect's own port) upgrades nothing else.
    if (paths_) {
      const std::string_view path = request.target().substr(0, request.target().find('?'));
      if (std::find(paths_->begin(), paths_->end(), path) == paths_->end()) {
        reject(errorResponse(404, "no WebSocket endpoint at this path on this listener"));
        return;
      }
    }

    WebSocketSlot slot = WebSocketSlot::tryTake(state);
    if (!slot.held()) {
      reject(errorResponse(503, "too many connections"));
      return;
    }
    const auto origin = request[http::field::origin];
    const auto& allowed = limits().allowed_origins;
    // Browsers always send Origin on a WebSocket upgrade; the check keeps other sites' pages out.
    // A client that sends none is not a browser (a wallet, a CLI, a server) and is not refused.
    if (!allowed.empty() && !origin.empty() && std::find(allowed.begin(), allowed.end(), origin) == allowed.end()) {
      reject(errorResponse(403, "origin not allowed"));
      return;
    }

    WsUpgrade upgrade;
    const std::string_view target = request.target();
    const auto query = target.find('?');
    upgrade.path = std::string(target.substr(0, query));
    if (query != std::string_view::npos) upgrade.query = std::string(target.substr(query + 1));
    upgrade.subprotocols = subprotocols(request);
    upgrade.origin = std::string(origin);
    upgrade.headers = lowercaseHeaders(request);
    upgrade.remote = remote_;
    upgrade.secure = kIsTls<Stream>;

    WsAccept decision = state.app.upgrade(worker_.index, upgrade);
    if (!decision.accepted) {
      reject(std::move(decision.refusal));
      return;
    }
    if (!decision.endpoint) {  // accepted with nobody to talk to: an Application bug
      reject(errorResponse(500, "internal error"));
      return;
    }
    phase_ = Phase::done;
    handed_over_ = true;
    startWebSocket<Stream>(worker_, std::move(stream_), std::move(slot), std::move(decision.endpoint),
                           parser_->release(), std::move(decision.subprotocol));
  }

  void reject(HttpResponse response) {
    Metrics::add(worker_.state.metrics.connections_rejected);
    doWrite(std::move(response), false);
  }

  void doWrite(HttpResponse response, bool keep_alive) {
    phase_ = Phase::responding;
    response_.emplace();
    auto& out = *response_;
    // 1xx is never a final response, and Beast refuses codes past 999.
    const bool valid = response.status >= 200 && response.status <= 999;
    out.result(valid ? response.status : 500);
    out.version(version_);
    out.set(http::field::server, "herald");
    if (!response.content_type.empty()) out.set(http::field::content_type, response.content_type);
    for (auto& [name, value] : response.headers) out.insert(name, value);
    if (out.result() != http::status::no_content && out.result() != http::status::not_modified) {
      out.body() = std::move(response.body);
    }
    out.keep_alive(keep_alive && !going_away_);
    out.prepare_payload();
    setTimer(beast::get_lowest_layer(stream_), limits().idle_timeout);
    http::async_write(stream_, out,
                      beast::bind_front_handler(&HttpSession::onWrite, this->shared_from_this()));
  }

  void onWrite(beast::error_code ec, std::size_t /*bytes*/) {
    const bool keep_alive = response_->keep_alive();
    response_.reset();
    if (ec) {
      abort();
      return;
    }
    if (!keep_alive || going_away_) {
      doShutdown();
      return;
    }
    doReadHeader();
  }

  void doShutdown() {
    phase_ = Phase::closing;
    if constexpr (kIsTls<Stream>) {
      setTimer(beast::get_lowest_layer(stream_), kTlsShutdownTimeout);
      stream_.async_shutdown(beast::bind_front_handler(&HttpSession::onShutdown, this->shared_from_this()));
    } else {
      beast::error_code ec;
      beast::get_lowest_layer(stream_).socket().shutdown(boost::asio::socket_base::shutdown_send, ec);
      if (ec) {
        abort();
        return;
      }
      setTimer(beast::get_lowest_layer(stream_), kLingerTimeout);
      doDrain();
    }
  }

  void onShutdown(beast::error_code /*ec*/) { abort(); }  // a peer's missing close_notify changes nothing

  void doDrain() {
    buffer_.clear();
    stream_.async_read_some(buffer_.prepare(kDrainChunkBytes),
                            beast::bind_front_handler(&HttpSession::onDrain, this->shared_from_this()));
  }

  void onDrain(beast::error_code ec, std::size_t /*bytes*/) {
    if (ec || phase_ != Phase::closing) {
      abort();  // end of stream, linger timeout, or stop
      return;
    }
    doDrain();
  }

  Worker& worker_;
  LiveConnection live_;
  Stream stream_;
  std::string remote_;
  MountPaths paths_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::optional<http::response<http::empty_body>> continue_;
  std::optional<http::response<http::string_body>> response_;
  Phase phase_ = kIsTls<Stream> ? Phase::handshaking : Phase::reading;
  unsigned version_ = 11;
  bool keep_alive_ = true;
  bool going_away_ = false;
  bool awaiting_response_ = false;
  bool handed_over_ = false;  // stream_ now belongs to a WsSession
  std::uint64_t requests_ = 0;
  std::uint64_t response_id_ = 0;  // tells a late or repeated Respond call from the current one
};

template <class Stream>
void startSession(Worker& worker, Stream stream, std::string remote, MountPaths paths = {}) {
  auto session =
      std::make_shared<HttpSession<Stream>>(worker, std::move(stream), std::move(remote), std::move(paths));
  worker.track(*session);
  session->run();
}

}  // namespace

void startTcpConnection(Worker& worker, boost::asio::ip::tcp::socket socket, std::string remote,
                        MountPaths paths) {
  if (worker.stopping) return;
  beast::error_code ignored;
  // Frames are small and latency matters more than packet count; batching happens above TCP.
  socket.set_option(boost::asio::ip::tcp::no_delay(true), ignored);
  startSession(worker, TcpStream(std::move(socket)), std::move(remote), std::move(paths));
}

void startTlsConnection(Worker& worker, boost::asio::ip::tcp::socket socket, boost::asio::ssl::context& tls,
                        std::string remote, MountPaths paths) {
  if (worker.stopping) return;
  beast::error_code ignored;
  socket.set_option(boost::asio::ip::tcp::no_delay(true), ignored);
  startSession(worker, TlsStream(TcpStream(std::move(socket)), tls), std::move(remote), std::move(paths));
}

void startUnixConnection(Worker& worker, boost::asio::local::stream_protocol::socket socket) {
  if (worker.stopping) return;
  startSession(worker, UnixStream(std::move(socket)), "unix");
}

}  // namespace herald::transport::detail
