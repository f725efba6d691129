// `herald sub`: see cli_sub.h. One coroutine per run on a private io_context: connect, handshake,
// send the subscribes, then read until a reason to stop. Ctrl-C closes the WebSocket properly so the
// server sees a normal close, not a reset.
#include "app/cli_sub.h"

#include "app/cli_endpoint.h"
#include "app/cli_net.h"
#include "core/cursor.h"

#include <CLI/CLI.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <boost/json.hpp>

#include <algorithm>
#include <csignal>
#include <cstdio>

namespace herald::app {

namespace json = boost::json;
namespace http = boost::beast::http;
namespace websocket = boost::beast::websocket;
using namespace cli;

Result<json::object> filterFromFlags(const std::vector<std::string>& filters) {
  json::object filter;
  for (const auto& flag : filters) {
    const auto eq = flag.find('=');
    if (eq == std::string::npos) {
      return Error::make(Errc::invalid_params, "--filter '" + flag + "': expected KEY=VALUE", "filter");
    }
    if (eq == 0)
      return Error::make(Errc::invalid_params, "--filter '" + flag + "': the key is empty", "filter");
    const std::string_view key(flag.data(), eq);
    const std::string_view value(flag.data() + eq + 1, flag.size() - eq - 1);
    json::value* existing = filter.if_contains(key);
    if (existing == nullptr) {
      filter[key] = value;
      continue;
    }
    if (existing->is_string()) {
      if (existing->get_string() == value) continue;
      json::array values;
      values.emplace_back(existing->get_string());
      *existing = std::move(values);
    }
    auto& values = existing->get_array();
    if (std::find(values.begin(), values.end(), json::value(value)) == values.end())
      values.emplace_back(value);
  }
  return filter;
}

std::string subscribeRequest(std::uint64_t id, std::string_view topic, const json::object& filter,
                             std::string_view since) {
  json::object params;
  params["topic"] = topic;
  if (!filter.empty()) params["filter"] = filter;
  if (!since.empty()) params["since"] = since;
  json::object request;
  request["jsonrpc"] = "2.0";
  request["id"] = id;
  request["method"] = "subscribe";
  request["params"] = std::move(params);
  return json::serialize(request);
}

SubFrame classifyFrame(std::string_view frame) {
  boost::system::error_code ec;
  json::value doc = json::parse(frame, ec);
  if (ec || !doc.is_object()) {
    return {SubFrame::Kind::invalid,
            "server sent a frame that is not a JSON object: " + std::string(frame.substr(0, 200))};
  }
  const auto& obj = doc.get_object();
  if (const auto* error = obj.if_contains("error")) return {SubFrame::Kind::error, json::serialize(*error)};
  const auto* method = obj.if_contains("method");
  const auto* params = obj.if_contains("params");
  if (method == nullptr || !method->is_string() || params == nullptr) return {SubFrame::Kind::other, {}};
  if (method->get_string() == "event") return {SubFrame::Kind::event, json::serialize(*params)};
  if (method->get_string() == "gap") return {SubFrame::Kind::gap, json::serialize(*params)};
  return {SubFrame::Kind::other, {}};
}

void addSubOptions(CLI::App& sub, SubOptions& o) {
  sub.add_option("url", o.url, "Gateway WebSocket URL: ws://HOST:PORT/ws, wss://..., unix:/path/to.sock")
      ->capture_default_str();
  sub.add_option("--topic", o.topics, "Topic to subscribe to (repeatable)")
      ->required()
      ->expected(1)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  sub.add_option("--filter", o.filters,
                 "Attribute filter KEY=VALUE (repeatable; a repeated key matches any of its values)")
      ->expected(1)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  sub.add_option("--since", o.since, "Resume after this cursor (as printed in an event's \"cursor\")");
  sub.add_option("--count", o.count, "Exit after this many events (0 = run until closed)")
      ->capture_default_str();
  sub.add_option("--subprotocol", o.subprotocol, "Sec-WebSocket-Protocol to ask for (empty: none)")
      ->capture_default_str();
  sub.add_option("--ca-file", o.ca_file, "wss: trust this PEM CA bundle instead of the system's");
  sub.add_flag("--insecure", o.insecure, "wss: do not verify the server's certificate (testing only)");
}

namespace {

void printLine(std::FILE* to, const std::string& line) {
  std::fwrite(line.data(), 1, line.size(), to);
  std::fputc('\n', to);
  std::fflush(to);
}

void printError(const std::string& message) { printLine(stderr, "herald sub: " + message); }

// After a connected stream: handshake, subscribe, read. Returns the exit code.
template <class Next>
asio::awaitable<int> converse(websocket::stream<Next>& ws, const Endpoint& ep, const SubOptions& o,
                              const std::vector<std::string>& requests) {
  ws.set_option(websocket::stream_base::timeout::suggested(beast::role_type::client));
  ws.set_option(websocket::stream_base::decorator([&o](websocket::request_type& req) {
    req.set(http::field::user_agent, kUserAgent);
    if (!o.subprotocol.empty()) req.set(http::field::sec_websocket_protocol, o.subprotocol);
  }));
  websocket::response_type response;
  auto [hs_ec] =
      co_await ws.async_handshake(response, ep.hostHeader(), ep.target, asio::as_tuple(asio::use_awaitable));
  if (hs_ec) {
    if (response.result_int() != 0 && response.result() != http::status::switching_protocols) {
      printError("handshake refused by " + describe(ep) + ep.target + ": HTTP " +
                 std::to_string(response.result_int()) + " " + std::string(response.reason()) +
                 (response.body().empty() ? "" : ": " + response.body()));
    } else {
      printError("handshake with " + describe(ep) + ep.target + " failed: " + hs_ec.message());
    }
    co_return 1;
  }
  for (const auto& request : requests) co_await ws.async_write(asio::buffer(request), asio::use_awaitable);

  // Ctrl-C / SIGTERM: close properly; the read below then ends with `closed`.
  bool closing = false;
  asio::signal_set signals(co_await asio::this_coro::executor, SIGINT, SIGTERM);
  signals.async_wait([&](boost::system::error_code ec, int) {
    if (ec || closing) return;
    closing = true;
    ws.async_close(websocket::close_code::normal, [](boost::system::error_code) {});
  });

  std::uint64_t events = 0;
  int exit_code = 0;
  beast::flat_buffer buffer;
  for (;;) {
    auto [ec, n] = co_await ws.async_read(buffer, asio::as_tuple(asio::use_awaitable));
    if (ec == websocket::error::closed) {
      const auto& reason = ws.reason();
      const bool normal =
          reason.code == websocket::close_code::normal || reason.code == websocket::close_code::going_away;
      if (!closing && !normal) {
        printError("server closed the connection: " + std::to_string(reason.code) + " " +
                   std::string(reason.reason.c_str()));
        exit_code = 1;
      }
      break;
    }
    if (ec) {
      if (closing) break;  // our own close raced the peer; nothing was lost
      printError("connection to " + describe(ep) + " lost: " + ec.message());
      exit_code = 1;
      break;
    }
    const std::string text = beast::buffers_to_string(buffer.data());
    buffer.consume(n);
    const SubFrame frame = classifyFrame(text);
    bool stop = false;
    switch (frame.kind) {
      case SubFrame::Kind::event:
        printLine(stdout, frame.line);
        stop = o.count != 0 && ++events >= o.count;
        break;
      case SubFrame::Kind::gap:
        printLine(stdout, frame.line);
        break;
      case SubFrame::Kind::error:
        printLine(stderr, frame.line);
        exit_code = 1;
        stop = true;
        break;
      case SubFrame::Kind::invalid:
        printError(frame.line);
        exit_code = 1;
        stop = true;
        break;
      case SubFrame::Kind::other:
        break;
    }
    if (stop && !closing) {
      closing = true;
      // async_close reads and discards until the server's close frame arrives.
      auto [close_ec] =
          co_await ws.async_close(websocket::close_code::normal, asio::as_tuple(asio::use_awaitable));
      (void)close_ec;  // the exit code is decided; a failed goodbye changes nothing for the user
      break;
    }
  }
  signals.cancel();
  co_return exit_code;
}

asio::awaitable<int> subscribe(const Endpoint& ep, const SubOptions& o,
                               const std::vector<std::string>& requests) {
  auto executor = co_await asio::this_coro::executor;
  if (ep.unixSocket()) {
    websocket::stream<UnixStream> ws(executor);
    co_await connect(ws.next_layer(), ep);
    co_return co_await converse(ws, ep, o, requests);
  }
  if (ep.tls()) {
    auto ctx = tlsContext(o.ca_file, o.insecure);
    websocket::stream<TlsStream> ws(executor, ctx);
    co_await connect(ws.next_layer(), ep);
    co_return co_await converse(ws, ep, o, requests);
  }
  websocket::stream<TcpStream> ws(executor);
  co_await connect(ws.next_layer(), ep);
  co_return co_await converse(ws, ep, o, requests);
}

}  // namespace

int runSub(const SubOptions& o) {
  auto ep = parseEndpoint(o.url, "/ws", /*allow_websocket=*/true, /*allow_http=*/false);
  if (!ep) {
    printError(ep.error().message);
    return 2;
  }
  if (o.topics.empty()) {
    printError("--topic is required");
    return 2;
  }
  auto filter = filterFromFlags(o.filters);
  if (!filter) {
    printError(filter.error().message);
    return 2;
  }
  if (!o.since.empty()) {
    if (auto cursor = Cursor::parse(o.since); !cursor) {
      printError("--since '" + o.since + "': " + cursor.error().message);
      return 2;
    }
  }
  std::vector<std::string> requests;
  for (std::size_t i = 0; i < o.topics.size(); ++i) {
    requests.push_back(subscribeRequest(i + 1, o.topics[i], *filter, o.since));
  }

  asio::io_context io;
  return runVerb(io, subscribe(*ep, o, requests), *ep, printError);
}

}  // namespace herald::app
