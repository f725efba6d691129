// MonerodZmqSource: see monerod_zmq_source.h.
#include "sources/monerod_zmq_source.h"

#include "sources/source_events.h"
#include "sources/zmq_subscriber.h"

#include <boost/json.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>

namespace herald::sources {

namespace json = boost::json;
using Clock = std::chrono::steady_clock;

namespace {

// Longest wait in one ZMQ poll: bounds how late stop() and the probe timer are seen.
constexpr std::chrono::milliseconds kPollSlice{100};
// json-full-chain_main bodies kept to pair with the minimal form that follows: the two arrive
// back to back, so a few suffice even with several nodes subscribed.
constexpr std::size_t kBodiesKept = 64;
// Mempool ids remembered to drop repeats (several nodes announce the same transaction): a few
// blocks' worth of a busy mainnet pool.
constexpr std::size_t kSeenTxKept = 50'000;

}  // namespace

MonerodZmqSource::MonerodZmqSource(MonerodConfig config, TopicSet topics)
    : config_(std::move(config)),
      topics_(std::move(topics)),
      health_(std::make_shared<SourceHealthCell>(config_.name)),
      status_(
          [&] {
            MonerodStatusConfig s;
            s.rpc = config_.rpc;
            s.rpc_timeout = config_.rpc_timeout;
            s.interval = config_.status_interval;
            s.refresh = config_.status_refresh;
            s.backoff_initial = config_.backoff_initial;
            s.backoff_max = config_.backoff_max;
            s.now_ms = config_.now_ms;
            return s;
          }(),
          health_, topics_),
      tracker_(config_.reorg_window) {}

MonerodZmqSource::~MonerodZmqSource() { stop(); }

std::int64_t MonerodZmqSource::nowMs() const { return config_.now_ms ? config_.now_ms() : systemNowMs(); }

void MonerodZmqSource::start(bus::EventSink& sink) {
  if (thread_.joinable()) return;
  stopping_ = false;
  health_->running(true);
  health_->set(SourceState::degraded, "connecting to " + config_.rpc.text());
  status_.start(sink);
  thread_ = std::thread([this, &sink] { run(sink); });
}

void MonerodZmqSource::stop() {
  if (!thread_.joinable()) return;
  stopping_ = true;
  thread_.join();
  status_.stop();
  health_->running(false);
  health_->set(SourceState::down, "stopped");
}

SourceHealth MonerodZmqSource::health() const { return health_->snapshot(); }

void MonerodZmqSource::publish(bus::EventSink& sink, std::vector<Event> batch) {
  SourceHealthCell::publish(health_, sink, std::move(batch), nowMs());
}

void MonerodZmqSource::emitNotice(bus::EventSink& sink, std::string_view level, std::string_view code,
                                  const std::string& message) {
  auto event = noticeEvent(level, code, message, topics_, nowMs());
  if (!event) {
    spdlog::error("{}: notice refused by the catalog: {}", config_.name, event.error().message);
    return;
  }
  std::vector<Event> batch;
  batch.push_back(std::move(*event));
  publish(sink, std::move(batch));
  health_->count(std::string("notice_") + std::string(code));
}

void MonerodZmqSource::updateHealth() {
  if (unresponsive_) {
    health_->set(SourceState::down, "monerod is not answering (no ZMQ message and no RPC reply for " +
                                        std::to_string(config_.unresponsive_after.count()) + " ms)");
    return;
  }
  std::string problems;
  if (!config_.zmq.empty() && zmq_connected_ < config_.zmq.size()) {
    problems += "ZMQ: " + std::to_string(zmq_connected_) + " of " + std::to_string(config_.zmq.size()) +
                " publishers connected (reconnecting)";
  }
  if (!rpc_ok_) problems += std::string(problems.empty() ? "" : "; ") + "RPC " + config_.rpc.text() + " not answering";
  if (need_resync_ && rpc_ok_) problems += std::string(problems.empty() ? "" : "; ") + "catching up";
  health_->set(problems.empty() ? SourceState::ok : SourceState::degraded, problems);
}

void MonerodZmqSource::contact(bus::EventSink& sink) {
  last_contact_ = Clock::now();
  if (unresponsive_) {
    unresponsive_ = false;
    emitNotice(sink, "info", "daemon_recovered", "monerod at " + config_.rpc.text() + " is answering again");
    need_resync_ = true;
    status_.poke();
  }
}

void MonerodZmqSource::run(bus::EventSink& sink) {
  client_ = std::make_unique<HttpJsonClient>(config_.rpc_timeout, &stopping_);
  std::unique_ptr<ZmqSubscriber> subscriber;
  if (!config_.zmq.empty()) {
    ZmqSubscriberOptions options;
    options.endpoints = config_.zmq;
    options.prefixes = {std::string(monerod::kMinimalChainMain), std::string(monerod::kFullChainMain)};
    if (config_.mempool) options.prefixes.emplace_back(monerod::kMinimalTxpoolAdd);
    options.reconnect = config_.backoff_initial;
    options.reconnect_max = config_.backoff_max;
    auto opened = ZmqSubscriber::open(options);
    if (!opened) {
      health_->set(SourceState::down, opened.error().message);
      spdlog::error("{}: {}", config_.name, opened.error().message);
      return;
    }
    subscriber = std::move(*opened);
  }

  Backoff backoff(config_.backoff_initial, config_.backoff_max);
  last_contact_ = Clock::now();
  auto last_message = Clock::now() - config_.probe_interval;  // probe at once
  auto next_probe = Clock::now();
  while (!stopping_) {
    const auto now = Clock::now();
    // Probe: to catch up (start, reconnect, gap), while the feed is silent, or always without ZMQ.
    const bool silent = subscriber == nullptr || now - last_message >= config_.probe_interval;
    if ((need_resync_ || silent) && now >= next_probe) {
      if (resync(sink, need_resync_ ? "catch-up" : "probe")) {
        backoff.reset();
        next_probe = Clock::now() + config_.probe_interval;
      } else {
        next_probe = Clock::now() + backoff.next();
      }
      updateHealth();
      if (stopping_) break;
    }
    if (!unresponsive_ && Clock::now() - last_contact_ >= config_.unresponsive_after) {
      unresponsive_ = true;
      emitNotice(sink, "warning", "daemon_unresponsive",
                 "monerod at " + config_.rpc.text() + " has sent nothing and answered no RPC for " +
                     std::to_string(config_.unresponsive_after.count() / 1000) + " s; retrying");
      status_.poke();
      updateHealth();
    }

    const auto wait = std::clamp(std::chrono::duration_cast<std::chrono::milliseconds>(next_probe - Clock::now()),
                                 std::chrono::milliseconds(1), kPollSlice);
    if (subscriber == nullptr) {
      std::this_thread::sleep_for(std::min(wait, kPollSlice));  // a timer, not synchronization
      continue;
    }
    auto received = subscriber->poll(wait);
    switch (received.kind) {
      case ZmqReceived::Kind::timeout: break;
      case ZmqReceived::Kind::connected:
        zmq_connected_ = subscriber->connectedCount();
        health_->count("zmq_connects");
        spdlog::info("{}: ZMQ connected to {}", config_.name, received.endpoint);
        // Whatever was published while we were away is gone (no replay): fetch it by RPC.
        need_resync_ = true;
        next_probe = Clock::now();
        updateHealth();
        break;
      case ZmqReceived::Kind::disconnected:
        zmq_connected_ = subscriber->connectedCount();
        spdlog::warn("{}: ZMQ publisher {} went away; reconnecting", config_.name, received.endpoint);
        updateHealth();
        break;
      case ZmqReceived::Kind::message:
        last_message = Clock::now();
        contact(sink);
        for (const auto& frame : received.frames) onFrame(sink, frame);
        break;
    }
  }
  subscriber.reset();
  client_.reset();
}

void MonerodZmqSource::onFrame(bus::EventSink& sink, const std::string& frame) {
  auto message = monerod::splitFrame(frame);
  if (!message) {
    health_->count("bad_frames");
    return;
  }
  if (message->topic == monerod::kFullChainMain) {
    auto bodies = monerod::parseFullChainMain(message->body);
    if (!bodies) {
      health_->count("bad_frames");
      spdlog::warn("{}: {}", config_.name, bodies.error().message);
      return;
    }
    for (auto& body : *bodies) {
      bodies_.push_back(std::move(body));
      if (bodies_.size() > kBodiesKept) bodies_.pop_front();
    }
  } else if (message->topic == monerod::kMinimalChainMain) {
    auto chain = monerod::parseMinimalChainMain(message->body);
    if (!chain) {
      health_->count("bad_frames");
      spdlog::warn("{}: {}", config_.name, chain.error().message);
      return;
    }
    onChainMain(sink, ChainAnnouncement{chain->first_height, std::move(chain->first_prev_id), std::move(chain->ids)});
  } else if (message->topic == monerod::kMinimalTxpoolAdd && config_.mempool) {
    auto txs = monerod::parseMinimalTxpoolAdd(message->body);
    if (!txs) {
      health_->count("bad_frames");
      spdlog::warn("{}: {}", config_.name, txs.error().message);
      return;
    }
    std::vector<Event> batch;
    const auto now_ms = nowMs();
    for (const auto& tx : *txs) {
      if (!seen_.insert(tx.id).second) continue;
      seen_order_.push_back(tx.id);
      if (seen_order_.size() > kSeenTxKept) {
        seen_.erase(seen_order_.front());
        seen_order_.pop_front();
      }
      auto event = monerod::mempoolEvent(tx, topics_, now_ms);
      if (event) batch.push_back(std::move(*event));
    }
    health_->count("mempool_txs", batch.size());
    publish(sink, std::move(batch));
  }
}

Result<monerod::Block> MonerodZmqSource::blockFor(std::uint64_t height, const std::string& hash,
                                                  const std::string& prev) {
  // Newest first: of two competing blocks on one parent, the later announcement is the one named.
  for (auto it = bodies_.rbegin(); it != bodies_.rend(); ++it) {
    if (it->height == height && it->prev_id == prev) {
      return monerod::Block{height, hash, prev, it->timestamp, it->tx_hashes};
    }
  }
  auto result = client_->jsonRpc(config_.rpc, "get_block", json::object{{"hash", hash}});
  if (!result) return result.error();
  return monerod::parseGetBlock(*result);
}

void MonerodZmqSource::onChainMain(bus::EventSink& sink, const ChainAnnouncement& a) {
  if (need_resync_) {
    // Not caught up yet: the catch-up by RPC will reach these blocks too.
    return;
  }
  const ChainStep step = tracker_.classify(a);
  switch (step.kind) {
    case ChainStep::Kind::duplicate:
      return;
    case ChainStep::Kind::gap:
    case ChainStep::Kind::unknown_fork:
      spdlog::info("{}: {} at height {}: catching up by RPC", config_.name, chainStepName(step.kind), a.first_height);
      need_resync_ = true;
      if (!resync(sink, chainStepName(step.kind))) updateHealth();
      return;
    case ChainStep::Kind::start:
    case ChainStep::Kind::extend:
    case ChainStep::Kind::reorg:
      break;
  }
  const auto now_ms = nowMs();
  std::vector<Event> batch;
  std::vector<std::pair<std::uint64_t, std::string>> accepted;
  if (step.kind == ChainStep::Kind::reorg) {
    auto event = monerod::reorgEvent(step.fork_height, step.depth, step.old_tip, a.ids.back(), topics_, now_ms);
    if (event) batch.push_back(std::move(*event));
    spdlog::info("{}: reorg: {} block(s) above {} replaced", config_.name, step.depth, step.fork_height);
    health_->count("reorgs");
  }
  for (std::size_t i = step.first_new; i < a.ids.size(); ++i) {
    const std::uint64_t height = a.first_height + i;
    const std::string& prev = i == 0 ? a.first_prev : a.ids[i - 1];
    auto block = blockFor(height, a.ids[i], prev);
    if (!block) {
      // The announcement's details are not to be had now: publish what is complete and let the
      // catch-up fetch the rest once the RPC answers.
      spdlog::warn("{}: block {} at {}: {}", config_.name, a.ids[i], height, block.error().message);
      need_resync_ = true;
      break;
    }
    auto event = monerod::blockEvent(*block, topics_, now_ms);
    if (!event) {
      spdlog::error("{}: chain.block refused by the catalog: {}", config_.name, event.error().message);
      need_resync_ = true;
      break;
    }
    batch.push_back(std::move(*event));
    accepted.emplace_back(height, a.ids[i]);
  }
  if (step.kind == ChainStep::Kind::reorg) tracker_.rollback(step.fork_height);
  for (auto& [height, hash] : accepted) tracker_.accept(height, std::move(hash));
  health_->count("blocks", accepted.size());
  publish(sink, std::move(batch));
  if (!accepted.empty()) status_.poke();
}

bool MonerodZmqSource::resync(bus::EventSink& sink, std::string_view why) {
  auto last = client_->jsonRpc(config_.rpc, "get_last_block_header", json::object{});
  Result<monerod::BlockHeader> tip = last ? [&]() -> Result<monerod::BlockHeader> {
    const auto* obj = last->if_object();
    if (obj == nullptr || !obj->contains("block_header")) {
      return Error::make(Errc::parse_error, "get_last_block_header: no block_header");
    }
    return monerod::parseBlockHeader(obj->at("block_header"));
  }()
                                          : Result<monerod::BlockHeader>(last.error());
  if (!tip) {
    if (rpc_ok_ || !need_resync_) {
      spdlog::warn("{}: RPC {}: {}", config_.name, why, tip.error().message);
    }
    rpc_ok_ = false;
    if (tip.error().code != Errc::unavailable) health_->count("rpc_errors");
    return false;
  }
  rpc_ok_ = true;
  contact(sink);

  if (tracker_.empty()) {
    // The first contact: follow from the node's tip; history before it is not replayed.
    tracker_.accept(tip->height, tip->hash);
    need_resync_ = false;
    spdlog::info("{}: following monerod from height {} ({})", config_.name, tip->height, tip->hash);
    return true;
  }
  if (tip->height == tracker_.tipHeight() && tip->hash == tracker_.tipHash()) {
    need_resync_ = false;
    return true;
  }

  const auto headerHash = [&](std::uint64_t height) -> Result<std::string> {
    auto r = client_->jsonRpc(config_.rpc, "get_block_header_by_height", json::object{{"height", height}});
    if (!r) return r.error();
    const auto* obj = r->if_object();
    if (obj == nullptr || !obj->contains("block_header")) {
      return Error::make(Errc::parse_error, "get_block_header_by_height: no block_header");
    }
    auto header = monerod::parseBlockHeader(obj->at("block_header"));
    if (!header) return header.error();
    return header->hash;
  };
  const std::uint64_t old_tip_height = tracker_.tipHeight();
  const std::string old_tip = tracker_.tipHash();
  std::uint64_t fork = 0;
  if (auto found = findFork(tracker_, tip->height, headerHash)) {
    fork = *found;
  } else if (found.error().code == Errc::internal) {
    // Deeper than the window: roll back everything remembered, which is the most a client can know.
    fork = tracker_.lowestHeight() > 0 ? tracker_.lowestHeight() - 1 : 0;
    spdlog::warn("{}: {}", config_.name, found.error().message);
  } else {
    rpc_ok_ = false;
    return false;
  }

  const auto now_ms = nowMs();
  std::vector<Event> batch;
  if (fork < old_tip_height) {
    auto event = monerod::reorgEvent(fork, old_tip_height - fork, old_tip, tip->hash, topics_, now_ms);
    if (event) batch.push_back(std::move(*event));
    spdlog::info("{}: reorg found by RPC: {} block(s) above {} replaced", config_.name, old_tip_height - fork, fork);
    health_->count("reorgs");
    tracker_.rollback(fork);
  }
  std::uint64_t emitted = 0;
  for (const auto& [from, to] : planRanges(fork + 1, tip->height, config_.catch_up_batch)) {
    for (std::uint64_t height = from; height <= to; ++height) {
      if (stopping_) return false;
      auto result = client_->jsonRpc(config_.rpc, "get_block", json::object{{"height", height}});
      Result<monerod::Block> block = result ? monerod::parseGetBlock(*result) : Result<monerod::Block>(result.error());
      if (!block) {
        // Publish what is complete; the next attempt continues from there.
        publish(sink, std::move(batch));
        health_->count("blocks", emitted);
        spdlog::warn("{}: catch-up at height {}: {}", config_.name, height, block.error().message);
        rpc_ok_ = block.error().code != Errc::unavailable;
        return false;
      }
      auto event = monerod::blockEvent(*block, topics_, now_ms);
      if (!event) {
        spdlog::error("{}: chain.block refused by the catalog: {}", config_.name, event.error().message);
        return false;
      }
      batch.push_back(std::move(*event));
      tracker_.accept(block->height, block->hash);
      ++emitted;
    }
    publish(sink, std::move(batch));
    batch.clear();
  }
  publish(sink, std::move(batch));
  health_->count("blocks", emitted);
  if (emitted > 0) {
    health_->count("caught_up_blocks", emitted);
    spdlog::info("{}: {}: {} block(s) up to {} fetched by RPC", config_.name, why, emitted, tip->height);
    status_.poke();
  }
  need_resync_ = false;
  return true;
}

}  // namespace herald::sources
