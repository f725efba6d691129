// ZmqSubscriber: see zmq_subscriber.h. The monitor is libzmq's socket monitor on an inproc PAIR
// socket; its messages are two frames: {uint16 event, uint32 value} and the peer's address.
#include "sources/zmq_subscriber.h"

#include <zmq.hpp>

#include <atomic>
#include <cstring>
#include <set>

namespace herald::sources {

struct ZmqSubscriber::Impl {
  zmq::context_t context{1};
  zmq::socket_t sub{context, zmq::socket_type::sub};
  zmq::socket_t monitor{context, zmq::socket_type::pair};
  std::set<std::string> connected;
};

ZmqSubscriber::ZmqSubscriber(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

ZmqSubscriber::~ZmqSubscriber() {
  if (!impl_) return;
  // Do not wait for unsent messages (a SUB sends only subscriptions) when the context closes.
  impl_->sub.set(zmq::sockopt::linger, 0);
  impl_->monitor.set(zmq::sockopt::linger, 0);
  zmq_socket_monitor(impl_->sub.handle(), nullptr, 0);
}

Result<std::unique_ptr<ZmqSubscriber>> ZmqSubscriber::open(const ZmqSubscriberOptions& options) {
  static std::atomic<unsigned> next_id{0};
  auto impl = std::make_unique<Impl>();
  try {
    auto& sub = impl->sub;
    sub.set(zmq::sockopt::linger, 0);
    sub.set(zmq::sockopt::rcvhwm, options.receive_high_water_mark);
    sub.set(zmq::sockopt::reconnect_ivl, static_cast<int>(options.reconnect.count()));
    sub.set(zmq::sockopt::reconnect_ivl_max, static_cast<int>(options.reconnect_max.count()));
    // A publisher that vanishes without closing the TCP connection (a frozen host) is noticed by
    // ZMTP heartbeats: a ping every 5 s, the connection dropped 15 s after the last sign of life.
    sub.set(zmq::sockopt::heartbeat_ivl, 5000);
    sub.set(zmq::sockopt::heartbeat_timeout, 15000);
    const std::string address = "inproc://herald-zmq-monitor-" + std::to_string(next_id++);
    if (zmq_socket_monitor(sub.handle(), address.c_str(), ZMQ_EVENT_CONNECTED | ZMQ_EVENT_DISCONNECTED) != 0) {
      return Error::make(Errc::unavailable, std::string("zmq monitor: ") + zmq_strerror(zmq_errno()));
    }
    impl->monitor.set(zmq::sockopt::linger, 0);
    impl->monitor.connect(address);
    if (options.prefixes.empty()) {
      sub.set(zmq::sockopt::subscribe, "");
    } else {
      for (const auto& prefix : options.prefixes) sub.set(zmq::sockopt::subscribe, prefix);
    }
    for (const auto& endpoint : options.endpoints) {
      try {
        sub.connect(endpoint);
      } catch (const zmq::error_t& e) {
        return Error::make(Errc::invalid_params, "zmq endpoint '" + endpoint + "': " + e.what());
      }
    }
  } catch (const zmq::error_t& e) {
    return Error::make(Errc::unavailable, std::string("zmq: ") + e.what());
  }
  return std::unique_ptr<ZmqSubscriber>(new ZmqSubscriber(std::move(impl)));
}

std::size_t ZmqSubscriber::connectedCount() const noexcept { return impl_->connected.size(); }

ZmqReceived ZmqSubscriber::poll(std::chrono::milliseconds timeout) {
  ZmqReceived out;
  zmq::pollitem_t items[] = {{impl_->monitor.handle(), 0, ZMQ_POLLIN, 0}, {impl_->sub.handle(), 0, ZMQ_POLLIN, 0}};
  try {
    // The monitor is read first: a "connected" must be seen before the messages that follow it.
    if (zmq::poll(items, 2, timeout) <= 0) return out;
    if (items[0].revents & ZMQ_POLLIN) {
      zmq::message_t event;
      zmq::message_t address;
      if (impl_->monitor.recv(event, zmq::recv_flags::dontwait) && event.more() &&
          impl_->monitor.recv(address, zmq::recv_flags::dontwait)) {
        std::uint16_t id = 0;
        if (event.size() >= sizeof id) std::memcpy(&id, event.data(), sizeof id);
        out.endpoint = address.to_string();
        if (id == ZMQ_EVENT_CONNECTED) {
          impl_->connected.insert(out.endpoint);
          out.kind = ZmqReceived::Kind::connected;
        } else if (id == ZMQ_EVENT_DISCONNECTED) {
          impl_->connected.erase(out.endpoint);
          out.kind = ZmqReceived::Kind::disconnected;
        }
        return out;
      }
    }
    if (items[1].revents & ZMQ_POLLIN) {
      while (true) {
        zmq::message_t part;
        if (!impl_->sub.recv(part, zmq::recv_flags::dontwait)) break;
        out.frames.push_back(part.to_string());
        if (!part.more()) break;
      }
      if (!out.frames.empty()) out.kind = ZmqReceived::Kind::message;
    }
  } catch (const zmq::error_t&) {
    // EINTR and the like: the caller polls again.
  }
  return out;
}

}  // namespace herald::sources
