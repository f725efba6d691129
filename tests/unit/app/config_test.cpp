#include "app/config.h"

#include <CLI/CLI.hpp>
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

namespace herald::app {
namespace {

namespace fs = std::filesystem;
using Kind = transport::ListenerConfig::Kind;

// A fresh directory under the system temp dir, removed with everything in it.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "herald-config-test-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  std::string write(const std::string& name, const std::string& text) const {
    const auto file = path_ / name;
    std::ofstream(file) << text;
    return file.string();
  }

 private:
  fs::path path_;
};

using Env = std::map<std::string, std::string>;

GetEnv lookup(const Env& env) {
  return [&env](const char* name) -> const char* {
    const auto it = env.find(name);
    return it == env.end() ? nullptr : it->second.c_str();
  };
}

Result<Config> load(std::vector<std::string> args, const Env& env = {}) {
  args.insert(args.begin(), "herald");
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  return loadConfig(static_cast<int>(argv.size()), argv.data(), lookup(env));
}

Config ok(const Result<Config>& result) {
  EXPECT_TRUE(result) << (result ? "" : result.error().message);
  return result ? *result : Config{};
}

// The error's message, or a marker when there was none, so a missing error fails the comparison.
std::string errorOf(const Result<Config>& result) { return result ? "(no error)" : result.error().message; }
std::string fieldOf(const Result<Config>& result) { return result ? "(no error)" : result.error().field; }

TEST(ConfigTest, DefaultsListenOnLoopbackOnly) {
  const Config c = ok(load({}));
  ASSERT_EQ(c.server.listeners.size(), 1U);
  EXPECT_EQ(c.server.listeners[0].kind, Kind::tcp);
  EXPECT_EQ(c.server.listeners[0].host, "127.0.0.1");
  EXPECT_EQ(c.server.listeners[0].port, 8080);
  EXPECT_EQ(c.server.workers, 0U);
  EXPECT_EQ(c.data_dir, "herald-data");
  EXPECT_TRUE(c.persist);
  EXPECT_EQ(c.sync, SyncMode::full);
  EXPECT_TRUE(c.demo);
  EXPECT_EQ(c.demo_block_interval_ms, 2000);
  EXPECT_EQ(c.log_level, LogLevel::info);
  EXPECT_EQ(c.log_format, LogFormat::text);
  EXPECT_TRUE(c.publish_tokens.empty());
  EXPECT_TRUE(c.extra_topics.empty());
  EXPECT_TRUE(c.config_file.empty());
  EXPECT_EQ(c.retention.max_events, RetentionPolicy{}.max_events);
  EXPECT_EQ(c.retention.max_age_ms, RetentionPolicy{}.max_age_ms);
  EXPECT_EQ(c.hub.queue_bytes, HubLimits{}.queue_bytes);
  EXPECT_EQ(c.hub.inbound.per_second, HubLimits{}.inbound.per_second);
  EXPECT_EQ(c.server.limits.max_message_bytes, transport::TransportLimits{}.max_message_bytes);
  EXPECT_EQ(c.publish.max_batch, schema::PublishLimits{}.max_batch);
}

TEST(ConfigTest, FlagsBeatEnvironmentBeatFileBeatDefaults) {
  TempDir dir;
  const auto file = dir.write("herald.toml", "[server]\nworkers = 2\n[log]\nlevel = \"debug\"\n");
  const Env env{{"HERALD_WORKERS", "3"}, {"HERALD_LOG_FORMAT", "json"}};
  EXPECT_EQ(ok(load({"--config", file, "--workers", "4"}, env)).server.workers, 4U);
  EXPECT_EQ(ok(load({"--config", file}, env)).server.workers, 3U);
  EXPECT_EQ(ok(load({"--config", file})).server.workers, 2U);
  EXPECT_EQ(ok(load({})).server.workers, 0U);

  const Config c = ok(load({"--config", file}, env));
  EXPECT_EQ(c.log_level, LogLevel::debug);   // only the file said so
  EXPECT_EQ(c.log_format, LogFormat::json);  // only the environment said so
  EXPECT_EQ(c.config_file, file);
}

TEST(ConfigTest, ConfigFileMayComeFromTheEnvironmentButTheFlagWins) {
  TempDir dir;
  const auto from_env = dir.write("env.toml", "[server]\nworkers = 5\n");
  const auto from_flag = dir.write("flag.toml", "[server]\nworkers = 6\n");
  EXPECT_EQ(ok(load({}, {{"HERALD_CONFIG", from_env}})).server.workers, 5U);
  EXPECT_EQ(ok(load({"--config", from_flag}, {{"HERALD_CONFIG", from_env}})).server.workers, 6U);
}

TEST(ConfigTest, AHigherSourceReplacesAListRatherThanAppending) {
  TempDir dir;
  const auto file = dir.write("h.toml", "[server]\nlisten = [\"0.0.0.0:1\", \"0.0.0.0:2\"]\n");
  const Config c = ok(load({"--config", file, "--listen", "127.0.0.1:3"}));
  ASSERT_EQ(c.server.listeners.size(), 1U);
  EXPECT_EQ(c.server.listeners[0].port, 3);
}

TEST(ConfigTest, ListenerKindsMergeAcrossSourcesAndTheDefaultAppliesOnlyWhenNoneIsGiven) {
  TempDir dir;
  const auto file = dir.write("h.toml", "[server]\nlisten = \"0.0.0.0:9000\"\n");
  const Config both = ok(load({"--config", file, "--unix", "/run/herald.sock"}));
  ASSERT_EQ(both.server.listeners.size(), 2U);
  EXPECT_EQ(both.server.listeners[0].host, "0.0.0.0");
  EXPECT_EQ(both.server.listeners[0].port, 9000);
  EXPECT_EQ(both.server.listeners[1].kind, Kind::unix_socket);
  EXPECT_EQ(both.server.listeners[1].path, "/run/herald.sock");

  const Config unix_only = ok(load({"--unix", "/run/a.sock", "--unix", "/run/b.sock"}));
  ASSERT_EQ(unix_only.server.listeners.size(), 2U);
  EXPECT_EQ(unix_only.server.listeners[0].path, "/run/a.sock");
  EXPECT_EQ(unix_only.server.listeners[1].path, "/run/b.sock");
}

TEST(ConfigTest, EnvironmentListsAreCommaSeparated) {
  const Config c = ok(load({}, {{"HERALD_LISTEN", "0.0.0.0:8080, [::1]:9090,"},
                                {"HERALD_PUBLISH_TOKENS", "alpha,beta"},
                                {"HERALD_TOPICS_EXTRA", "my.topic"}}));
  ASSERT_EQ(c.server.listeners.size(), 2U);
  EXPECT_EQ(c.server.listeners[1].host, "::1");
  EXPECT_EQ(c.server.listeners[1].port, 9090);
  EXPECT_EQ(c.publish_tokens, (std::vector<std::string>{"alpha", "beta"}));
  EXPECT_EQ(c.extra_topics, (std::vector<std::string>{"my.topic"}));
}

TEST(ConfigTest, RepeatedFlagsCollect) {
  const Config c =
      ok(load({"--listen", "127.0.0.1:0", "--listen", "127.0.0.1:9001", "--publish-token", "t1",
               "--publish-token", "t2", "--extra-topic", "a.b", "--allowed-origin", "https://example.org"}));
  EXPECT_EQ(c.server.listeners.size(), 2U);
  EXPECT_EQ(c.publish_tokens, (std::vector<std::string>{"t1", "t2"}));
  EXPECT_EQ(c.extra_topics, (std::vector<std::string>{"a.b"}));
  EXPECT_EQ(c.server.limits.allowed_origins, (std::vector<std::string>{"https://example.org"}));
}

TEST(ConfigTest, BooleanFlagsOverrideBothWays) {
  TempDir dir;
  const auto off = dir.write("off.toml", "[demo]\nenabled = false\n[storage]\npersist = false\n");
  EXPECT_FALSE(ok(load({"--config", off})).demo);
  EXPECT_TRUE(ok(load({"--config", off, "--demo"})).demo);
  EXPECT_TRUE(ok(load({"--config", off, "--persist"})).persist);
  EXPECT_FALSE(ok(load({"--no-demo"})).demo);
  EXPECT_FALSE(ok(load({"--no-persist"})).persist);
  EXPECT_FALSE(ok(load({}, {{"HERALD_DEMO_ENABLED", "no"}})).demo);
  EXPECT_TRUE(ok(load({"--demo"}, {{"HERALD_DEMO_ENABLED", "off"}})).demo);
}

TEST(ConfigTest, TlsListenersCarryTheCertificateAndKey) {
  const Config c = ok(load({"--listen-tls", "0.0.0.0:8443", "--tls-cert", "/etc/herald/cert.pem", "--tls-key",
                            "/etc/herald/key.pem"}));
  ASSERT_EQ(c.server.listeners.size(), 1U);  // no default tcp listener beside it
  EXPECT_EQ(c.server.listeners[0].kind, Kind::tls);
  EXPECT_EQ(c.server.listeners[0].port, 8443);
  EXPECT_EQ(c.server.listeners[0].cert_file, "/etc/herald/cert.pem");
  EXPECT_EQ(c.server.listeners[0].key_file, "/etc/herald/key.pem");
}

TEST(ConfigTest, TlsNeedsBothFilesAndFilesNeedATlsListener) {
  auto missing_key = load({"--listen-tls", "0.0.0.0:8443", "--tls-cert", "c.pem"});
  EXPECT_EQ(fieldOf(missing_key), "tls.key");
  EXPECT_NE(errorOf(missing_key).find("--listen-tls: a TLS listener needs tls.cert and tls.key"),
            std::string::npos)
      << errorOf(missing_key);

  auto unused = load({}, {{"HERALD_TLS_CERT", "c.pem"}});
  EXPECT_EQ(errorOf(unused), "HERALD_TLS_CERT: given, but there is no TLS listener (tls.listen) to use it");
}

TEST(ConfigTest, SampleFileSetsEverySection) {
  TempDir dir;
  const auto file = dir.write("herald.toml", R"(# a complete sample
[server]
listen = ["0.0.0.0:8080", "[::]:8080"]
unix = ["/run/herald/herald.sock"]
workers = 4
allowed_origins = ["https://dash.example.org"]

[tls]
listen = ["0.0.0.0:8443"]
cert = "/etc/herald/fullchain.pem"
key = "/etc/herald/privkey.pem"

[storage]
data_dir = "/var/lib/herald"
persist = true
sync = "normal"

[retention]
max_events = 5_000_000
max_age_seconds = 86400

[limits]
max_message_bytes = 65536
max_http_body_bytes = 16777216
handshake_timeout_ms = 5000
idle_timeout_ms = 30000
max_connections = 50000
max_subscriptions = 16
queue_bytes = 8388608
replay_page = 256
rate_per_second = 20
rate_burst = 40.5
abuse_close_after = 10

[publish]
tokens = ["s3cret-token"]
max_batch = 500
max_data_bytes = 131072

[demo]
enabled = false
block_interval_ms = 500
seed = 42

[log]
level = "warn"
format = "json"

[topics]
extra = ["shop.order", "shop.refund"]
)");
  const Config c = ok(load({"--config", file}));
  ASSERT_EQ(c.server.listeners.size(), 4U);
  EXPECT_EQ(c.server.listeners[0].host, "0.0.0.0");
  EXPECT_EQ(c.server.listeners[1].host, "::");
  EXPECT_EQ(c.server.listeners[2].kind, Kind::tls);
  EXPECT_EQ(c.server.listeners[2].cert_file, "/etc/herald/fullchain.pem");
  EXPECT_EQ(c.server.listeners[2].key_file, "/etc/herald/privkey.pem");
  EXPECT_EQ(c.server.listeners[3].kind, Kind::unix_socket);
  EXPECT_EQ(c.server.listeners[3].path, "/run/herald/herald.sock");
  EXPECT_EQ(c.server.workers, 4U);
  EXPECT_EQ(c.server.limits.allowed_origins, (std::vector<std::string>{"https://dash.example.org"}));
  EXPECT_EQ(c.data_dir, "/var/lib/herald");
  EXPECT_TRUE(c.persist);
  EXPECT_EQ(c.sync, SyncMode::normal);
  EXPECT_EQ(c.retention.max_events, 5'000'000U);
  EXPECT_EQ(c.retention.max_age_ms, 86'400'000);
  EXPECT_EQ(c.server.limits.max_message_bytes, 65536U);
  EXPECT_EQ(c.server.limits.max_http_body_bytes, 16777216U);
  EXPECT_EQ(c.server.limits.handshake_timeout, std::chrono::milliseconds(5000));
  EXPECT_EQ(c.server.limits.idle_timeout, std::chrono::milliseconds(30000));
  EXPECT_EQ(c.server.limits.max_connections, 50000U);
  EXPECT_EQ(c.hub.max_subscriptions, 16U);
  EXPECT_EQ(c.hub.queue_bytes, 8388608U);
  EXPECT_EQ(c.hub.replay_page, 256U);
  EXPECT_EQ(c.hub.inbound.per_second, 20.0);
  EXPECT_EQ(c.hub.inbound.burst, 40.5);
  EXPECT_EQ(c.hub.abuse_close_after, 10U);
  EXPECT_EQ(c.publish_tokens, (std::vector<std::string>{"s3cret-token"}));
  EXPECT_EQ(c.publish.max_batch, 500U);
  EXPECT_EQ(c.publish.max_data_bytes, 131072U);
  EXPECT_FALSE(c.demo);
  EXPECT_EQ(c.demo_block_interval_ms, 500);
  EXPECT_EQ(c.demo_seed, 42U);
  EXPECT_EQ(c.log_level, LogLevel::warn);
  EXPECT_EQ(c.log_format, LogFormat::json);
  EXPECT_EQ(c.extra_topics, (std::vector<std::string>{"shop.order", "shop.refund"}));
}

TEST(ConfigTest, EnvironmentValueErrorsNameTheVariable) {
  EXPECT_EQ(errorOf(load({}, {{"HERALD_WORKERS", "x"}})), "HERALD_WORKERS: expected an integer, got 'x'");
  EXPECT_EQ(fieldOf(load({}, {{"HERALD_WORKERS", "x"}})), "server.workers");
  EXPECT_EQ(errorOf(load({}, {{"HERALD_WORKERS", "4 "}})), "HERALD_WORKERS: expected an integer, got '4 '");
  EXPECT_EQ(errorOf(load({}, {{"HERALD_PERSIST", "maybe"}})),
            "HERALD_PERSIST: expected true or false, got 'maybe'");
  EXPECT_EQ(errorOf(load({}, {{"HERALD_LIMITS_RATE_PER_SECOND", "fast"}})),
            "HERALD_LIMITS_RATE_PER_SECOND: expected a number, got 'fast'");
  EXPECT_EQ(
      errorOf(load({}, {{"HERALD_LOG_LEVEL", "verbose"}})),
      "HERALD_LOG_LEVEL: expected one of trace, debug, info, warn, error, critical, off, got 'verbose'");
  EXPECT_EQ(errorOf(load({}, {{"HERALD_DATA_DIR", ""}})), "HERALD_DATA_DIR: must not be empty");
}

TEST(ConfigTest, FlagValueErrorsNameTheFlag) {
  EXPECT_EQ(errorOf(load({"--queue-bytes", "12"})),
            "--queue-bytes: must be between 65536 and 1073741824, got 12");
  EXPECT_EQ(fieldOf(load({"--queue-bytes", "12"})), "limits.queue_bytes");
  EXPECT_EQ(errorOf(load({"--sync", "fast"})), "--sync: expected one of full, normal, got 'fast'");
  EXPECT_EQ(errorOf(load({"--log-format", "xml"})), "--log-format: expected one of text, json, got 'xml'");
  EXPECT_EQ(errorOf(load({"--rate-per-second", "0"})),
            "--rate-per-second: must be between 0.001 and 1000000, got 0");
  EXPECT_EQ(errorOf(load({"--workers", "-1"})), "--workers: must be between 0 and 256, got -1");
}

TEST(ConfigTest, ListenerSyntaxErrors) {
  EXPECT_EQ(errorOf(load({"--listen", "8080"})), "--listen: expected HOST:PORT, got '8080'");
  EXPECT_EQ(errorOf(load({"--listen", ":8080"})),
            "--listen: expected HOST:PORT with a host (0.0.0.0 for every interface), got ':8080'");
  EXPECT_EQ(errorOf(load({"--listen", "::1:80"})),
            "--listen: an IPv6 address goes in brackets ([::1]:8080), got '::1:80'");
  EXPECT_EQ(errorOf(load({"--listen", "[::1]80"})), "--listen: expected [IPV6]:PORT, got '[::1]80'");
  EXPECT_EQ(errorOf(load({"--listen", "localhost:70000"})),
            "--listen: expected a port 0-65535 after the host, got 'localhost:70000'");
  EXPECT_EQ(errorOf(load({"--listen-tls", "h:x", "--tls-cert", "c", "--tls-key", "k"})),
            "--listen-tls: expected a port 0-65535 after the host, got 'h:x'");
  const std::string long_path = "/" + std::string(107, 'x');
  EXPECT_EQ(errorOf(load({"--unix", long_path})),
            "--unix: socket path is 108 bytes, over the system's 107: '" + long_path + "'");
  EXPECT_EQ(errorOf(load({"--listen", "127.0.0.1:9000", "--listen", "127.0.0.1:9000"})),
            "--listen: 127.0.0.1:9000 is given twice");
  // Port 0 means "any free port": several of them are not duplicates.
  EXPECT_TRUE(load({"--listen", "127.0.0.1:0", "--listen", "127.0.0.1:0"}));
}

TEST(ConfigTest, TokensAreCheckedButNeverEchoed) {
  const auto result = load({}, {{"HERALD_PUBLISH_TOKENS", "good-token,bad token"}});
  EXPECT_EQ(
      errorOf(result),
      "HERALD_PUBLISH_TOKENS: token 2 is not a bearer token (letters, digits and -._~+/ , then optional =)");
  EXPECT_EQ(errorOf(result).find("bad"), std::string::npos);
  EXPECT_TRUE(load({"--publish-token", "dGVzdA=="}));
}

TEST(ConfigTest, OriginsAndTopicsAreChecked) {
  EXPECT_EQ(errorOf(load({"--allowed-origin", "*"})),
            "--allowed-origin: '*' is not an origin; leave allowed_origins empty to accept any");
  EXPECT_EQ(errorOf(load({"--allowed-origin", "example.org"})),
            "--allowed-origin: expected an origin like https://example.org, got 'example.org'");
  EXPECT_EQ(errorOf(load({"--extra-topic", "chain.block"})),
            "--extra-topic: 'chain.block' is already a catalog topic");
  EXPECT_EQ(errorOf(load({"--extra-topic", "Shop Order"})).rfind("--extra-topic: 'Shop Order': ", 0), 0U)
      << errorOf(load({"--extra-topic", "Shop Order"}));
}

TEST(ConfigTest, LimitsThatContradictEachOtherAreRefused) {
  EXPECT_EQ(errorOf(load({"--publish-max-data-bytes", "4096", "--max-http-body-bytes", "2048"})),
            "--publish-max-data-bytes: 4096 is over limits.max_http_body_bytes 2048: no request could carry "
            "such an "
            "event");
  EXPECT_EQ(
      errorOf(load({"--publish-max-data-bytes", "1048576"}, {{"HERALD_LIMITS_QUEUE_BYTES", "65536"}})),
      "HERALD_LIMITS_QUEUE_BYTES: 65536 is under publish.max_data_bytes 1048576: one large event would close "
      "every subscriber as a slow consumer");
}

TEST(ConfigTest, FileValueErrorsNameFileSectionAndKey) {
  TempDir dir;
  const auto file = dir.write("herald.toml", "[limits]\nqueue_bytes = \"big\"\n");
  EXPECT_EQ(errorOf(load({"--config", file})),
            file + ": [limits] queue_bytes: expected an integer, got string");
  EXPECT_EQ(fieldOf(load({"--config", file})), "limits.queue_bytes");

  const auto list = dir.write("list.toml", "[server]\nlisten = [\"0.0.0.0:1\", 2]\n");
  EXPECT_EQ(errorOf(load({"--config", list})),
            list + ": [server] listen: expected an array of strings, element 2 is integer");

  const auto range = dir.write("range.toml", "[server]\nworkers = 1000\n");
  EXPECT_EQ(errorOf(load({"--config", range})),
            range + ": [server] workers: must be between 0 and 256, got 1000");
}

TEST(ConfigTest, UnknownFileKeysAreErrorsWithASuggestion) {
  TempDir dir;
  const auto typo = dir.write("typo.toml", "[limits]\nqueue_byte = 100000\n");
  EXPECT_EQ(errorOf(load({"--config", typo})),
            typo + ": [limits] unknown key 'queue_byte' (did you mean 'queue_bytes'?)");
  EXPECT_EQ(fieldOf(load({"--config", typo})), "limits.queue_byte");

  const auto far = dir.write("far.toml", "[limits]\ncompletely_wrong = 1\n");
  EXPECT_EQ(errorOf(load({"--config", far})), far + ": [limits] unknown key 'completely_wrong'");

  const auto section = dir.write("section.toml", "[srever]\nworkers = 1\n");
  EXPECT_EQ(errorOf(load({"--config", section})),
            section + ": unknown section [srever] (did you mean 'server'?)");

  const auto top = dir.write("top.toml", "workers = 1\n");
  EXPECT_EQ(errorOf(load({"--config", top})),
            top + ": unknown key 'workers' outside any section (settings live in sections such as [server])");

  const auto scalar = dir.write("scalar.toml", "server = 1\n");
  EXPECT_EQ(errorOf(load({"--config", scalar})), scalar + ": 'server' must be a section ([server])");
}

TEST(ConfigTest, FileSyntaxErrorsGiveLineAndColumn) {
  TempDir dir;
  const auto file = dir.write("bad.toml", "[server]\nworkers = = 2\n");
  const auto result = load({"--config", file});
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, Errc::parse_error);
  EXPECT_EQ(result.error().message.rfind(file + ":2:", 0), 0U) << result.error().message;

  const auto missing = load({"--config", file + ".missing"});
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().message.rfind(file + ".missing", 0), 0U) << missing.error().message;
}

TEST(ConfigTest, RetentionAndDemoKeys) {
  const Config c = ok(load({"--retention-max-age-seconds", "0", "--retention-max-events", "0", "--demo-seed",
                            "7", "--demo-block-interval-ms", "10"}));
  EXPECT_EQ(c.retention.max_age_ms, 0);
  EXPECT_EQ(c.retention.max_events, 0U);
  EXPECT_EQ(c.demo_seed, 7U);
  EXPECT_EQ(c.demo_block_interval_ms, 10);
  EXPECT_EQ(errorOf(load({"--demo-block-interval-ms", "5"})),
            "--demo-block-interval-ms: must be between 10 and 3600000, got 5");
}

TEST(ConfigTest, CommandLineSyntaxErrorsAndHelp) {
  const auto unknown = load({"--wrokers", "2"});
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().code, Errc::invalid_params);

  const auto help = load({"--help"});
  ASSERT_FALSE(help);
  EXPECT_EQ(help.error().code, Errc::invalid_request);
  EXPECT_NE(help.error().message.find("--listen"), std::string::npos);
  EXPECT_NE(help.error().message.find("HERALD_LISTEN"), std::string::npos);
}

TEST(ConfigTest, ServeOptionsRegisterOnASubcommand) {
  CLI::App app{"herald"};
  auto* serve = app.add_subcommand("serve");
  ConfigFlags flags;
  addServeOptions(*serve, flags);
  std::vector<std::string> args{"herald", "serve", "--workers", "3", "--no-demo"};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  app.parse(static_cast<int>(argv.size()), argv.data());
  const Config c = ok(resolveConfig(flags, {}));
  EXPECT_EQ(c.server.workers, 3U);
  EXPECT_FALSE(c.demo);
}

TEST(ConfigTest, EveryKeyIsDocumented) {
  std::ifstream in(std::string(HERALD_DOCS_DIR) + "/operations.md");
  ASSERT_TRUE(in) << "docs/operations.md is missing";
  std::stringstream text;
  text << in.rdbuf();
  const std::string doc = text.str();
  for (const auto& key : configKeys()) {
    const auto dot = key.path.find('.');
    const std::string toml_key = "`" + std::string(key.path.substr(dot + 1)) + "`";
    const std::string section = "[" + std::string(key.path.substr(0, dot)) + "]";
    EXPECT_NE(doc.find(section), std::string::npos) << section;
    EXPECT_NE(doc.find(toml_key), std::string::npos) << key.path;
    EXPECT_NE(doc.find("`" + std::string(key.env) + "`"), std::string::npos) << key.env;
    EXPECT_NE(doc.find("`" + std::string(key.flag)), std::string::npos) << key.flag;
  }
}

TEST(ConfigTest, EveryTomlExampleInTheDocsLoads) {
  std::ifstream in(std::string(HERALD_DOCS_DIR) + "/operations.md");
  ASSERT_TRUE(in);
  TempDir dir;
  std::string line;
  std::string block;
  bool inside = false;
  int examples = 0;
  while (std::getline(in, line)) {
    if (!inside && line == "```toml") {
      inside = true;
      block.clear();
    } else if (inside && line == "```") {
      inside = false;
      const auto file = dir.write("example" + std::to_string(++examples) + ".toml", block);
      const auto result = load({"--config", file});
      EXPECT_TRUE(result) << "example " << examples << ": " << errorOf(result);
    } else if (inside) {
      block += line + "\n";
    }
  }
  EXPECT_GE(examples, 3);
}

TEST(ConfigTest, EnvironmentNamesFollowTheKeyPaths) {
  for (const auto& key : configKeys()) {
    std::string expected = "HERALD_";
    const auto dot = key.path.find('.');
    const auto section = key.path.substr(0, dot);
    // [server] and [storage] keys drop their section: HERALD_LISTEN, HERALD_DATA_DIR.
    std::string_view rest =
        (section == "server" || section == "storage") ? key.path.substr(dot + 1) : key.path;
    // A key named `list` is its section's list itself: [sources] list is HERALD_SOURCES.
    if (key.path.substr(dot + 1) == "list") rest = section;
    for (char c : rest)
      expected += c == '.' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    EXPECT_EQ(key.env, expected);
  }
}

TEST(ConfigTest, UnknownHeraldVariablesAreReported) {
  const char* envp[] = {
      "PATH=/bin", "HERALD_WORKERS=2", "HERALD_WORKER=2", "HERALD_CONFIG=x", "HERALD_TOKEN=t", "HERALDIC=1",
      nullptr};
  EXPECT_EQ(unknownEnvironment(envp), (std::vector<std::string>{"HERALD_WORKER"}));
}

TEST(ConfigTest, DialectsAreMountedAtTheirDefaultPaths) {
  const Config c = ok(load({}));
  EXPECT_EQ(c.dialects.herald_v1_path, "/ws");
  EXPECT_EQ(c.dialects.signum_path, "/events");
  EXPECT_EQ(c.dialects.signum_heartbeat_seconds, 30);
  EXPECT_EQ(c.dialects.signum_debounce_ms, 1000);
  EXPECT_EQ(c.dialects.ario_path, "/ar");
  EXPECT_EQ(c.dialects.ario_max_subscriptions, 20U);
  EXPECT_TRUE(c.dialects.ario_allowed_origins.empty());
  EXPECT_TRUE(c.accounts.empty());
}

TEST(ConfigTest, DialectPathsCanMoveOrUnmountButNotCollide) {
  TempDir dir;
  const auto file = dir.write("d.toml", "[dialects]\nsignum_path = \"\"\nario_path = \"/arweave\"\n");
  const Config c = ok(load({"--config", file}));
  EXPECT_EQ(c.dialects.signum_path, "");
  EXPECT_EQ(c.dialects.ario_path, "/arweave");
  EXPECT_EQ(errorOf(load({"--ario-path", "/ws"})), "--ario-path: /ws is already the path of dialects.herald_v1_path");
  EXPECT_EQ(fieldOf(load({"--signum-path", "events"})), "dialects.signum_path");
}

TEST(ConfigTest, ArioEnvironmentVariablesMapOntoTheArioMount) {
  Config c = ok(load({}, {{"WS_ENABLED", "false"}}));
  EXPECT_EQ(c.dialects.ario_path, "");
  c = ok(load({"--ario-path", ""}, {{"WS_ENABLED", "true"}}));
  EXPECT_EQ(c.dialects.ario_path, "");  // a flag outranks WS_ENABLED
  c = ok(load({}, {{"WS_ENABLED", "true"}, {"HERALD_DIALECTS_ARIO_PATH", "/x"}}));
  EXPECT_EQ(c.dialects.ario_path, "/x");
  EXPECT_EQ(fieldOf(load({}, {{"WS_ENABLED", "maybe"}})), "dialects.ario_path");

  c = ok(load({"--listen", "0.0.0.0:9000"}, {{"WS_PORT", "3333"}}));
  ASSERT_EQ(c.server.listeners.size(), 2U);
  EXPECT_EQ(c.server.listeners[1].host, "0.0.0.0");
  EXPECT_EQ(c.server.listeners[1].port, 3333);
  EXPECT_EQ(c.server.listeners[1].paths, std::vector<std::string>{"/ar"});  // the ar.io path only
  EXPECT_TRUE(c.server.listeners[0].paths.empty());
  EXPECT_EQ(fieldOf(load({}, {{"WS_PORT", "70000"}})), "server.listen");

  c = ok(load({}, {{"WS_CORS", "*"}}));
  EXPECT_TRUE(c.dialects.ario_allowed_origins.empty());
  c = ok(load({}, {{"WS_CORS", "https://a.example, https://b.example"}}));
  EXPECT_EQ(c.dialects.ario_allowed_origins,
            (std::vector<std::string>{"https://a.example", "https://b.example"}));
  EXPECT_EQ(fieldOf(load({}, {{"WS_CORS", "nonsense"}})), "dialects.ario_allowed_origins");
}

TEST(ConfigTest, AListenerMayBeDedicatedToOneMount) {
  Config c = ok(load({"--listen", "127.0.0.1:8080", "--listen", "127.0.0.1:3333/ar"}));
  ASSERT_EQ(c.server.listeners.size(), 2U);
  EXPECT_TRUE(c.server.listeners[0].paths.empty());
  EXPECT_EQ(c.server.listeners[1].port, 3333);
  EXPECT_EQ(c.server.listeners[1].paths, std::vector<std::string>{"/ar"});

  // A path nothing is mounted at, or not a path at all: the key is named.
  const auto unmounted = load({"--listen", "127.0.0.1:3333/nowhere"});
  EXPECT_EQ(fieldOf(unmounted), "server.listen");
  EXPECT_NE(errorOf(unmounted).find("nothing is mounted at /nowhere"), std::string::npos)
      << errorOf(unmounted);
  EXPECT_EQ(fieldOf(load({"--listen", "127.0.0.1:3333/"})), "server.listen");
  EXPECT_EQ(fieldOf(load({"--listen", "127.0.0.1:3333/a b"})), "server.listen");
  EXPECT_EQ(fieldOf(load({"--listen", "127.0.0.1:3333/ar", "--ario-path", ""})), "server.listen");

  // SIP-50's API.WebsocketPort: a listener for the SIP-50 path only.
  c = ok(load({"--listen", "0.0.0.0:9000", "--signum-port", "8126"}));
  ASSERT_EQ(c.server.listeners.size(), 2U);
  EXPECT_EQ(c.server.listeners[1].host, "0.0.0.0");
  EXPECT_EQ(c.server.listeners[1].port, 8126);
  EXPECT_EQ(c.server.listeners[1].paths, std::vector<std::string>{"/events"});
  c = ok(load({"--signum-port", "8126", "--signum-path", "/sig"}));
  EXPECT_EQ(c.server.listeners.back().paths, std::vector<std::string>{"/sig"});
  EXPECT_EQ(fieldOf(load({"--signum-port", "70000"})), "dialects.signum_port");
}

TEST(ConfigTest, AccountsAreAccountColonSecretAndNeverEchoed) {
  const Config c = ok(load({"--account", "4Alice:abc", "--account", "4Bob:def"}));
  ASSERT_EQ(c.accounts.size(), 2U);
  EXPECT_EQ(c.accounts.at("4Alice"), "abc");
  const auto bad = load({"--account", "no-secret-here"});
  EXPECT_EQ(fieldOf(bad), "auth.accounts");
  EXPECT_EQ(errorOf(bad).find("no-secret-here"), std::string::npos);
}

}  // namespace
}  // namespace herald::app
