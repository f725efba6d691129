// DialectConfig: where each WebSocket dialect is mounted and its own settings, as resolved by
// config.cpp (the [dialects] section) and consumed by mounts.cpp. Plain values; an empty path means
// "not mounted". Each dialect's keys are documented in docs/operations.md.
#pragma once

#include "dialects/dcrdex.h"
#include "dialects/lws_feed.h"

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace herald::app {

struct DialectConfig {
  std::string herald_v1_path = "/ws";

  // Signum SIP-50 (docs/protocol/signum-sip50.md).
  std::string signum_path = "/events";
  std::int64_t signum_heartbeat_seconds = 30;  // API.WebsocketHeartbeatInterval
  std::int64_t signum_debounce_ms = 1000;      // BLOCK_PUSHED window

  // ar.io subscribe (docs/protocol/ario.md).
  std::string ario_path = "/ar";
  double ario_rate_per_second = 10;
  double ario_rate_burst = 20;
  std::size_t ario_max_subscriptions = 20;
  std::vector<std::string> ario_allowed_origins;  // WS_CORS; empty = any origin

  // dcrdex msgjson (docs/protocol/dcrdex.md): registered accounts, gateway key, connect window.
  std::string dcrdex_path = "/dex";
  dialects::DcrdexConfig dcrdex;

  // monero-lws feed (docs/protocol/monero-lws-feed.md): one path, two subprotocols (json, msgpack).
  std::string lws_feed_path = "/feed";
  dialects::LwsFeedConfig lws_feed;
};

}  // namespace herald::app
