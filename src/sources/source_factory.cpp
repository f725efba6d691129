// makeSources: see source_factory.h. Each kind has a small builder that reads its keys; a key no
// builder reads is an error, so a typo never silently keeps a default.
#include "sources/source_factory.h"

#include "schema/catalog.h"
#include "sources/monerod_zmq_source.h"

#include <charconv>
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

std::vector<std::string_view> sourceKinds() { return {"monerod"}; }

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
