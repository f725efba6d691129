// HubEndpoint: joins one accepted WebSocket (transport) to the Hub of the worker it lives on (core).
// It is both sides' adapter: transport's WsEndpoint upward, core's Outlet downward. It holds no
// logic of its own: every decision is the Hub's.
#pragma once

#include "core/hub.h"
#include "transport/application.h"

#include <memory>
#include <string>

namespace herald::app {

class HubEndpoint final : public transport::WsEndpoint, public Outlet {
 public:
  // A plain function for the clock, and the rare pending close behind a pointer: one endpoint per
  // connection, so its size is part of every idle connection's cost.
  using Clock = std::int64_t (*)();
  HubEndpoint(Hub& hub, const Dialect& dialect, Clock now_ms) : hub_(hub), dialect_(dialect), now_ms_(now_ms) {}

  // transport::WsEndpoint
  void onOpen(transport::WsConnection& connection) override {
    // Hub::open already queues the dialect's opening frames (a greeting) and may close: the session
    // id must be known before transport acts on either, so both wait until open() has returned.
    session_ = hub_.open(dialect_, *this, now_ms_());
    connection_ = &connection;
    if (pending_close_) {
      connection.close(pending_close_->code, pending_close_->reason, pending_close_->after_flush);
      return;
    }
    connection.wake();
  }
  void onMessage(std::string_view bytes, bool binary) override { hub_.onMessage(session_, bytes, binary, now_ms_()); }
  std::size_t takeFrames(std::vector<FramePtr>& out) override { return hub_.takeFrames(session_, out); }
  void onDrained() override { hub_.onDrained(session_); }
  void onClose() override {
    hub_.close(session_);
    connection_ = nullptr;
  }

  // Outlet
  void wake() override {
    if (connection_ != nullptr) connection_->wake();
  }
  void close(std::uint16_t code, std::string_view reason, bool after_flush) override {
    if (connection_ != nullptr) {
      connection_->close(code, reason, after_flush);
    } else if (!pending_close_) {
      pending_close_.reset(new PendingClose{code, std::string(reason), after_flush});  // during onOpen
    }
  }

 private:
  Hub& hub_;
  const Dialect& dialect_;
  Clock now_ms_;
  struct PendingClose {
    std::uint16_t code;
    std::string reason;
    bool after_flush;
  };

  transport::WsConnection* connection_ = nullptr;
  SessionId session_ = 0;
  std::unique_ptr<PendingClose> pending_close_;
};

}  // namespace herald::app
