// HttpJsonClient: the one HTTP client of every source (monerod and wallet RPC, the generic poller).
// Synchronous and bounded: each request has a deadline, and an abort flag checked every few
// milliseconds lets a source's stop() end a request in flight at once. Plain HTTP only: upstream
// daemons are reached on loopback or a private network, never across the Internet.
//
// Must not: be called on a worker thread (it blocks its caller for up to the timeout). Sources call
// it from their own threads. This is the only translation unit of sources/ that includes Beast, so
// the sources library compiles Beast once.
#pragma once

#include "core/result.h"

#include <boost/json/value.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace herald::sources {

// "http://HOST[:PORT][/PATH]" split into parts. IPv6 hosts go in brackets.
struct HttpUrl {
  std::string host;
  std::uint16_t port = 80;
  std::string target = "/";  // path and query, at least "/"

  std::string text() const;  // back to "http://host:port/target"
};

// Errc::invalid_params naming what is wrong ("https is not supported", "expected http://HOST:PORT").
Result<HttpUrl> parseHttpUrl(std::string_view text);

struct HttpReply {
  unsigned status = 0;
  std::string body;
};

class HttpJsonClient {
 public:
  // `abort`, when given, must outlive the client; once it reads true every request in flight ends
  // with Errc::unavailable "aborted" within a few milliseconds.
  explicit HttpJsonClient(std::chrono::milliseconds timeout, const std::atomic<bool>* abort = nullptr);

  // One request on a fresh connection (upstreams are local; a connection per call keeps the client
  // free of keep-alive state). Errc::unavailable on connect, timeout or transport failure; any HTTP
  // status is a successful reply. Bodies over 16 MiB are refused (Errc::too_large).
  Result<HttpReply> request(std::string_view method, const HttpUrl& url, std::string_view target,
                            std::string_view body = {}) const;

  // GET url.target; the reply must be 200 with a JSON body.
  Result<boost::json::value> getJson(const HttpUrl& url) const;
  // POST url.target (or `path`, when given) with a JSON body; the reply must be 200 with JSON.
  Result<boost::json::value> postJson(const HttpUrl& url, std::string_view path, const boost::json::value& body) const;

  // JSON-RPC 2.0 at `<url>/json_rpc` (monerod and monero-wallet-rpc): returns `result`. An `error`
  // member becomes Errc::unavailable for transport-like failures and Errc::invalid_params otherwise,
  // with the upstream's message.
  Result<boost::json::value> jsonRpc(const HttpUrl& url, std::string_view method,
                                     const boost::json::value& params) const;

  std::chrono::milliseconds timeout() const noexcept { return timeout_; }

 private:
  std::chrono::milliseconds timeout_;
  const std::atomic<bool>* abort_;
};

}  // namespace herald::sources
