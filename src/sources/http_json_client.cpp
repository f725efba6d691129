// HttpJsonClient: see http_json_client.h. Asynchronous Beast operations on a private io_context,
// run in short slices so the abort flag is seen promptly; the caller still experiences one blocking
// call with a deadline.
#include "sources/http_json_client.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>

#include <charconv>
#include <optional>

namespace herald::sources {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace json = boost::json;
using tcp = asio::ip::tcp;

namespace {

// Upstream replies are JSON documents of a few kB; a block with thousands of transactions is still
// well under this. More is a misconfigured URL (a file download), not an answer.
constexpr std::size_t kMaxBody = 16u << 20;
// How often a request in flight looks at the abort flag: short enough that stop() feels instant.
constexpr std::chrono::milliseconds kAbortSlice{20};

Error unavailable(std::string message) { return Error::make(Errc::unavailable, std::move(message)); }

}  // namespace

std::string HttpUrl::text() const {
  const bool v6 = host.find(':') != std::string::npos;
  return "http://" + (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port) + target;
}

Result<HttpUrl> parseHttpUrl(std::string_view text) {
  const auto bad = [&](std::string why) {
    return Error::make(Errc::invalid_params, why + ", got '" + std::string(text) + "'");
  };
  if (text.starts_with("https://")) return bad("https is not supported (upstreams are local; use http://)");
  if (!text.starts_with("http://")) return bad("expected http://HOST[:PORT][/PATH]");
  std::string_view rest = text.substr(7);
  const auto slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  HttpUrl url;
  url.target = slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
  std::string_view port;
  if (authority.starts_with('[')) {
    const auto close = authority.find(']');
    if (close == std::string_view::npos) return bad("unclosed [ in the host");
    url.host = std::string(authority.substr(1, close - 1));
    if (close + 1 < authority.size()) {
      if (authority[close + 1] != ':') return bad("expected :PORT after ]");
      port = authority.substr(close + 2);
    }
  } else {
    const auto colon = authority.rfind(':');
    url.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) port = authority.substr(colon + 1);
  }
  if (url.host.empty()) return bad("expected a host");
  if (!port.empty() || authority.ends_with(':')) {
    unsigned value = 0;
    const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (port.empty() || ec != std::errc{} || end != port.data() + port.size() || value == 0 || value > 65535) {
      return bad("expected a port 1-65535");
    }
    url.port = static_cast<std::uint16_t>(value);
  }
  return url;
}

HttpJsonClient::HttpJsonClient(std::chrono::milliseconds timeout, const std::atomic<bool>* abort)
    : timeout_(timeout), abort_(abort) {}

Result<HttpReply> HttpJsonClient::request(std::string_view method, const HttpUrl& url, std::string_view target,
                                          std::string_view body) const {
  if (abort_ != nullptr && abort_->load()) return unavailable("aborted");
  asio::io_context io;
  beast::tcp_stream stream(io);
  tcp::resolver resolver(io);
  const std::string where = url.host + ":" + std::to_string(url.port);

  http::request<http::string_body> req{http::string_to_verb(method), std::string(target.empty() ? url.target : target),
                                       11};
  req.set(http::field::host, url.host);
  req.set(http::field::user_agent, "herald");
  req.set(http::field::accept, "application/json");
  if (!body.empty() || method == "POST") {
    req.set(http::field::content_type, "application/json");
    req.body() = std::string(body);
    req.prepare_payload();
  }

  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(kMaxBody);
  std::optional<beast::error_code> outcome;
  std::string stage = "resolve";

  // resolve -> connect -> write -> read, each completing into the next; any error ends the chain.
  stream.expires_after(timeout_);
  resolver.async_resolve(url.host, std::to_string(url.port), [&](beast::error_code ec, tcp::resolver::results_type results) {
    if (ec) {
      outcome = ec;
      return;
    }
    stage = "connect";
    stream.async_connect(results, [&](beast::error_code ec2, const tcp::endpoint&) {
      if (ec2) {
        outcome = ec2;
        return;
      }
      stage = "write";
      http::async_write(stream, req, [&](beast::error_code ec3, std::size_t) {
        if (ec3) {
          outcome = ec3;
          return;
        }
        stage = "read";
        http::async_read(stream, buffer, parser, [&](beast::error_code ec4, std::size_t) { outcome = ec4; });
      });
    });
  });

  const auto deadline = std::chrono::steady_clock::now() + timeout_ + kAbortSlice;
  bool aborted = false;
  while (!outcome) {
    if (io.stopped()) io.restart();
    io.run_for(kAbortSlice);
    if (outcome || aborted) continue;
    if ((abort_ != nullptr && abort_->load()) || std::chrono::steady_clock::now() > deadline) {
      // Cancel whatever is pending; its handler runs with operation_aborted and sets `outcome`.
      aborted = true;
      resolver.cancel();
      beast::error_code ignored;
      stream.socket().close(ignored);
    }
  }
  beast::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_both, ignored);

  if (*outcome) {
    if (abort_ != nullptr && abort_->load()) return unavailable("aborted");
    if (*outcome == beast::error::timeout || aborted) {
      return unavailable(where + ": no answer within " + std::to_string(timeout_.count()) + " ms (" + stage + ")");
    }
    if (*outcome == http::error::body_limit) {
      return Error::make(Errc::too_large, where + ": reply body over " + std::to_string(kMaxBody) + " bytes");
    }
    return unavailable(where + ": " + stage + " failed: " + outcome->message());
  }
  HttpReply reply;
  reply.status = parser.get().result_int();
  reply.body = std::move(parser.get().body());
  return reply;
}

namespace {

Result<json::value> jsonReply(const Result<HttpReply>& reply, const HttpUrl& url, std::string_view target) {
  if (!reply) return reply.error();
  const std::string where = url.host + ":" + std::to_string(url.port) + std::string(target);
  if (reply->status != 200) {
    return unavailable(where + " answered HTTP " + std::to_string(reply->status));
  }
  boost::system::error_code ec;
  json::value doc = json::parse(reply->body, ec);
  if (ec) return Error::make(Errc::parse_error, where + " answered with invalid JSON: " + ec.message());
  return doc;
}

}  // namespace

Result<json::value> HttpJsonClient::getJson(const HttpUrl& url) const {
  return jsonReply(request("GET", url, url.target), url, url.target);
}

Result<json::value> HttpJsonClient::postJson(const HttpUrl& url, std::string_view path, const json::value& body) const {
  std::string target = path.empty() ? url.target : std::string(path);
  return jsonReply(request("POST", url, target, json::serialize(body)), url, target);
}

Result<json::value> HttpJsonClient::jsonRpc(const HttpUrl& url, std::string_view method, const json::value& params) const {
  json::object call{{"jsonrpc", "2.0"}, {"id", "0"}, {"method", method}, {"params", params}};
  std::string base = url.target;
  while (!base.empty() && base.back() == '/') base.pop_back();
  auto doc = postJson(url, base + "/json_rpc", call);
  if (!doc) return doc.error();
  const auto* obj = doc->if_object();
  if (obj == nullptr) return Error::make(Errc::parse_error, std::string(method) + ": reply is not a JSON object");
  if (const auto* error = obj->if_contains("error")) {
    std::string message = std::string(method) + ": ";
    if (const auto* e = error->if_object(); e != nullptr && e->contains("message") && e->at("message").is_string()) {
      message += std::string(e->at("message").as_string());
    } else {
      message += json::serialize(*error);
    }
    return Error::make(Errc::invalid_params, std::move(message));
  }
  const auto* result = obj->if_contains("result");
  if (result == nullptr) return Error::make(Errc::parse_error, std::string(method) + ": reply has no result");
  return *result;
}

}  // namespace herald::sources
