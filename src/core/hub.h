// Hub: the sessions of one worker and everything that happens to them: openings (greetings and
// implicit subscriptions), commands (subscribe, unsubscribe, ping, login), live fan-out (match ->
// encode once per group -> enqueue), deliveries (debounce windows, per-publish batches), resume
// (replay from History, then live with no gap and no duplicate), snapshots (a topic's folded history
// in the subscribe reply, then live from where it ends), heartbeats, slow consumers and rate limits.
// It also keeps the node view (the latest `node.status`) that dialects put into frames.
//
// Pure logic: no I/O, no locks, no clock of its own: time arrives as a value (open, onMessage,
// publish, tick), and the hub's clock is the latest of those. One Hub per worker thread; every call
// happens on that thread. Transport reaches it through Outlet (down) and these calls (up).
#pragma once

#include "core/accounts.h"
#include "core/dialect.h"
#include "core/history.h"
#include "core/metrics.h"
#include "core/session.h"
#include "core/subscription_index.h"
#include "core/topics.h"

#include <cstdint>
#include <memory>
#include <random>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

namespace herald {

struct HubLimits {
  std::size_t max_subscriptions = 64;        // per connection
  std::size_t queue_bytes = 4 << 20;          // per connection: ~20k typical events of backlog
  std::size_t replay_page = 512;              // events per history read while resuming
  RateLimit inbound;                          // per connection
  std::uint32_t abuse_close_after = 100;      // consecutive rate-limited messages before closing
  FilterLimits filter;
  // Login snapshot: at most this many of the account's events (the newest) go into the snapshot
  // frame. 10,000 covers years of a personal wallet's transactions and keeps the frame a few MB;
  // an older history is the client's to fetch over REST.
  std::size_t snapshot_events = 10'000;
};

// How often tick() looks for idle sessions that are owed a heartbeat: heartbeat intervals are
// seconds long, so a second of lateness is within what a client tolerates, and the scan of every
// session runs at most once a second.
inline constexpr std::int64_t kHeartbeatCheckMs = 1000;

class Hub {
 public:
  // `head`: the log head when the worker starts; `seed` drives random subscription ids. `accounts`
  // checks logins (nullptr: every login is refused with Errc::unavailable).
  // History and Accounts callbacks are run on this worker's thread: the Hub must outlive them (stop
  // the worker's event loop before destroying the Hub).
  Hub(HubLimits limits, const TopicSet& topics, History& history, Metrics& metrics, Cursor head,
      std::uint64_t seed, Accounts* accounts = nullptr);
  ~Hub();
  Hub(const Hub&) = delete;
  Hub& operator=(const Hub&) = delete;

  // A connection was established (after the handshake): the dialect's opening frames are queued and
  // its opening commands run (implicit subscriptions send no reply).
  SessionId open(const Dialect& dialect, Outlet& outlet, std::int64_t now_ms);
  // The connection is gone: drop its subscriptions and queue. Idempotent.
  void close(SessionId id);

  // One client message: decode, rate-limit, execute, reply (enqueued). An Answer's frames are queued
  // first, then its commands run, then the connection is closed after the flush if it says so.
  void onMessage(SessionId id, std::string_view bytes, bool binary, std::int64_t now_ms);

  // Transport: move the session's queued frames to `out` for one gather write.
  std::size_t takeFrames(SessionId id, std::vector<FramePtr>& out);
  // Transport: everything taken has been written and the queue is empty (resumes paced replay).
  void onDrained(SessionId id);

  // Durable events, in ascending seq order, delivered once to this worker. `now_ms` (wall clock)
  // opens debounce windows. `node.status` events update the node view before they are matched.
  // Batch subscriptions get every event of this call that they match in one frame, after the
  // others.
  void publish(std::span<const EventPtr> events, std::int64_t now_ms);

  // The passing of time (the gateway calls it every 50 ms): closes debounce windows that are due
  // (delivering each window's latest event) and, at most once per kHeartbeatCheckMs, sends
  // heartbeat() to sessions of heartbeat dialects that have been sent nothing for heartbeatMs().
  void tick(std::int64_t now_ms);

  // The node view before the first `node.status` reaches this worker (the latest one in the log).
  void seedNodeStatus(EventPtr status);
  const NodeView& nodeView() const noexcept { return node_; }

  // Executes a command as if the client had sent it (dialects that subscribe implicitly).
  void execute(SessionId id, const Command& command);

  Session* find(SessionId id);
  std::size_t sessionCount() const noexcept { return sessions_.size(); }
  Cursor head() const noexcept { return head_; }

  // Closes every session with `code` (shutdown: going_away).
  void closeAll(std::uint16_t code, std::string_view reason);

 private:
  // Counters a publish() or tick() call adds up and hands to the shared Metrics once at its end: the
  // delivery path must not touch a cache line the other workers write, once per frame.
  struct DeliveryTally {
    std::int64_t queue_bytes = 0;
    std::uint64_t events_out = 0;
  };
  class TallyScope;
  void countQueued(std::int64_t bytes);
  void countEventOut();

  // A debounce window: the latest event of a group since the window opened.
  struct DebounceWindow {
    EventPtr latest;
    std::int64_t closes_at_ms = 0;
  };

  void advanceClock(std::int64_t now_ms) noexcept;
  void reply(Session& session, const Reply& reply);
  void subscribe(Session& session, const RequestId& id, const SubscribeCommand& command);
  void unsubscribe(Session& session, const RequestId& id, const UnsubscribeCommand& command);
  void removeSubscription(Session& session, Subscription& sub);
  bool enqueue(Session& session, FramePtr frame, bool force = false);
  void hold(Subscription& sub, const EventPtr& event);
  void deliverEvent(SubscriptionGroup& group, const EventPtr& event);
  void deliverBatch(SubscriptionGroup& group, std::span<const EventPtr> events);
  FramePtr encodeFor(const Subscription& sub, std::span<const EventPtr> events);
  void closeAfterFlush(Session& session, std::uint16_t code, std::string_view reason);
  void login(Session& session, const RequestId& id, const LoginCommand& command);
  void onVerified(SessionId session_id, std::uint64_t serial, Result<void> verified);
  void requestSnapshotPage(Session& session);
  void onSnapshotPage(SessionId session_id, std::uint64_t serial, Result<ReadBatch> batch);
  void finishLogin(Session& session, const Cursor& head);
  void failLogin(Session& session, const RequestId& id, Error error);
  void requestPage(Subscription& sub);
  void onPage(SessionId session_id, const std::string& sub_id, std::uint64_t serial, Result<ReadBatch> batch);
  void finishReplay(Subscription& sub);
  void collectSnapshot(Subscription& sub, ReadBatch& batch);
  void finishSnapshot(Subscription& sub, const Cursor& end);
  void closeSlow(Session& session);
  std::string newSubscriptionId(const Session& session, const SubscriptionGroup& group);

  HubLimits limits_;
  const TopicSet& topics_;
  History& history_;
  Metrics& metrics_;
  Accounts* accounts_;
  Cursor head_;  // last event published to this worker
  std::int64_t now_ms_ = 0;  // the latest time given to any call
  std::int64_t next_heartbeat_check_ms_ = 0;
  NodeView node_;
  SubscriptionIndex index_;
  std::unordered_map<std::string, DebounceWindow> windows_;  // by group key: open windows only
  std::unordered_map<SessionId, std::unique_ptr<Session>> sessions_;
  SessionId next_id_ = 1;
  std::mt19937_64 random_;
  std::uint64_t next_serial_ = 1;
  DeliveryTally* tally_ = nullptr;  // set while publish() or tick() runs
  std::vector<SubscriptionGroup*> matched_;  // reused by publish(): no allocation per event
  std::vector<std::pair<const Dialect*, FramePtr>> group_frames_;  // reused: one frame per dialect per group
  // reused by publish(): the batch groups this call matched and their events
  std::vector<std::pair<SubscriptionGroup*, std::vector<EventPtr>>> batches_;
};

}  // namespace herald
