#include "publisher.h"

#include "wire.h"

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>

#include <stdexcept>

namespace herald::bench {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;
using net::awaitable;
using net::use_awaitable;

class HttpPublisher final : public Publisher {
 public:
  HttpPublisher(const Options& options, net::io_context& io) : options_(options), stream_(io) {
    parseUrl(options.publish_url, url_);
  }

  awaitable<void> connect() override {
    tcp::resolver resolver(co_await net::this_coro::executor);
    const auto endpoints = co_await resolver.async_resolve(url_.host, url_.port, use_awaitable);
    co_await stream_.async_connect(endpoints, use_awaitable);
    stream_.socket().set_option(tcp::no_delay(true));
  }

  awaitable<void> publish(std::uint64_t first, std::size_t count) override {
    const std::int64_t now = stampClockNs();
    std::string body;
    body.reserve(count * (options_.payload_bytes + 96) + 2);
    body += '[';
    for (std::size_t i = 0; i < count; ++i) {
      const std::uint64_t value = (first + i) % options_.values;
      if (i != 0) body += ',';
      body += "{\"topic\":\"";
      body += expand(options_.topic, value, 0);
      body += '"';
      if (!options_.attribute.empty()) {
        body += ",\"attributes\":{\"";
        body += options_.attribute;
        body += "\":\"v";
        body += std::to_string(value);
        body += "\"}";
      }
      body += ",\"data\":";
      body += payload(now, value, options_.payload_bytes);
      body += '}';
    }
    body += ']';
    http::request<http::string_body> request{http::verb::post, url_.target, 11};
    request.set(http::field::host, url_.host + ":" + url_.port);
    request.set(http::field::content_type, "application/json");
    if (!options_.token.empty()) request.set(http::field::authorization, "Bearer " + options_.token);
    request.keep_alive(true);
    request.body() = std::move(body);
    request.prepare_payload();
    co_await http::async_write(stream_, request, use_awaitable);
    http::response<http::string_body> response;
    co_await http::async_read(stream_, buffer_, response, use_awaitable);
    if (response.result_int() / 100 != 2) {
      throw std::runtime_error("publish: HTTP " + std::to_string(response.result_int()) + ": " +
                               response.body().substr(0, 300));
    }
  }

 private:
  const Options& options_;
  Url url_;
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
};

class NatsPublisher final : public Publisher {
 public:
  NatsPublisher(const Options& options, net::io_context& io) : options_(options), socket_(io) {
    parseUrl(options.publish_url, url_);
  }

  awaitable<void> connect() override {
    tcp::resolver resolver(co_await net::this_coro::executor);
    const auto endpoints = co_await resolver.async_resolve(url_.host, url_.port, use_awaitable);
    co_await net::async_connect(socket_, endpoints, use_awaitable);
    socket_.set_option(tcp::no_delay(true));
    // INFO {...}\r\n comes first; then introduce ourselves without verbose +OK replies.
    co_await net::async_read_until(socket_, net::dynamic_buffer(in_), "\r\n", use_awaitable);
    in_.clear();
    const std::string hello = "CONNECT {\"verbose\":false,\"pedantic\":false,\"echo\":false,\"protocol\":1}\r\n";
    co_await net::async_write(socket_, net::buffer(hello), use_awaitable);
    net::co_spawn(socket_.get_executor(), readLoop(), net::detached);
  }

  awaitable<void> publish(std::uint64_t first, std::size_t count) override {
    const std::int64_t now = stampClockNs();
    std::string out;
    out.reserve(count * (options_.payload_bytes + 48));
    for (std::size_t i = 0; i < count; ++i) {
      const std::uint64_t value = (first + i) % options_.values;
      const std::string data = payload(now, value, options_.payload_bytes);
      out += "PUB ";
      out += expand(options_.topic, value, 0);
      out += ' ';
      out += std::to_string(data.size());
      out += "\r\n";
      out += data;
      out += "\r\n";
    }
    co_await net::async_write(socket_, net::buffer(out), use_awaitable);
  }

 private:
  // Answers the server's PINGs (it closes a client that stops answering) and stops at -ERR.
  awaitable<void> readLoop() {
    try {
      for (;;) {
        const std::size_t n = co_await net::async_read_until(socket_, net::dynamic_buffer(in_), "\r\n", use_awaitable);
        const std::string line = in_.substr(0, n);
        in_.erase(0, n);
        if (line.rfind("PING", 0) == 0) {
          co_await net::async_write(socket_, net::buffer(std::string_view("PONG\r\n")), use_awaitable);
        } else if (line.rfind("-ERR", 0) == 0) {
          throw std::runtime_error("nats publisher: " + line);
        }
      }
    } catch (const boost::system::system_error&) {
      // the run is over and the socket closed
    }
  }

  const Options& options_;
  Url url_;
  tcp::socket socket_;
  std::string in_;
};

}  // namespace

std::unique_ptr<Publisher> makePublisher(const Options& options, net::io_context& io) {
  if (options.publisher == PublisherKind::http) return std::make_unique<HttpPublisher>(options, io);
  if (options.publisher == PublisherKind::nats) return std::make_unique<NatsPublisher>(options, io);
  return nullptr;
}

awaitable<std::string> fetchHead(const std::string& url_text) {
  Url url;
  if (!parseUrl(url_text, url)) throw std::runtime_error("bad --since-url " + url_text);
  tcp::resolver resolver(co_await net::this_coro::executor);
  beast::tcp_stream stream(co_await net::this_coro::executor);
  const auto endpoints = co_await resolver.async_resolve(url.host, url.port, use_awaitable);
  co_await stream.async_connect(endpoints, use_awaitable);
  http::request<http::empty_body> request{http::verb::get, url.target, 11};
  request.set(http::field::host, url.host + ":" + url.port);
  co_await http::async_write(stream, request, use_awaitable);
  beast::flat_buffer buffer;
  http::response<http::string_body> response;
  co_await http::async_read(stream, buffer, response, use_awaitable);
  const auto value = boost::json::parse(response.body());
  co_return std::string(value.at("head").as_string());
}

}  // namespace herald::bench
