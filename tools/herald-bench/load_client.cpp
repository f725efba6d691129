#include "load_client.h"

#include "log_histogram.h"
#include "wire.h"

#include <boost/asio.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/json.hpp>

#include <chrono>
#include <map>
#include <memory>
#include <netinet/in.h>
#include <unistd.h>
#include <vector>

namespace herald::bench {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using tcp = net::ip::tcp;

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

// Adds the subprotocol to the upgrade request. Holds a pointer: one string serves every connection.
struct SubprotocolDecorator {
  const std::string* subprotocol;
  void operator()(websocket::request_type& request) const {
    if (!subprotocol->empty()) request.set(beast::http::field::sec_websocket_protocol, *subprotocol);
  }
};

class Connection {
 public:
  Connection(ClientProcess& owner, std::size_t index);
  void start();

 private:
  void onConnect(beast::error_code ec);
  void onHandshake(beast::error_code ec);
  void onWrite(beast::error_code ec);
  void doRead();
  void onRead(beast::error_code ec);
  void markSubscribed();

  ClientProcess& owner_;
  websocket::stream<tcp::socket> ws_;
  beast::flat_buffer buffer_;
  std::size_t index_;
  std::string out_;  // the subscribe text while it is being written
  std::int64_t subscribe_sent_ns_ = 0;
  std::uint64_t delivered_ = 0;
  bool stalled_ = false;
  bool subscribed_ = false;
  bool expect_reached_ = false;
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

  void onConnected() {
    ++connected_;
    last_connected_ns_ = monotonicNs();
    --in_flight_;
    startMore();
  }
  void onFailed(const beast::error_code& ec, const char* stage) {
    ++failed_;
    if (first_error_.empty()) first_error_ = std::string(stage) + ": " + ec.message();
    --in_flight_;
    startMore();
  }
  void onSubscribed() {
    ++subscribed_;
    last_subscribed_ns_ = monotonicNs();
  }
  void onClosed(const beast::error_code& ec, std::uint16_t code) {
    ++closed_;
    ++close_reasons_[code != 0 ? std::to_string(code) : ec.message()];
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
    : owner_(owner), ws_(owner.io()), index_(index),
      stalled_(isStalled(index, owner.options().stalled, owner.options().connections)) {}

void Connection::start() {
  auto& socket = ws_.next_layer();
  beast::error_code ec;
  const auto& source = owner_.sourceFor(index_);
  socket.open(source.is_v6() ? tcp::v6() : tcp::v4(), ec);
  if (!ec) {
    // Let connect() pick the port for the whole 4-tuple, so each source address gets its own
    // ephemeral range for this server instead of one range shared by every destination.
    const int one = 1;
    ::setsockopt(socket.native_handle(), IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
    socket.bind(tcp::endpoint(source, 0), ec);
  }
  if (!ec && stalled_) {
    // A reader that has stopped should be noticed by the server's own queue bound, not hidden for
    // minutes in a receive buffer that loopback autotuning grows to megabytes.
    socket.set_option(net::socket_base::receive_buffer_size(4096), ec);
  }
  if (ec) {
    net::post(owner_.io(), [this, ec] { owner_.onFailed(ec, "bind"); });
    return;
  }
  socket.async_connect(owner_.endpoint(), [this](beast::error_code e) { onConnect(e); });
}

void Connection::onConnect(beast::error_code ec) {
  if (ec) return owner_.onFailed(ec, "connect");
  ws_.next_layer().set_option(tcp::no_delay(true), ec);
  ws_.set_option(websocket::stream_base::decorator(SubprotocolDecorator{&owner_.options().subprotocol}));
  websocket::stream_base::timeout timeouts{};
  timeouts.handshake_timeout = std::chrono::seconds(30);
  timeouts.idle_timeout = websocket::stream_base::none();
  timeouts.keep_alive_pings = false;
  ws_.set_option(timeouts);
  ws_.async_handshake(owner_.host(), owner_.target(), [this](beast::error_code e) { onHandshake(e); });
}

void Connection::onHandshake(beast::error_code ec) {
  if (ec) return owner_.onFailed(ec, "handshake");
  owner_.onConnected();
  const auto& options = owner_.options();
  subscribe_sent_ns_ = monotonicNs();
  if (!options.subscribe.empty()) {
    out_ = expand(options.subscribe, index_ % options.values, index_, owner_.since());
    ws_.text(true);
    ws_.async_write(net::buffer(out_), [this](beast::error_code e, std::size_t) { onWrite(e); });
  } else if (options.ack.empty()) {
    markSubscribed();
  }
  doRead();
}

void Connection::onWrite(beast::error_code ec) {
  std::string().swap(out_);
  if (ec) return;  // the read side sees the failure and counts the close
  if (owner_.options().ack.empty()) markSubscribed();
}

void Connection::markSubscribed() {
  subscribed_ = true;
  owner_.onSubscribed();
}

void Connection::doRead() {
  ws_.async_read(buffer_, [this](beast::error_code ec, std::size_t) { onRead(ec); });
}

void Connection::onRead(beast::error_code ec) {
  if (ec) {
    owner_.onClosed(ec, ec == websocket::error::closed ? static_cast<std::uint16_t>(ws_.reason().code) : 0);
    return;
  }
  const auto data = buffer_.cdata();
  const std::string_view message(static_cast<const char*>(data.data()), data.size());
  const auto& options = owner_.options();
  if (!subscribed_ && !options.ack.empty() && message.find(options.ack) != std::string_view::npos) markSubscribed();
  const std::uint64_t before = owner_.delivered();
  owner_.countStamps(message);
  delivered_ += owner_.delivered() - before;
  if (options.expect_per_conn != 0 && !expect_reached_ && delivered_ >= options.expect_per_conn) {
    expect_reached_ = true;
    owner_.onExpectReached(monotonicNs() - subscribe_sent_ns_);
  }
  buffer_.consume(buffer_.size());
  if (stalled_ && subscribed_) return;  // a slow consumer: never reads again
  doRead();
}

}  // namespace

void runClientProcess(const Options& options, ClientSlice slice, int report_fd, int control_fd,
                      const std::string& since) {
  ClientProcess process(options, slice, report_fd, control_fd, since);
  process.run();
  ::_exit(0);
}

}  // namespace herald::bench
