// HttpPollSource: polls one JSON HTTP endpoint (GET, or POST with a JSON body such as a JSON-RPC
// call) on its own thread every `interval`, maps each answer to an event (HttpPollMapping) and
// publishes it when its change key differs from the last published one; the first answer always
// publishes. docs/sources/http-poll.md.
//
// Health: ok after an answer that mapped; degraded with the reason (HTTP status, invalid JSON, the
// missing pointer, the catalog's complaint) when an answer did not map; down while the endpoint
// cannot be reached. Failures back off: the next poll waits max(interval, backoff), the backoff
// doubling up to `backoff_max`, so a dead upstream is not hammered.
//
// Must not: block anything but its own thread (HttpJsonClient is synchronous; stop() aborts a
// request in flight), or publish a partial event.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "core/topics.h"
#include "sources/http_poll_mapping.h"
#include "sources/source.h"
#include "sources/source_health.h"

namespace herald::sources {

struct HttpPollConfig {
  std::string name = "http-poll";
  HttpPollDefinition definition;
  std::chrono::milliseconds interval{5000};
  std::chrono::milliseconds timeout{5000};
  std::chrono::milliseconds backoff_initial{250};
  std::chrono::milliseconds backoff_max{60'000};
  std::function<std::int64_t()> now_ms;  // wall clock; empty = system clock
};

class HttpPollSource final : public Source {
 public:
  HttpPollSource(HttpPollConfig config, TopicSet topics);
  ~HttpPollSource() override;  // stop()
  HttpPollSource(const HttpPollSource&) = delete;
  HttpPollSource& operator=(const HttpPollSource&) = delete;

  void start(bus::EventSink& sink) override;
  void stop() override;
  SourceHealth health() const override;

 private:
  void run(bus::EventSink& sink);
  // One request and its outcome; true when the endpoint answered with something that mapped.
  bool pollOnce(bus::EventSink& sink, const HttpJsonClient& client);

  HttpPollConfig config_;
  TopicSet topics_;
  std::shared_ptr<SourceHealthCell> health_;
  std::atomic<bool> abort_{false};
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
  std::optional<std::string> last_key_;  // the source thread's alone
};

}  // namespace herald::sources
