// Server over real sockets: TCP on 127.0.0.1 port 0, a Unix socket in a temporary directory, TLS
// with a certificate made here. A small Application answers HTTP later (through Server::post) and
// echoes WebSocket messages; Beast clients talk to it. Every wait is on an event, bounded by a
// failsafe so a hang fails the test instead of the suite.
#include "transport/server.h"

#include <gtest/gtest.h>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <future>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace herald::transport {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace fs = std::filesystem;
using UnixStream = beast::basic_stream<net::local::stream_protocol>;

// Failsafe only: the awaited events arrive in milliseconds; this turns a hang into a failure.
constexpr std::chrono::seconds kEventWait{10};

// What the application saw, shared between worker threads and the test thread.
struct Journal {
  std::mutex mutex;
  std::condition_variable changed;
  int opens = 0;
  int closes = 0;
  int violations = 0;  // an endpoint called after onClose, or onClose twice
  int before_close_calls = 0;
  std::vector<std::pair<std::size_t, std::thread::id>> upgrades;  // worker, thread it ran on
  bool last_upgrade_secure = false;
  std::string last_upgrade_remote;

  template <class Fn>
  void update(Fn fn) {
    std::lock_guard lock(mutex);
    fn();
    changed.notify_all();
  }
  template <class Pred>
  bool waitFor(Pred pred) {
    std::unique_lock lock(mutex);
    return changed.wait_for(lock, kEventWait, pred);
  }
};

class TestApp;

// Echoes each message as a frame of the same kind. "close-after-bye" queues "bye" and asks for a
// close with 4000 after the flush; "many:N" queues N frames at once.
class EchoEndpoint final : public WsEndpoint {
 public:
  EchoEndpoint(TestApp& app, Journal& journal, std::size_t worker) : app_(app), journal_(journal), worker_(worker) {}

  void onOpen(WsConnection& connection) override;
  void onMessage(std::string_view bytes, bool binary) override {
    checkOpen();
    if (bytes == "close-after-bye") {
      queue_.push_back(makeFrame("bye"));
      connection_->close(4000, "bye", true);
      return;
    }
    if (bytes.starts_with("many:")) {
      const int count = std::stoi(std::string(bytes.substr(5)));
      for (int i = 0; i < count; ++i) queue_.push_back(makeFrame(std::to_string(i)));
    } else {
      queue_.push_back(makeFrame(std::string(bytes), binary));
    }
    connection_->wake();
  }
  std::size_t takeFrames(std::vector<FramePtr>& out) override {
    checkOpen();
    const std::size_t count = queue_.size();
    for (auto& frame : queue_) out.push_back(std::move(frame));
    queue_.clear();
    return count;
  }
  void onDrained() override { checkOpen(); }
  void onClose() override;

  void sayGoodbye() {
    queue_.push_back(makeFrame("goodbye"));
    connection_->wake();
  }
  std::size_t worker() const { return worker_; }

 private:
  void checkOpen() {
    if (closed_) journal_.update([&] { ++journal_.violations; });
  }

  TestApp& app_;
  Journal& journal_;
  std::size_t worker_;
  WsConnection* connection_ = nullptr;
  std::vector<FramePtr> queue_;
  bool closed_ = false;
};

class TestApp final : public Application {
 public:
  explicit TestApp(Journal& journal) : journal_(journal) {}

  Server* server = nullptr;

  // Answers from the worker's queue, later, as an application waiting on storage would.
  void handleHttp(std::size_t worker, HttpRequest request, Respond respond) override {
    server->post(worker, [request = std::move(request), respond = std::move(respond)] {
      HttpResponse response;
      response.content_type = "text/plain";
      response.body = request.method + " " + request.target + " " + std::to_string(request.body.size()) + " " +
                      request.remote + (request.secure ? " secure" : "") + " x-test=" +
                      std::string(request.header("x-test"));
      response.headers.emplace_back("X-Served-By", "test");
      respond(std::move(response));
    });
  }

  WsAccept upgrade(std::size_t worker, const WsUpgrade& request) override {
    journal_.update([&] {
      journal_.upgrades.emplace_back(worker, std::this_thread::get_id());
      journal_.last_upgrade_secure = request.secure;
      journal_.last_upgrade_remote = request.remote;
    });
    WsAccept accept;
    if (request.path == "/refuse") {
      accept.refusal.status = 404;
      accept.refusal.body = R"({"error":"no dialect at /refuse"})";
      return accept;
    }
    accept.accepted = true;
    for (const auto& offered : request.subprotocols) {
      if (offered == "herald.v1") accept.subprotocol = offered;
    }
    accept.endpoint = std::make_unique<EchoEndpoint>(*this, journal_, worker);
    return accept;
  }

  void beforeClose(std::size_t worker) override {
    journal_.update([&] { ++journal_.before_close_calls; });
    std::vector<EchoEndpoint*> mine;
    {
      std::lock_guard lock(mutex_);
      for (auto* endpoint : live_) {
        if (endpoint->worker() == worker) mine.push_back(endpoint);
      }
    }
    for (auto* endpoint : mine) endpoint->sayGoodbye();
  }

  void opened(EchoEndpoint* endpoint) {
    std::lock_guard lock(mutex_);
    live_.insert(endpoint);
  }
  void closed(EchoEndpoint* endpoint) {
    std::lock_guard lock(mutex_);
    live_.erase(endpoint);
  }

 private:
  Journal& journal_;
  std::mutex mutex_;
  std::set<EchoEndpoint*> live_;
};

void EchoEndpoint::onOpen(WsConnection& connection) {
  connection_ = &connection;
  app_.opened(this);
  journal_.update([&] { ++journal_.opens; });
}

void EchoEndpoint::onClose() {
  if (closed_) {
    journal_.update([&] { ++journal_.violations; });
    return;
  }
  closed_ = true;
  app_.closed(this);
  journal_.update([&] { ++journal_.closes; });
}

// ---- clients ---------------------------------------------------------------------------------

std::uint16_t portOf(const std::string& endpoint) {
  return static_cast<std::uint16_t>(std::stoi(endpoint.substr(endpoint.rfind(':') + 1)));
}

net::ip::tcp::endpoint local(std::uint16_t port) { return {net::ip::make_address("127.0.0.1"), port}; }

http::request<http::string_body> get(std::string target) {
  http::request<http::string_body> request{http::verb::get, target, 11};
  request.set(http::field::host, "127.0.0.1");
  return request;
}

http::request<http::string_body> upgradeRequest(std::string target, std::string origin = {}) {
  auto request = get(std::move(target));
  request.set(http::field::connection, "Upgrade");
  request.set(http::field::upgrade, "websocket");
  request.set(http::field::sec_websocket_key, "dGhlIHNhbXBsZSBub25jZQ==");
  request.set(http::field::sec_websocket_version, "13");
  if (!origin.empty()) request.set(http::field::origin, origin);
  return request;
}

template <class Stream>
http::response<http::string_body> roundTrip(Stream& stream, beast::flat_buffer& buffer,
                                            http::request<http::string_body> request) {
  request.prepare_payload();
  http::write(stream, request);
  http::response<http::string_body> response;
  http::read(stream, buffer, response);
  return response;
}

http::response<http::string_body> fetch(std::uint16_t port, http::request<http::string_body> request) {
  net::io_context ioc;
  beast::tcp_stream stream(ioc);
  stream.connect(local(port));
  beast::flat_buffer buffer;
  return roundTrip(stream, buffer, std::move(request));
}

struct WsClient {
  net::io_context ioc;
  websocket::stream<beast::tcp_stream> ws{ioc};
  websocket::response_type handshake_response;

  void open(std::uint16_t port, const std::string& target = "/ws", const std::string& subprotocol = {},
            const std::string& origin = {}) {
    ws.next_layer().connect(local(port));
    ws.set_option(websocket::stream_base::decorator([subprotocol, origin](websocket::request_type& request) {
      if (!subprotocol.empty()) request.set(http::field::sec_websocket_protocol, subprotocol);
      if (!origin.empty()) request.set(http::field::origin, origin);
    }));
    ws.handshake(handshake_response, "127.0.0.1", target);
  }
  std::string read() {
    beast::flat_buffer buffer;
    ws.read(buffer);
    return beast::buffers_to_string(buffer.data());
  }
  // Reads until the connection ends; returns the error that ended it.
  beast::error_code readUntilClosed(std::vector<std::string>* messages = nullptr) {
    for (;;) {
      beast::flat_buffer buffer;
      beast::error_code ec;
      ws.read(buffer, ec);
      if (ec) return ec;
      if (messages) messages->push_back(beast::buffers_to_string(buffer.data()));
    }
  }
};

// A self-signed P-256 certificate and its key, as PEM files in `dir`.
std::pair<std::string, std::string> makeCertificate(const fs::path& dir) {
  EVP_PKEY* key = EVP_EC_gen("P-256");
  X509* cert = X509_new();
  X509_set_version(cert, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
  X509_gmtime_adj(X509_getm_notBefore(cert), 0);
  X509_gmtime_adj(X509_getm_notAfter(cert), 3600);
  X509_set_pubkey(cert, key);
  X509_NAME* name = X509_get_subject_name(cert);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("localhost"), -1, -1,
                             0);
  X509_set_issuer_name(cert, name);
  X509_sign(cert, key, EVP_sha256());

  const auto cert_path = (dir / "cert.pem").string();
  const auto key_path = (dir / "key.pem").string();
  FILE* out = std::fopen(cert_path.c_str(), "w");
  PEM_write_X509(out, cert);
  std::fclose(out);
  out = std::fopen(key_path.c_str(), "w");
  PEM_write_PrivateKey(out, key, nullptr, nullptr, 0, nullptr, nullptr);
  std::fclose(out);
  X509_free(cert);
  EVP_PKEY_free(key);
  return {cert_path, key_path};
}

fs::path makeTempDir() {
  std::string pattern = (fs::temp_directory_path() / "herald-transport-XXXXXX").string();
  return fs::path(mkdtemp(pattern.data()));
}

// ---- fixture ---------------------------------------------------------------------------------

ListenerConfig tcpListener() {
  ListenerConfig listener;
  listener.kind = ListenerConfig::Kind::tcp;
  listener.host = "127.0.0.1";
  listener.port = 0;
  return listener;
}

ListenerConfig tlsListener(std::string cert, std::string key) {
  ListenerConfig listener = tcpListener();
  listener.kind = ListenerConfig::Kind::tls;
  listener.cert_file = std::move(cert);
  listener.key_file = std::move(key);
  return listener;
}

ListenerConfig unixListener(std::string path) {
  ListenerConfig listener;
  listener.kind = ListenerConfig::Kind::unix_socket;
  listener.path = std::move(path);
  return listener;
}

class TransportServerTest : public ::testing::Test {
 protected:
  static ServerConfig tcpConfig() {
    ServerConfig config;
    config.workers = 2;
    config.listeners.push_back(tcpListener());
    return config;
  }

  std::vector<std::string> start(ServerConfig config) {
    server_ = std::make_unique<Server>(std::move(config), app_, metrics_);
    app_.server = server_.get();
    endpoints_ = server_->start();
    return endpoints_;
  }
  std::uint16_t port(std::size_t listener = 0) const { return portOf(endpoints_.at(listener)); }

  void TearDown() override {
    server_.reset();
    EXPECT_EQ(journal_.violations, 0);
    EXPECT_EQ(journal_.opens, journal_.closes) << "every opened endpoint hears onClose";
  }

  Journal journal_;
  TestApp app_{journal_};
  Metrics metrics_;
  std::unique_ptr<Server> server_;
  std::vector<std::string> endpoints_;
};

// ---- HTTP ------------------------------------------------------------------------------------

TEST_F(TransportServerTest, HttpGetIsAnsweredLaterOnKeptAliveConnection) {
  start(tcpConfig());
  ASSERT_EQ(endpoints_.size(), 1u);
  EXPECT_TRUE(endpoints_[0].starts_with("127.0.0.1:"));
  EXPECT_NE(port(), 0);

  net::io_context ioc;
  beast::tcp_stream stream(ioc);
  stream.connect(local(port()));
  beast::flat_buffer buffer;
  auto request = get("/hello?x=1");
  request.set("X-Test", "yes");
  auto first = roundTrip(stream, buffer, request);
  EXPECT_EQ(first.result_int(), 200u);
  EXPECT_TRUE(first.body().starts_with("GET /hello?x=1 0 127.0.0.1:")) << first.body();
  EXPECT_TRUE(first.body().ends_with("x-test=yes")) << first.body();
  EXPECT_EQ(first[http::field::content_type], "text/plain");
  EXPECT_EQ(first["X-Served-By"], "test");
  EXPECT_TRUE(first.keep_alive());

  auto second = roundTrip(stream, buffer, get("/again"));
  EXPECT_EQ(second.result_int(), 200u);
  EXPECT_TRUE(second.body().starts_with("GET /again 0")) << second.body();
}

TEST_F(TransportServerTest, PipelinedRequestsAreAnsweredInOrder) {
  start(tcpConfig());
  net::io_context ioc;
  beast::tcp_stream stream(ioc);
  stream.connect(local(port()));
  const std::string both =
      "GET /one HTTP/1.1\r\nHost: x\r\n\r\n"
      "POST /two HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc";
  net::write(stream, net::buffer(both));
  beast::flat_buffer buffer;
  http::response<http::string_body> one;
  http::response<http::string_body> two;
  http::read(stream, buffer, one);
  http::read(stream, buffer, two);
  EXPECT_TRUE(one.body().starts_with("GET /one 0")) << one.body();
  EXPECT_TRUE(two.body().starts_with("POST /two 3")) << two.body();
}

TEST_F(TransportServerTest, BodyOverLimitIs413) {
  auto config = tcpConfig();
  config.limits.max_http_body_bytes = 1024;
  start(config);

  http::request<http::string_body> small{http::verb::post, "/publish", 11};
  small.set(http::field::host, "127.0.0.1");
  small.body() = std::string(1024, 'a');
  auto accepted = fetch(port(), small);
  EXPECT_EQ(accepted.result_int(), 200u);
  EXPECT_TRUE(accepted.body().starts_with("POST /publish 1024")) << accepted.body();

  auto large = small;
  large.body() = std::string(4096, 'a');
  auto refused = fetch(port(), large);
  EXPECT_EQ(refused.result_int(), 413u);
  EXPECT_EQ(refused.body(), R"({"error":"request body too large"})");
  EXPECT_FALSE(refused.keep_alive());
}

TEST_F(TransportServerTest, ExpectContinueGetsContinueBeforeTheBody) {
  start(tcpConfig());
  net::io_context ioc;
  beast::tcp_stream stream(ioc);
  stream.connect(local(port()));
  const std::string head = "POST /p HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n";
  net::write(stream, net::buffer(head));
  beast::flat_buffer buffer;
  http::response<http::empty_body> interim;
  http::read(stream, buffer, interim);
  EXPECT_EQ(interim.result(), http::status::continue_);
  net::write(stream, net::buffer(std::string("hello")));
  http::response<http::string_body> final_response;
  http::read(stream, buffer, final_response);
  EXPECT_TRUE(final_response.body().starts_with("POST /p 5")) << final_response.body();
}

// ---- WebSocket -------------------------------------------------------------------------------

TEST_F(TransportServerTest, WebSocketEchoesTextAndBinary) {
  start(tcpConfig());
  WsClient client;
  client.open(port());
  ASSERT_TRUE(journal_.waitFor([&] { return journal_.opens == 1; }));
  EXPECT_EQ(metrics_.connections.load(), 1);
  EXPECT_EQ(metrics_.connections_total.load(), 1u);

  client.ws.text(true);
  client.ws.write(net::buffer(std::string("hello")));
  EXPECT_EQ(client.read(), "hello");
  EXPECT_TRUE(client.ws.got_text());

  const std::string bytes("\x00\x01\xff binary", 10);
  client.ws.binary(true);
  client.ws.write(net::buffer(bytes));
  EXPECT_EQ(client.read(), bytes);
  EXPECT_TRUE(client.ws.got_binary());

  client.ws.text(true);
  client.ws.write(net::buffer(std::string("many:50")));
  for (int i = 0; i < 50; ++i) EXPECT_EQ(client.read(), std::to_string(i));

  client.ws.close(websocket::close_code::normal);
  ASSERT_TRUE(journal_.waitFor([&] { return journal_.closes == 1; }));
  // Counted after each write completes, which on the worker precedes reading the client's close.
  EXPECT_EQ(metrics_.frames_out.load(), 52u);
  EXPECT_EQ(metrics_.bytes_out.load(), 5u + bytes.size() + 10u * 1 + 40u * 2);
  EXPECT_EQ(metrics_.messages_in.load(), 3u);
  EXPECT_EQ(metrics_.connections.load(), 0);
}

TEST_F(TransportServerTest, SubprotocolChosenByTheApplicationIsEchoed) {
  start(tcpConfig());
  WsClient chosen;
  chosen.open(port(), "/ws", "other, herald.v1");
  EXPECT_EQ(chosen.handshake_response[http::field::sec_websocket_protocol], "herald.v1");
  EXPECT_EQ(chosen.handshake_response[http::field::server], "herald");

  WsClient none;
  none.open(port(), "/ws");
  EXPECT_EQ(none.handshake_response.count(http::field::sec_websocket_protocol), 0u);
}

TEST_F(TransportServerTest, DisallowedOriginIs403AndNoOriginIsAccepted) {
  auto config = tcpConfig();
  config.limits.allowed_origins = {"https://ok.example"};
  start(config);

  auto refused = fetch(port(), upgradeRequest("/ws", "https://evil.example"));
  EXPECT_EQ(refused.result_int(), 403u);
  EXPECT_EQ(refused.body(), R"({"error":"origin not allowed"})");
  EXPECT_EQ(metrics_.connections_rejected.load(), 1u);
  EXPECT_TRUE(journal_.upgrades.empty()) << "the application is not asked about a refused origin";

  WsClient allowed;
  allowed.open(port(), "/ws", {}, "https://ok.example");
  EXPECT_TRUE(journal_.waitFor([&] { return journal_.opens == 1; }));

  // No Origin at all is not a browser (a wallet, a CLI, a server): the check is not about it.
  WsClient no_origin;
  no_origin.open(port(), "/ws");
  EXPECT_TRUE(journal_.waitFor([&] { return journal_.opens == 2; }));
  EXPECT_EQ(metrics_.connections_rejected.load(), 1u);
}

TEST_F(TransportServerTest, OverMaxConnectionsIs503UntilOneCloses) {
  auto config = tcpConfig();
  config.limits.max_connections = 1;
  start(config);

  auto first = std::make_unique<WsClient>();
  first->open(port());
  auto refused = fetch(port(), upgradeRequest("/ws"));
  EXPECT_EQ(refused.result_int(), 503u);
  EXPECT_EQ(refused[http::field::content_type], "application/json");
  EXPECT_EQ(refused.body(), R"({"error":"too many connections"})");
  EXPECT_EQ(metrics_.connections_rejected.load(), 1u);

  // Plain HTTP is not a WebSocket and is not limited by max_connections.
  EXPECT_EQ(fetch(port(), get("/still-served")).result_int(), 200u);

  first->ws.close(websocket::close_code::normal);
  ASSERT_TRUE(journal_.waitFor([&] { return journal_.closes == 1; }));
  WsClient second;
  second.open(port());
  EXPECT_TRUE(journal_.waitFor([&] { return journal_.opens == 2; }));
}

TEST_F(TransportServerTest, RefusedUpgradeGetsTheApplicationsResponse) {
  start(tcpConfig());
  auto refused = fetch(port(), upgradeRequest("/refuse"));
  EXPECT_EQ(refused.result_int(), 404u);
  EXPECT_EQ(refused.body(), R"({"error":"no dialect at /refuse"})");
  EXPECT_EQ(metrics_.connections_rejected.load(), 1u);
  EXPECT_EQ(journal_.opens, 0);
}

TEST_F(TransportServerTest, MessageLongerThanOneTurnOfReadsArrivesWhole) {
  // Bigger than what a session reads per turn of the loop (4 x 64 KiB): when the rest is already in
  // the socket, no new readiness edge announces it, so the session must read on by itself.
  auto config = tcpConfig();
  config.limits.max_message_bytes = 4 << 20;
  start(config);
  WsClient client;
  client.open(port());
  // A stalled session would otherwise block this test forever rather than fail it.
  const timeval limit{20, 0};
  const int fd = client.ws.next_layer().socket().native_handle();
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &limit, sizeof limit);
  std::string big(3 << 20, 'x');
  for (std::size_t i = 0; i < big.size(); i += 4096) big[i] = static_cast<char>('a' + (i / 4096) % 26);
  client.ws.write(net::buffer(big));
  EXPECT_EQ(client.read(), big);
}

TEST_F(TransportServerTest, MessageOverLimitIsClosedWith1009) {
  auto config = tcpConfig();
  config.limits.max_message_bytes = 1024;
  start(config);
  WsClient client;
  client.open(port());
  client.ws.write(net::buffer(std::string(1024, 'a')));
  EXPECT_EQ(client.read().size(), 1024u);

  client.ws.write(net::buffer(std::string(4096, 'a')));
  // The server fails the connection (RFC 6455 §7.1.7): close frame 1009, then the socket closes
  // with the oversize payload unread, which may reset it before the client's close reply gets
  // through. The code the client received is the contract; how its own reply fares is not.
  EXPECT_TRUE(client.readUntilClosed().failed());
  EXPECT_EQ(client.ws.reason().code, static_cast<std::uint16_t>(websocket::close_code::too_big));
  EXPECT_TRUE(journal_.waitFor([&] { return journal_.closes == 1; }));
}

TEST_F(TransportServerTest, EndpointCloseAfterFlushWritesQueuedFramesFirst) {
  start(tcpConfig());
  WsClient client;
  client.open(port());
  client.ws.write(net::buffer(std::string("close-after-bye")));
  std::vector<std::string> messages;
  EXPECT_EQ(client.readUntilClosed(&messages), websocket::error::closed);
  EXPECT_EQ(messages, std::vector<std::string>{"bye"});
  EXPECT_EQ(client.ws.reason().code, 4000);
  EXPECT_EQ(client.ws.reason().reason, "bye");
  EXPECT_TRUE(journal_.waitFor([&] { return journal_.closes == 1; }));
}

TEST_F(TransportServerTest, IdleTimeoutClosesClientThatNeverAnswersPings) {
  auto config = tcpConfig();
  config.limits.idle_timeout = std::chrono::milliseconds{200};
  start(config);
  WsClient silent;
  silent.open(port());
  // Not reading means never answering the server's ping.
  EXPECT_TRUE(journal_.waitFor([&] { return journal_.closes == 1; }));
  EXPECT_TRUE(silent.readUntilClosed().failed());
}

TEST_F(TransportServerTest, ClientThatAnswersPingsOutlivesTheIdleTimeout) {
  auto config = tcpConfig();
  config.limits.idle_timeout = std::chrono::milliseconds{200};
  start(config);
  WsClient client;
  client.open(port());

  // Pings come every half idle timeout: the third one proves the connection outlived a full one.
  int pings = 0;
  bool closed_early = false;
  client.ws.control_callback([&](websocket::frame_type kind, beast::string_view) {
    if (kind != websocket::frame_type::ping || ++pings != 3) return;
    {
      std::lock_guard lock(journal_.mutex);
      closed_early = journal_.closes != 0;
    }
    // Not from inside the callback: the read that invoked it is still running.
    net::post(client.ioc, [&] { client.ws.async_close(websocket::close_code::normal, [](beast::error_code) {}); });
  });
  net::steady_timer failsafe(client.ioc, kEventWait);
  failsafe.async_wait([&](beast::error_code ec) {
    if (!ec) beast::get_lowest_layer(client.ws).close();
  });
  beast::flat_buffer buffer;
  std::function<void(beast::error_code, std::size_t)> onRead = [&](beast::error_code ec, std::size_t) {
    if (ec) {
      failsafe.cancel();
      return;
    }
    buffer.clear();
    client.ws.async_read(buffer, onRead);
  };
  client.ws.async_read(buffer, onRead);
  client.ioc.run();

  EXPECT_EQ(pings, 3);
  EXPECT_FALSE(closed_early);
  EXPECT_TRUE(journal_.waitFor([&] { return journal_.closes == 1; }));
}

TEST_F(TransportServerTest, AbruptDisconnectEndsTheEndpointOnce) {
  start(tcpConfig());
  {
    WsClient client;
    client.open(port());
    ASSERT_TRUE(journal_.waitFor([&] { return journal_.opens == 1; }));
    beast::get_lowest_layer(client.ws).socket().close();
  }
  EXPECT_TRUE(journal_.waitFor([&] { return journal_.closes == 1; }));
  server_->stop();
  EXPECT_EQ(journal_.closes, 1);
  EXPECT_EQ(metrics_.connections.load(), 0);
}

TEST_F(TransportServerTest, StopFlushesGoodbyeThenClosesWith1001) {
  start(tcpConfig());
  WsClient client;
  client.open(port());
  client.ws.write(net::buffer(std::string("hi")));
  EXPECT_EQ(client.read(), "hi");

  auto stopped = std::async(std::launch::async, [&] { server_->stop(); });
  std::vector<std::string> messages;
  EXPECT_EQ(client.readUntilClosed(&messages), websocket::error::closed);
  EXPECT_EQ(messages, std::vector<std::string>{"goodbye"});
  EXPECT_EQ(client.ws.reason().code, static_cast<std::uint16_t>(websocket::close_code::going_away));
  EXPECT_EQ(client.ws.reason().reason, "going away");
  ASSERT_EQ(stopped.wait_for(kEventWait), std::future_status::ready);
  EXPECT_EQ(journal_.before_close_calls, 2);
  EXPECT_EQ(journal_.closes, 1);
  EXPECT_EQ(metrics_.connections.load(), 0);

  server_->stop();  // a second stop does nothing
  beast::tcp_stream late(client.ioc);
  beast::error_code ec;
  late.connect(local(port()), ec);
  EXPECT_TRUE(ec.failed()) << "the listener is closed";
}

TEST_F(TransportServerTest, StopClosesIdleKeepAliveHttpConnection) {
  start(tcpConfig());
  net::io_context ioc;
  beast::tcp_stream stream(ioc);
  stream.connect(local(port()));
  beast::flat_buffer buffer;
  EXPECT_EQ(roundTrip(stream, buffer, get("/")).result_int(), 200u);

  auto stopped = std::async(std::launch::async, [&] { server_->stop(std::chrono::milliseconds{5000}); });
  http::response<http::string_body> none;
  beast::error_code ec;
  http::read(stream, buffer, none, ec);
  EXPECT_EQ(ec, http::error::end_of_stream);
  EXPECT_EQ(stopped.wait_for(kEventWait), std::future_status::ready);
}

// ---- workers ---------------------------------------------------------------------------------

TEST_F(TransportServerTest, ConnectionsAreDealtToWorkersAndStayOnTheirThread) {
  start(tcpConfig());
  ASSERT_EQ(server_->workerCount(), 2u);
  WsClient a;
  a.open(port());
  WsClient b;
  b.open(port());
  ASSERT_EQ(journal_.upgrades.size(), 2u);

  std::set<std::size_t> workers;
  for (const auto& [worker, thread] : journal_.upgrades) {
    workers.insert(worker);
    std::promise<std::thread::id> ran_on;
    server_->post(worker, [&] { ran_on.set_value(std::this_thread::get_id()); });
    auto future = ran_on.get_future();
    ASSERT_EQ(future.wait_for(kEventWait), std::future_status::ready);
    EXPECT_EQ(future.get(), thread) << "worker " << worker;
    EXPECT_NE(thread, std::this_thread::get_id());
  }
  EXPECT_EQ(workers, (std::set<std::size_t>{0, 1}));
}

TEST_F(TransportServerTest, BindFailureNamesTheListener) {
  start(tcpConfig());
  auto config = tcpConfig();
  config.listeners[0].port = port();
  Journal journal;
  TestApp app(journal);
  Metrics metrics;
  Server second(config, app, metrics);
  try {
    second.start();
    FAIL() << "binding a port in use must fail";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("listener 0 (tcp 127.0.0.1:" + std::to_string(port()) + ")"),
              std::string::npos)
        << e.what();
  }
}

TEST_F(TransportServerTest, SeveralListenersAreReportedInConfigOrder) {
  auto config = tcpConfig();
  config.listeners.push_back(tcpListener());
  start(config);
  ASSERT_EQ(endpoints_.size(), 2u);
  EXPECT_NE(port(0), port(1));
  EXPECT_EQ(fetch(port(0), get("/a")).result_int(), 200u);
  EXPECT_EQ(fetch(port(1), get("/b")).result_int(), 200u);
}

// ---- TLS and Unix socket ---------------------------------------------------------------------

class TransportServerFilesTest : public TransportServerTest {
 protected:
  void SetUp() override { dir_ = makeTempDir(); }
  void TearDown() override {
    TransportServerTest::TearDown();
    std::error_code ignored;
    fs::remove_all(dir_, ignored);
  }
  fs::path dir_;
};

TEST_F(TransportServerFilesTest, TlsListenerServesHttpsAndWss) {
  const auto [cert, key] = makeCertificate(dir_);
  ServerConfig config;
  config.workers = 2;
  config.listeners.push_back(
tlsListener(cert, key));
  start(config);

  net::ssl::context tls(net::ssl::context::tls_client);
  tls.load_verify_file(cert);
  tls.set_verify_mode(net::ssl::verify_peer);

  net::io_context ioc;
  beast::ssl_stream<beast::tcp_stream> https(ioc, tls);
  beast::get_lowest_layer(https).connect(local(port()));
  https.handshake(net::ssl::stream_base::client);
  EXPECT_GE(SSL_version(https.native_handle()), TLS1_2_VERSION);
  beast::flat_buffer buffer;
  auto response = roundTrip(https, buffer, get("/secure"));
  EXPECT_EQ(response.result_int(), 200u);
  EXPECT_NE(response.body().find(" secure "), std::string::npos) << response.body();

  websocket::stream<beast::ssl_stream<beast::tcp_stream>> wss(ioc, tls);
  beast::get_lowest_layer(wss).connect(local(port()));
  wss.next_layer().handshake(net::ssl::stream_base::client);
  wss.handshake("127.0.0.1", "/ws");
  EXPECT_TRUE(journal_.last_upgrade_secure);
  wss.write(net::buffer(std::string("over tls")));
  beast::flat_buffer message;
  wss.read(message);
  EXPECT_EQ(beast::buffers_to_string(message.data()), "over tls");
  wss.close(websocket::close_code::normal);
  EXPECT_TRUE(journal_.waitFor([&] { return journal_.closes == 1; }));
}

TEST_F(TransportServerFilesTest, TlsListenerWithMissingKeyFailsToStart) {
  const auto [cert, key] = makeCertificate(dir_);
  ServerConfig config;
  config.workers = 1;
  config.listeners.push_back(tlsListener(cert, (dir_ / "missing.pem").string()));
  server_ = std::make_unique<Server>(config, app_, metrics_);
  try {
    server_->start();
    FAIL() << "a missing key file must fail start()";
  } catch (const std::runtime_error& e) {
    EXPECT_TRUE(std::string(e.what()).starts_with("listener 0 (tls 127.0.0.1:0)")) << e.what();
  }
}

TEST_F(TransportServerFilesTest, UnixSocketServesHttpAndWebSocketAndReplacesStaleFile) {
  const std::string path = (dir_ / "herald.sock").string();
  {
    // A socket file left behind by a process that died: bound, never unlinked.
    net::io_context ioc;
    net::local::stream_protocol::acceptor stale(ioc, net::local::stream_protocol::endpoint(path));
  }
  ASSERT_TRUE(fs::is_socket(path));

  ServerConfig config;
  config.workers = 2;
  config.listeners.push_back(unixListener(path));
  config.listeners.push_back(tcpListener());
  start(config);
  ASSERT_EQ(endpoints_.size(), 2u);
  EXPECT_EQ(endpoints_[0], "unix:" + path);
  EXPECT_TRUE(endpoints_[1].starts_with("127.0.0.1:"));

  net::io_context ioc;
  UnixStream stream(ioc);
  stream.connect(net::local::stream_protocol::endpoint(path));
  beast::flat_buffer buffer;
  auto response = roundTrip(stream, buffer, get("/over-unix"));
  EXPECT_EQ(response.result_int(), 200u);
  EXPECT_TRUE(response.body().starts_with("GET /over-unix 0 unix")) << response.body();

  websocket::stream<UnixStream> ws(ioc);
  ws.next_layer().connect(net::local::stream_protocol::endpoint(path));
  ws.handshake("localhost", "/ws");
  EXPECT_EQ(journal_.last_upgrade_remote, "unix");
  ws.write(net::buffer(std::string("over unix")));
  beast::flat_buffer message;
  ws.read(message);
  EXPECT_EQ(beast::buffers_to_string(message.data()), "over unix");

  // A second server must not steal a socket that is in use.
  Journal journal;
  TestApp app(journal);
  Metrics metrics;
  ServerConfig clash;
  clash.workers = 1;
  clash.listeners.push_back(unixListener(path));
  Server second(clash, app, metrics);
  EXPECT_THROW(second.start(), std::runtime_error);

  ws.close(websocket::close_code::normal);
  EXPECT_TRUE(journal_.waitFor([&] { return journal_.closes == 1; }));
  server_->stop();
  EXPECT_FALSE(fs::exists(path)) << "stop() removes the socket file it created";
}

// ---- periodic tasks ------------------------------------------------------------------------------

TEST_F(TransportServerTest, EveryRunsOnItsWorkerRepeatedlyUntilStop) {
  ServerConfig config = tcpConfig();
  server_ = std::make_unique<Server>(std::move(config), app_, metrics_);
  app_.server = server_.get();
  std::mutex mutex;
  std::condition_variable changed;
  int runs = 0;
  std::set<std::thread::id> threads;
  // Registered before start(): the first run waits for the workers.
  server_->every(1, std::chrono::milliseconds(5), [&] {
    std::lock_guard lock(mutex);
    ++runs;
    threads.insert(std::this_thread::get_id());
    changed.notify_all();
  });
  endpoints_ = server_->start();
  {
    std::unique_lock lock(mutex);
    ASSERT_TRUE(changed.wait_for(lock, std::chrono::seconds(10), [&] { return runs >= 3; }));
    EXPECT_EQ(threads.size(), 1u) << "every run happens on the one worker it was given";
  }
  // The worker's own thread: a post to the same worker runs there too.
  std::promise<std::thread::id> posted;
  server_->post(1, [&] { posted.set_value(std::this_thread::get_id()); });
  const auto worker_thread = posted.get_future().get();
  {
    std::lock_guard lock(mutex);
    EXPECT_EQ(*threads.begin(), worker_thread);
  }
  server_->stop();
  int after_stop = 0;
  {
    std::lock_guard lock(mutex);
    after_stop = runs;
  }
  server_->every(0, std::chrono::milliseconds(1), [&] {
    std::lock_guard lock(mutex);
    ++runs;
  });
  std::lock_guard lock(mutex);
  EXPECT_EQ(runs, after_stop) << "nothing runs once stop() has returned";
}

}  // namespace
}  // namespace herald::transport
