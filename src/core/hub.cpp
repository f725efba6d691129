#include "core/hub.h"

#include <algorithm>
#include <type_traits>
#include <variant>

namespace herald {
namespace {

// Rough per-event cost of holding a live event during replay, beyond its data: the pointer, the
// topic and attributes. Only needs to be the right order of magnitude for the queue bound.
constexpr std::size_t kHeldOverhead = 128;

std::string uuidV4(std::mt19937_64& random) {
  std::uint64_t hi = random();
  std::uint64_t lo = random();
  hi = (hi & 0xffffffffffff0fffULL) | 0x0000000000004000ULL;  // version 4
  lo = (lo & 0x3fffffffffffffffULL) | 0x8000000000000000ULL;  // RFC 4122 variant
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(36);
  auto put = [&](std::uint64_t v, int from_nibble, int count) {
    for (int i = from_nibble; i > from_nibble - count; --i) out.push_back(kHex[(v >> (i * 4)) & 0xf]);
  };
  put(hi, 15, 8); out.push_back('-');
  put(hi, 7, 4); out.push_back('-');
  put(hi, 3, 4); out.push_back('-');
  put(lo, 15, 4); out.push_back('-');
  put(lo, 11, 12);
  return out;
}

}  // namespace

Hub::Hub(HubLimits limits, const TopicSet& topics, History& history, Metrics& metrics, Cursor head,
         std::uint64_t seed)
    : limits_(limits), topics_(topics), history_(history), metrics_(metrics), head_(head), random_(seed) {}

Hub::~Hub() {
  for (auto& [id, session] : sessions_) {
    metrics_.subscriptions.fetch_sub(static_cast<std::int64_t>(session->subscriptions().size()),
                                     std::memory_order_relaxed);
    Metrics::add(metrics_.queue_bytes, -static_cast<std::int64_t>(session->queue().bytes()));
  }
}

Session* Hub::find(SessionId id) {
  auto it = sessions_.find(id);
  return it == sessions_.end() ? nullptr : it->second.get();
}

SessionId Hub::open(const Dialect& dialect, Outlet& outlet, std::int64_t now_ms) {
  const SessionId id = next_id_++;
  sessions_.emplace(id, std::make_unique<Session>(id, dialect, dialect.newState(), outlet, limits_.queue_bytes,
                                                  limits_.inbound, now_ms));
  return id;
}

void Hub::close(SessionId id) {
  auto it = sessions_.find(id);
  if (it == sessions_.end()) return;
  Session& session = *it->second;
  for (auto& [sub_id, sub] : session.subscriptions()) {
    index_.leave(*sub->group, sub.get());
    Metrics::add(metrics_.subscriptions, -1);
  }
  session.subscriptions().clear();
  Metrics::add(metrics_.queue_bytes, -static_cast<std::int64_t>(session.queue().bytes()));
  sessions_.erase(it);
}

void Hub::closeAll(std::uint16_t code, std::string_view reason) {
  for (auto& [id, session] : sessions_) {
    if (session->closing) continue;
    session->closing = true;
    session->outlet().close(code, reason, true);
  }
}

void Hub::onMessage(SessionId id, std::string_view bytes, bool binary, std::int64_t now_ms) {
  Session* session = find(id);
  if (session == nullptr || session->closing) return;
  Metrics::add(metrics_.messages_in);

  Decoded decoded = session->dialect().decode(bytes, binary, session->dialectState());

  if (!session->bucket().tryTake(now_ms)) {
    Metrics::add(metrics_.rate_limit_hits);
    if (++session->rejected_in_row >= limits_.abuse_close_after) {
      Metrics::add(metrics_.rate_limit_closes);
      session->closing = true;
      Metrics::add(metrics_.queue_bytes, -static_cast<std::int64_t>(session->queue().bytes()));
      session->queue().clear();
      session->outlet().close(close_code::policy, "rate limit exceeded", false);
      return;
    }
    RequestId request_id;
    if (auto* c = std::get_if<Command>(&decoded)) request_id = c->id;
    if (auto* r = std::get_if<Rejection>(&decoded)) request_id = r->id;
    reply(*session, ErrorReply{request_id, Error::make(Errc::rate_limited,
                                                      "over " + std::to_string(limits_.inbound.per_second) +
                                                          " messages per second (burst " +
                                                          std::to_string(limits_.inbound.burst) + "); slow down")});
    return;
  }
  session->rejected_in_row = 0;

  std::visit(
      [&](auto& d) {
        using T = std::decay_t<decltype(d)>;
        if constexpr (std::is_same_v<T, Command>) {
          execute(id, d);
        } else if constexpr (std::is_same_v<T, Rejection>) {
          reply(*session, ErrorReply{d.id, d.error});
          if (d.fatal) {
            session->closing = true;
            session->outlet().close(d.close_code, d.error.message, true);
          }
        }
      },
      decoded);
}

void Hub::execute(SessionId id, const Command& command) {
  Session* session = find(id);
  if (session == nullptr || session->closing) return;
  std::visit(
      [&](const auto& body) {
        using T = std::decay_t<decltype(body)>;
        if constexpr (std::is_same_v<T, SubscribeCommand>) {
          subscribe(*session, command.id, body);
        } else if constexpr (std::is_same_v<T, UnsubscribeCommand>) {
          unsubscribe(*session, command.id, body);
        } else {
          reply(*session, PongReply{command.id});
        }
      },
      command.body);
}

void Hub::subscribe(Session& session, const RequestId& request_id, const SubscribeCommand& command) {
  if (!topics_.contains(command.topic)) {
    reply(session, ErrorReply{request_id, Error::make(Errc::unknown_topic, "unknown topic '" + command.topic + "'",
                                                      "params.topic")});
    return;
  }
  auto& subs = session.subscriptions();
  if (subs.size() >= limits_.max_subscriptions) {
    reply(session, ErrorReply{request_id, Error::make(Errc::too_many_subscriptions,
                                                      "this connection already has " + std::to_string(subs.size()) +
                                                          " subscriptions; the limit is " +
                                                          std::to_string(limits_.max_subscriptions))});
    return;
  }
  std::string sub_id;
  if (session.dialect().sharedSubscriptionIds()) {
    std::string key = command.topic;
    key.push_back('\n');
    key += command.filter.canonical();
    sub_id = sharedSubscriptionId(key);
    if (subs.contains(sub_id)) {
      reply(session, ErrorReply{request_id, Error::make(Errc::duplicate_subscription,
                                                        "already subscribed to this topic and filter as " + sub_id,
                                                        "params")});
      return;
    }
  } else {
    do sub_id = uuidV4(random_);
    while (subs.contains(sub_id));
  }

  auto owned = std::make_unique<Subscription>();
  Subscription& sub = *owned;
  sub.id = sub_id;
  sub.session = &session;
  sub.serial = next_serial_++;
  sub.group = &index_.join(command.topic, command.filter, &sub);
  subs.emplace(sub_id, std::move(owned));
  Metrics::add(metrics_.subscriptions, 1);

  if (!command.since || *command.since == head_) {
    sub.last_seq = head_.seq;
    reply(session, SubscribedReply{request_id, sub.id, command.topic, head_});
    return;
  }
  // Resume: live events are held from now on while history is read up to them (docs/design/threading.md).
  sub.phase = Subscription::Phase::replaying;
  sub.replay_from = *command.since;
  sub.last_seq = command.since->epoch == head_.epoch ? command.since->seq : 0;
  sub.pending_reply = request_id;
  requestPage(sub);
}

void Hub::unsubscribe(Session& session, const RequestId& request_id, const UnsubscribeCommand& command) {
  auto& subs = session.subscriptions();
  auto it = subs.find(command.subscription);
  if (it == subs.end()) {
    reply(session, ErrorReply{request_id, Error::make(Errc::unknown_subscription,
                                                      "no subscription '" + command.subscription +
                                                          "' on this connection",
                                                      "params.subscription")});
    return;
  }
  removeSubscription(session, *it->second);
  reply(session, UnsubscribedReply{request_id, command.subscription});
}

void Hub::removeSubscription(Session& session, Subscription& sub) {
  index_.leave(*sub.group, &sub);
  Metrics::add(metrics_.subscriptions, -1);
  session.subscriptions().erase(sub.id);  // destroys `sub`
}

void Hub::reply(Session& session, const Reply& r) {
  if (std::holds_alternative<ErrorReply>(r)) Metrics::add(metrics_.client_errors);
  // Replies are bounded by the inbound rate limit, not the queue: a client always learns its answer.
  enqueue(session, session.dialect().encodeReply(r), true);
}

bool Hub::enqueue(Session& session, FramePtr frame, bool force) {
  if (session.closing) return false;
  auto& queue = session.queue();
  const bool was_empty = queue.empty();
  const auto size = static_cast<std::int64_t>(frame->bytes.size());
  if (!queue.push(std::move(frame), force)) {
    closeSlow(session);
    return false;
  }
  Metrics::add(metrics_.queue_bytes, size);
  if (was_empty) session.outlet().wake();
  return true;
}

void Hub::closeSlow(Session& session) {
  if (session.closing) return;
  session.closing = true;
  Metrics::add(metrics_.slow_consumer_closes);
  Metrics::add(metrics_.queue_bytes, -static_cast<std::int64_t>(session.queue().bytes()));
  session.queue().clear();
  // Subscriptions stay until the transport reports the close (Hub::close): publish() may be
  // iterating over their groups right now.
  session.outlet().close(close_code::policy, "slow consumer", false);
}

std::size_t Hub::takeFrames(SessionId id, std::vector<FramePtr>& out) {
  Session* session = find(id);
  if (session == nullptr) return 0;
  Metrics::add(metrics_.queue_bytes, -static_cast<std::int64_t>(session->queue().bytes()));
  return session->queue().drainTo(out);
}

void Hub::onDrained(SessionId id) {
  Session* session = find(id);
  if (session == nullptr || session->closing) return;
  // Collect first: requestPage does not touch the map, but keep iteration independent of callbacks.
  for (auto& [sub_id, sub] : session->subscriptions()) {
    if (sub->awaiting_drain && !sub->page_in_flight) {
      sub->awaiting_drain = false;
      requestPage(*sub);
    }
  }
}

void Hub::publish(std::span<const EventPtr> events) {
  for (const EventPtr& event : events) {
    head_.seq = event->seq;
    matched_.clear();
    index_.match(*event, matched_);
    const Cursor cursor{head_.epoch, event->seq};
    for (SubscriptionGroup* group : matched_) {
      group_frames_.clear();
      for (Subscription* sub : group->members) {
        Session& session = *sub->session;
        if (session.closing || event->seq <= sub->last_seq) continue;
        if (sub->phase == Subscription::Phase::replaying) {
          sub->held_bytes += event->data.size() + kHeldOverhead;
          sub->held.push_back(event);
          if (sub->held_bytes > limits_.queue_bytes) closeSlow(session);
          continue;
        }
        sub->last_seq = event->seq;
        const Dialect& dialect = session.dialect();
        FramePtr frame;
        if (dialect.sharedSubscriptionIds()) {
          for (auto& [d, f] : group_frames_) {
            if (d == &dialect) { frame = f; break; }
          }
          if (!frame) {
            frame = dialect.encodeEvent(*event, group->shared_id, cursor);
            group_frames_.emplace_back(&dialect, frame);
          }
        } else {
          frame = dialect.encodeEvent(*event, sub->id, cursor);
        }
        if (enqueue(session, std::move(frame))) Metrics::add(metrics_.events_out);
      }
    }
  }
}

void Hub::requestPage(Subscription& sub) {
  sub.page_in_flight = true;
  history_.readAfter(sub.replay_from, sub.group->topic, limits_.replay_page,
                     [this, session_id = sub.session->id(), sub_id = sub.id, serial = sub.serial](Result<ReadBatch> r) {
                       onPage(session_id, sub_id, serial, std::move(r));
                     });
}

void Hub::onPage(SessionId session_id, const std::string& sub_id, std::uint64_t serial, Result<ReadBatch> result) {
  Session* session = find(session_id);
  if (session == nullptr || session->closing) return;
  auto it = session->subscriptions().find(sub_id);
  if (it == session->subscriptions().end() || it->second->serial != serial) return;
  Subscription& sub = *it->second;
  sub.page_in_flight = false;
  const Dialect& dialect = session->dialect();

  if (!result) {
    if (sub.pending_reply) {
      RequestId request_id = *sub.pending_reply;
      Error error = result.error();
      if (error.field.empty() && error.code == Errc::cursor_ahead) error.field = "params.since";
      removeSubscription(*session, sub);
      reply(*session, ErrorReply{request_id, std::move(error)});
    } else {
      // History failed mid-resume: the client cannot be given a gapless stream, so say why and close.
      reply(*session, ErrorReply{{}, result.error()});
      session->closing = true;
      session->outlet().close(close_code::internal, "history unavailable", true);
    }
    return;
  }

  ReadBatch& batch = *result;
  if (sub.pending_reply) {
    reply(*session, SubscribedReply{*sub.pending_reply, sub.id, sub.group->topic, sub.replay_from});
    sub.pending_reply.reset();
  }
  for (const Gap& gap : batch.gaps) enqueue(*session, dialect.encodeGap(sub.id, gap), true);
  for (const EventPtr& event : batch.events) {
    if (event->seq <= sub.last_seq) continue;
    sub.last_seq = event->seq;
    if (!sub.group->filter.matches(*event)) continue;
    // Replay is paced by draining (below), so it never counts against the slow-consumer bound.
    enqueue(*session, dialect.encodeEvent(*event, sub.id, Cursor{head_.epoch, event->seq}), true);
    Metrics::add(metrics_.replayed_events);
  }
  sub.replay_from = batch.next;

  if (batch.at_head || batch.events.empty()) {
    finishReplay(sub);
  } else if (session->queue().empty()) {
    requestPage(sub);
  } else {
    sub.awaiting_drain = true;
  }
}

void Hub::finishReplay(Subscription& sub) {
  sub.phase = Subscription::Phase::live;
  Session& session = *sub.session;
  std::vector<EventPtr> held = std::move(sub.held);
  sub.held.clear();
  sub.held_bytes = 0;
  for (const EventPtr& event : held) {
    if (event->seq <= sub.last_seq) continue;  // already replayed from the log
    sub.last_seq = event->seq;
    if (!enqueue(session, session.dialect().encodeEvent(*event, sub.id, Cursor{head_.epoch, event->seq}))) return;
    Metrics::add(metrics_.events_out);
  }
}

}  // namespace herald
