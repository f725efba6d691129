// BitcoindZmqSource: follows a Bitcoin Core style node through its ZMQ notifications (-zmqpubhashblock,
// -zmqpubhashtx, -zmqpubrawtx) and emits one event per block hash and per transaction, on topics the
// operator declares (default bitcoind.block and bitcoind.tx: the notifications carry no height or
// fee, so the catalog's chain.block and mempool.tx cannot be filled). A sequence gap on any topic is
// counted, logged and announced as a system.notice warning `zmq_sequence_gap`
// (docs/sources/bitcoind-zmq.md).
//
// How: one thread polls a ZmqSubscriber with a short timeout, so stop() is seen at once.
// Must not: block anything but its own thread, or publish for a message that did not parse.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "core/topics.h"
#include "sources/bitcoind_messages.h"
#include "sources/source.h"
#include "sources/source_health.h"

namespace herald::sources {

struct BitcoindZmqConfig {
  std::string name = "bitcoind";
  std::vector<std::string> zmq;  // PUB endpoints; bitcoind may publish each topic on its own
  bool blocks = true;            // subscribe to hashblock
  // Transactions from hashtx (txid only), rawtx (txid, size, vsize, weight) or not at all ("").
  std::string tx_source = "hashtx";
  std::string block_topic = "bitcoind.block";
  std::string tx_topic = "bitcoind.tx";
  std::chrono::milliseconds backoff_initial{250};
  std::chrono::milliseconds backoff_max{10'000};
  std::function<std::int64_t()> now_ms;  // wall clock; empty = system clock
};

class BitcoindZmqSource final : public Source {
 public:
  BitcoindZmqSource(BitcoindZmqConfig config, TopicSet topics);
  ~BitcoindZmqSource() override;  // stop()
  BitcoindZmqSource(const BitcoindZmqSource&) = delete;
  BitcoindZmqSource& operator=(const BitcoindZmqSource&) = delete;

  void start(bus::EventSink& sink) override;
  void stop() override;
  SourceHealth health() const override;

 private:
  void run(bus::EventSink& sink);
  void onMessage(bus::EventSink& sink, const std::vector<std::string>& frames);
  void publish(bus::EventSink& sink, Result<Event> event, std::string_view what);
  std::int64_t nowMs() const;

  BitcoindZmqConfig config_;
  TopicSet topics_;
  std::shared_ptr<SourceHealthCell> health_;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
  bitcoind::SequenceTracker sequences_;  // the source thread's alone
};

}  // namespace herald::sources
