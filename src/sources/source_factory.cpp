// makeSources: see source_factory.h. Each kind has a small builder that reads its keys; a key no
// builder reads is an error, so a typo never silently keeps a default.
#include "sources/source_factory.h"

#include "schema/catalog.h"
#include "sources/bitcoind_zmq_source.h"
#include "sources/http_poll_source.h"
#include "sources/monero_wallet_source.h"
#include "sources/monerod_zmq_source.h"
#include "sources/source_events.h"

#include <charconv>
#include <fstream>
#include <sstream>
#include <map>
#include <set>

namespace herald::sources {

namespace {

Error fail(std::string message) { return Error::make(Errc::invalid_params, std::move(message)); }

// The options of one spec, consumed key by key; leftovers are reported as unknown.
class Options {
 public:
  explicit Options(const SourceSpec& spec) {
    for (const auto& [key, value] : spec.options) values_[key].push_back(value);
  }

  std::vector<std::string> all(const std::string& key) {
    used_.insert(key);
    const auto it = values_.find(key);
    return it == values_.end() ? std::vector<std::string>{} : it->second;
  }

  Result<std::string> one(const std::string& key, bool required, std::string fallback = {}) {
    auto values = all(key);
    if (values.empty()) {
      if (required) return fail(key + " is required");
      return fallback;
    }
    if (values.size() > 1) return fail(key + " is given " + std::to_string(values.size()) + " times");
    return values.front();
  }

  // Milliseconds within [min, max].
  Result<std::chrono::milliseconds> millis(const std::string& key, std::chrono::milliseconds fallback,
                                           std::int64_t min, std::int64_t max) {
    auto text = one(key, false);
    if (!text) return text.error();
    if (text->empty()) return fallback;
    std::int64_t value = 0;
    const auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), value);
    if (ec != std::errc{} || end != text->data() + text->size()) {
      return fail(key + ": expected an integer (milliseconds), got '" + *text + "'");
    }
    if (value < min || value > max) {
      return fail(key + ": must be between " + std::to_string(min) + " and " + std::to_string(max) + ", got " +
                  *text);
    }
    return std::chrono::milliseconds(value);
  }

  Result<bool> flag(const std::string& key, bool fallback) {
    auto text = one(key, false);
    if (!text) return text.error();
    if (text->empty()) return fallback;
    if (*text == "true" || *text == "1" || *text == "yes" || *text == "on") return true;
    if (*text == "false" || *text == "0" || *text == "no" || *text == "off") return false;
    return fail(key + ": expected true or false, got '" + *text + "'");
  }

  Result<void> finish() const {
    for (const auto& [key, values] : values_) {
      if (!used_.contains(key)) {
        std::string known;
        for (const auto& k : used_) known += (known.empty() ? "" : ", ") + k;
        return fail("unknown key '" + key + "' (known: " + known + ")");
      }
    }
    return {};
  }

 private:
  std::map<std::string, std::vector<std::string>> values_;
  std::set<std::string> used_;
};

// Bounds shared by the time keys: 10 ms is faster than any node answers; a day is a setting, not a
// mistake... anything longer is.
constexpr std::int64_t kMinMs = 10;
constexpr std::int64_t kMaxMs = 86'400'000;

Result<std::unique_ptr<Source>> makeMonerod(Options& o, const std::string& name, const TopicSet& topics) {
  MonerodConfig c;
  c.name = name;
  c.zmq = o.all("zmq");
  for (const auto& endpoint : c.zmq) {
    if (!endpoint.starts_with("tcp://") && !endpoint.starts_with("ipc://")) {
      return fail("zmq: expected tcp://HOST:PORT or ipc://PATH, got '" + endpoint + "'");
    }
  }
  auto rpc = o.one("rpc", true);
  if (!rpc) return rpc.error();
  auto url = parseHttpUrl(*rpc);
  if (!url) return fail("rpc: " + url.error().message);
  c.rpc = *url;
  auto mempool = o.flag("mempool", c.mempool);
  if (!mempool) return mempool.error();
  c.mempool = *mempool;
  struct Key {
    const char* name;
    std::chrono::milliseconds* field;
  };
  for (const Key& key : {Key{"rpc_timeout_ms", &c.rpc_timeout}, Key{"probe_interval_ms", &c.probe_interval},
                         Key{"unresponsive_ms", &c.unresponsive_after}, Key{"status_interval_ms", &c.status_interval},
                         Key{"status_refresh_ms", &c.status_refresh}, Key{"backoff_max_ms", &c.backoff_max}}) {
    auto value = o.millis(key.name, *key.field, kMinMs, kMaxMs);
    if (!value) return value.error();
    *key.field = *value;
  }
  return std::unique_ptr<Source>(std::make_unique<MonerodZmqSource>(std::move(c), topics));
}

Result<std::chrono::milliseconds> readMillis(Options& o, const std::string& key,
                                             std::chrono::milliseconds fallback) {
  return o.millis(key, fallback, kMinMs, kMaxMs);
}

// The definition file is read here, at configuration time, so a missing file or a bad pointer stops
// `herald serve` before it listens instead of degrading a running source.
Result<std::unique_ptr<Source>> makeHttpPoll(Options& o, const std::string& name, const TopicSet& topics) {
  auto path = o.one("config", true);
  if (!path) return path.error();
  std::ifstream file(*path, std::ios::binary);
  if (!file) return fail("config: cannot read '" + *path + "'");
  std::ostringstream text;
  text << file.rdbuf();
  auto doc = parseJson(text.str(), "config '" + *path + "'");
  if (!doc) return fail(doc.error().message);
  auto definition = parseHttpPollDefinition(*doc, topics);
  if (!definition) return fail("config '" + *path + "': " + definition.error().message);
  HttpPollConfig c;
  c.name = name;
  c.definition = std::move(*definition);
  // url= points one definition file at several nodes.
  auto url = o.one("url", false);
  if (!url) return url.error();
  if (!url->empty()) {
    auto parsed = parseHttpUrl(*url);
    if (!parsed) return fail("url: " + parsed.error().message);
    c.definition.url = *parsed;
  }
  for (auto [key, field] : {std::pair{"interval_ms", &c.interval}, std::pair{"timeout_ms", &c.timeout},
                            std::pair{"backoff_max_ms", &c.backoff_max}}) {
    auto value = readMillis(o, key, *field);
    if (!value) return value.error();
    *field = *value;
  }
  return std::unique_ptr<Source>(std::make_unique<HttpPollSource>(std::move(c), topics));
}

Result<std::unique_ptr<Source>> makeBitcoind(Options& o, const std::string& name, const TopicSet& topics) {
  BitcoindZmqConfig c;
  c.name = name;
  c.zmq = o.all("zmq");
  if (c.zmq.empty()) return fail("zmq is required (tcp://HOST:PORT of -zmqpubhashblock / -zmqpubhashtx)");
  for (const auto& endpoint : c.zmq) {
    if (!endpoint.starts_with("tcp://") && !endpoint.starts_with("ipc://")) {
      return fail("zmq: expected tcp://HOST:PORT or ipc://PATH, got '" + endpoint + "'");
    }
  }
  auto blocks = o.flag("blocks", c.blocks);
  if (!blocks) return blocks.error();
  c.blocks = *blocks;
  auto txs = o.one("txs", false, c.tx_source);
  if (!txs) return txs.error();
  if (*txs == "none") txs->clear();
  if (!txs->empty() && *txs != "hashtx" && *txs != "rawtx") {
    return fail("txs: expected hashtx, rawtx or none, got '" + *txs + "'");
  }
  c.tx_source = *txs;
  if (!c.blocks && c.tx_source.empty()) return fail("blocks=false and txs=none leave nothing to follow");
  struct Topic {
    const char* key;
    std::string* field;
    bool used;
  };
  const bool txs_used = !c.tx_source.empty();
  for (const Topic& t :
       {Topic{"block_topic", &c.block_topic, c.blocks}, Topic{"tx_topic", &c.tx_topic, txs_used}}) {
    auto value = o.one(t.key, false, *t.field);
    if (!value) return value.error();
    *t.field = *value;
    if (t.used && !topics.contains(*value)) {
      return fail(std::string(t.key) + ": topic '" + *value +
                  "' is not declared; add it to [topics] extra (--extra-topic " + *value + ")");
    }
  }
  auto backoff = readMillis(o, "backoff_max_ms", c.backoff_max);
  if (!backoff) return backoff.error();
  c.backoff_max = *backoff;
  return std::unique_ptr<Source>(std::make_unique<BitcoindZmqSource>(std::move(c), topics));
}

Result<std::unique_ptr<Source>> makeMoneroWallet(Options& o, const std::string& name, const TopicSet& topics) {
  MoneroWalletConfig c;
  c.name = name;
  auto rpc = o.one("rpc", true);
  if (!rpc) return rpc.error();
  auto url = parseHttpUrl(*rpc);
  if (!url) return fail("rpc: " + url.error().message);
  c.rpc = *url;
  auto prefix = o.one("wallet_prefix", false, c.wallet_prefix);
  if (!prefix) return prefix.error();
  if (prefix->find_first_of("/\\") != std::string::npos || prefix->find("..") != std::string::npos) {
    return fail("wallet_prefix: must be a file name prefix, without / or .., got '" + *prefix + "'");
  }
  c.wallet_prefix = *prefix;
  const auto count = [&o](const char* key, std::uint64_t fallback, std::uint64_t min,
                          std::uint64_t max) -> Result<std::uint64_t> {
    auto text = o.one(key, false);
    if (!text) return text.error();
    if (text->empty()) return fallback;
    std::uint64_t value = 0;
    const auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), value);
    if (ec != std::errc{} || end != text->data() + text->size() || value < min || value > max) {
      return fail(std::string(key) + ": expected an integer between " + std::to_string(min) + " and " +
                  std::to_string(max) + ", got '" + *text + "'");
    }
    return value;
  };
  auto restore = count("restore_height", c.restore_height, 0, UINT64_MAX / 2);
  if (!restore) return restore.error();
  c.restore_height = *restore;
  // Each watched account's wallet is reopened on every poll: thousands would make a poll take minutes.
  auto accounts = count("max_accounts", c.max_accounts, 1, 10'000);
  if (!accounts) return accounts.error();
  c.max_accounts = *accounts;
  struct Key {
    const char* name;
    std::chrono::milliseconds* field;
  };
  for (const Key& key : {Key{"poll_ms", &c.poll_interval}, Key{"rpc_timeout_ms", &c.rpc_timeout},
                         Key{"wallet_timeout_ms", &c.wallet_timeout}, Key{"backoff_max_ms", &c.backoff_max}}) {
    auto value = o.millis(key.name, *key.field, kMinMs, kMaxMs);
    if (!value) return value.error();
    *key.field = *value;
  }
  return std::unique_ptr<Source>(std::make_unique<MoneroWalletSource>(std::move(c), topics));
}

}  // namespace

Result<SourceSpec> parseSourceSpec(std::string_view text) {
  const auto colon = text.find(':');
  if (colon == std::string_view::npos || colon == 0) {
    return fail("expected KIND:key=value,..., got '" + std::string(text) + "'");
  }
  SourceSpec spec;
  spec.kind = std::string(text.substr(0, colon));
  for (char c : spec.kind) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_')) {
      return fail("source kind '" + spec.kind + "' must be lowercase letters, digits, - and _");
    }
  }
  std::string_view rest = text.substr(colon + 1);
  while (!rest.empty()) {
    const auto comma = rest.find(',');
    const std::string_view item = rest.substr(0, comma);
    rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
    if (item.empty()) continue;
    const auto eq = item.find('=');
    if (eq == std::string_view::npos || eq == 0) {
      return fail("expected key=value in '" + std::string(item) + "'");
    }
    spec.options.emplace_back(std::string(item.substr(0, eq)), std::string(item.substr(eq + 1)));
  }
  return spec;
}

std::vector<std::string_view> sourceKinds() { return {"monerod", "http-poll", "bitcoind", "monero-wallet"}; }

Result<std::vector<std::unique_ptr<Source>>> makeSources(const SourcesConfig& config) {
  const TopicSet topics = schema::topicSet(config.extra_topics);
  std::vector<std::unique_ptr<Source>> out;
  std::set<std::string> names;
  for (std::size_t i = 0; i < config.specs.size(); ++i) {
    const std::string label = "source " + std::to_string(i + 1);
    auto spec = parseSourceSpec(config.specs[i]);
    if (!spec) return fail(label + ": " + spec.error().message);
    Options options(*spec);
    auto name = options.one("name", false, spec->kind);
    if (!name) return fail(label + " (" + spec->kind + "): " + name.error().message);
    if (!names.insert(*name).second) {
      return fail(label + " (" + spec->kind + "): the name '" + *name +
                  "' is taken by another source; give this one name=...");
    }
    Result<std::unique_ptr<Source>> source = fail("unknown source kind");
    if (spec->kind == "monerod") {
      source = makeMonerod(options, *name, topics);
    } else if (spec->kind == "http-poll") {
      source = makeHttpPoll(options, *name, topics);
    } else if (spec->kind == "bitcoind") {
      source = makeBitcoind(options, *name, topics);
    } else if (spec->kind == "monero-wallet") {
      source = makeMoneroWallet(options, *name, topics);
    } else {
      std::string kinds;
      for (auto k : sourceKinds()) kinds += (kinds.empty() ? "" : ", ") + std::string(k);
      return fail(label + ": unknown source kind '" + spec->kind + "' (known: " + kinds + ")");
    }
    if (!source) return fail(label + " (" + spec->kind + "): " + source.error().message);
    if (auto ok = options.finish(); !ok) return fail(label + " (" + spec->kind + "): " + ok.error().message);
    out.push_back(std::move(*source));
  }
  return out;
}

}  // namespace herald::sources
