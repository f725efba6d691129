// Connecting for `herald sub` and `herald publish`: TCP, TLS (SNI and host-name verification) and Unix
// domain sockets, each with a connect timeout. Included only by cli_sub.cpp and cli_publish.cpp, the
// two app translation units allowed to include Beast.
//
// Failures throw boost::system::system_error from inside the verbs' coroutines; each verb catches
// them once at its top and turns them into a message and an exit code. This is a command-line tool,
// not the gateway's event path.
#pragma once

#include "app/cli_endpoint.h"

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/ssl.hpp>

#include <chrono>
#include <string>

namespace herald::app::cli {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace ssl = boost::asio::ssl;

using TcpStream = beast::tcp_stream;
using TlsStream = beast::ssl_stream<beast::tcp_stream>;
using UnixStream = beast::basic_stream<asio::local::stream_protocol>;

// Generous on purpose: building a Tor circuit to an onion service can take tens of seconds.
inline constexpr std::chrono::seconds kConnectTimeout{60};
inline constexpr std::string_view kUserAgent = "herald-cli/0.1";

// Verifies peers against the system store (or `ca_file`); `insecure` skips verification entirely.
inline ssl::context tlsContext(const std::string& ca_file, bool insecure) {
  ssl::context ctx(ssl::context::tls_client);
  if (insecure) {
    ctx.set_verify_mode(ssl::verify_none);
    return ctx;
  }
  ctx.set_verify_mode(ssl::verify_peer);
  if (ca_file.empty()) {
    ctx.set_default_verify_paths();
  } else {
    ctx.load_verify_file(ca_file);
  }
  return ctx;
}

inline asio::awaitable<void> connect(TcpStream& stream, const Endpoint& ep) {
  auto executor = co_await asio::this_coro::executor;
  asio::ip::tcp::resolver resolver(executor);
  const auto results = co_await resolver.async_resolve(ep.host, std::to_string(ep.port), asio::use_awaitable);
  stream.expires_after(kConnectTimeout);
  co_await stream.async_connect(results, asio::use_awaitable);
  stream.expires_never();
}

inline asio::awaitable<void> connect(UnixStream& stream, const Endpoint& ep) {
  stream.expires_after(kConnectTimeout);
  co_await stream.async_connect(asio::local::stream_protocol::endpoint(ep.socket_path), asio::use_awaitable);
  stream.expires_never();
}

inline asio::awaitable<void> connect(TlsStream& stream, const Endpoint& ep) {
  co_await connect(beast::get_lowest_layer(stream), ep);
  // SNI, so a server with several names presents the right certificate.
  if (!SSL_set_tlsext_host_name(stream.native_handle(), ep.host.c_str())) {
    throw boost::system::system_error(
        boost::system::error_code(static_cast<int>(::ERR_get_error()), asio::error::get_ssl_category()));
  }
  stream.set_verify_callback(ssl::host_name_verification(ep.host));
  beast::get_lowest_layer(stream).expires_after(kConnectTimeout);
  co_await stream.async_handshake(ssl::stream_base::client, asio::use_awaitable);
  beast::get_lowest_layer(stream).expires_never();
}

// "127.0.0.1:8080" or "unix:/run/herald.sock", for messages.
inline std::string describe(const Endpoint& ep) {
  if (ep.unixSocket()) return "unix:" + ep.socket_path;
  const bool v6 = ep.host.find(':') != std::string::npos;
  return (v6 ? "[" + ep.host + "]" : ep.host) + ":" + std::to_string(ep.port);
}

// Runs `work` on `io` to completion and returns its exit code; an exception (connection refused,
// TLS failure, lost peer) is reported through `printError` as "<endpoint>: <reason>" and gives 1.
template <class PrintError>
int runVerb(asio::io_context& io, asio::awaitable<int> work, const Endpoint& ep, PrintError printError) {
  int exit_code = 1;
  asio::co_spawn(io, std::move(work), [&](std::exception_ptr failure, int code) {
    if (!failure) {
      exit_code = code;
      return;
    }
    try {
      std::rethrow_exception(failure);
    } catch (const boost::system::system_error& e) {
      printError(describe(ep) + ": " + e.code().message());  // what() adds source locations
    } catch (const std::exception& e) {
      printError(describe(ep) + ": " + e.what());
    }
    exit_code = 1;
  });
  io.run();
  return exit_code;
}

}  // namespace herald::app::cli
