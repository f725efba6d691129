// How a client process reads (the cost per frame is part of every latency figure, so it is kept
// low; docs/bench/README.md has the numbers): no WebSocket stream object and no buffer per
// connection. An established connection waits for readability (async_wait); a readable one is read
// without blocking into the process's one buffer and its frames are parsed in place there by
// transport's RFC 6455 parser (Sender::server), which copies only a frame a read cut in two. The
// opening handshake is written here and its answer read with Beast's HTTP parser, whose buffer
// lives only until the 101. It must not change what is measured: each message is handled as it
// was with Beast's stream (ack, stamps, expect), one clock reading per message.
#include "load_client.h"

#include "log_histogram.h"
#include "wire.h"

#include "transport/ws_frame.h"
#include "transport/ws_handshake.h"

#include <boost/asio.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>

#include <openssl/evp.h>

#include <sys/socket.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <map>
#include <memory>
#include <netinet/in.h>
#include <random>
#include <span>
#include <unistd.h>
#include <vector>

namespace herald::bench {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ws = herald::transport::ws;
using tcp = net::ip::tcp;

// The process's one read buffer: a read takes up to ~700 of Herald's fan-out frames at once.
constexpr std::size_t kReadBufferBytes = 256 * 1024;
// Full reads per readiness before the connection yields to the others (a deep backlog on one
// connection must not hold back the rest's arrival times).
constexpr int kReadsPerTurn = 4;
// A stalled reader takes no more per read than its 4 KiB receive buffer holds, as a stream that
// reads one message at a time would.
constexpr std::size_t kStalledReadBytes = 4096;
// Beast's default read_message_max: what herald-bench accepted when it read through Beast's stream.
constexpr std::size_t kMaxMessageBytes = 16 * 1024 * 1024;
// Beast's handshake timeout, kept: a server that accepts but never answers is reported, not waited on.
constexpr auto kHandshakeTimeout = std::chrono::seconds(30);

std::int64_t monotonicNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

void writeAll(int fd, const std::string& text) {
  std::size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n <= 0) return;  // the coordinator is gone: nothing to report to
    done += static_cast<std::size_t>(n);
  }
}

class ClientProcess;

// What a connection holds only until the server's 101: freed then, with its buffer.
struct Upgrade {
  explicit Upgrade(net::io_context& io) : timer(io) {}
  std::string request;
  std::string accept;  // the Sec-WebSocket-Accept the server must answer the key with
  beast::flat_buffer buffer;
  http::response_parser<http::empty_body> parser;
  net::steady_timer timer;
  bool timed_out = false;
};

class Connection {
 public:
  Connection(ClientProcess& owner, std::size_t index);
  void start();

 private:
  void onConnect(beast::error_code ec);
  void onUpgradeTimeout(beast::error_code ec);
  void onUpgrade(beast::error_code ec);
  std::string upgradeRefusal() const;
  void fail(const char* stage, const std::string& why);
  void open();
  void waitReadable();
  void onReadable(beast::error_code ec);
  bool consume(std::span<char> input);
  void onMessage(std::string_view message);
  void closeWith(std::uint16_t code, std::string_view reason);
  void end(const beast::error_code& ec, std::uint16_t code, std::string_view detail = {});
  void send(std::string_view frame);
  void doWrite();
  void onWrite(beast::error_code ec);
  void markSubscribed();

  ClientProcess& owner_;
  tcp::socket socket_;
  std::unique_ptr<Upgrade> upgrade_;
  ws::FrameParser parser_{kMaxMessageBytes, ws::Sender::server};
  std::size_t index_;
  std::string out_;     // the frames being written (the subscribe text, pongs, the close)
  std::string queued_;  // frames to write once out_ is written
  std::int64_t subscribe_sent_ns_ = 0;
  std::uint64_t delivered_ = 0;
  bool stalled_ = false;
  bool subscribed_ = false;
  bool expect_reached_ = false;
  bool writing_ = false;
  bool writing_subscribe_ = false;
  bool closing_ = false;  // the close frame is queued: the socket goes once it is written
  bool ended_ = false;    // closed by either side, or failed: nothing more is read
};

class ClientProcess {
 public:
  ClientProcess(const Options& options, ClientSlice slice, int report_fd, int control_fd, std::string since)
      : options_(options), slice_(slice), report_fd_(report_fd), control_(io_, control_fd), progress_(io_),
        since_(std::move(since)) {
    Url url;
    parseUrl(options_.url, url);
    endpoint_ = tcp::endpoint(net::ip::make_address(url.host == "localhost" ? "127.0.0.1" : url.host),
                              static_cast<unsigned short>(std::stoul(url.port)));
    host_ = url.host + ":" + url.port;
    target_ = url.target;
    for (const auto& s : options_.sources) sources_.push_back(net::ip::make_address(s));
    connections_.reserve(slice_.count);
  }

  void run() {
    doControl();
    doProgress();
    startMore();
    io_.run();
  }

  // --- used by connections ---
  const Options& options() const { return options_; }
  net::io_context& io() { return io_; }
  const tcp::endpoint& endpoint() const { return endpoint_; }
  const std::string& host() const { return host_; }
  const std::string& target() const { return target_; }
  const std::string& since() const { return since_; }
  const net::ip::address& sourceFor(std::size_t index) const { return sources_[index % sources_.size()]; }
  // Shared by every connection of the process: only one reads at a time (one thread), and nothing
  // stays in it between reads.
  std::span<char> readBuffer() { return {read_buffer_.get(), kReadBufferBytes}; }
  std::uint32_t maskKey() { return static_cast<std::uint32_t>(random_()); }
  // A fresh Sec-WebSocket-Key: base64 of 16 random bytes (RFC 6455 §4.1).
  std::string handshakeKey() {
    unsigned char raw[16];
    const std::uint64_t halves[2] = {random_(), random_()};
    std::memcpy(raw, halves, sizeof raw);
    unsigned char encoded[25];
    const int size = EVP_EncodeBlock(encoded, raw, sizeof raw);
    return std::string(reinterpret_cast<const char*>(encoded), static_cast<std::size_t>(size));
  }

  void onConnected() {
    ++connected_;
    last_connected_ns_ = monotonicNs();
    --in_flight_;
    startMore();
  }
  void onFailed(const char* stage, const std::string& why) {
    ++failed_;
    if (first_error_.empty()) first_error_ = std::string(stage) + ": " + why;
    --in_flight_;
    startMore();
  }
  void onSubscribed() {
    ++subscribed_;
    last_subscribed_ns_ = monotonicNs();
  }
  // `code` is the server's close code, or the one this client closes with for a protocol violation
  // (then `detail` names the rule); 0 when the connection ended without a close frame (`ec` says how).
  void onClosed(const beast::error_code& ec, std::uint16_t code, std::string_view detail) {
    ++closed_;
    std::string reason = code != 0 ? std::to_string(code) : ec.message();
    if (!detail.empty()) reason.append(" (").append(detail).append(")");
    ++close_reasons_[reason];
  }
  void onExpectReached(std::int64_t ns) {
    ++expect_reached_;
    expect_.record(static_cast<std::uint64_t>(ns > 0 ? ns : 0));
  }
  void countStamps(std::string_view message) {
    const std::int64_t now = stampClockNs();
    delivered_ += forEachStamp(message, [&](std::uint64_t stamp) {
      if (stamp == 0) return;
      latency_.record(static_cast<std::uint64_t>(now) > stamp ? static_cast<std::uint64_t>(now) - stamp : 0);
    });
  }
  std::uint64_t delivered() const { return delivered_; }

 private:
  void startMore() {
    while (in_flight_ < options_.connect_concurrency && next_ < slice_.count) {
      connections_.push_back(std::make_unique<Connection>(*this, slice_.first + next_));
      ++next_;
      ++in_flight_;
      connections_.back()->start();
    }
  }

  void doControl() {
    control_.async_read_some(net::buffer(control_byte_), [this](beast::error_code ec, std::size_t n) {
      if (ec || n == 0 || control_byte_[0] == 'S') finish();
      doControl();
    });
  }

  void doProgress() {
    progress_.expires_after(std::chrono::milliseconds(10));
    progress_.async_wait([this](beast::error_code ec) {
      if (ec) return;
      writeAll(report_fd_, "P " + std::to_string(connected_) + ' ' + std::to_string(subscribed_) + ' ' +
                               std::to_string(failed_) + ' ' + std::to_string(delivered_) + ' ' +
                               std::to_string(closed_) + ' ' + std::to_string(expect_reached_) + '\n');
      doProgress();
    });
  }

  [[noreturn]] void finish() {
    boost::json::object report;
    report["connected"] = connected_;
    report["subscribed"] = subscribed_;
    report["failed"] = failed_;
    report["closed"] = closed_;
    report["delivered"] = delivered_;
    report["first_error"] = first_error_;
    report["last_connected_ns"] = last_connected_ns_;
    report["last_subscribed_ns"] = last_subscribed_ns_;
    boost::json::object reasons;
    for (const auto& [reason, n] : close_reasons_) reasons[reason] = n;
    report["close_reasons"] = std::move(reasons);
    report["latency"] = histogramJson(latency_);
    report["expect"] = histogramJson(expect_);
    report["expect_reached"] = expect_reached_;
    writeAll(report_fd_, "F " + boost::json::serialize(report) + "\n");
    // Sockets are closed by the kernel on exit: a close handshake per connection would only
    // lengthen the run, and the server's side of it is not what is measured.
    ::_exit(0);
  }

  static boost::json::object histogramJson(const LogHistogram& h) {
    boost::json::array buckets;
    for (std::size_t i = 0; i < LogHistogram::kBuckets; ++i) {
      if (h.bucket(i) != 0) buckets.push_back(boost::json::array{i, h.bucket(i)});
    }
    return {{"buckets", std::move(buckets)}, {"min", h.min()}, {"max", h.max()}, {"sum", h.sum()}};
  }

  const Options& options_;
  ClientSlice slice_;
  int report_fd_;
  net::io_context io_{1};
  net::posix::stream_descriptor control_;
  net::steady_timer progress_;
  std::string since_;
  char control_byte_[1] = {0};
  tcp::endpoint endpoint_;
  std::string host_;
  std::string target_;
  std::vector<net::ip::address> sources_;
  std::unique_ptr<char[]> read_buffer_ = std::make_unique<char[]>(kReadBufferBytes);
  // Handshake keys and mask keys need to be unpredictable to intermediaries, not secret (§10.3).
  std::mt19937_64 random_{std::random_device{}()};
  std::vector<std::unique_ptr<Connection>> connections_;
  std::size_t next_ = 0;
  std::size_t in_flight_ = 0;
  std::uint64_t connected_ = 0;
  std::uint64_t subscribed_ = 0;
  std::uint64_t failed_ = 0;
  std::uint64_t closed_ = 0;
  std::uint64_t delivered_ = 0;
  std::uint64_t expect_reached_ = 0;
  std::int64_t last_connected_ns_ = 0;
  std::int64_t last_subscribed_ns_ = 0;
  std::string first_error_;
  std::map<std::string, std::uint64_t> close_reasons_;
  LogHistogram latency_;
  LogHistogram expect_;
};

Connection::Connection(ClientProcess& owner, std::size_t index)
    : owner_(owner), socket_(owner.io()), index_(index),
      stalled_(isStalled(index, owner.options().stalled, owner.options().connections)) {}

void Connection::start() {
  beast::error_code ec;
  const auto& source = owner_.sourceFor(index_);
  socket_.open(source.is_v6() ? tcp::v6() : tcp::v4(), ec);
  if (!ec) {
    // Let connect() pick the port for the whole 4-tuple, so each source address gets its own
    // ephemeral range for this server instead of one range shared by every destination.
    const int one = 1;
    ::setsockopt(socket_.native_handle(), IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
    socket_.bind(tcp::endpoint(source, 0), ec);
  }
  if (!ec && stalled_) {
    // A reader that has stopped should be noticed by the server's own queue bound, not hidden for
    // minutes in a receive buffer that loopback autotuning grows to megabytes.
    socket_.set_option(net::socket_base::receive_buffer_size(4096), ec);
  }
  if (ec) {
    net::post(owner_.io(), [this, ec] { fail("bind", ec.message()); });
    return;
  }
  socket_.async_connect(owner_.endpoint(), [this](beast::error_code e) { onConnect(e); });
}

void Connection::onConnect(beast::error_code ec) {
  if (ec) return fail("connect", ec.message());
  socket_.set_option(tcp::no_delay(true), ec);
  upgrade_ = std::make_unique<Upgrade>(owner_.io());
  const std::string key = owner_.handshakeKey();
  upgrade_->accept = ws::acceptKey(key);
  const auto& options = owner_.options();
  std::string& request = upgrade_->request;
  request = "GET " + owner_.target() + " HTTP/1.1\r\nHost: " + owner_.host() +
            "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: " + key +
            "\r\nSec-WebSocket-Version: 13\r\n";
  if (!options.subprotocol.empty()) request += "Sec-WebSocket-Protocol: " + options.subprotocol + "\r\n";
  request += "\r\n";
  upgrade_->timer.expires_after(kHandshakeTimeout);
  upgrade_->timer.async_wait([this](beast::error_code e) { onUpgradeTimeout(e); });
  // A failed write breaks the connection, so the read of the answer fails too: reported there, once.
  net::async_write(socket_, net::buffer(request), [](beast::error_code, std::size_t) {});
  http::async_read_header(socket_, upgrade_->buffer, upgrade_->parser, [this](beast::error_code e, std::size_t) {
    onUpgrade(e);
  });
}

void Connection::onUpgradeTimeout(beast::error_code ec) {
  if (ec || !upgrade_) return;  // answered in time
  upgrade_->timed_out = true;
  socket_.close(ec);  // the pending read ends with operation_aborted and reports the timeout
}

void Connection::onUpgrade(beast::error_code ec) {
  if (upgrade_->timed_out) {
    return fail("handshake", "no answer within " + std::to_string(kHandshakeTimeout.count()) + " s");
  }
  if (ec) return fail("handshake", ec.message());
  if (std::string why = upgradeRefusal(); !why.empty()) return fail("handshake", why);
  upgrade_->timer.cancel();
  owner_.onConnected();
  open();
}

// Why the server's answer is not the 101 that RFC 6455 §4.1 requires; empty when it is.
std::string Connection::upgradeRefusal() const {
  const auto& response = upgrade_->parser.get();
  if (response.result() != http::status::switching_protocols) {
    return "status " + std::to_string(response.result_int()) + " " + std::string(response.reason()) +
           " (expected 101 Switching Protocols)";
  }
  if (!beast::iequals(response[http::field::upgrade], "websocket")) {
    return "101 without Upgrade: websocket (got '" + std::string(response[http::field::upgrade]) + "')";
  }
  if (!http::token_list{response[http::field::connection]}.exists("upgrade")) {
    return "101 without Connection: Upgrade (got '" + std::string(response[http::field::connection]) + "')";
  }
  if (response[http::field::sec_websocket_accept] != upgrade_->accept) {
    return "Sec-WebSocket-Accept '" + std::string(response[http::field::sec_websocket_accept]) +
           "' does not match the key (expected '" + upgrade_->accept + "')";
  }
  return {};
}

void Connection::fail(const char* stage, const std::string& why) {
  ended_ = true;
  upgrade_.reset();
  beast::error_code ignored;
  socket_.close(ignored);
  owner_.onFailed(stage, why);
}

void Connection::open() {
  const auto& options = owner_.options();
  subscribe_sent_ns_ = monotonicNs();
  if (!options.subscribe.empty()) {
    writing_subscribe_ = true;
    send(ws::encodeClientFrame(ws::Opcode::text, expand(options.subscribe, index_ % options.values, index_, owner_.since()),
                               owner_.maskKey()));
  } else if (options.ack.empty()) {
    markSubscribed();
  }
  // Servers may send right after the 101 (a greeting): those bytes came with it and are parsed first.
  const auto rest = upgrade_->buffer.data();
  const bool reading = consume(std::span<char>(static_cast<char*>(rest.data()), rest.size()));
  upgrade_.reset();
  if (reading) waitReadable();
}

void Connection::waitReadable() {
  socket_.async_wait(tcp::socket::wait_read, [this](beast::error_code ec) { onReadable(ec); });
}

void Connection::onReadable(beast::error_code ec) {
  if (ended_) return;
  if (ec) return end(ec, 0);
  const std::span<char> buffer = owner_.readBuffer().first(stalled_ ? kStalledReadBytes : kReadBufferBytes);
  for (int i = 0; i < kReadsPerTurn; ++i) {
    const ssize_t got = ::recv(socket_.native_handle(), buffer.data(), buffer.size(), MSG_DONTWAIT);
    if (got > 0) {
      if (!consume(buffer.first(static_cast<std::size_t>(got)))) return;
      // A short read emptied the socket: new bytes will report readiness again, so no read is
      // spent to see EAGAIN.
      if (static_cast<std::size_t>(got) < buffer.size()) return waitReadable();
      continue;
    }
    if (got == 0) return end(net::error::eof, 0);
    if (errno == EAGAIN || errno == EWOULDBLOCK) return waitReadable();
    if (errno != EINTR) return end(beast::error_code(errno, beast::system_category()), 0);
  }
  // Bytes are left, and readiness is reported once per arrival (edge-triggered), not again for
  // these: the rest is read after the other connections' turn, not after a wait.
  net::post(owner_.io(), [this] { onReadable({}); });
}

// Handles every complete message and control frame in `input`. False once this connection reads no
// more: a close or a violation ended it, or it is a stalled reader that has subscribed.
bool Connection::consume(std::span<char> input) {
  for (;;) {
    const ws::ParseEvent event = parser_.next(input);
    switch (event.kind) {
      case ws::ParseEvent::Kind::need_more:
        if (!parser_.holdsPartial()) parser_.releaseMemory();
        return true;
      case ws::ParseEvent::Kind::message:
        onMessage(event.payload);
        if (stalled_ && subscribed_) return false;  // a slow consumer: never reads again
        break;
      case ws::ParseEvent::Kind::ping:
        send(ws::encodeClientFrame(ws::Opcode::pong, event.payload, owner_.maskKey()));
        break;
      case ws::ParseEvent::Kind::pong:
        break;
      case ws::ParseEvent::Kind::close:
        // Echo the server's code (§5.5.1), none if it sent none.
        closeWith(event.code, {});
        end({}, event.code);
        return false;
      case ws::ParseEvent::Kind::violation:
        closeWith(event.code, event.reason);
        end({}, event.code, event.reason);
        return false;
    }
  }
}

void Connection::onMessage(std::string_view message) {
  const auto& options = owner_.options();
  if (!subscribed_ && !options.ack.empty() && message.find(options.ack) != std::string_view::npos) markSubscribed();
  const std::uint64_t before = owner_.delivered();
  owner_.countStamps(message);
  delivered_ += owner_.delivered() - before;
  if (options.expect_per_conn != 0 && !expect_reached_ && delivered_ >= options.expect_per_conn) {
    expect_reached_ = true;
    owner_.onExpectReached(monotonicNs() - subscribe_sent_ns_);
  }
}

void Connection::closeWith(std::uint16_t code, std::string_view reason) {
  const std::string payload = code == ws::kCloseNoStatus ? std::string() : ws::closePayload(code, reason);
  send(ws::encodeClientFrame(ws::Opcode::close, payload, owner_.maskKey()));
  closing_ = true;
}

void Connection::end(const beast::error_code& ec, std::uint16_t code, std::string_view detail) {
  ended_ = true;
  owner_.onClosed(ec, code, detail);
  if (!closing_) {
    beast::error_code ignored;
    socket_.close(ignored);
  }
}

void Connection::send(std::string_view frame) {
  queued_.append(frame);
  if (!writing_) doWrite();
}

void Connection::doWrite() {
  writing_ = true;
  out_.swap(queued_);
  queued_.clear();
  net::async_write(socket_, net::buffer(out_), [this](beast::error_code ec, std::size_t) { onWrite(ec); });
}

void Connection::onWrite(beast::error_code ec) {
  writing_ = false;
  if (writing_subscribe_) {
    writing_subscribe_ = false;
    if (!ec && owner_.options().ack.empty()) markSubscribed();
  }
  // A failed write is seen by the read side, which counts the close.
  if (!ec && !queued_.empty()) return doWrite();
  std::string().swap(out_);
  if (closing_) socket_.close(ec);
}

void Connection::markSubscribed() {
  subscribed_ = true;
  owner_.onSubscribed();
}

}  // namespace

void runClientProcess(const Options& options, ClientSlice slice, int report_fd, int control_fd,
                      const std::string& since) {
  ClientProcess process(options, slice, report_fd, control_fd, since);
  process.run();
  ::_exit(0);
}

}  // namespace herald::bench
