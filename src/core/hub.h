// Hub: the sessions of one worker and everything that happens to them: commands (subscribe,
// unsubscribe, ping), live fan-out (match -> encode once per group -> enqueue), resume (replay from
// History, then live with no gap and no duplicate), slow consumers and rate limits.
//
// Pure logic: no I/O, no clock, no locks. One Hub per worker thread; every call happens on that
// thread. Transport reaches it through Outlet (down) and these calls (up).
#pragma once

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
};

class Hub {
 public:
  // `head`: the log head when the worker starts; `seed` drives random subscription ids.
  // History callbacks are run on this worker's thread: the Hub must outlive them (stop the worker's
  // event loop before destroying the Hub).
  Hub(HubLimits limits, const TopicSet& topics, History& history, Metrics& metrics, Cursor head,
      std::uint64_t seed);
  ~Hub();
  Hub(const Hub&) = delete;
  Hub& operator=(const Hub&) = delete;

  // A connection was established (after the handshake).
  SessionId open(const Dialect& dialect, Outlet& outlet, std::int64_t now_ms);
  // The connection is gone: drop its subscriptions and queue. Idempotent.
  void close(SessionId id);

  // One client message: decode, rate-limit, execute, reply (enqueued).
  void onMessage(SessionId id, std::string_view bytes, bool binary, std::int64_t now_ms);

  // Transport: move the session's queued frames to `out` for one gather write.
  std::size_t takeFrames(SessionId id, std::vector<FramePtr>& out);
  // Transport: everything taken has been written and the queue is empty (resumes paced replay).
  void onDrained(SessionId id);

  // Durable events, in ascending seq order, delivered once to this worker.
  void publish(std::span<const EventPtr> events);

  // Executes a command as if the client had sent it (dialects that subscribe implicitly).
  void execute(SessionId id, const Command& command);

  Session* find(SessionId id);
  std::size_t sessionCount() const noexcept { return sessions_.size(); }
  Cursor head() const noexcept { return head_; }

  // Closes every session with `code` (shutdown: going_away).
  void closeAll(std::uint16_t code, std::string_view reason);

 private:
  void reply(Session& session, const Reply& reply);
  void subscribe(Session& session, const RequestId& id, const SubscribeCommand& command);
  void unsubscribe(Session& session, const RequestId& id, const UnsubscribeCommand& command);
  void removeSubscription(Session& session, Subscription& sub);
  bool enqueue(Session& session, FramePtr frame, bool force = false);
  void deliverLive(Subscription& sub, const EventPtr& event, const FramePtr& shared_frame);
  void requestPage(Subscription& sub);
  void onPage(SessionId session_id, const std::string& sub_id, std::uint64_t serial, Result<ReadBatch> batch);
  void finishReplay(Subscription& sub);
  void closeSlow(Session& session);
  std::string newSubscriptionId(const Session& session, const SubscriptionGroup& group);

  HubLimits limits_;
  const TopicSet& topics_;
  History& history_;
  Metrics& metrics_;
  Cursor head_;  // last event published to this worker
  SubscriptionIndex index_;
  std::unordered_map<SessionId, std::unique_ptr<Session>> sessions_;
  SessionId next_id_ = 1;
  std::mt19937_64 random_;
  std::uint64_t next_serial_ = 1;
  std::vector<SubscriptionGroup*> matched_;  // reused by publish(): no allocation per event
  std::vector<std::pair<const Dialect*, FramePtr>> group_frames_;  // reused: one frame per dialect per group
};

}  // namespace herald
