// RestApi: Herald's HTTP endpoints (docs/protocol/rest.md): publish, history, health and metrics.
// Transport hands it parsed requests; it answers through the Respond callback, possibly later.
//
// Must not: include Beast or touch sockets, block a worker (the log is reached only through
// EventSink and History, both asynchronous), or call `respond` on any thread but the request's
// worker.
//
// Threads: handle() may run on several workers at once; the object itself is immutable after
// construction. Publish acknowledgements come from the log-writer thread and are posted back to
// the request's worker with `post_to_worker` before responding.
#pragma once

#include "bus/pipeline.h"
#include "core/event_log.h"
#include "core/history.h"
#include "core/metrics.h"
#include "core/topics.h"
#include "schema/event_json.h"
#include "sources/source.h"
#include "transport/application.h"

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace herald::api {

struct RestConfig {
  // Bearer tokens allowed to publish. Empty: publishing over HTTP is disabled (403), so a gateway
  // never accepts events from anyone by default.
  std::vector<std::string> publish_tokens;
  schema::PublishLimits limits;
  std::size_t max_history_limit = 1000;  // events per history page: bounds one response and one read
  // The health of every node source, read on each /healthz and /metrics (any worker thread; each
  // Source::health() is a short locked copy). Empty: the gateway runs no sources, and /healthz
  // shows no "sources" member.
  std::function<std::vector<sources::SourceHealth>()> source_health;
};

class RestApi {
 public:
  using PostToWorker = std::function<void(std::size_t worker, std::function<void()>)>;

  // `per_worker_history[w]` serves history reads for worker w (its results arrive on w). `bounds`
  // and `now_ms` may be called from any worker.
  RestApi(RestConfig config, bus::EventSink& sink, std::vector<History*> per_worker_history,
          std::function<LogBounds()> bounds, Metrics& metrics, const TopicSet& topics,
          std::function<std::int64_t()> now_ms, PostToWorker post_to_worker);

  // Answers one request, calling `respond` exactly once on `worker`'s thread (inline, or later for
  // publish and history).
  void handle(std::size_t worker, transport::HttpRequest request, transport::Respond respond);

  // The HTTP status for an error of kind `code` (the table in docs/protocol/rest.md).
  static unsigned httpStatus(Errc code) noexcept;

 private:
  void publish(std::size_t worker, const transport::HttpRequest& request, transport::Respond respond);
  void events(std::size_t worker, std::string_view query, transport::Respond respond);
  void health(transport::Respond respond);
  void metrics(transport::Respond respond);
  bool authorized(std::string_view authorization) const;

  RestConfig config_;
  bus::EventSink& sink_;
  std::vector<History*> history_;
  std::function<LogBounds()> bounds_;
  Metrics& metrics_;
  const TopicSet& topics_;
  std::function<std::int64_t()> now_ms_;
  PostToWorker post_to_worker_;
};

// {"error":{"code":"<errcName>","message":...,"field":...}} ("field" only when there is one).
std::string errorBody(const Error& error);

}  // namespace herald::api
