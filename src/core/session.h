// Session: one client connection as the hub sees it: its dialect, its subscriptions, its bounded
// outbound queue, its inbound rate limit, when it was last sent anything (heartbeats) and a login
// in progress. The Outlet is the transport's side of the connection.
// Owned by the Hub of the worker the connection lives on; touched only on that worker's thread.
#pragma once

#include "core/cursor.h"
#include "core/dialect.h"
#include "core/outbound_queue.h"
#include "core/rate_limiter.h"
#include "core/subscription_index.h"

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace herald {

// Close codes a client can see (RFC 6455 section 7.4). Documented in docs/protocol/herald-v1.md.
namespace close_code {
inline constexpr std::uint16_t normal = 1000;
inline constexpr std::uint16_t going_away = 1001;     // gateway shutting down: reconnect elsewhere/later
inline constexpr std::uint16_t protocol_error = 1002;
inline constexpr std::uint16_t policy = 1008;          // slow consumer, rate limit abuse
inline constexpr std::uint16_t too_big = 1009;         // message over the size limit
inline constexpr std::uint16_t internal = 1011;
}  // namespace close_code

// Implemented by transport for each connection. Called on the connection's worker thread only.
class Outlet {
 public:
  virtual ~Outlet() = default;
  // The session's queue went from empty to non-empty: write it out (Hub::takeFrames).
  virtual void wake() = 0;
  // Close the connection. With `after_flush`, frames already queued are written first (an error
  // frame that explains the close); otherwise they are dropped. Either way the transport bounds
  // the close (5 s), so a peer that stopped reading cannot hold it open.
  virtual void close(std::uint16_t code, std::string_view reason, bool after_flush) = 0;
};

using SessionId = std::uint64_t;
class Session;

struct Subscription {
  // What a subscription needs only while it reads history (a resume or a snapshot), apart so that a
  // live subscription (nearly all of them, most of the time) stays small.
  struct Catchup {
    Cursor replay_from;                      // next page starts after this
    std::optional<RequestId> pending_reply;  // resume: answered once the first page shows the cursor is valid
    std::vector<EventPtr> held;              // live events that arrived meanwhile, in seq order
    std::size_t held_bytes = 0;
    bool page_in_flight = false;
    bool awaiting_drain = false;             // next page waits until the queue is written out
    // SubscribeCommand::snapshot while its history is read: the folded events so far (sent in the
    // reply at the end, not as notifications) and the companions made once the reply is out.
    bool collecting = false;
    std::vector<EventPtr> snapshot;
    std::vector<SubscribeCommand> companions;
  };

  std::string id;
  Session* session = nullptr;
  SubscriptionGroup* group = nullptr;
  std::uint64_t last_seq = 0;  // highest seq this subscription has been given (or passed over)
  std::uint64_t serial = 0;    // unique per hub: tells a late history page from a newer namesake
  bool implicit = false;       // made on the client's behalf: no SubscribedReply
  std::unique_ptr<Catchup> catchup;  // set while replaying history; live events are held meanwhile

  bool replaying() const noexcept { return catchup != nullptr; }
};

// A login between the Accounts check and the snapshot's last history page.
struct LoginProgress {
  std::uint64_t serial = 0;      // unique per hub: tells a late callback from a newer login
  RequestId request_id;
  LoginCommand command;
  std::deque<EventPtr> history;  // the account's events so far, the newest `snapshot_events` kept
  Cursor after;                  // next history page starts after this
};

class Session {
 public:
  Session(SessionId id, const Dialect& dialect, std::unique_ptr<DialectState> state, Outlet& outlet,
          std::size_t queue_bytes, RateLimit rate, std::int64_t now_ms)
      : id_(id), dialect_(dialect), state_(std::move(state)), outlet_(outlet), queue_(queue_bytes),
        bucket_(rate, now_ms) {
    last_enqueue_ms = now_ms;
  }

  SessionId id() const noexcept { return id_; }
  const Dialect& dialect() const noexcept { return dialect_; }
  DialectState& dialectState() noexcept { return *state_; }
  Outlet& outlet() noexcept { return outlet_; }
  OutboundQueue& queue() noexcept { return queue_; }
  TokenBucket& bucket() noexcept { return bucket_; }

  // Keyed by a view of the subscription's own id (Subscription::id lives as long as its entry).
  using Subscriptions = std::map<std::string_view, std::unique_ptr<Subscription>>;
  Subscriptions& subscriptions() noexcept { return subs_; }

  bool closing = false;         // a close was requested: enqueue nothing more
  std::uint32_t rejected_in_row = 0;  // consecutive rate-limited messages
  std::int64_t last_enqueue_ms = 0;   // hub clock when a frame was last queued (heartbeat idleness)
  std::unique_ptr<LoginProgress> login;  // set while a login is being checked or its history read
  bool logged_in = false;

 private:
  SessionId id_;
  const Dialect& dialect_;
  std::unique_ptr<DialectState> state_;
  Outlet& outlet_;
  OutboundQueue queue_;
  TokenBucket bucket_;
  Subscriptions subs_;
};

}  // namespace herald
