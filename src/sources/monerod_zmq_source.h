// MonerodZmqSource: follows a monerod through its ZMQ PUB feed (--zmq-pub) and its JSON-RPC, and
// emits chain.block, chain.reorg, mempool.tx, node.status and system.notice events
// (docs/sources/monerod.md).
//
// How: one thread polls a ZMQ SUB socket (json-minimal-chain_main for block ids, json-full-chain_main
// for their timestamps and transactions, json-minimal-txpool_add for the pool) with a short timeout,
// so stop() is seen at once and an idle source costs nothing. A ChainTracker decides whether each
// announcement extends the chain, repeats it (several nodes may be subscribed), leaves a gap, or
// replaces blocks (reorg). Gaps, forks it cannot place, and every (re)connection are settled from
// RPC: the source walks back to the fork, emits chain.reorg if blocks were replaced, then every
// block up to the node's tip, so no block is skipped. When the feed is silent the RPC is probed;
// when neither answers for `unresponsive_after` a system.notice daemon_unresponsive is emitted
// (and daemon_recovered when it answers again). node.status comes from a MonerodStatusPoller on a
// second thread, poked on each new block.
//
// Must not: know about clients, or block anything but its own threads. Starts from the node's tip:
// history before the first connection is not replayed.
// With no ZMQ endpoint the same loop polls the RPC for new blocks every probe interval.
#pragma once

#include "core/topics.h"
#include "sources/chain_tracker.h"
#include "sources/http_json_client.h"
#include "sources/monerod_messages.h"
#include "sources/monerod_status_poller.h"
#include "sources/source.h"
#include "sources/source_health.h"

#include <atomic>
#include <deque>
#include <memory>
#include <string>
#include <thread>
#include <unordered_set>
#include <vector>

namespace herald::sources {

class ZmqSubscriber;

struct MonerodConfig {
  std::string name = "monerod";       // SourceHealth::name
  std::vector<std::string> zmq;       // PUB endpoints of one or more nodes of the same network
  HttpUrl rpc;                        // the node's RPC (restricted RPC is enough)
  bool mempool = true;                // emit mempool.tx
  std::chrono::milliseconds rpc_timeout{5000};
  // RPC probe while the feed is silent (or, with no ZMQ, the block poll interval).
  std::chrono::milliseconds probe_interval{5000};
  // No message and no RPC answer for this long: daemon_unresponsive.
  std::chrono::milliseconds unresponsive_after{30'000};
  std::chrono::milliseconds status_interval{10'000};
  std::chrono::milliseconds status_refresh{60'000};
  std::chrono::milliseconds backoff_initial{250};
  std::chrono::milliseconds backoff_max{10'000};
  // Blocks fetched and published per batch while catching up by RPC.
  std::uint64_t catch_up_batch = 100;
  std::size_t reorg_window = 720;     // blocks remembered to place a fork
  std::function<std::int64_t()> now_ms;  // wall clock; empty = system clock
};

class MonerodZmqSource final : public Source {
 public:
  MonerodZmqSource(MonerodConfig config, TopicSet topics);
  ~MonerodZmqSource() override;  // stop()
  MonerodZmqSource(const MonerodZmqSource&) = delete;
  MonerodZmqSource& operator=(const MonerodZmqSource&) = delete;

  void start(bus::EventSink& sink) override;
  void stop() override;
  SourceHealth health() const override;

 private:
  void run(bus::EventSink& sink);
  void onFrame(bus::EventSink& sink, const std::string& frame);
  void onChainMain(bus::EventSink& sink, const ChainAnnouncement& a);
  // Brings the tracker to the node's tip by RPC; false when the RPC failed (retry later).
  bool resync(bus::EventSink& sink, std::string_view why);
  Result<monerod::Block> blockFor(std::uint64_t height, const std::string& hash, const std::string& prev);
  void publish(bus::EventSink& sink, std::vector<Event> batch);
  void emitNotice(bus::EventSink& sink, std::string_view level, std::string_view code, const std::string& message);
  void contact(bus::EventSink& sink);  // the node answered (feed or RPC)
  void updateHealth();
  std::int64_t nowMs() const;

  MonerodConfig config_;
  TopicSet topics_;
  std::shared_ptr<SourceHealthCell> health_;
  MonerodStatusPoller status_;
  std::atomic<bool> stopping_{false};
  std::thread thread_;

  // The source thread's alone.
  std::unique_ptr<HttpJsonClient> client_;
  ChainTracker tracker_;
  std::deque<monerod::BlockBody> bodies_;     // recent json-full-chain_main blocks, newest last
  std::deque<std::string> seen_order_;        // mempool ids already emitted, oldest first
  std::unordered_set<std::string> seen_;
  std::chrono::steady_clock::time_point last_contact_;
  bool rpc_ok_ = false;
  bool unresponsive_ = false;
  bool need_resync_ = true;
  std::size_t zmq_connected_ = 0;
};

}  // namespace herald::sources
