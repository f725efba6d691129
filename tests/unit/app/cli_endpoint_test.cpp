#include "app/cli_endpoint.h"

#include <gtest/gtest.h>

namespace herald::app {
namespace {

using Scheme = Endpoint::Scheme;

Endpoint parsed(std::string_view url, std::string_view default_target = "/ws") {
  auto ep = parseEndpoint(url, default_target, true, true);
  EXPECT_TRUE(ep) << url << ": " << (ep ? "" : ep.error().message);
  return ep ? *ep : Endpoint{};
}

std::string errorOf(std::string_view url, bool websocket = true, bool http = true) {
  auto ep = parseEndpoint(url, "/ws", websocket, http);
  return ep ? "(no error)" : ep.error().message;
}

TEST(CliEndpointTest, WebSocketUrls) {
  const auto ep = parsed("ws://127.0.0.1:8080/ws");
  EXPECT_EQ(ep.scheme, Scheme::ws);
  EXPECT_EQ(ep.host, "127.0.0.1");
  EXPECT_EQ(ep.port, 8080);
  EXPECT_EQ(ep.target, "/ws");
  EXPECT_FALSE(ep.tls());
  EXPECT_EQ(ep.hostHeader(), "127.0.0.1:8080");

  const auto secure = parsed("WSS://gateway.example.org/events?x=1");
  EXPECT_EQ(secure.scheme, Scheme::wss);
  EXPECT_TRUE(secure.tls());
  EXPECT_EQ(secure.port, 443);
  EXPECT_EQ(secure.target, "/events?x=1");
  EXPECT_EQ(secure.hostHeader(), "gateway.example.org");
}

TEST(CliEndpointTest, MissingPathTakesTheDefaultTarget) {
  EXPECT_EQ(parsed("ws://localhost:8080").target, "/ws");
  EXPECT_EQ(parsed("ws://localhost:8080?since=1").target, "/ws?since=1");
  EXPECT_EQ(parsed("http://localhost", "/").target, "/");
  EXPECT_EQ(parsed("http://localhost").port, 80);
}

TEST(CliEndpointTest, Ipv6HostsAreBracketed) {
  const auto ep = parsed("ws://[::1]:9000/ws");
  EXPECT_EQ(ep.host, "::1");
  EXPECT_EQ(ep.port, 9000);
  EXPECT_EQ(ep.hostHeader(), "[::1]:9000");
  EXPECT_EQ(parsed("https://[2001:db8::5]/").hostHeader(), "[2001:db8::5]");
}

TEST(CliEndpointTest, UnixSockets) {
  const auto plain = parsed("unix:/run/herald.sock");
  EXPECT_TRUE(plain.unixSocket());
  EXPECT_EQ(plain.socket_path, "/run/herald.sock");
  EXPECT_EQ(plain.target, "/ws");
  EXPECT_EQ(plain.hostHeader(), "localhost");

  const auto targeted = parsed("unix:/run/herald.sock:/events");
  EXPECT_EQ(targeted.socket_path, "/run/herald.sock");
  EXPECT_EQ(targeted.target, "/events");

  EXPECT_EQ(parsed("unix:relative.sock").socket_path, "relative.sock");
}

TEST(CliEndpointTest, Errors) {
  EXPECT_EQ(errorOf("127.0.0.1:8080"),
            "'127.0.0.1:8080': unknown scheme '127.0.0.1' (use ws, wss, http, https or unix)");
  EXPECT_EQ(errorOf("localhost"), "'localhost': expected a URL such as ws://127.0.0.1:8080/ws");
  EXPECT_EQ(errorOf("ftp://x/"), "'ftp://x/': unknown scheme 'ftp' (use ws, wss, http, https or unix)");
  EXPECT_EQ(errorOf("ws:/x"), "'ws:/x': expected '//' after the scheme");
  EXPECT_EQ(errorOf("ws://:8080/ws"), "'ws://:8080/ws': missing host");
  EXPECT_EQ(errorOf("ws://h:0/"), "'ws://h:0/': port must be 1-65535");
  EXPECT_EQ(errorOf("ws://h:99999/"), "'ws://h:99999/': port must be 1-65535");
  EXPECT_EQ(errorOf("ws://h:80x/"), "'ws://h:80x/': port must be 1-65535");
  EXPECT_EQ(errorOf("ws://h:/"), "'ws://h:/': expected a port after ':'");
  EXPECT_EQ(errorOf("ws://[::1/"), "'ws://[::1/': unterminated IPv6 address");
  EXPECT_EQ(errorOf("ws://[::1]x/"), "'ws://[::1]x/': expected ':' and a port after the IPv6 address");
  EXPECT_EQ(errorOf("ws://u:p@h/"), "'ws://u:p@h/': user info (user@host) is not supported");
  EXPECT_EQ(errorOf("ws://h/#frag"), "'ws://h/#frag': a fragment (#...) means nothing to a server");
  EXPECT_EQ(errorOf("unix:"), "'unix:': expected unix:/path/to/socket");
}

TEST(CliEndpointTest, EachVerbTakesItsOwnSchemes) {
  EXPECT_EQ(errorOf("http://h/", /*websocket=*/true, /*http=*/false),
            "'http://h/': expected a ws:// or wss:// URL");
  EXPECT_EQ(errorOf("ws://h/", /*websocket=*/false, /*http=*/true),
            "'ws://h/': expected an http:// or https:// URL");
  EXPECT_EQ(errorOf("unix:/s", false, true), "(no error)");
}

}  // namespace
}  // namespace herald::app
