// BitcoindZmqSource: see bitcoind_zmq_source.h.
#include "sources/bitcoind_zmq_source.h"

#include <spdlog/spdlog.h>

#include <boost/json.hpp>

#include "sources/source_events.h"
#include "sources/zmq_subscriber.h"

namespace herald::sources {

namespace json = boost::json;

namespace {

// Longest wait in one ZMQ poll: bounds how late stop() is seen.
constexpr std::chrono::milliseconds kPollSlice{100};

}  // namespace

BitcoindZmqSource::BitcoindZmqSource(BitcoindZmqConfig config, TopicSet topics)
    : config_(std::move(config)),
      topics_(std::move(topics)),
      health_(std::make_shared<SourceHealthCell>(config_.name)) {}

BitcoindZmqSource::~BitcoindZmqSource() { stop(); }

std::int64_t BitcoindZmqSource::nowMs() const { return config_.now_ms ? config_.now_ms() : systemNowMs(); }

void BitcoindZmqSource::start(bus::EventSink& sink) {
  if (thread_.joinable()) return;
  stopping_ = false;
  health_->running(true);
  // Down until a publisher connects: libzmq retries an absent one silently, so nothing else would say so.
  health_->set(SourceState::down,
               "ZMQ: 0 of " + std::to_string(config_.zmq.size()) + " publishers connected (connecting)");
  thread_ = std::thread([this, &sink] { run(sink); });
}

void BitcoindZmqSource::stop() {
  if (!thread_.joinable()) return;
  stopping_ = true;
  thread_.join();
  health_->running(false);
  health_->set(SourceState::down, "stopped");
}

SourceHealth BitcoindZmqSource::health() const { return health_->snapshot(); }

void BitcoindZmqSource::publish(bus::EventSink& sink, Result<Event> event, std::string_view what) {
  if (!event) {
    health_->count("refused");
    spdlog::error("{}: {} refused by the catalog: {}", config_.name, what, event.error().message);
    return;
  }
  std::vector<Event> batch;
  batch.push_back(std::move(*event));
  SourceHealthCell::publish(health_, sink, std::move(batch), nowMs());
}

void BitcoindZmqSource::run(bus::EventSink& sink) {
  ZmqSubscriberOptions options;
  options.endpoints = config_.zmq;
  if (config_.blocks) options.prefixes.emplace_back(bitcoind::kHashBlock);
  if (!config_.tx_source.empty()) options.prefixes.push_back(config_.tx_source);
  options.reconnect = config_.backoff_initial;
  options.reconnect_max = config_.backoff_max;
  auto opened = ZmqSubscriber::open(options);
  if (!opened) {
    health_->set(SourceState::down, opened.error().message);
    spdlog::error("{}: {}", config_.name, opened.error().message);
    return;
  }
  auto& subscriber = **opened;
  const auto connection = [&] {
    const std::size_t connected = subscriber.connectedCount();
    if (connected == config_.zmq.size()) {
      health_->set(SourceState::ok, "");
    } else {
      health_->set(connected == 0 ? SourceState::down : SourceState::degraded,
                   "ZMQ: " + std::to_string(connected) + " of " + std::to_string(config_.zmq.size()) +
                       " publishers connected (reconnecting)");
    }
  };
  while (!stopping_) {
    auto received = subscriber.poll(kPollSlice);
    switch (received.kind) {
      case ZmqReceived::Kind::timeout:
        break;
      case ZmqReceived::Kind::connected:
        health_->count("zmq_connects");
        spdlog::info("{}: ZMQ connected to {}", config_.name, received.endpoint);
        connection();
        break;
      case ZmqReceived::Kind::disconnected:
        spdlog::warn("{}: ZMQ publisher {} went away; reconnecting", config_.name, received.endpoint);
        connection();
        break;
      case ZmqReceived::Kind::message:
        onMessage(sink, received.frames);
        break;
    }
  }
}

void BitcoindZmqSource::onMessage(bus::EventSink& sink, const std::vector<std::string>& frames) {
  auto parsed = bitcoind::parseNotification(frames);
  if (!parsed) {
    health_->count("bad_messages");
    spdlog::warn("{}: dropped a ZMQ message: {}", config_.name, parsed.error().message);
    return;
  }
  const auto& n = *parsed;
  const std::int64_t now_ms = nowMs();
  if (auto gap = sequences_.observe(n.topic, n.sequence)) {
    health_->count("sequence_gaps");
    health_->count("messages_missed", gap->missed);
    const std::string message = config_.name + " " + n.topic + ": " + std::to_string(gap->missed) +
                                " notification(s) lost (sequence " + std::to_string(gap->expected) +
                                " expected, " + std::to_string(gap->got) + " received)";
    spdlog::warn("{}", message);
    publish(sink, noticeEvent("warning", "zmq_sequence_gap", message, topics_, now_ms), "notice");
  }
  const std::int64_t seq = n.sequence;
  if (n.topic == bitcoind::kHashBlock) {
    // Counted before the hand-over, so whoever sees the event also sees it counted.
    health_->count("blocks");
    publish(
        sink,
        makeEvent(config_.block_topic, json::object{{"hash", n.hash}, {"sequence", seq}}, topics_, now_ms),
        config_.block_topic);
    return;
  }
  json::object data{{"txid", n.hash}, {"sequence", seq}};
  if (n.raw) {
    data["size"] = n.raw->size;
    data["vsize"] = n.raw->vsize;
    data["weight"] = n.raw->weight;
  }
  health_->count("txs");
  publish(sink, makeEvent(config_.tx_topic, std::move(data), topics_, now_ms), config_.tx_topic);
}

}  // namespace herald::sources
