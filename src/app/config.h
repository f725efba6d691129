// Config: everything `herald serve` needs, resolved from four sources, highest first: command-line
// flags, HERALD_* environment variables, the TOML file named by --config (or HERALD_CONFIG), and the
// defaults. Every key exists once in one table (config.cpp) that names its TOML section and key, its
// environment variable, its flag, its bounds and its default; docs/operations.md is the same table
// for people.
//
// Must not: start anything, read any file but the one TOML file, or know what the values do. A key's
// meaning belongs to the module that consumes it; this only parses, bounds and reports.
// A misspelt TOML key is an error, never ignored: a typo in a limit must not quietly keep the default.
#pragma once

#include "app/dialect_config.h"
#include "core/event_log.h"
#include "core/hub.h"
#include "core/result.h"
#include "schema/event_json.h"
#include "transport/server.h"

#include <cstdint>
#include <functional>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace CLI {
class App;
}

namespace herald::app {

enum class SyncMode {
  full,    // fsync every group commit: an acknowledged event survives power loss
  normal,  // fsync at WAL checkpoints only: survives a process crash, not a power loss
};
// spdlog's names, in spdlog::level::level_enum's order (main converts by value): do not reorder.
enum class LogLevel { trace, debug, info, warn, error, critical, off };
enum class LogFormat { text, json };

std::string_view syncModeName(SyncMode mode) noexcept;
std::string_view logLevelName(LogLevel level) noexcept;
std::string_view logFormatName(LogFormat format) noexcept;

struct Config {
  std::string config_file;  // the TOML file that was read; empty when none

  // Listeners in this order: [server] listen (tcp), [tls] listen, [server] unix. When none of the
  // three is given anywhere, one: 127.0.0.1:8080.
  transport::ServerConfig server;

  std::string data_dir = "herald-data";
  bool persist = true;  // false: in-memory log, history lost on restart
  SyncMode sync = SyncMode::full;
  RetentionPolicy retention;

  HubLimits hub;
  schema::PublishLimits publish;
  std::vector<std::string> publish_tokens;  // empty: the publish API refuses everyone (403)

  bool demo = true;
  std::int64_t demo_block_interval_ms = 2000;
  std::uint64_t demo_seed = 0;  // 0 = a different demo chain every start

  std::vector<std::string> extra_topics;  // beyond the catalog

  // Node sources, one "KIND:key=value,..." each (docs/sources/); built by sources::makeSources.
  std::vector<std::string> sources;

  // WebSocket mounts and per-dialect settings ([dialects]; the ar.io variables WS_ENABLED, WS_PORT
  // and WS_CORS are read too, below HERALD_* in precedence: docs/operations.md).
  DialectConfig dialects;

  // [auth] accounts: account -> secret for logins (monero-lws view keys). Never echoed.
  std::map<std::string, std::string, std::less<>> accounts;

  LogLevel log_level = LogLevel::info;
  LogFormat log_format = LogFormat::text;
};

// What `serve`'s flags said, before resolution: filled by CLI11 while parsing, read by resolveConfig.
struct ConfigFlags {
  std::string config_file;  // --config
  // (key path, text) for every flag given, e.g. ("server.workers", "4"); repeated flags of list keys
  // appear once per occurrence, in command-line order.
  std::vector<std::pair<std::string, std::string>> values;
};

// Environment lookup, injected so tests need not touch the process environment. nullptr = unset.
using GetEnv = std::function<const char*(const char*)>;

// Registers every key's flag on `serve` (plus --config), writing into `flags`. `flags` must outlive
// parsing. Flags carry text; types and bounds are checked by resolveConfig, so an error reads the
// same whichever source the value came from.
void addServeOptions(CLI::App& serve, ConfigFlags& flags);

// Merges the sources. Errors are Errc::invalid_params (Errc::parse_error for TOML syntax) whose
// message names the source and the key:
//   "HERALD_WORKERS: expected an integer, got 'x'"
//   "--queue-bytes: must be between 65536 and 1073741824, got 12"
//   "herald.toml: [limits] queue_bytes: expected an integer, got string"
//   "herald.toml: [limits] unknown key 'queue_byte' (did you mean 'queue_bytes'?)"
// and whose `field` is the key path ("limits.queue_bytes"). Secrets (tokens) are never echoed.
Result<Config> resolveConfig(const ConfigFlags& flags, const GetEnv& getenv);

// addServeOptions + parse + resolveConfig in one call: argv[0] is the program name, the rest are
// serve's flags. A CLI11 error (unknown flag, missing value) is Errc::invalid_params with CLI11's
// message; --help is Errc::invalid_request with the help text as the message.
Result<Config> loadConfig(int argc, char** argv, const GetEnv& getenv);

// One row per key, for --help, docs and tests.
struct ConfigKeyInfo {
  std::string_view path;           // "limits.queue_bytes": TOML section and key
  std::string_view env;            // "HERALD_LIMITS_QUEUE_BYTES"
  std::string_view flag;           // "--queue-bytes" (booleans also take "--no-<name>")
  std::string_view default_value;  // as written in docs/operations.md
};
std::span<const ConfigKeyInfo> configKeys();

// Names of HERALD_* variables in `envp` (a NULL-terminated environ) that no key reads: likely typos,
// worth a warning at startup. HERALD_CONFIG and the client's HERALD_TOKEN are known.
std::vector<std::string> unknownEnvironment(const char* const* envp);

}  // namespace herald::app
