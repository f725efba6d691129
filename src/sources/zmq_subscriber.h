// ZmqSubscriber: one ZMQ SUB socket connected to one or more publishers (monerod's --zmq-pub,
// bitcoind's -zmqpub*), with a monitor that reports when a publisher connects or goes away. libzmq
// reconnects by itself with exponential backoff (reconnect_ms doubling up to reconnect_max_ms); the
// monitor is how a source learns that it may have missed messages and must catch up.
//
// Must not: be used from more than one thread (ZMQ sockets are not thread-safe): a source creates,
// polls and destroys it on its own thread. poll() waits at most its timeout, so a source's stop() is
// seen within one timeout without busy waiting.
#pragma once

#include "core/result.h"

#include <chrono>
#include <memory>
#include <string>
#include <vector>

namespace herald::sources {

struct ZmqSubscriberOptions {
  std::vector<std::string> endpoints;  // "tcp://127.0.0.1:28083"
  std::vector<std::string> prefixes;   // topic prefixes; empty = everything
  std::chrono::milliseconds reconnect{100};       // first reconnect attempt after a loss
  std::chrono::milliseconds reconnect_max{5000};  // backoff ceiling
  // Messages held by libzmq before it drops (a stalled source thread must not eat the machine's
  // memory). 100000 blocks or transactions: minutes of a busy mainnet node.
  int receive_high_water_mark = 100'000;
};

struct ZmqReceived {
  enum class Kind { message, connected, disconnected, timeout };
  Kind kind = Kind::timeout;
  std::vector<std::string> frames;  // message: every frame of one (possibly multipart) message
  std::string endpoint;             // connected / disconnected: which publisher
};

class ZmqSubscriber {
 public:
  // Errc::invalid_params for an endpoint libzmq refuses (names it), Errc::unavailable otherwise.
  // Connecting is asynchronous: an absent publisher is not an error, it just never sends.
  static Result<std::unique_ptr<ZmqSubscriber>> open(const ZmqSubscriberOptions& options);
  ~ZmqSubscriber();
  ZmqSubscriber(const ZmqSubscriber&) = delete;
  ZmqSubscriber& operator=(const ZmqSubscriber&) = delete;

  // The next message or connection change, or `timeout` after waiting that long.
  ZmqReceived poll(std::chrono::milliseconds timeout);

  std::size_t connectedCount() const noexcept;

 private:
  struct Impl;
  explicit ZmqSubscriber(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace herald::sources
