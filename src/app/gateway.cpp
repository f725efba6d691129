#include "app/gateway.h"

#include "app/hub_endpoint.h"
#include "dialects/herald_v1.h"
#include "schema/catalog.h"
#include "sources/source.h"
#include "store/memory_event_log.h"
#include "store/sqlite_event_log.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <random>

namespace herald::app {
namespace {

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

}  // namespace

struct Gateway::Impl final : transport::Application {
  GatewayOptions options;
  std::vector<std::unique_ptr<sources::Source>> sources;
  Metrics metrics;
  TopicSet topics;
  dialects::HeraldV1 herald_v1;
  // Declaration order is teardown order reversed: the server (and with it every connection) goes
  // first, so nothing can call into a hub, history or the log after they are gone.
  std::unique_ptr<EventLog> log;
  std::unique_ptr<bus::Pipeline> pipeline;
  std::vector<std::unique_ptr<History>> histories;
  std::vector<std::unique_ptr<Hub>> hubs;
  std::unique_ptr<api::RestApi> rest;
  std::unique_ptr<transport::Server> server;
  bool started = false;
  bool stopped = false;

  Impl(GatewayOptions o, std::vector<std::unique_ptr<sources::Source>> s)
      : options(std::move(o)), sources(std::move(s)), topics(schema::topicSet(options.extra_topics)),
        herald_v1(options.hub.filter) {}

  // transport::Application
  void handleHttp(std::size_t worker, transport::HttpRequest request, transport::Respond respond) override {
    rest->handle(worker, std::move(request), std::move(respond));
  }

  transport::WsAccept upgrade(std::size_t worker, const transport::WsUpgrade& request) override {
    transport::WsAccept accept;
    if (request.path != options.ws_path) {
      accept.refusal = jsonError(404, "not_found", "no WebSocket endpoint at " + request.path + "; herald.v1 is at " +
                                                       options.ws_path);
      return accept;
    }
    // A client that names subprotocols must name ours; one that names none gets herald.v1 JSON.
    const auto& offered = request.subprotocols;
    if (!offered.empty() &&
        std::find(offered.begin(), offered.end(), dialects::HeraldV1::kSubprotocol) == offered.end()) {
      accept.refusal = jsonError(400, "unsupported_subprotocol",
                                 "Sec-WebSocket-Protocol must include " + std::string(dialects::HeraldV1::kSubprotocol));
      return accept;
    }
    accept.accepted = true;
    if (!offered.empty()) accept.subprotocol = dialects::HeraldV1::kSubprotocol;
    accept.endpoint = std::make_unique<HubEndpoint>(*hubs[worker], herald_v1, wallClockMs);
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

  g.server = std::make_unique<transport::Server>(g.options.server, g, g.metrics);
  transport::Server& server = *g.server;
  const std::size_t workers = server.workerCount();

  g.pipeline = std::make_unique<bus::Pipeline>(
      *g.log, g.options.pipeline, g.metrics,
      [&g, workers](bus::EventBatchPtr batch) {
        for (std::size_t i = 0; i < workers; ++i) {
          g.server->post(i, [hub = g.hubs[i].get(), batch] { hub->publish(*batch); });
        }
      },
      wallClockMs);

  std::random_device seed;
  const Cursor head = g.log->bounds().head();
  std::vector<History*> history_ptrs;
  for (std::size_t i = 0; i < workers; ++i) {
    g.histories.push_back(g.pipeline->historyFor([&server, i](std::function<void()> fn) { server.post(i, std::move(fn)); }));
    history_ptrs.push_back(g.histories.back().get());
    g.hubs.push_back(std::make_unique<Hub>(g.options.hub, g.topics, *g.histories.back(), g.metrics, head,
                                           (static_cast<std::uint64_t>(seed()) << 32) | seed()));
  }

  api::RestConfig rest;
  rest.publish_tokens = g.options.publish_tokens;
  rest.limits = g.options.publish;
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
  for (auto& source : g.sources) source->start(*g.pipeline);
  spdlog::info("log epoch {:016x}, head seq {}, {} workers", head.epoch, head.seq, workers);
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
