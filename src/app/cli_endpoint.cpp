// Endpoint parsing: see cli_endpoint.h. Deliberately small: no user info, no fragments, no
// percent-decoding of the host; a URL that needs them is refused with a reason rather than guessed at.
#include "app/cli_endpoint.h"

#include <algorithm>
#include <cctype>
#include <charconv>

namespace herald::app {

namespace {

Error bad(std::string_view url, std::string_view why) {
  return Error::make(Errc::invalid_params, "'" + std::string(url) + "': " + std::string(why), "url");
}

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

}  // namespace

std::string Endpoint::hostHeader() const {
  if (unixSocket()) return "localhost";
  const bool v6 = host.find(':') != std::string::npos;
  std::string out = v6 ? "[" + host + "]" : host;
  const std::uint16_t default_port = tls() ? 443 : 80;
  if (port != default_port) out += ":" + std::to_string(port);
  return out;
}

Result<Endpoint> parseEndpoint(std::string_view url, std::string_view default_target, bool allow_websocket,
                               bool allow_http) {
  Endpoint ep;
  const auto colon = url.find(':');
  if (colon == std::string_view::npos) return bad(url, "expected a URL such as ws://127.0.0.1:8080/ws");
  const std::string scheme = lower(url.substr(0, colon));
  std::string_view rest = url.substr(colon + 1);

  if (scheme == "unix") {
    ep.scheme = Endpoint::Scheme::unix_socket;
    // unix:/path/to.sock or unix:/path/to.sock:/target
    const auto split = rest.find(":/");
    ep.socket_path = std::string(rest.substr(0, split));
    ep.target =
        split == std::string_view::npos ? std::string(default_target) : std::string(rest.substr(split + 1));
    if (ep.socket_path.empty()) return bad(url, "expected unix:/path/to/socket");
    return ep;
  }

  if (scheme == "ws") {
    ep.scheme = Endpoint::Scheme::ws;
  } else if (scheme == "wss") {
    ep.scheme = Endpoint::Scheme::wss;
  } else if (scheme == "http") {
    ep.scheme = Endpoint::Scheme::http;
  } else if (scheme == "https") {
    ep.scheme = Endpoint::Scheme::https;
  } else {
    return bad(url, "unknown scheme '" + scheme + "' (use ws, wss, http, https or unix)");
  }
  const bool websocket = ep.scheme == Endpoint::Scheme::ws || ep.scheme == Endpoint::Scheme::wss;
  if (websocket && !allow_websocket) return bad(url, "expected an http:// or https:// URL");
  if (!websocket && !allow_http) return bad(url, "expected a ws:// or wss:// URL");

  if (!rest.starts_with("//")) return bad(url, "expected '//' after the scheme");
  rest.remove_prefix(2);
  if (rest.find('#') != std::string_view::npos)
    return bad(url, "a fragment (#...) means nothing to a server");

  const auto path_start = rest.find_first_of("/?");
  std::string_view authority = rest.substr(0, path_start);
  std::string_view target =
      path_start == std::string_view::npos ? std::string_view{} : rest.substr(path_start);
  if (authority.find('@') != std::string_view::npos)
    return bad(url, "user info (user@host) is not supported");

  std::string_view port_text;
  if (authority.starts_with('[')) {
    const auto close = authority.find(']');
    if (close == std::string_view::npos) return bad(url, "unterminated IPv6 address");
    ep.host = std::string(authority.substr(1, close - 1));
    const auto after = authority.substr(close + 1);
    if (!after.empty()) {
      if (!after.starts_with(':')) return bad(url, "expected ':' and a port after the IPv6 address");
      port_text = after.substr(1);
      if (port_text.empty()) return bad(url, "expected a port after ':'");
    }
  } else {
    const auto port_colon = authority.find(':');
    ep.host = std::string(authority.substr(0, port_colon));
    if (port_colon != std::string_view::npos) {
      port_text = authority.substr(port_colon + 1);
      if (port_text.empty()) return bad(url, "expected a port after ':'");
    }
  }
  if (ep.host.empty()) return bad(url, "missing host");

  ep.port = ep.tls() ? 443 : 80;
  if (!port_text.empty()) {
    unsigned port = 0;
    const auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (ec != std::errc{} || end != port_text.data() + port_text.size() || port == 0 || port > 65535) {
      return bad(url, "port must be 1-65535");
    }
    ep.port = static_cast<std::uint16_t>(port);
  }

  if (target.empty()) {
    ep.target = std::string(default_target);
  } else if (target.front() == '?') {
    ep.target = std::string(default_target) + std::string(target);
  } else {
    ep.target = std::string(target);
  }
  return ep;
}

}  // namespace herald::app
