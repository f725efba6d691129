// MonerodStatusPoller: polls monerod's get_info on its own thread into node.status events — on an
// interval, at once when poke()d (the block source pokes it for every new block), and always when
// the node stops or starts answering. An unchanged status is published again only every
// `refresh` (a heartbeat that tells clients the node is still watched).
//
// Must not: block its caller: poke() only signals the thread. NodeStatusDecider is the pure part
// (what to publish when), unit-tested with recorded get_info replies.
#pragma once

#include "core/topics.h"
#include "sources/http_json_client.h"
#include "sources/monerod_messages.h"
#include "sources/source_health.h"

#include <atomic>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

namespace herald::sources {

class NodeStatusDecider {
 public:
  explicit NodeStatusDecider(std::int64_t refresh_ms) : refresh_ms_(refresh_ms) {}
  // True when (info, connected) differs from what was last published, or `refresh_ms` has passed.
  bool shouldPublish(const monerod::NodeInfo& info, bool connected, std::int64_t now_ms) const;
  void published(const monerod::NodeInfo& info, bool connected, std::int64_t now_ms);
  // The last info seen while connected (what a connected=false status repeats).
  const monerod::NodeInfo& last() const noexcept { return last_; }

 private:
  std::int64_t refresh_ms_;
  bool any_ = false;
  monerod::NodeInfo last_;
  bool last_connected_ = false;
  std::int64_t last_ms_ = 0;
};

struct MonerodStatusConfig {
  HttpUrl rpc;
  std::chrono::milliseconds rpc_timeout{5000};
  std::chrono::milliseconds interval{10'000};  // get_info while nothing pokes
  std::chrono::milliseconds refresh{60'000};   // republish an unchanged status this often
  // Pokes closer together than this are merged: a burst of blocks costs one get_info, not hundreds.
  std::chrono::milliseconds min_gap{250};
  std::chrono::milliseconds backoff_initial{250};
  std::chrono::milliseconds backoff_max{10'000};
  std::function<std::int64_t()> now_ms;  // wall clock; empty = system clock
};

class MonerodStatusPoller {
 public:
  MonerodStatusPoller(MonerodStatusConfig config, std::shared_ptr<SourceHealthCell> health, TopicSet topics);
  ~MonerodStatusPoller();  // stop()

  void start(bus::EventSink& sink);
  void stop();
  void poke();  // any thread

 private:
  void run(bus::EventSink& sink);
  std::int64_t nowMs() const;

  MonerodStatusConfig config_;
  std::shared_ptr<SourceHealthCell> health_;
  TopicSet topics_;
  std::atomic<bool> abort_{false};
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  bool poked_ = false;
  std::thread thread_;
};

}  // namespace herald::sources
