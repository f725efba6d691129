// Gateway: the running system, wired. Opens the log, builds one Hub per worker (seeded with the
// log's latest node.status, ticked every 50 ms), the pipeline (log writer, fan-out, history reader),
// the REST API, the WebSocket mounts (app/mounts.h: path -> dialect) and the built-in sources, and
// tears them down in the order that loses nothing: stop sources, close clients with 1001, flush the
// log. The only place that names concrete implementations.
#pragma once

#include "api/rest_api.h"
#include "app/dialect_config.h"
#include "bus/pipeline.h"
#include "core/hub.h"
#include "schema/event_json.h"
#include "transport/server.h"

#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace herald::sources {
class Source;
}

namespace herald::app {

struct StorageOptions {
  bool persist = true;                  // false: in-memory log, history lost on restart
  std::filesystem::path data_dir = "herald-data";
  bool sync_full = true;                // fsync every group commit (survives power loss)
};

struct GatewayOptions {
  transport::ServerConfig server;
  HubLimits hub;
  bus::PipelineConfig pipeline;
  StorageOptions storage;
  std::vector<std::string> publish_tokens;
  schema::PublishLimits publish;
  std::vector<std::string> extra_topics;
  DialectConfig dialects;
  // account -> secret for logins (monero-lws); empty: no account checker, logins are refused as
  // unavailable.
  std::map<std::string, std::string, std::less<>> accounts;
};

class Gateway {
 public:
  // `sources` are started once the gateway listens, and stopped first on shutdown.
  Gateway(GatewayOptions options, std::vector<std::unique_ptr<sources::Source>> sources);
  ~Gateway();

  // Opens storage and binds listeners; returns the bound endpoints ("127.0.0.1:8080", "unix:/p").
  Result<std::vector<std::string>> start();
  void stop();

  Metrics& metrics() noexcept;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace herald::app
