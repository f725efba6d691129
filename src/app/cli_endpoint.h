// Endpoint: where `herald sub` and `herald publish` connect, parsed from the URL a user types.
// Pure text handling, no I/O and no Beast, so it is unit-tested alone.
//
// Forms: ws://HOST[:PORT][/PATH], wss://..., http://..., https://..., and unix:/PATH/TO.SOCK with an
// optional request target after it (unix:/run/herald.sock:/ws). IPv6 hosts go in brackets.
#pragma once

#include "core/result.h"

#include <cstdint>
#include <string>
#include <string_view>

namespace herald::app {

struct Endpoint {
  enum class Scheme { ws, wss, http, https, unix_socket };
  Scheme scheme = Scheme::ws;
  std::string host;         // tcp: name or address, IPv6 without brackets
  std::uint16_t port = 0;   // tcp: explicit or the scheme's default (80, 443)
  std::string socket_path;  // unix_socket
  std::string target;       // request target: path and query, always starting with '/'

  bool tls() const noexcept { return scheme == Scheme::wss || scheme == Scheme::https; }
  bool unixSocket() const noexcept { return scheme == Scheme::unix_socket; }
  // The Host header: "example.org", "example.org:8080", "[::1]:8080"; "localhost" over a Unix socket.
  std::string hostHeader() const;
};

// `default_target` is used when the URL has no path ("/ws" for sub). Errors are Errc::invalid_params
// naming what is wrong with the URL. `allow_websocket`/`allow_http` restrict the schemes a verb takes.
Result<Endpoint> parseEndpoint(std::string_view url, std::string_view default_target, bool allow_websocket,
                               bool allow_http);

}  // namespace herald::app
