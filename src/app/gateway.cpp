#include "app/gateway.h"

#include "app/hub_endpoint.h"
#include "app/mounts.h"
#include "auth/configured_accounts.h"
#include "schema/catalog.h"
#include "sources/monero_wallet_source.h"
#include "sources/source.h"
#include "store/memory_event_log.h"
#include "store/sqlite_event_log.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <random>

namespace herald::app {
namespace {

// How often each hub's tick() runs: debounce windows close at most this late (a twentieth of the
// default SIP-50 window), and 20 scans a second of the open windows cost nothing measurable.
constexpr std::chrono::milliseconds kTickPeriod{50};
// Node-status events read per history page when seeding the node view at startup.
constexpr std::size_t kStatusPage = 4096;

std::int64_t wallClockMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

transport::HttpResponse jsonError(unsigned status, std::string_view code, std::string message) {
  transport::HttpResponse r;
  r.status = status;
  r.body = "{\"error\":{\"code\":\"" + std::string(code) + "\",\"message\":\"" + message + "\"}}";
  return r;
}

// The latest node.status in the log, so CONNECTED-style greetings know the node before the first
// new status arrives. An index range scan per page (events_topic_seq); nullptr when there is none
// or the log cannot be read (the view then starts empty, which is not worth failing a start for).
EventPtr latestNodeStatus(EventLog& log) {
  const LogBounds bounds = log.bounds();
  Cursor after{bounds.epoch, 0};
  EventPtr latest;
  for (;;) {
    auto batch = log.readAfter(after, "node.status", kStatusPage);
    if (!batch) {
      spdlog::warn("node view: cannot read node.status history: {}", batch.error().message);
      return latest;
    }
    if (!batch->events.empty()) latest = batch->events.back();
    if (batch->at_head || batch->events.empty()) return latest;
    after = batch->next;
  }
}

}  // namespace

struct Gateway::Impl final : transport::Application {
  GatewayOptions options;
  std::vector<std::unique_ptr<sources::Source>> sources;
  Metrics metrics;
  TopicSet topics;
  DialectMounts mounts;
  // Declaration order is teardown order reversed: the server (and with it every connection) goes
  // first, so nothing can call into a hub, history, account checker or the log after they are gone.
  std::unique_ptr<EventLog> log;
  std::unique_ptr<bus::Pipeline> pipeline;
  std::vector<std::unique_ptr<History>> histories;
  std::vector<std::unique_ptr<Accounts>> accounts;
  std::vector<std::unique_ptr<Hub>> hubs;
  std::unique_ptr<api::RestApi> rest;
  std::unique_ptr<transport::Server> server;
  bool started = false;
  bool stopped = false;

  Impl(GatewayOptions o, std::vector<std::unique_ptr<sources::Source>> s)
      : options(std::move(o)), sources(std::move(s)), topics(schema::topicSet(options.extra_topics)) {}

  // transport::Application
  void handleHttp(std::size_t worker, transport::HttpRequest request, transport::Respond respond) override {
    rest->handle(worker, std::move(request), std::move(respond));
  }

  transport::WsAccept upgrade(std::size_t worker, const transport::WsUpgrade& request) override {
    transport::WsAccept accept;
    const Mount* mount = mounts.find(request.path);
    if (mount == nullptr) {
      std::string known;
      for (const auto& path : mounts.paths()) known += (known.empty() ? "" : ", ") + path;
      accept.refusal = jsonError(404, "not_found", "no WebSocket endpoint at " + request.path +
                                                       (known.empty() ? "" : "; dialects are mounted at " + known));
      return accept;
    }
    Negotiated chosen = DialectMounts::negotiate(*mount, request.subprotocols, request.origin);
    if (chosen.dialect == nullptr) {
      accept.refusal = jsonError(chosen.status, chosen.code, chosen.message);
      return accept;
    }
    accept.accepted = true;
    accept.subprotocol = chosen.subprotocol;
    accept.endpoint = std::make_unique<HubEndpoint>(*hubs[worker], *chosen.dialect, wallClockMs);
    return accept;
  }
};

Gateway::Gateway(GatewayOptions options, std::vector<std::unique_ptr<sources::Source>> sources)
    : impl_(std::make_unique<Impl>(std::move(options), std::move(sources))) {}

Gateway::~Gateway() { stop(); }

Metrics& Gateway::metrics() noexcept { return impl_->metrics; }

Result<std::vector<std::string>> Gateway::start() {
  Impl& g = *impl_;
  if (g.options.storage.persist) {
    std::error_code ec;
    std::filesystem::create_directories(g.options.storage.data_dir, ec);
    if (ec) {
      return Error::make(Errc::unavailable, "cannot create data dir " + g.options.storage.data_dir.string() + ": " +
                                                ec.message());
    }
    store::SqliteOptions sqlite;
    sqlite.sync = g.options.storage.sync_full ? store::SqliteOptions::Sync::full : store::SqliteOptions::Sync::normal;
    auto log = store::SqliteEventLog::open(g.options.storage.data_dir / "events.db", sqlite);
    if (!log) return log.error();
    g.log = std::move(*log);
  } else {
    g.log = std::make_unique<store::MemoryEventLog>();
  }

  auto mounts = makeMounts(g.options.dialects, g.options.hub.filter);
  if (!mounts) return mounts.error();
  g.mounts = std::move(*mounts);

  g.server = std::make_unique<transport::Server>(g.options.server, g, g.metrics);
  transport::Server& server = *g.server;
  const std::size_t workers = server.workerCount();

  g.pipeline = std::make_unique<bus::Pipeline>(
      *g.log, g.options.pipeline, g.metrics,
      [&g, workers](bus::EventBatchPtr batch) {
        for (std::size_t i = 0; i < workers; ++i) {
          g.server->post(i, [hub = g.hubs[i].get(), batch] { hub->publish(*batch, wallClockMs()); });
        }
      },
      wallClockMs);

  std::random_device seed;
  const Cursor head = g.log->bounds().head();
  const EventPtr status = latestNodeStatus(*g.log);
  std::vector<History*> history_ptrs;
  for (std::size_t i = 0; i < workers; ++i) {
    auto post = [&server, i](std::function<void()> fn) { server.post(i, std::move(fn)); };
    g.histories.push_back(g.pipeline->historyFor(post));
    history_ptrs.push_back(g.histories.back().get());
    Accounts* accounts = nullptr;
    if (!g.options.accounts.empty()) {
      g.accounts.push_back(std::make_unique<auth::ConfiguredAccounts>(g.options.accounts, post));
      accounts = g.accounts.back().get();
    }
    // Monero accounts watched through monero-wallet-rpc: asked after the configured table.
    for (auto& source : g.sources) {
      if (auto* wallet = dynamic_cast<sources::MoneroWalletSource*>(source.get())) {
        g.accounts.push_back(wallet->accountsFor(post, accounts));
        accounts = g.accounts.back().get();
      }
    }
    g.hubs.push_back(std::make_unique<Hub>(g.options.hub, g.topics, *g.histories.back(), g.metrics, head,
                                           (static_cast<std::uint64_t>(seed()) << 32) | seed(), accounts));
    g.hubs.back()->seedNodeStatus(status);
  }

  api::RestConfig rest;
  rest.publish_tokens = g.options.publish_tokens;
  rest.limits = g.options.publish;
  if (!g.sources.empty()) {
    rest.source_health = [&g] {
      std::vector<sources::SourceHealth> list;
      list.reserve(g.sources.size());
      for (const auto& source : g.sources) list.push_back(source->health());
      return list;
    };
  }
  g.rest = std::make_unique<api::RestApi>(
      rest, *g.pipeline, history_ptrs, [&g] { return g.log->bounds(); }, g.metrics, g.topics, wallClockMs,
      [&server](std::size_t worker, std::function<void()> fn) { server.post(worker, std::move(fn)); });

  g.pipeline->start();
  std::vector<std::string> endpoints;
  try {
    endpoints = server.start();
  } catch (const std::exception& e) {
    g.pipeline->stop();
    return Error::make(Errc::unavailable, e.what());
  }
  g.started = true;
  for (std::size_t i = 0; i < workers; ++i) {
    server.every(i, kTickPeriod, [hub = g.hubs[i].get()] { hub->tick(wallClockMs()); });
  }
  for (auto& source : g.sources) source->start(*g.pipeline);
  spdlog::info("log epoch {:016x}, head seq {}, {} workers", head.epoch, head.seq, workers);
  std::string mounted;
  for (const auto& path : g.mounts.paths()) mounted += (mounted.empty() ? "" : ", ") + path;
  spdlog::info("WebSocket dialects mounted at {}", mounted.empty() ? "no path" : mounted);
  return endpoints;
}

void Gateway::stop() {
  Impl& g = *impl_;
  if (!g.started || g.stopped) return;
  g.stopped = true;
  for (auto& source : g.sources) source->stop();
  g.server->stop();      // clients get 1001; workers joined: no hub runs after this
  g.pipeline->stop();    // commits what was accepted, joins writer and reader
  spdlog::info("stopped; log head seq {}", g.log->bounds().last_seq);
}

}  // namespace herald::app
