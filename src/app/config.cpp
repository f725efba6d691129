// Config resolution: see config.h. The table in keys() is the only list of settings; TOML, the
// environment and the flags are three readers of it, so a key cannot exist in one and not the others.
#include "app/config.h"

#include "schema/catalog.h"

#include <CLI/CLI.hpp>
#include <toml++/toml.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <variant>

namespace herald::app {

std::string_view syncModeName(SyncMode mode) noexcept { return mode == SyncMode::full ? "full" : "normal"; }

std::string_view logLevelName(LogLevel level) noexcept {
  switch (level) {
    case LogLevel::trace:
      return "trace";
    case LogLevel::debug:
      return "debug";
    case LogLevel::info:
      return "info";
    case LogLevel::warn:
      return "warn";
    case LogLevel::error:
      return "error";
    case LogLevel::critical:
      return "critical";
    case LogLevel::off:
      return "off";
  }
  return "info";
}

std::string_view logFormatName(LogFormat format) noexcept {
  return format == LogFormat::text ? "text" : "json";
}

namespace {

constexpr std::int64_t kInt64Max = std::numeric_limits<std::int64_t>::max();
constexpr std::int64_t kKiB = 1024;
constexpr std::int64_t kMiB = 1024 * kKiB;
constexpr std::int64_t kGiB = 1024 * kMiB;
// sockaddr_un::sun_path is 108 bytes on Linux, one of them the terminating NUL.
constexpr std::size_t kMaxUnixPath = 107;
constexpr std::string_view kDefaultListener = "127.0.0.1:8080";

enum class Kind { integer, number, boolean, text, list };
using Value = std::variant<std::int64_t, double, bool, std::string, std::vector<std::string>>;

// Listener lists and TLS files are kept apart until every source has spoken: which kinds were given
// decides whether the default listener applies, and TLS files must pair with TLS listeners.
struct Draft {
  Config config;
  std::vector<transport::ListenerConfig> tcp;
  std::vector<transport::ListenerConfig> tls;
  std::vector<transport::ListenerConfig> unix_sockets;
  std::string tls_cert;
  std::string tls_key;
  std::map<std::string, std::string, std::less<>> origin;  // key path -> the source that set it
  std::optional<std::uint16_t> ws_port;  // WS_PORT: an extra listener, added once listeners are known
  std::optional<std::uint16_t> signum_port;  // dialects.signum_port (API.WebsocketPort): likewise
};

// Message only; the caller prefixes the source and the key.
using Apply = Result<void> (*)(Draft&, const Value&);

struct KeySpec {
  std::string_view section;
  std::string_view name;
  std::string_view env;
  std::string_view flag;
  Kind kind;
  std::string_view default_value;
  std::string_view help;
  Apply apply;
  // Inclusive bounds, integers and numbers only.
  double min = 0;
  double max = 0;
  bool secret = false;  // never echo the value in an error

  std::string path() const { return std::string(section) + "." + std::string(name); }
};

Error fail(std::string message) { return Error::make(Errc::invalid_params, std::move(message)); }

std::int64_t asInt(const Value& v) { return std::get<std::int64_t>(v); }
double asNumber(const Value& v) { return std::get<double>(v); }
bool asBool(const Value& v) { return std::get<bool>(v); }
const std::string& asText(const Value& v) { return std::get<std::string>(v); }
const std::vector<std::string>& asList(const Value& v) { return std::get<std::vector<std::string>>(v); }

std::size_t asSize(const Value& v) { return static_cast<std::size_t>(asInt(v)); }

Result<void> oneOf(std::string_view text, std::initializer_list<std::string_view> allowed) {
  std::string list;
  for (auto a : allowed) {
    if (text == a) return {};
    if (!list.empty()) list += ", ";
    list += a;
  }
  return fail("expected one of " + list + ", got '" + std::string(text) + "'");
}

// "HOST:PORT", with IPv6 hosts in brackets ("[::1]:8080"). Port 0 asks for any free port.
Result<transport::ListenerConfig> parseHostPort(std::string_view text, transport::ListenerConfig::Kind kind) {
  std::string_view host;
  std::string_view port;
  if (text.starts_with('[')) {
    const auto close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      return fail("expected [IPV6]:PORT, got '" + std::string(text) + "'");
    }
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
  } else {
    const auto colon = text.rfind(':');
    if (colon == std::string_view::npos) return fail("expected HOST:PORT, got '" + std::string(text) + "'");
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
    if (host.find(':') != std::string_view::npos) {
      return fail("an IPv6 address goes in brackets ([::1]:8080), got '" + std::string(text) + "'");
    }
  }
  if (host.empty())
    return fail("expected HOST:PORT with a host (0.0.0.0 for every interface), got '" + std::string(text) +
                "'");
  unsigned value = 0;
  const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (port.empty() || ec != std::errc{} || end != port.data() + port.size() || value > 65535) {
    return fail("expected a port 0-65535 after the host, got '" + std::string(text) + "'");
  }
  transport::ListenerConfig listener;
  listener.kind = kind;
  listener.host = std::string(host);
  listener.port = static_cast<std::uint16_t>(value);
  return listener;
}

Result<void> setMountPath(std::string& out, const Value& v) {
  const std::string& path = asText(v);
  if (!path.empty() && (path.front() != '/' || std::any_of(path.begin(), path.end(), [](unsigned char c) {
                          return c <= ' ' || c == '?' || c == '#';
                        }))) {
    return fail("expected a path such as /events (or \"\" to unmount), got '" + path + "'");
  }
  out = path;
  return {};
}

// "HOST:PORT" serves every mount; "HOST:PORT/PATH" is a listener dedicated to the mount at PATH (an
// upgrade to any other path gets 404). Whether PATH is mounted is checked once mounts are known.
Result<void> setListeners(std::vector<transport::ListenerConfig>& out, const Value& v,
                          transport::ListenerConfig::Kind kind) {
  out.clear();
  for (const auto& text : asList(v)) {
    const auto slash = text.find('/');  // neither a host nor a port contains one
    auto listener = parseHostPort(std::string_view(text).substr(0, slash), kind);
    if (!listener) return listener.error();
    if (slash != std::string::npos) {
      std::string path;
      if (auto ok = setMountPath(path, Value{text.substr(slash)}); !ok || path.empty()) {
        return fail("expected HOST:PORT or HOST:PORT/PATH with a mount path such as /events, got '" + text +
                    "'");
      }
      listener->paths.push_back(std::move(path));
    }
    out.push_back(std::move(*listener));
  }
  return {};
}

Result<void> setUnix(Draft& d, const Value& v) {
  d.unix_sockets.clear();
  for (const auto& path : asList(v)) {
    if (path.size() > kMaxUnixPath) {
      return fail("socket path is " + std::to_string(path.size()) + " bytes, over the system's " +
                  std::to_string(kMaxUnixPath) + ": '" + path + "'");
    }
    transport::ListenerConfig listener;
    listener.kind = transport::ListenerConfig::Kind::unix_socket;
    listener.path = path;
    d.unix_sockets.push_back(std::move(listener));
  }
  return {};
}

Result<void> setOrigins(Draft& d, const Value& v) {
  for (const auto& origin : asList(v)) {
    if (origin == "*") return fail("'*' is not an origin; leave allowed_origins empty to accept any");
    const bool spaced = std::any_of(origin.begin(), origin.end(), [](unsigned char c) { return c <= ' '; });
    if (spaced || origin.find("://") == std::string::npos) {
      return fail("expected an origin like https://example.org, got '" + origin + "'");
    }
  }
  d.config.server.limits.allowed_origins = asList(v);
  return {};
}

// RFC 6750 b64token: what may follow "Bearer " in an Authorization header.
bool isBearerToken(std::string_view token) {
  if (token.empty()) return false;
  const auto body_end = token.find_last_not_of('=');
  if (body_end == std::string_view::npos) return false;
  for (std::size_t i = 0; i <= body_end; ++i) {
    const char c = token[i];
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
                    c == '.' || c == '_' || c == '~' || c == '+' || c == '/';
    if (!ok) return false;
  }
  return true;
}

Result<void> setTokens(Draft& d, const Value& v) {
  const auto& tokens = asList(v);
  for (std::size_t i = 0; i < tokens.size(); ++i) {
    if (!isBearerToken(tokens[i])) {
      return fail("token " + std::to_string(i + 1) +
                  " is not a bearer token (letters, digits and -._~+/ , then optional =)");
    }
  }
  d.config.publish_tokens = tokens;
  return {};
}

Result<void> setExtraTopics(Draft& d, const Value& v) {
  for (const auto& topic : asList(v)) {
    if (auto ok = schema::checkTopicName(topic); !ok) return fail("'" + topic + "': " + ok.error().message);
    if (schema::isCatalogTopic(topic)) return fail("'" + topic + "' is already a catalog topic");
  }
  d.config.extra_topics = asList(v);
  return {};
}

// Source specs ("monerod:zmq=tcp://...,rpc=http://..."). The environment splits lists at commas, which
// also separate a spec's options: an item that does not begin with "KIND:" continues the one before.
// Only the shape is checked here; the keys of each kind are makeSources' business.
Result<void> setSources(Draft& d, const Value& v) {
  std::vector<std::string> specs;
  for (const auto& item : asList(v)) {
    const auto colon = item.find(':');
    const auto eq = item.find('=');
    const bool starts_spec = colon != std::string::npos && colon > 0 && (eq == std::string::npos || colon < eq);
    if (!starts_spec) {
      if (specs.empty()) return fail("expected KIND:key=value,... (e.g. monerod:zmq=tcp://127.0.0.1:28083,rpc=http://127.0.0.1:28081), got '" + item + "'");
      specs.back() += "," + item;
      continue;
    }
    specs.push_back(item);
  }
  d.config.sources = std::move(specs);
  return {};
}

Result<void> setNonEmptyPath(std::string& out, const Value& v) {
  if (asText(v).empty()) return fail("must not be empty");
  out = asText(v);
  return {};
}

// A mount path: empty (not mounted) or starting with '/'.
Result<std::vector<std::string>> checkedOrigins(const std::vector<std::string>& origins) {
  for (const auto& origin : origins) {
    if (origin == "*") return fail("'*' is not an origin; leave the list empty to accept any");
    const bool spaced = std::any_of(origin.begin(), origin.end(), [](unsigned char c) { return c <= ' '; });
    if (spaced || origin.find("://") == std::string::npos) {
      return fail("expected an origin like https://example.org, got '" + origin + "'");
    }
  }
  return origins;
}

// "ACCOUNT:SECRET" items; split at the last ':' (a view key has none). Secrets are never echoed.
Result<void> setAccounts(Draft& d, const Value& v) {
  std::map<std::string, std::string, std::less<>> accounts;
  const auto& items = asList(v);
  for (std::size_t i = 0; i < items.size(); ++i) {
    const auto colon = items[i].rfind(':');
    if (colon == std::string::npos || colon == 0 || colon + 1 == items[i].size()) {
      return fail("account " + std::to_string(i + 1) + " is not ACCOUNT:SECRET");
    }
    if (!accounts.emplace(items[i].substr(0, colon), items[i].substr(colon + 1)).second) {
      return fail("account " + std::to_string(i + 1) + " is given twice");
    }
  }
  d.config.accounts = std::move(accounts);
  return {};
}

// dcrdex accounts: "ACCOUNTID:PUBKEY" (hex). Dcrdex::make() checks that each id belongs to its key.
Result<void> setDcrdexAccounts(Draft& d, const Value& v) {
  std::map<std::string, std::string> accounts;
  const auto& items = asList(v);
  for (std::size_t i = 0; i < items.size(); ++i) {
    const auto colon = items[i].find(':');
    if (colon == std::string::npos || colon == 0 || colon + 1 == items[i].size()) {
      return fail("account " + std::to_string(i + 1) + " is not ACCOUNTID:PUBKEY");
    }
    if (!accounts.emplace(items[i].substr(0, colon), items[i].substr(colon + 1)).second) {
      return fail("account " + std::to_string(i + 1) + " is given twice");
    }
  }
  d.config.dialects.dcrdex.accounts = std::move(accounts);
  return {};
}

// The table. Bounds: the lower one is the smallest value that still works, the upper one the largest
// that is a setting rather than a mistake or a way for one client to exhaust the machine.
std::vector<KeySpec> makeKeys() {
  using K = Kind;
  using L = transport::ListenerConfig::Kind;
  return {
      // [server] and [storage] keys are the ones set most: their variables drop the section name.
      {"server", "listen", "HERALD_LISTEN", "--listen", K::list,
       "127.0.0.1:8080 (only when no listener of any kind is given)",
       "Listen on HOST:PORT for HTTP and WebSocket (repeatable)",
       [](Draft& d, const Value& v) { return setListeners(d.tcp, v, L::tcp); }},
      {"server", "unix", "HERALD_UNIX", "--unix", K::list, "none",
       "Listen on a Unix domain socket PATH (repeatable)", setUnix},
      // 256: more threads than that only add context switches; a bigger load runs more gateways.
      {"server", "workers", "HERALD_WORKERS", "--workers", K::integer, "0 (one per core)",
       "Worker threads (0 = one per core)",
       [](Draft& d, const Value& v) -> Result<void> {
         d.config.server.workers = asSize(v);
         return {};
       },
       0, 256},
      {"server", "allowed_origins", "HERALD_ALLOWED_ORIGINS", "--allowed-origin", K::list,
       "none (any origin)", "Accept browser WebSockets only from this Origin (repeatable)", setOrigins},
      {"server", "lean_websocket", "HERALD_LEAN_WEBSOCKET", "--lean-websocket", K::boolean, "true",
       "Plain (non-TLS) WebSockets on Herald's own framing (--no-lean-websocket: Beast's)",
       [](Draft& d, const Value& v) -> Result<void> {
         d.config.server.limits.lean_websocket = asBool(v);
         return {};
       }},

      {"tls", "listen", "HERALD_TLS_LISTEN", "--listen-tls", K::list, "none",
       "Listen with TLS on HOST:PORT (repeatable)",
       [](Draft& d, const Value& v) { return setListeners(d.tls, v, L::tls); }},
      {"tls", "cert", "HERALD_TLS_CERT", "--tls-cert", K::text, "none",
       "PEM certificate chain for TLS listeners",
       [](Draft& d, const Value& v) { return setNonEmptyPath(d.tls_cert, v); }},
      {"tls", "key", "HERALD_TLS_KEY", "--tls-key", K::text, "none", "PEM private key for TLS listeners",
       [](Draft& d, const Value& v) { return setNonEmptyPath(d.tls_key, v); }},

      {"storage", "data_dir", "HERALD_DATA_DIR", "--data-dir", K::text, "herald-data",
       "Directory of the event log",
       [](Draft& d, const Value& v) { return setNonEmptyPath(d.config.data_dir, v); }},
      {"storage", "persist", "HERALD_PERSIST", "--persist", K::boolean, "true",
       "Keep the event log on disk (--no-persist: in memory, lost on restart)",
       [](Draft& d, const Value& v) -> Result<void> {
         d.config.persist = asBool(v);
         return {};
       }},
      {"storage", "sync", "HERALD_SYNC", "--sync", K::text, "full",
       "full: survive power loss; normal: survive a crash",
       [](Draft& d, const Value& v) -> Result<void> {
         if (auto ok = oneOf(asText(v), {"full", "normal"}); !ok) return ok;
         d.config.sync = asText(v) == "full" ? SyncMode::full : SyncMode::normal;
         return {};
       }},

      {"retention", "max_events", "HERALD_RETENTION_MAX_EVENTS", "--retention-max-events", K::integer,
       "1000000", "Events kept in the log (0 = no count limit)",
       [](Draft& d, const Value& v) -> Result<void> {
         d.config.retention.max_events = static_cast<std::uint64_t>(asInt(v));
         return {};
       },
       0, static_cast<double>(kInt64Max)},
      // The upper bound keeps seconds x 1000 inside int64 milliseconds.
      {"retention", "max_age_seconds", "HERALD_RETENTION_MAX_AGE_SECONDS", "--retention-max-age-seconds",
       K::integer, "604800 (7 days)", "Seconds an event is kept (0 = no age limit)",
       [](Draft& d, const Value& v) -> Result<void> {
         d.config.retention.max_age_ms = asInt(v) * 1000;
         return {};
       },
       0, static_cast<double>(kInt64Max / 1000)},

      // 1 KiB: a subscribe with a cursor and a full filter fits; 64 MiB: more is a memory attack.
      {"limits", "max_message_bytes", "HERALD_LIMITS_MAX_MESSAGE_BYTES", "--max-message-bytes", K::integer,
       "1048576 (1 MiB)", "Largest inbound WebSocket message (over it: close 1009)",
       [](Draft& d, const Value& v) -> Result<void> {
         d.config.server.limits.max_message_bytes = asSize(v);
         return {};
       },
       static_cast<double>(kKiB), static_cast<double>(64 * kMiB)},
      {"limits", "max_http_body_bytes", "HERALD_LIMITS_MAX_HTTP_BODY_BYTES", "--max-http-body-bytes",
       K::integer, "8388608 (8 MiB)", "Largest HTTP request body (publish batches)",
       [](Draft& d, const Value& v) -> Result<void> {
         d.config.server.limits.max_http_body_bytes = asSize(v);
         return {};
       },
       static_cast<double>(kKiB), static_cast<double>(kGiB)},
      // 100 ms: less fails honest clients on a slow link (or Tor); 10 min: a handshake, not a hold.
      {"limits", "handshake_timeout_ms", "HERALD_LIMITS_HANDSHAKE_TIMEOUT_MS", "--handshake-timeout-ms",
       K::integer, "10000", "Time allowed for the HTTP request and WebSocket upgrade",
       [](Draft& d, const Value& v) -> Result<void> {
         d.config.server.limits.handshake_timeout = std::chrono::milliseconds(asInt(v));
         return {};
       },
       100, 600'000},
      // 1 s: pings go out at half of it; below that they would be most of the traffic.
      {"limits", "idle_timeout_ms", "HERALD_LIMITS_IDLE_TIMEOUT_MS", "--idle-timeout-ms", K::integer, "60000",
       "A silent connection is pinged at half of this and closed at all of it",
       [](Draft& d, const Value& v) -> Result<void> {
         d.config.server.limits.idle_timeout = std::chrono::milliseconds(asInt(v));
         return {};
       },
       1'000, 3'600'000},
      {"limits", "max_connections", "HERALD_LIMITS_MAX_CONNECTIONS", "--max-connections", K::integer,
       "100000", "WebSocket connections at once (over it: HTTP 503)",
       [](Draft& d, const Value& v) -> Result<void> {
         d.config.server.limits.max_connections = asSize(v);
         return {};
       },
       1, 10'000'000},
      {"limits", "max_subscriptions", "HERALD_LIMITS_MAX_SUBSCRIPTIONS", "--max-subscriptions", K::integer,
       "64", "Subscriptions per connection",
       [](Draft& d, const Value& v) -> Result<void> {
         d.config.hub.max_subscriptions = asSize(v);
         return {};
       },
       1, 100'000},
      // 64 KiB: room for a few events; 1 GiB: one client must not hold the machine's memory.
      {"limits", "queue_bytes", "HERALD_LIMITS_QUEUE_BYTES", "--queue-bytes", K::integer, "4194304 (4 MiB)",
       "Outbound backlog per connection before it is closed as a slow consumer",
       [](Draft& d, const Value& v) -> Result<void> {
         d.config.hub.queue_bytes = asSize(v);
         return {};
       },
       static_cast<double>(64 * kKiB), static_cast<double>(kGiB)},
      {"limits", "replay_page", "HERALD_LIMITS_REPLAY_PAGE", "--replay-page", K::integer, "512",
       "Events per history read while a client resumes",
       [](Draft& d, const Value& v) -> Result<void> {
         d.config.hub.replay_page = asSize(v);
         return {};
       },
       1, 100'000},
      {"limits", "rate_per_second", "HERALD_LIMITS_RATE_PER_SECOND", "--rate-per-second", K::number, "50",
       "Sustained client messages per second per connection",
       [](Draft& d, const Value& v) -> Result<void> {
         d.config.hub.inbound.per_second = asNumber(v);
         return {};
       },
       0.001, 1e6},
      {"limits", "rate_burst", "HERALD_LIMITS_RATE_BURST", "--rate-burst", K::number, "100",
       "Client messages allowed at once above the sustained rate",
       [](Draft& d, const Value& v) -> Result<void> {
         d.config.hub.inbound.burst = asNumber(v);
         return {};
       },
       1, 1e6},
      {"limits", "abuse_close_after", "HERALD_LIMITS_ABUSE_CLOSE_AFTER", "--abuse-close-after", K::integer,
       "100", "Consecutive rate-limited messages before the connection is closed",
       [](Draft& d, const Value& v) -> Result<void> {
         d.config.hub.abuse_close_after = static_cast<std::uint32_t>(asInt(v));
         return {};
       },
       1, 1'000'000},

      {"publish", "tokens", "HERALD_PUBLISH_TOKENS", "--publish-token", K::list, "none (publishing refused)",
       "Bearer token accepted by the publish API (repeatable)", setTokens, 0, 0, /*secret=*/true},
      {"publish", "max_batch", "HERALD_PUBLISH_MAX_BATCH", "--publish-max-batch", K::integer, "1000",
       "Events in one publish request",
       [](Draft& d, const Value& v) -> Result<void> {
         d.config.publish.max_batch = asSize(v);
         return {};
       },
       1, 100'000},
      // 64 bytes: the smallest catalog event; 16 MiB: an event, not a file transfer.
      {"publish", "max_data_bytes", "HERALD_PUBLISH_MAX_DATA_BYTES", "--publish-max-data-bytes", K::integer,
       "65536 (64 KiB)", "Compact JSON size of one event's data",
       [](Draft& d, const Value& v) -> Result<void> {
         d.config.publish.max_data_bytes = asSize(v);
         return {};
       },
       64, static_cast<double>(16 * kMiB)},

      {"demo", "enabled", "HERALD_DEMO_ENABLED", "--demo", K::boolean, "true",
       "Run the built-in demo source (--no-demo: do not)",
       [](Draft& d, const Value& v) -> Result<void> {
         d.config.demo = asBool(v);
         return {};
       }},
      // 10 ms: fast enough for tests; 1 h: slower than that nothing on a dashboard moves.
      {"demo", "block_interval_ms", "HERALD_DEMO_BLOCK_INTERVAL_MS", "--demo-block-interval-ms", K::integer,
       "2000", "Milliseconds between demo blocks",
       [](Draft& d, const Value& v) -> Result<void> {
         d.config.demo_block_interval_ms = asInt(v);
         return {};
       },
       10, 3'600'000},
      {"demo", "seed", "HERALD_DEMO_SEED", "--demo-seed", K::integer, "0 (random)",
       "Seed of the demo chain (same seed, same events)",
       [](Draft& d, const Value& v) -> Result<void> {
         d.config.demo_seed = static_cast<std::uint64_t>(asInt(v));
         return {};
       },
       0, static_cast<double>(kInt64Max)},

      {"log", "level", "HERALD_LOG_LEVEL", "--log-level", K::text, "info",
       "trace, debug, info, warn, error, critical or off",
       [](Draft& d, const Value& v) -> Result<void> {
         static constexpr std::array kLevels{LogLevel::trace, LogLevel::debug, LogLevel::info,
                                             LogLevel::warn,  LogLevel::error, LogLevel::critical,
                                             LogLevel::off};
         for (auto level : kLevels) {
           if (asText(v) == logLevelName(level)) {
             d.config.log_level = level;
             return {};
           }
         }
         return oneOf(asText(v), {"trace", "debug", "info", "warn", "error", "critical", "off"});
       }},
      {"log", "format", "HERALD_LOG_FORMAT", "--log-format", K::text, "text",
       "text (for people) or json (one object per line, for collectors)",
       [](Draft& d, const Value& v) -> Result<void> {
         if (auto ok = oneOf(asText(v), {"text", "json"}); !ok) return ok;
         d.config.log_format = asText(v) == "text" ? LogFormat::text : LogFormat::json;
         return {};
       }},

      {"topics", "extra", "HERALD_TOPICS_EXTRA", "--extra-topic", K::list, "none",
       "Topic beyond the catalog that clients may publish and subscribe to (repeatable)", setExtraTopics},

      {"dialects", "herald_v1_path", "HERALD_DIALECTS_HERALD_V1_PATH", "--herald-v1-path", K::text, "/ws",
       "Path of the herald.v1 WebSocket (\"\" = not mounted)",
       [](Draft& d, const Value& v) { return setMountPath(d.config.dialects.herald_v1_path, v); }},
      {"dialects", "signum_path", "HERALD_DIALECTS_SIGNUM_PATH", "--signum-path", K::text, "/events",
       "Path of the Signum SIP-50 WebSocket (\"\" = not mounted; API.WebsocketEnable)",
       [](Draft& d, const Value& v) { return setMountPath(d.config.dialects.signum_path, v); }},
      // 1 s: the hub looks for idle connections once a second; 1 day: a heartbeat, not a formality.
      {"dialects", "signum_port", "HERALD_DIALECTS_SIGNUM_PORT", "--signum-port", K::integer, "none",
       "Also listen on this TCP port for the SIP-50 path only (API.WebsocketPort; host of the first "
       "[server] listen)",
       [](Draft& d, const Value& v) -> Result<void> {
         d.signum_port = static_cast<std::uint16_t>(asInt(v));
         return {};
       },
       0, 65535},
      {"dialects", "signum_heartbeat_seconds", "HERALD_DIALECTS_SIGNUM_HEARTBEAT_SECONDS",
       "--signum-heartbeat-seconds", K::integer, "30",
       "SIP-50 HEARTBEAT after this many idle seconds (API.WebsocketHeartbeatInterval)",
       [](Draft& d, const Value& v) -> Result<void> {
         d.config.dialects.signum_heartbeat_seconds = asInt(v);
         return {};
       },
       1, 86'400},
      // 0: every block; 1 min: longer and a synced client would miss that the chain moves.
      {"dialects", "signum_debounce_ms", "HERALD_DIALECTS_SIGNUM_DEBOUNCE_MS", "--signum-debounce-ms", K::integer,
       "1000", "SIP-50 BLOCK_PUSHED carries only the latest block of each window of this many ms",
       [](Draft& d, const Value& v) -> Result<void> {
         d.config.dialects.signum_debounce_ms = asInt(v);
         return {};
       },
       0, 60'000},
      {"dialects", "ario_path", "HERALD_DIALECTS_ARIO_PATH", "--ario-path", K::text, "/ar",
       "Path of the ar.io subscribe WebSocket (\"\" = not mounted; WS_ENABLED)",
       [](Draft& d, const Value& v) { return setMountPath(d.config.dialects.ario_path, v); }},
      {"dialects", "ario_rate_per_second", "HERALD_DIALECTS_ARIO_RATE_PER_SECOND", "--ario-rate-per-second",
       K::number, "10", "ar.io messages per second per connection (over it: ar_subscribe_denied rate_limited)",
       [](Draft& d, const Value& v) -> Result<void> {
         d.config.dialects.ario_rate_per_second = asNumber(v);
         return {};
       },
       0.001, 1e6},
      {"dialects", "ario_rate_burst", "HERALD_DIALECTS_ARIO_RATE_BURST", "--ario-rate-burst", K::number, "20",
       "ar.io messages allowed at once above the sustained rate",
       [](Draft& d, const Value& v) -> Result<void> {
         d.config.dialects.ario_rate_burst = asNumber(v);
         return {};
       },
       1, 1e6},
      {"dialects", "ario_max_subscriptions", "HERALD_DIALECTS_ARIO_MAX_SUBSCRIPTIONS", "--ario-max-subscriptions",
       K::integer, "20", "ar.io subscriptions per connection (over it: ar_subscribe_denied limit_reached)",
       [](Draft& d, const Value& v) -> Result<void> {
         d.config.dialects.ario_max_subscriptions = asSize(v);
         return {};
       },
       1, 100'000},
      {"dialects", "ario_allowed_origins", "HERALD_DIALECTS_ARIO_ALLOWED_ORIGINS", "--ario-allowed-origin", K::list,
       "none (any origin; WS_CORS)", "Browser Origin allowed on the ar.io path (repeatable)",
       [](Draft& d, const Value& v) -> Result<void> {
         auto origins = checkedOrigins(asList(v));
         if (!origins) return origins.error();
         d.config.dialects.ario_allowed_origins = std::move(*origins);
         return {};
       }},

      {"dialects", "dcrdex_path", "HERALD_DIALECTS_DCRDEX_PATH", "--dcrdex-path", K::text, "/dex",
       "Path of the dcrdex msgjson WebSocket (\"\" = not mounted)",
       [](Draft& d, const Value& v) { return setMountPath(d.config.dialects.dcrdex_path, v); }},
      {"dialects", "dcrdex_accounts", "HERALD_DIALECTS_DCRDEX_ACCOUNTS", "--dcrdex-account", K::list, "none",
       "ACCOUNTID:PUBKEY (hex) of a dcrdex account that may connect (repeatable)", setDcrdexAccounts},
      {"dialects", "dcrdex_gateway_key", "HERALD_DIALECTS_DCRDEX_GATEWAY_KEY", "--dcrdex-gateway-key", K::text,
       "none (a new key at each start; its public key is logged)",
       "secp256k1 secret key (64 hex digits) that signs dcrdex connect responses",
       [](Draft& d, const Value& v) -> Result<void> {
         d.config.dialects.dcrdex.gateway_key = asText(v);
         return {};
       },
       0, 0, /*secret=*/true},
      // 1 s: less leaves no room for clock drift; 1 day: more and replay protection is a formality.
      {"dialects", "dcrdex_timestamp_window_ms", "HERALD_DIALECTS_DCRDEX_TIMESTAMP_WINDOW_MS",
       "--dcrdex-timestamp-window-ms", K::integer, "60000",
       "A dcrdex connect timestamp further than this from the gateway's clock is refused",
       [](Draft& d, const Value& v) -> Result<void> {
         d.config.dialects.dcrdex.timestamp_window_ms = asInt(v);
         return {};
       },
       1'000, 86'400'000},
      {"dialects", "dcrdex_markets", "HERALD_DIALECTS_DCRDEX_MARKETS", "--dcrdex-market", K::list, "dcr_btc, xmr_btc",
       "dcrdex market (<base>_<quote>) served by orderbook and price_feed (repeatable)",
       [](Draft& d, const Value& v) -> Result<void> {
         d.config.dialects.dcrdex.markets = asList(v);
         return {};
       }},
      {"dialects", "dcrdex_feeds_require_connect", "HERALD_DIALECTS_DCRDEX_FEEDS_REQUIRE_CONNECT",
       "--dcrdex-feeds-require-connect", K::boolean, "false", "dcrdex market feeds only after a successful connect",
       [](Draft& d, const Value& v) -> Result<void> {
         d.config.dialects.dcrdex.feeds_require_connect = asBool(v);
         return {};
       }},

      {"dialects", "lws_feed_path", "HERALD_DIALECTS_LWS_FEED_PATH", "--lws-feed-path", K::text, "/feed",
       "Path of the monero-lws feed WebSocket (lws.feed.v0.json / lws.feed.v0.msgpack; \"\" = not mounted)",
       [](Draft& d, const Value& v) { return setMountPath(d.config.dialects.lws_feed_path, v); }},
      {"dialects", "lws_feed_network", "HERALD_DIALECTS_LWS_FEED_NETWORK", "--lws-feed-network", K::text, "any",
       "Monero network whose addresses may log in to the lws feed: any, mainnet, testnet or stagenet",
       [](Draft& d, const Value& v) -> Result<void> {
         if (auto ok = oneOf(asText(v), {"any", "mainnet", "testnet", "stagenet"}); !ok) return ok;
         d.config.dialects.lws_feed.network = asText(v);
         return {};
       }},

      {"auth", "accounts", "HERALD_AUTH_ACCOUNTS", "--account", K::list, "none (logins refused as unavailable)",
       "ACCOUNT:SECRET a client may log in as (monero-lws address:view key; repeatable)", setAccounts, 0, 0,
       /*secret=*/true},

      {"sources", "list", "HERALD_SOURCES", "--source", K::list, "none",
       "Node source KIND:key=value,... e.g. monerod:zmq=tcp://127.0.0.1:28083,rpc=http://127.0.0.1:28081 (repeatable; docs/sources/)",
       setSources},
  };
}

const std::vector<KeySpec>& keys() {
  static const std::vector<KeySpec> table = makeKeys();
  return table;
}

const KeySpec* findKey(std::string_view path) {
  for (const auto& spec : keys()) {
    if (spec.path() == path) return &spec;
  }
  return nullptr;
}

std::string shown(const KeySpec& spec, std::string_view text) {
  return spec.secret ? std::string("a value (not shown: it is a secret)") : "'" + std::string(text) + "'";
}

// Plain decimals ("0.001", "1000000") read best in a bound; huge values fall back to exponent form.
std::string numberText(double value) {
  char buf[64];
  if (const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value, std::chars_format::fixed);
      ec == std::errc{}) {
    return std::string(buf, end);
  }
  const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value);
  return std::string(buf, ec == std::errc{} ? end : buf);
}

Result<void> checkBounds(const KeySpec& spec, const Value& value) {
  if (spec.kind == Kind::integer) {
    const auto v = asInt(value);
    if (static_cast<double>(v) < spec.min || static_cast<double>(v) > spec.max) {
      return fail("must be between " + std::to_string(static_cast<std::int64_t>(spec.min)) + " and " +
                  std::to_string(static_cast<std::int64_t>(spec.max)) + ", got " + std::to_string(v));
    }
  } else if (spec.kind == Kind::number) {
    const auto v = asNumber(value);
    if (!(v >= spec.min && v <= spec.max)) {
      return fail("must be between " + numberText(spec.min) + " and " + numberText(spec.max) + ", got " +
                  numberText(v));
    }
  }
  return {};
}

std::string lowercase(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

// Text from the environment or a flag. A list in the environment is comma-separated; from flags it
// arrives one item per occurrence (`split` false), so a Unix socket path may hold a comma.
Result<Value> fromText(const KeySpec& spec, const std::vector<std::string>& texts, bool split) {
  if (spec.kind == Kind::list) {
    std::vector<std::string> items;
    for (const auto& text : texts) {
      if (!split) {
        items.push_back(text);
        continue;
      }
      std::string_view rest = text;
      while (!rest.empty()) {
        const auto comma = rest.find(',');
        const auto item = trim(rest.substr(0, comma));
        if (!item.empty()) items.emplace_back(item);
        rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
      }
    }
    return Value{std::move(items)};
  }
  const std::string& text = texts.back();  // a repeated scalar flag: the last one wins
  switch (spec.kind) {
    case Kind::integer: {
      std::int64_t v = 0;
      const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
      if (text.empty() || ec != std::errc{} || end != text.data() + text.size()) {
        return fail("expected an integer, got " + shown(spec, text));
      }
      return Value{v};
    }
    case Kind::number: {
      double v = 0;
      const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
      if (text.empty() || ec != std::errc{} || end != text.data() + text.size() || !std::isfinite(v)) {
        return fail("expected a number, got " + shown(spec, text));
      }
      return Value{v};
    }
    case Kind::boolean: {
      const auto lower = lowercase(text);
      if (lower == "true" || lower == "1" || lower == "yes" || lower == "on") return Value{true};
      if (lower == "false" || lower == "0" || lower == "no" || lower == "off") return Value{false};
      return fail("expected true or false, got " + shown(spec, text));
    }
    case Kind::text:
      return Value{text};
    case Kind::list:
      break;
  }
  return fail("unsupported kind");
}

std::string_view tomlTypeName(const toml::node& node) {
  switch (node.type()) {
    case toml::node_type::string:
      return "string";
    case toml::node_type::integer:
      return "integer";
    case toml::node_type::floating_point:
      return "float";
    case toml::node_type::boolean:
      return "boolean";
    case toml::node_type::array:
      return "array";
    case toml::node_type::table:
      return "table";
    case toml::node_type::date:
      return "date";
    case toml::node_type::time:
      return "time";
    case toml::node_type::date_time:
      return "date-time";
    case toml::node_type::none:
      break;
  }
  return "nothing";
}

Result<Value> fromToml(const KeySpec& spec, const toml::node& node) {
  switch (spec.kind) {
    case Kind::integer:
      if (const auto* v = node.as_integer()) return Value{v->get()};
      return fail(std::string("expected an integer, got ") + std::string(tomlTypeName(node)));
    case Kind::number:
      if (const auto* v = node.as_integer()) return Value{static_cast<double>(v->get())};
      if (const auto* v = node.as_floating_point(); v != nullptr && std::isfinite(v->get()))
        return Value{v->get()};
      return fail(std::string("expected a number, got ") + std::string(tomlTypeName(node)));
    case Kind::boolean:
      if (const auto* v = node.as_boolean()) return Value{v->get()};
      return fail(std::string("expected true or false, got ") + std::string(tomlTypeName(node)));
    case Kind::text:
      if (const auto* v = node.as_string()) return Value{v->get()};
      return fail(std::string("expected a string, got ") + std::string(tomlTypeName(node)));
    case Kind::list: {
      // A lone string is accepted for a one-item list: `listen = "0.0.0.0:8080"` means what it says.
      if (const auto* v = node.as_string()) return Value{std::vector<std::string>{v->get()}};
      const auto* array = node.as_array();
      if (array == nullptr)
        return fail(std::string("expected an array of strings, got ") + std::string(tomlTypeName(node)));
      std::vector<std::string> items;
      for (std::size_t i = 0; i < array->size(); ++i) {
        const auto* item = (*array)[i].as_string();
        if (item == nullptr) {
          return fail("expected an array of strings, element " + std::to_string(i + 1) + " is " +
                      std::string(tomlTypeName((*array)[i])));
        }
        items.push_back(item->get());
      }
      return Value{std::move(items)};
    }
  }
  return fail("unsupported kind");
}

// `label` names the source and key for people: "HERALD_WORKERS", "--workers", "f.toml: [server] workers".
Result<void> store(Draft& draft, const KeySpec& spec, Result<Value> value, const std::string& label) {
  Result<void> ok = value ? checkBounds(spec, *value) : Result<void>(value.error());
  if (ok) ok = spec.apply(draft, *value);
  if (!ok) return Error::make(ok.error().code, label + ": " + ok.error().message, spec.path());
  draft.origin[spec.path()] = label;
  return {};
}

std::size_t editDistance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = up;
    }
  }
  return row[b.size()];
}

// " (did you mean 'x'?)" when a known name is within two edits: the usual size of a typo.
std::string suggestion(std::string_view typed, const std::vector<std::string_view>& known) {
  std::string_view best;
  std::size_t best_distance = 3;
  for (auto name : known) {
    const auto d = editDistance(typed, name);
    if (d < best_distance) {
      best = name;
      best_distance = d;
    }
  }
  return best.empty() ? std::string() : " (did you mean '" + std::string(best) + "'?)";
}

Result<void> applyToml(Draft& draft, const std::string& file) {
  toml::table root;
  try {
    root = toml::parse_file(file);
  } catch (const toml::parse_error& e) {
    const auto& where = e.source().begin;
    return Error::make(Errc::parse_error,
                       file + ":" + std::to_string(where.line) + ":" + std::to_string(where.column) + ": " +
                           std::string(e.description()),
                       "config");
  }

  std::vector<std::string_view> sections;
  for (const auto& spec : keys()) {
    if (std::find(sections.begin(), sections.end(), spec.section) == sections.end())
      sections.push_back(spec.section);
  }
  for (const auto& [key, node] : root) {
    const std::string_view name = key.str();
    if (std::find(sections.begin(), sections.end(), name) == sections.end()) {
      if (node.is_table()) {
        return fail(file + ": unknown section [" + std::string(name) + "]" + suggestion(name, sections));
      }
      return fail(file + ": unknown key '" + std::string(name) +
                  "' outside any section (settings live in sections such as [server])");
    }
    const auto* table = node.as_table();
    if (table == nullptr)
      return fail(file + ": '" + std::string(name) + "' must be a section ([" + std::string(name) + "])");
    std::vector<std::string_view> known;
    for (const auto& spec : keys()) {
      if (spec.section == name) known.push_back(spec.name);
    }
    for (const auto& [inner, value] : *table) {
      if (std::find(known.begin(), known.end(), inner.str()) == known.end()) {
        Error error = fail(file + ": [" + std::string(name) + "] unknown key '" + std::string(inner.str()) +
                           "'" + suggestion(inner.str(), known));
        error.field = std::string(name) + "." + std::string(inner.str());
        return error;
      }
    }
  }

  for (const auto& spec : keys()) {
    const toml::node* node = root.at_path(spec.path()).node();
    if (node == nullptr) continue;
    const std::string label = file + ": [" + std::string(spec.section) + "] " + std::string(spec.name);
    if (auto ok = store(draft, spec, fromToml(spec, *node), label); !ok) return ok;
  }
  return {};
}

// The ar.io proposal's variables (seed 004), read below HERALD_* in precedence:
//   WS_ENABLED=false unmounts the ar.io path; true mounts it (at /ar when ario_path was "").
//   WS_PORT=N adds a TCP listener on port N (host of the first [server] listen, else 127.0.0.1).
//   WS_CORS=ORIGIN[,ORIGIN...] sets ario_allowed_origins; "*" (the seed's default) allows any.
Result<void> applyArioEnvironment(Draft& draft, const GetEnv& getenv) {
  if (const char* text = getenv("WS_ENABLED")) {
    const std::string value = lowercase(text);
    if (value == "true" || value == "1" || value == "yes" || value == "on") {
      if (draft.config.dialects.ario_path.empty()) draft.config.dialects.ario_path = "/ar";
    } else if (value == "false" || value == "0" || value == "no" || value == "off") {
      draft.config.dialects.ario_path.clear();
    } else {
      return Error::make(Errc::invalid_params, "WS_ENABLED: expected true or false, got '" + std::string(text) + "'",
                         "dialects.ario_path");
    }
    draft.origin["dialects.ario_path"] = "WS_ENABLED";
  }
  if (const char* text = getenv("WS_PORT")) {
    const std::string_view port(text);
    unsigned value = 0;
    const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (port.empty() || ec != std::errc{} || end != port.data() + port.size() || value > 65535) {
      return Error::make(Errc::invalid_params, "WS_PORT: expected a port 0-65535, got '" + std::string(text) + "'",
                         "server.listen");
    }
    draft.ws_port = static_cast<std::uint16_t>(value);
  }
  if (const char* text = getenv("WS_CORS")) {
    std::vector<std::string> origins;
    std::string_view rest(text);
    while (!rest.empty()) {
      const auto comma = rest.find(',');
      std::string item(rest.substr(0, comma));
      item.erase(0, item.find_first_not_of(' '));
      item.erase(item.find_last_not_of(' ') + 1);
      if (!item.empty() && item != "*") origins.push_back(item);
      if (item == "*") {
        origins.clear();
        break;
      }
      rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
    }
    auto checked = checkedOrigins(origins);
    if (!checked) {
      return Error::make(Errc::invalid_params, "WS_CORS: " + checked.error().message, "dialects.ario_allowed_origins");
    }
    draft.config.dialects.ario_allowed_origins = std::move(*checked);
    draft.origin["dialects.ario_allowed_origins"] = "WS_CORS";
  }
  return {};
}

Result<void> applyEnvironment(Draft& draft, const GetEnv& getenv) {
  if (!getenv) return {};
  if (auto ok = applyArioEnvironment(draft, getenv); !ok) return ok;
  for (const auto& spec : keys()) {
    const char* text = getenv(std::string(spec.env).c_str());
    if (text == nullptr) continue;
    if (auto ok = store(draft, spec, fromText(spec, {text}, /*split=*/true), std::string(spec.env)); !ok)
      return ok;
  }
  return {};
}

Result<void> applyFlags(Draft& draft, const ConfigFlags& flags) {
  std::map<std::string, std::vector<std::string>> given;
  for (const auto& [path, text] : flags.values) given[path].push_back(text);
  for (const auto& spec : keys()) {
    const auto it = given.find(spec.path());
    if (it == given.end()) continue;
    if (auto ok = store(draft, spec, fromText(spec, it->second, /*split=*/false), std::string(spec.flag));
        !ok)
      return ok;
  }
  for (const auto& [path, texts] : given) {
    if (findKey(path) == nullptr) return Error::make(Errc::internal, "flag for unknown key " + path, path);
  }
  return {};
}

std::string originOf(const Draft& draft, std::string_view path) {
  const auto it = draft.origin.find(path);
  return it == draft.origin.end() ? std::string(path) : it->second;
}

std::string listenerText(const transport::ListenerConfig& l) {
  if (l.kind == transport::ListenerConfig::Kind::unix_socket) return "unix:" + l.path;
  const bool v6 = l.host.find(':') != std::string::npos;
  return (v6 ? "[" + l.host + "]" : l.host) + ":" + std::to_string(l.port);
}

// Rules that span keys, checked once every source has spoken; errors name where each value came from.
Result<void> finish(Draft& draft) {
  if (!draft.tls.empty()) {
    if (draft.tls_cert.empty() || draft.tls_key.empty()) {
      return Error::make(Errc::invalid_params,
                         originOf(draft, "tls.listen") +
                             ": a TLS listener needs tls.cert and tls.key (--tls-cert/--tls-key, "
                             "HERALD_TLS_CERT/HERALD_TLS_KEY or [tls] cert/key)",
                         draft.tls_cert.empty() ? "tls.cert" : "tls.key");
    }
  } else if (!draft.tls_cert.empty() || !draft.tls_key.empty()) {
    const std::string_view path = draft.tls_cert.empty() ? "tls.key" : "tls.cert";
    return Error::make(Errc::invalid_params,
                       originOf(draft, path) + ": given, but there is no TLS listener (tls.listen) to use it",
                       std::string(path));
  }
  auto& config = draft.config;
  if (config.publish.max_data_bytes > config.server.limits.max_http_body_bytes) {
    return Error::make(Errc::invalid_params,
                       originOf(draft, "publish.max_data_bytes") + ": " +
                           std::to_string(config.publish.max_data_bytes) +
                           " is over limits.max_http_body_bytes " +
                           std::to_string(config.server.limits.max_http_body_bytes) +
                           ": no request could carry such an event",
                       "publish.max_data_bytes");
  }
  if (config.hub.queue_bytes < config.publish.max_data_bytes) {
    return Error::make(Errc::invalid_params,
                       originOf(draft, "limits.queue_bytes") + ": " + std::to_string(config.hub.queue_bytes) +
                           " is under publish.max_data_bytes " +
                           std::to_string(config.publish.max_data_bytes) +
                           ": one large event would close every subscriber as a slow consumer",
                       "limits.queue_bytes");
  }

  auto& listeners = config.server.listeners;
  listeners.clear();
  listeners.insert(listeners.end(), draft.tcp.begin(), draft.tcp.end());
  for (auto listener : draft.tls) {
    listener.cert_file = draft.tls_cert;
    listener.key_file = draft.tls_key;
    listeners.push_back(std::move(listener));
  }
  listeners.insert(listeners.end(), draft.unix_sockets.begin(), draft.unix_sockets.end());
  if (listeners.empty()) {
    listeners.push_back(*parseHostPort(kDefaultListener, transport::ListenerConfig::Kind::tcp));
  }
  // A dialect's own port (ar.io WS_PORT, SIP-50 API.WebsocketPort) serves that dialect's path only.
  const auto addDialectPort = [&](std::optional<std::uint16_t> port, const std::string& path,
                                  std::string_view source) {
    if (!port) return;
    transport::ListenerConfig extra;
    extra.kind = transport::ListenerConfig::Kind::tcp;
    extra.host = draft.tcp.empty() ? "127.0.0.1" : draft.tcp.front().host;
    extra.port = *port;
    if (!path.empty()) extra.paths = {path};
    listeners.push_back(std::move(extra));
    draft.origin.try_emplace("server.listen", std::string(source));
  };
  addDialectPort(draft.ws_port, config.dialects.ario_path, "WS_PORT");
  addDialectPort(draft.signum_port, config.dialects.signum_path, "dialects.signum_port");
  {
    const auto& d = config.dialects;
    const std::string* mounted[] = {&d.herald_v1_path, &d.signum_path, &d.ario_path, &d.dcrdex_path,
                                    &d.lws_feed_path};
    for (const auto& l : listeners) {
      for (const auto& path : l.paths) {
        const bool known = std::any_of(std::begin(mounted), std::end(mounted),
                                       [&](const std::string* m) { return !m->empty() && *m == path; });
        if (known) continue;
        const std::string_view key =
            l.kind == transport::ListenerConfig::Kind::tls ? "tls.listen" : "server.listen";
        std::string list;
        for (const std::string* m : mounted) {
          if (m->empty()) continue;
          if (!list.empty()) list += ", ";
          list += *m;
        }
        return Error::make(Errc::invalid_params,
                           originOf(draft, key) + ": " + listenerText(l) + "/" + path.substr(1) +
                               ": nothing is mounted at " + path + " (mounted: " + list + ")",
                           std::string(key));
      }
    }
  }
  {
    const auto& d = config.dialects;
    const std::pair<std::string_view, const std::string*> paths[] = {
        {"dialects.herald_v1_path", &d.herald_v1_path},
        {"dialects.signum_path", &d.signum_path},
        {"dialects.ario_path", &d.ario_path},
        {"dialects.dcrdex_path", &d.dcrdex_path},
        {"dialects.lws_feed_path", &d.lws_feed_path}};
    for (std::size_t i = 0; i < std::size(paths); ++i) {
      for (std::size_t j = 0; j < i; ++j) {
        if (!paths[i].second->empty() && *paths[i].second == *paths[j].second) {
          return Error::make(Errc::invalid_params,
                             originOf(draft, paths[i].first) + ": " + *paths[i].second + " is already the path of " +
                                 std::string(paths[j].first),
                             std::string(paths[i].first));
        }
      }
    }
  }
  std::set<std::string> seen;
  for (const auto& l : listeners) {
    const bool any_port = l.kind != transport::ListenerConfig::Kind::unix_socket && l.port == 0;
    if (!any_port && !seen.insert(listenerText(l)).second) {
      const std::string_view path = l.kind == transport::ListenerConfig::Kind::unix_socket ? "server.unix"
                                    : l.kind == transport::ListenerConfig::Kind::tls       ? "tls.listen"
                                                                                           : "server.listen";
      return Error::make(Errc::invalid_params,
                         originOf(draft, path) + ": " + listenerText(l) + " is given twice",
                         std::string(path));
    }
  }
  return {};
}

std::string helpText(const KeySpec& spec) {
  std::string text(spec.help);
  text += " [";
  text += spec.env;
  text += "; default ";
  text += spec.default_value;
  text += "]";
  return text;
}

// What --help shows for a flag's value.
std::string metaName(const KeySpec& spec) {
  static const std::map<std::string, std::string, std::less<>> kNames = {
      {"server.listen", "HOST:PORT[/PATH]"},
      {"tls.listen", "HOST:PORT[/PATH]"},
      {"server.unix", "PATH"},
      {"tls.cert", "FILE"},
      {"tls.key", "FILE"},
      {"storage.data_dir", "DIR"},
      {"storage.sync", "full|normal"},
      {"log.format", "text|json"},
      {"log.level", "LEVEL"},
      {"publish.tokens", "TOKEN"},
      {"topics.extra", "TOPIC"},
      {"server.allowed_origins", "ORIGIN"},
      {"dialects.herald_v1_path", "PATH"},
      {"dialects.signum_path", "PATH"},
      {"dialects.ario_path", "PATH"},
      {"dialects.ario_allowed_origins", "ORIGIN"},
      {"dialects.dcrdex_path", "PATH"},
      {"dialects.dcrdex_accounts", "ACCOUNTID:PUBKEY"},
      {"dialects.dcrdex_gateway_key", "HEX"},
      {"dialects.dcrdex_markets", "MARKET"},
      {"dialects.lws_feed_path", "PATH"},
      {"dialects.lws_feed_network", "any|mainnet|testnet|stagenet"},
      {"auth.accounts", "ACCOUNT:SECRET"},
  };
  if (const auto it = kNames.find(spec.path()); it != kNames.end()) return it->second;
  return spec.kind == Kind::number ? "X" : "N";
}

}  // namespace

void addServeOptions(CLI::App& serve, ConfigFlags& flags) {
  serve.add_option("--config", flags.config_file, "TOML configuration file [HERALD_CONFIG]")
      ->type_name("FILE");
  for (const auto& spec : keys()) {
    const std::string path = spec.path();
    const std::string flag(spec.flag);
    switch (spec.kind) {
      case Kind::list:
        serve
            .add_option_function<std::vector<std::string>>(
                flag,
                [&flags, path](const std::vector<std::string>& items) {
                  for (const auto& item : items) flags.values.emplace_back(path, item);
                },
                helpText(spec))
            ->expected(1)
            ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll)
            ->type_name(metaName(spec));
        break;
      case Kind::boolean:
        serve.add_flag_function(
            flag + ",!--no-" + flag.substr(2),
            [&flags, path](std::int64_t count) {
              flags.values.emplace_back(path, count > 0 ? "true" : "false");
            },
            helpText(spec));
        break;
      default:
        serve
            .add_option_function<std::string>(
                flag, [&flags, path](const std::string& text) { flags.values.emplace_back(path, text); },
                helpText(spec))
            ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast)
            ->type_name(metaName(spec));
        break;
    }
  }
}

Result<Config> resolveConfig(const ConfigFlags& flags, const GetEnv& getenv) {
  Draft draft;
  std::string file = flags.config_file;
  if (file.empty() && getenv) {
    if (const char* env = getenv("HERALD_CONFIG")) file = env;
  }
  if (!file.empty()) {
    draft.config.config_file = file;
    if (auto ok = applyToml(draft, file); !ok) return ok.error();
  }
  if (auto ok = applyEnvironment(draft, getenv); !ok) return ok.error();
  if (auto ok = applyFlags(draft, flags); !ok) return ok.error();
  if (auto ok = finish(draft); !ok) return ok.error();
  return std::move(draft.config);
}

Result<Config> loadConfig(int argc, char** argv, const GetEnv& getenv) {
  CLI::App app{"herald serve: run the gateway", argc > 0 ? argv[0] : "herald"};
  ConfigFlags flags;
  addServeOptions(app, flags);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    return Error::make(Errc::invalid_request, app.help());
  } catch (const CLI::ParseError& e) {
    return Error::make(Errc::invalid_params, e.what());
  }
  return resolveConfig(flags, getenv);
}

std::span<const ConfigKeyInfo> configKeys() {
  static const std::vector<ConfigKeyInfo> infos = [] {
    // Paths must outlive the views: keep them in a static list built once.
    static std::vector<std::string> paths;
    paths.reserve(keys().size());
    std::vector<ConfigKeyInfo> out;
    for (const auto& spec : keys()) {
      paths.push_back(spec.path());
      out.push_back({paths.back(), spec.env, spec.flag, spec.default_value});
    }
    return out;
  }();
  return infos;
}

std::vector<std::string> unknownEnvironment(const char* const* envp) {
  std::vector<std::string> unknown;
  if (envp == nullptr) return unknown;
  for (; *envp != nullptr; ++envp) {
    const std::string_view entry(*envp);
    const std::string_view name = entry.substr(0, entry.find('='));
    if (!name.starts_with("HERALD_") || name == "HERALD_CONFIG" || name == "HERALD_TOKEN") continue;
    const bool known =
        std::any_of(keys().begin(), keys().end(), [&](const KeySpec& s) { return s.env == name; });
    if (!known) unknown.emplace_back(name);
  }
  return unknown;
}

}  // namespace herald::app
