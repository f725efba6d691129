// MonerodStatusPoller: see monerod_status_poller.h.
#include "sources/monerod_status_poller.h"

#include <boost/json.hpp>
#include <spdlog/spdlog.h>

namespace herald::sources {

bool NodeStatusDecider::shouldPublish(const monerod::NodeInfo& info, bool connected, std::int64_t now_ms) const {
  if (!any_ || connected != last_connected_) return true;
  if (connected && !(info == last_)) return true;
  return now_ms - last_ms_ >= refresh_ms_;
}

void NodeStatusDecider::published(const monerod::NodeInfo& info, bool connected, std::int64_t now_ms) {
  any_ = true;
  if (connected) last_ = info;
  last_connected_ = connected;
  last_ms_ = now_ms;
}

MonerodStatusPoller::MonerodStatusPoller(MonerodStatusConfig config, std::shared_ptr<SourceHealthCell> health,
                                         TopicSet topics)
    : config_(std::move(config)), health_(std::move(health)), topics_(std::move(topics)) {}

MonerodStatusPoller::~MonerodStatusPoller() { stop(); }

std::int64_t MonerodStatusPoller::nowMs() const { return config_.now_ms ? config_.now_ms() : systemNowMs(); }

void MonerodStatusPoller::start(bus::EventSink& sink) {
  if (thread_.joinable()) return;
  {
    std::lock_guard lock(mutex_);
    stopping_ = false;
    poked_ = true;  // the first status at once
  }
  abort_ = false;
  thread_ = std::thread([this, &sink] { run(sink); });
}

void MonerodStatusPoller::stop() {
  if (!thread_.joinable()) return;
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  abort_ = true;
  wake_.notify_all();
  thread_.join();
}

void MonerodStatusPoller::poke() {
  {
    std::lock_guard lock(mutex_);
    poked_ = true;
  }
  wake_.notify_all();
}

void MonerodStatusPoller::run(bus::EventSink& sink) {
  using Clock = std::chrono::steady_clock;
  HttpJsonClient client(config_.rpc_timeout, &abort_);
  NodeStatusDecider decider(config_.refresh.count());
  Backoff backoff(config_.backoff_initial, config_.backoff_max);
  auto next_poll = Clock::now();
  auto earliest = Clock::now();
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    // Sleep until the interval elapses, or a poke arrives (but not before min_gap since the last poll).
    wake_.wait_until(lock, next_poll, [&] { return stopping_ || (poked_ && Clock::now() >= earliest); });
    if (stopping_) break;
    if (poked_ && Clock::now() < earliest) {
      wake_.wait_until(lock, earliest, [&] { return stopping_; });
      if (stopping_) break;
    }
    poked_ = false;
    lock.unlock();

    auto result = client.jsonRpc(config_.rpc, "get_info", boost::json::object{});
    Result<monerod::NodeInfo> info = result ? monerod::parseGetInfo(*result) : Result<monerod::NodeInfo>(result.error());
    const auto now_ms = nowMs();
    const bool connected = static_cast<bool>(info);
    std::chrono::milliseconds delay = config_.interval;
    if (connected) {
      backoff.reset();
    } else {
      delay = std::min(backoff.next(), config_.interval);
      if (backoff.failures() == 1) spdlog::warn("{}: get_info failed: {}", config_.rpc.text(), info.error().message);
    }
    const auto& shown = connected ? *info : decider.last();
    if (!abort_ && decider.shouldPublish(shown, connected, now_ms)) {
      auto event = monerod::nodeStatusEvent(shown, connected, topics_, now_ms);
      if (event) {
        decider.published(shown, connected, now_ms);
        std::vector<Event> batch;
        batch.push_back(std::move(*event));
        SourceHealthCell::publish(health_, sink, std::move(batch), now_ms);
        health_->count("node_status");
      } else {
        spdlog::error("node.status refused by the catalog: {}", event.error().message);
      }
    }

    lock.lock();
    next_poll = Clock::now() + delay;
    earliest = Clock::now() + config_.min_gap;
  }
}

}  // namespace herald::sources
