// HttpPollSource: see http_poll_source.h.
#include "sources/http_poll_source.h"

#include <spdlog/spdlog.h>

#include <boost/json.hpp>

namespace herald::sources {

HttpPollSource::HttpPollSource(HttpPollConfig config, TopicSet topics)
    : config_(std::move(config)),
      topics_(std::move(topics)),
      health_(std::make_shared<SourceHealthCell>(config_.name)) {}

HttpPollSource::~HttpPollSource() { stop(); }

void HttpPollSource::start(bus::EventSink& sink) {
  if (thread_.joinable()) return;
  {
    std::lock_guard lock(mutex_);
    stopping_ = false;
  }
  abort_ = false;
  health_->running(true);
  health_->set(SourceState::degraded, "first poll of " + config_.definition.url.text() + " pending");
  thread_ = std::thread([this, &sink] { run(sink); });
}

void HttpPollSource::stop() {
  if (!thread_.joinable()) return;
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  abort_ = true;
  wake_.notify_all();
  thread_.join();
  health_->running(false);
  health_->set(SourceState::down, "stopped");
}

SourceHealth HttpPollSource::health() const { return health_->snapshot(); }

bool HttpPollSource::pollOnce(bus::EventSink& sink, const HttpJsonClient& client) {
  const HttpPollDefinition& d = config_.definition;
  health_->count("polls");
  auto reply =
      d.method == "GET"
          ? client.getJson(d.url)
          : client.postJson(d.url, {}, d.body.is_null() ? boost::json::value(boost::json::object{}) : d.body);
  if (abort_) return false;
  const std::string what = d.method + " " + d.url.text();
  if (!reply) {
    health_->count("poll_failures");
    // Unreachable is down; an answer that is not usable JSON is degraded (the upstream is there).
    const bool unreachable = reply.error().code == Errc::unavailable &&
                             reply.error().message.find(" answered HTTP ") == std::string::npos;
    health_->set(unreachable ? SourceState::down : SourceState::degraded,
                 what + ": " + reply.error().message);
    return false;
  }
  const std::int64_t now_ms = config_.now_ms ? config_.now_ms() : systemNowMs();
  auto mapped = mapResponse(d.mapping, *reply, topics_, now_ms);
  if (!mapped) {
    health_->count("mapping_failures");
    health_->set(SourceState::degraded, what + ": " + mapped.error().message + "; no event");
    return false;
  }
  health_->set(SourceState::ok, "");
  if (last_key_ == mapped->key) {
    health_->count("unchanged");
    return true;
  }
  last_key_ = mapped->key;
  std::vector<Event> batch;
  batch.push_back(std::move(mapped->event));
  health_->count("events");  // before the hand-over: whoever sees the event sees it counted
  SourceHealthCell::publish(health_, sink, std::move(batch), now_ms);
  return true;
}

void HttpPollSource::run(bus::EventSink& sink) {
  HttpJsonClient client(config_.timeout, &abort_);
  Backoff backoff(config_.backoff_initial, config_.backoff_max);
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    lock.unlock();
    const bool ok = pollOnce(sink, client);
    std::chrono::milliseconds delay = config_.interval;
    if (ok) {
      backoff.reset();
    } else {
      delay = std::max(config_.interval, backoff.next());
      // Logged on the first failure of a run, not on every retry of a dead upstream.
      if (backoff.failures() == 1 && !abort_) {
        spdlog::warn("{}: {}; retrying every {}..{} ms", config_.name, health_->snapshot().detail,
                     config_.interval.count(), std::max(config_.interval, config_.backoff_max).count());
      }
    }
    lock.lock();
    wake_.wait_for(lock, delay, [this] { return stopping_; });
  }
}

}  // namespace herald::sources
