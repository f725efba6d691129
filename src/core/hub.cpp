#include "core/hub.h"

#include <algorithm>
#include <deque>
#include <type_traits>
#include <variant>

namespace herald {
namespace {

// Rough per-event cost of holding a live event during replay, beyond its data: the pointer, the
// topic and attributes. Only needs to be the right order of magnitude for the queue bound.
constexpr std::size_t kHeldOverhead = 128;

constexpr std::string_view kNodeStatusTopic = "node.status";

// The close code a failed login ends with: the checker being unreachable is the gateway's problem
// (1011, try again later); anything else is the client's (1008).
std::uint16_t loginCloseCode(Errc code) {
  return code == Errc::unavailable || code == Errc::internal ? close_code::internal : close_code::policy;
}

bool ownsAccount(const Event& event, const std::string& account) {
  const auto* values = event.attribute("account");
  return values != nullptr && std::find(values->begin(), values->end(), account) != values->end();
}

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
         std::uint64_t seed, Accounts* accounts)
    : limits_(limits), topics_(topics), history_(history), metrics_(metrics), accounts_(accounts), head_(head),
      random_(seed) {}

Hub::~Hub() {
  for (auto& [id, session] : sessions_) {
    metrics_.subscriptions.fetch_sub(static_cast<std::int64_t>(session->subscriptions().size()),
                                     std::memory_order_relaxed);
    Metrics::add(metrics_.queue_bytes, -static_cast<std::int64_t>(session->queue().bytes()));
  }
}

class Hub::TallyScope {
 public:
  explicit TallyScope(Hub& hub) : hub_(hub) { hub_.tally_ = &tally_; }
  ~TallyScope() {
    hub_.tally_ = nullptr;
    if (tally_.queue_bytes != 0) Metrics::add(hub_.metrics_.queue_bytes, tally_.queue_bytes);
    if (tally_.events_out != 0) Metrics::add(hub_.metrics_.events_out, tally_.events_out);
  }
  TallyScope(const TallyScope&) = delete;
  TallyScope& operator=(const TallyScope&) = delete;

 private:
  Hub& hub_;
  DeliveryTally tally_;
};

void Hub::countQueued(std::int64_t bytes) {
  if (tally_ != nullptr) {
    tally_->queue_bytes += bytes;
  } else {
    Metrics::add(metrics_.queue_bytes, bytes);
  }
}

void Hub::countEventOut() {
  if (tally_ != nullptr) {
    ++tally_->events_out;
  } else {
    Metrics::add(metrics_.events_out);
  }
}

void Hub::advanceClock(std::int64_t now_ms) noexcept {
  // The wall clock may step back (NTP); the hub's clock does not, so windows and idleness only grow.
  if (now_ms > now_ms_) now_ms_ = now_ms;
}

Session* Hub::find(SessionId id) {
  auto it = sessions_.find(id);
  return it == sessions_.end() ? nullptr : it->second.get();
}

void Hub::seedNodeStatus(EventPtr status) {
  if (status && (!node_.status || node_.status->seq < status->seq)) node_.status = std::move(status);
}

SessionId Hub::open(const Dialect& dialect, Outlet& outlet, std::int64_t now_ms) {
  advanceClock(now_ms);
  const SessionId id = next_id_++;
  auto owned = std::make_unique<Session>(id, dialect, dialect.newState(), outlet, limits_.queue_bytes, limits_.inbound,
                                         now_ms_);
  Session& session = *owned;
  sessions_.emplace(id, std::move(owned));
  Opening opening = dialect.open(node_, session.dialectState());
  for (FramePtr& frame : opening.frames) enqueue(session, std::move(frame), true);
  for (const Command& command : opening.commands) execute(id, command);
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

void Hub::closeAfterFlush(Session& session, std::uint16_t code, std::string_view reason) {
  if (session.closing) return;
  session.closing = true;
  session.outlet().close(code, reason, true);
}

void Hub::onMessage(SessionId id, std::string_view bytes, bool binary, std::int64_t now_ms) {
  advanceClock(now_ms);
  Session* session = find(id);
  if (session == nullptr || session->closing) return;
  Metrics::add(metrics_.messages_in);

  Decoded decoded =
      session->dialect().decode(bytes, binary, session->dialectState(), DecodeContext{now_ms, &node_});

  if (!session->bucket().tryTake(now_ms)) {
    Metrics::add(metrics_.rate_limit_hits);
    if (++session->rejected_in_row >= limits_.abuse_close_after) {
      Metrics::add(metrics_.rate_limit_closes);
      // The refusals already queued are written first: they say why, whatever way the transport
      // happened to batch the abuser's messages. The queue is byte-bounded and the close is bounded
      // by the transport's grace, so this holds nothing for long.
      closeAfterFlush(*session, close_code::policy, "rate limit exceeded");
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
          if (d.fatal) closeAfterFlush(*session, d.close_code, d.error.message);
        } else if constexpr (std::is_same_v<T, Ignored>) {
          Metrics::add(metrics_.messages_ignored);
        } else {
          static_assert(std::is_same_v<T, Answer>);
          for (FramePtr& frame : d.frames) enqueue(*session, std::move(frame), true);
          for (const Command& command : d.commands) execute(id, command);
          // A command may have closed the session (a failed login); it is still in the map.
          if (d.close_code) closeAfterFlush(*session, *d.close_code, d.close_reason);
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
        } else if constexpr (std::is_same_v<T, LoginCommand>) {
          login(*session, command.id, body);
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
  // A snapshot's companions are made later, implicitly: room for them is claimed now, so the request
  // is refused whole rather than answered and then followed by a refusal.
  const std::size_t needed = 1 + (command.snapshot ? command.companions.size() : 0);
  if (subs.size() + needed > limits_.max_subscriptions) {
    reply(session, ErrorReply{request_id, Error::make(Errc::too_many_subscriptions,
                                                      "this connection already has " + std::to_string(subs.size()) +
                                                          " subscriptions; the limit is " +
                                                          std::to_string(limits_.max_subscriptions))});
    return;
  }
  std::string sub_id;
  if (session.dialect().sharedSubscriptionIds()) {
    sub_id = sharedSubscriptionId(groupKey(command.topic, command.filter, command.delivery));
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
  sub.implicit = command.implicit;
  sub.group = &index_.join(command.topic, command.filter, &sub, command.delivery);
  subs.emplace(std::string_view(sub.id), std::move(owned));
  Metrics::add(metrics_.subscriptions, 1);

  if (command.snapshot && !command.since) {
    // Like a resume from the start of the log, except that history is folded into the reply
    // instead of being sent as notifications (finishSnapshot).
    sub.catchup = std::make_unique<Subscription::Catchup>();
    sub.catchup->collecting = true;
    sub.catchup->companions = command.companions;
    sub.catchup->replay_from = Cursor{head_.epoch, 0};
    sub.last_seq = 0;
    sub.catchup->pending_reply = request_id;
    requestPage(sub);
    return;
  }
  if (!command.since || *command.since == head_) {
    sub.last_seq = head_.seq;
    if (!command.implicit) {
      reply(session, SubscribedReply{request_id, sub.id, command.topic, head_, command.delivery});
    }
    return;
  }
  // Resume: live events are held from now on while history is read up to them (docs/design/threading.md).
  sub.catchup = std::make_unique<Subscription::Catchup>();
  sub.catchup->replay_from = *command.since;
  sub.last_seq = command.since->epoch == head_.epoch ? command.since->seq : 0;
  sub.catchup->pending_reply = request_id;
  requestPage(sub);
}

void Hub::unsubscribe(Session& session, const RequestId& request_id, const UnsubscribeCommand& command) {
  auto& subs = session.subscriptions();
  auto it = subs.find(command.subscription);
  if (it == subs.end()) {
    if (command.implicit) return;
    reply(session, ErrorReply{request_id, Error::make(Errc::unknown_subscription,
                                                      "no subscription '" + command.subscription +
                                                          "' on this connection",
                                                      "params.subscription")});
    return;
  }
  removeSubscription(session, *it->second);
  if (!command.implicit) reply(session, UnsubscribedReply{request_id, command.subscription});
}

void Hub::removeSubscription(Session& session, Subscription& sub) {
  index_.leave(*sub.group, &sub);
  Metrics::add(metrics_.subscriptions, -1);
  session.subscriptions().erase(std::string_view(sub.id));  // destroys `sub`
}

// --- login -------------------------------------------------------------------------------------

void Hub::login(Session& session, const RequestId& request_id, const LoginCommand& command) {
  if (session.login || session.logged_in) {
    reply(session, ErrorReply{request_id, Error::make(Errc::invalid_request,
                                                      session.logged_in ? "already logged in on this connection"
                                                                        : "a login is already in progress")});
    return;
  }
  if (accounts_ == nullptr) {
    failLogin(session, request_id, Error::make(Errc::unavailable, "this gateway has no account checker configured"));
    return;
  }
  if (!command.snapshot_topic.empty() && !topics_.contains(command.snapshot_topic)) {
    failLogin(session, request_id,
              Error::make(Errc::internal, "snapshot topic '" + command.snapshot_topic + "' is not served"));
    return;
  }
  auto progress = std::make_unique<LoginProgress>();
  progress->serial = next_serial_++;
  progress->request_id = request_id;
  progress->command = command;
  progress->after = Cursor{head_.epoch, 0};
  const std::uint64_t serial = progress->serial;
  session.login = std::move(progress);
  accounts_->verify(command.account, command.secret,
                    [this, session_id = session.id(), serial](Result<void> verified) {
                      onVerified(session_id, serial, std::move(verified));
                    });
}

void Hub::onVerified(SessionId session_id, std::uint64_t serial, Result<void> verified) {
  Session* session = find(session_id);
  if (session == nullptr || session->closing || !session->login || session->login->serial != serial) return;
  LoginProgress& progress = *session->login;
  if (!verified) {
    const RequestId request_id = progress.request_id;
    session->login.reset();
    failLogin(*session, request_id, verified.error());
    return;
  }
  reply(*session, LoggedInReply{progress.request_id, progress.command.account});
  if (progress.command.snapshot_topic.empty()) {
    finishLogin(*session, head_);
    return;
  }
  requestSnapshotPage(*session);
}

void Hub::requestSnapshotPage(Session& session) {
  LoginProgress& progress = *session.login;
  history_.readAfter(progress.after, progress.command.snapshot_topic, limits_.replay_page,
                     [this, session_id = session.id(), serial = progress.serial](Result<ReadBatch> r) {
                       onSnapshotPage(session_id, serial, std::move(r));
                     });
}

void Hub::onSnapshotPage(SessionId session_id, std::uint64_t serial, Result<ReadBatch> result) {
  Session* session = find(session_id);
  if (session == nullptr || session->closing || !session->login || session->login->serial != serial) return;
  LoginProgress& progress = *session->login;
  if (!result) {
    const RequestId request_id = progress.request_id;
    session->login.reset();
    Error error = result.error();
    if (error.code != Errc::unavailable) error.code = Errc::unavailable;  // the history, not the client
    failLogin(*session, request_id, std::move(error));
    return;
  }
  ReadBatch& batch = *result;
  // Gaps (expired history) are not reported: the snapshot is what the log still holds.
  for (EventPtr& event : batch.events) {
    if (!ownsAccount(*event, progress.command.account)) continue;
    progress.history.push_back(std::move(event));
    if (progress.history.size() > limits_.snapshot_events) progress.history.pop_front();
  }
  progress.after = batch.next;
  if (batch.at_head || batch.events.empty()) {
    finishLogin(*session, batch.next);
  } else {
    requestSnapshotPage(*session);
  }
}

void Hub::finishLogin(Session& session, const Cursor& head) {
  std::unique_ptr<LoginProgress> progress = std::move(session.login);
  session.logged_in = true;
  const Dialect& dialect = session.dialect();
  if (!progress->command.snapshot_topic.empty()) {
    const std::vector<EventPtr> history(progress->history.begin(), progress->history.end());
    // Like replay, the snapshot is bounded by snapshot_events rather than the queue.
    if (FramePtr frame = dialect.encodeSnapshot(progress->command, history, head, node_)) {
      enqueue(session, std::move(frame), true);
    }
  }
  // Live from the snapshot's position: whatever was published since is replayed, so nothing falls
  // between the snapshot and the subscriptions.
  for (SubscribeCommand command : dialect.afterLogin(progress->command)) {
    if (session.closing) return;
    command.since = head;
    command.implicit = true;
    subscribe(session, progress->request_id, command);
  }
}

void Hub::failLogin(Session& session, const RequestId& request_id, Error error) {
  const std::uint16_t code = loginCloseCode(error.code);
  std::string reason = error.message;
  reply(session, ErrorReply{request_id, std::move(error)});
  // A close reason is at most 123 bytes (RFC 6455 5.5: control frame payload 125, 2 for the code).
  if (reason.size() > 123) reason.resize(123);
  closeAfterFlush(session, code, reason);
}

// --- output ------------------------------------------------------------------------------------

void Hub::reply(Session& session, const Reply& r) {
  if (std::holds_alternative<ErrorReply>(r)) Metrics::add(metrics_.client_errors);
  // Replies are bounded by the inbound rate limit, not the queue: a client always learns its answer.
  // A dialect with no form for a reply (a read-only one) returns nullptr: nothing is sent.
  if (FramePtr frame = session.dialect().encodeReply(r, session.dialectState())) enqueue(session, std::move(frame), true);
}

bool Hub::enqueue(Session& session, FramePtr frame, bool force) {
  if (session.closing || !frame) return false;
  auto& queue = session.queue();
  const bool was_empty = queue.empty();
  const auto size = static_cast<std::int64_t>(frame->bytes.size());
  if (!queue.push(std::move(frame), force)) {
    closeSlow(session);
    return false;
  }
  session.last_enqueue_ms = now_ms_;
  countQueued(size);
  if (was_empty) session.outlet().wake();
  return true;
}

void Hub::closeSlow(Session& session) {
  if (session.closing) return;
  session.closing = true;
  Metrics::add(metrics_.slow_consumer_closes);
  countQueued(-static_cast<std::int64_t>(session.queue().bytes()));
  session.queue().clear();
  // The backlog is dropped either way; a dialect that can say why gets that one frame written
  // first. It is small and the queue is now empty, so the bound cannot refuse it.
  FramePtr last = session.dialect().closingFrame(ClosingReason::slow_consumer);
  if (last) {
    countQueued(static_cast<std::int64_t>(last->bytes.size()));
    session.queue().push(std::move(last), true);
    session.outlet().wake();
  }
  // Subscriptions stay until the transport reports the close (Hub::close): publish() may be
  // iterating over their groups right now.
  session.outlet().close(close_code::policy, "slow consumer", !session.queue().empty());
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
  for (auto& [sub_id, sub] : session->subscriptions()) {
    if (sub->replaying() && sub->catchup->awaiting_drain && !sub->catchup->page_in_flight) {
      sub->catchup->awaiting_drain = false;
      requestPage(*sub);
    }
  }
}

// --- fan-out -----------------------------------------------------------------------------------

void Hub::publish(std::span<const EventPtr> events, std::int64_t now_ms) {
  const TallyScope tally(*this);
  advanceClock(now_ms);
  for (const EventPtr& event : events) {
    head_.seq = event->seq;
    if (event->topic == kNodeStatusTopic) node_.status = event;
    matched_.clear();
    index_.match(*event, matched_);
    for (SubscriptionGroup* group : matched_) {
      const Delivery& delivery = group->delivery;
      if (delivery.debounce_ms > 0) {
        // Only the latest event of a window is delivered, when tick() closes it.
        DebounceWindow& window = windows_[group->key];
        if (!window.latest) window.closes_at_ms = now_ms_ + delivery.debounce_ms;
        window.latest = event;
      } else if (delivery.batch) {
        if (group->batch_slot == SubscriptionGroup::kNoBatch) {
          group->batch_slot = batches_.size();
          batches_.emplace_back(group, std::vector<EventPtr>{});
        }
        batches_[group->batch_slot].second.push_back(event);
      } else {
        deliverEvent(*group, event);
      }
    }
  }
  for (auto& [group, batch] : batches_) {
    group->batch_slot = SubscriptionGroup::kNoBatch;
    deliverBatch(*group, batch);
  }
  batches_.clear();
}

void Hub::tick(std::int64_t now_ms) {
  const TallyScope tally(*this);
  advanceClock(now_ms);
  for (auto it = windows_.begin(); it != windows_.end();) {
    if (now_ms_ < it->second.closes_at_ms) {
      ++it;
      continue;
    }
    EventPtr event = std::move(it->second.latest);
    SubscriptionGroup* group = index_.find(it->first);  // null when every member has left
    it = windows_.erase(it);
    if (group != nullptr) deliverEvent(*group, event);
  }

  if (now_ms_ < next_heartbeat_check_ms_) return;
  next_heartbeat_check_ms_ = now_ms_ + kHeartbeatCheckMs;
  for (auto& [id, session] : sessions_) {
    if (session->closing) continue;
    const Dialect& dialect = session->dialect();
    const std::int64_t interval = dialect.heartbeatMs();
    if (interval <= 0 || now_ms_ - session->last_enqueue_ms < interval) continue;
    // A heartbeat is tiny and is what tells a client the connection lives: never refused by the bound.
    enqueue(*session, dialect.heartbeat(), true);
  }
}

void Hub::hold(Subscription& sub, const EventPtr& event) {
  sub.catchup->held_bytes += event->data.size() + kHeldOverhead;
  sub.catchup->held.push_back(event);
  if (sub.catchup->held_bytes > limits_.queue_bytes) closeSlow(*sub.session);
}

void Hub::deliverEvent(SubscriptionGroup& group, const EventPtr& event) {
  const Cursor cursor{head_.epoch, event->seq};
  group_frames_.clear();
  for (Subscription* sub : group.members) {
    Session& session = *sub->session;
    if (session.closing || event->seq <= sub->last_seq) continue;
    if (sub->replaying()) {
      hold(*sub, event);
      continue;
    }
    sub->last_seq = event->seq;
    const Dialect& dialect = session.dialect();
    FramePtr frame;
    if (dialect.sharedSubscriptionIds()) {
      for (auto& [d, f] : group_frames_) {
        if (d == &dialect) {
          frame = f;
          break;
        }
      }
      if (!frame) {
        frame = dialect.encodeEvent(*event, group.shared_id.view(), cursor, group.delivery, node_);
        group_frames_.emplace_back(&dialect, frame);
      }
    } else {
      frame = dialect.encodeEvent(*event, sub->id, cursor, group.delivery, node_);
    }
    if (enqueue(session, std::move(frame))) countEventOut();
  }
}

// One frame for a batch subscription: `events` ascending, all matching.
FramePtr Hub::encodeFor(const Subscription& sub, std::span<const EventPtr> events) {
  const Dialect& dialect = sub.session->dialect();
  const SubscriptionGroup& group = *sub.group;
  const std::string_view id = dialect.sharedSubscriptionIds() ? group.shared_id.view() : std::string_view(sub.id);
  return dialect.encodeBatch(events, id, Cursor{head_.epoch, events.back()->seq}, group.delivery, node_);
}

void Hub::deliverBatch(SubscriptionGroup& group, std::span<const EventPtr> events) {
  if (events.empty()) return;
  group_frames_.clear();
  for (Subscription* sub : group.members) {
    Session& session = *sub->session;
    if (session.closing) continue;
    // A member that already has some of these (a resume whose history read ran ahead) gets the rest.
    auto first = std::upper_bound(events.begin(), events.end(), sub->last_seq,
                                  [](std::uint64_t seq, const EventPtr& e) { return seq < e->seq; });
    if (first == events.end()) continue;
    const std::span<const EventPtr> fresh(first, events.end());
    if (sub->replaying()) {
      for (const EventPtr& event : fresh) hold(*sub, event);
      continue;
    }
    sub->last_seq = fresh.back()->seq;
    const Dialect& dialect = session.dialect();
    FramePtr frame;
    const bool shareable = dialect.sharedSubscriptionIds() && fresh.size() == events.size();
    if (shareable) {
      for (auto& [d, f] : group_frames_) {
        if (d == &dialect) {
          frame = f;
          break;
        }
      }
    }
    if (!frame) {
      frame = encodeFor(*sub, fresh);
      if (shareable) group_frames_.emplace_back(&dialect, frame);
    }
    if (enqueue(session, std::move(frame))) countEventOut();
  }
}

// --- resume ------------------------------------------------------------------------------------

void Hub::requestPage(Subscription& sub) {
  sub.catchup->page_in_flight = true;
  history_.readAfter(sub.catchup->replay_from, sub.group->topic, limits_.replay_page,
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
  if (!sub.replaying()) return;  // only a replaying subscription asks for pages
  sub.catchup->page_in_flight = false;
  const Dialect& dialect = session->dialect();
  const SubscriptionGroup& group = *sub.group;

  if (!result) {
    if (sub.catchup->pending_reply) {
      RequestId request_id = *sub.catchup->pending_reply;
      Error error = result.error();
      if (error.field.empty() && error.code == Errc::cursor_ahead) error.field = "params.since";
      removeSubscription(*session, sub);
      reply(*session, ErrorReply{request_id, std::move(error)});
    } else {
      // History failed mid-resume: the client cannot be given a gapless stream, so say why and close.
      reply(*session, ErrorReply{{}, result.error()});
      closeAfterFlush(*session, close_code::internal, "history unavailable");
    }
    return;
  }

  ReadBatch& batch = *result;
  if (sub.catchup->collecting) {
    collectSnapshot(sub, batch);
    return;
  }
  if (sub.catchup->pending_reply) {
    if (!sub.implicit) {
      reply(*session,
            SubscribedReply{*sub.catchup->pending_reply, sub.id, group.topic, sub.catchup->replay_from, group.delivery});
    }
    sub.catchup->pending_reply.reset();
  }
  const std::string& id = sub.id;
  for (const Gap& gap : batch.gaps) enqueue(*session, dialect.encodeGap(id, gap), true);
  // Replay is paced by draining (below), so it never counts against the slow-consumer bound. A
  // batch subscription gets each page as one batch; replay is never debounced.
  std::vector<EventPtr> fresh;
  for (const EventPtr& event : batch.events) {
    if (event->seq <= sub.last_seq) continue;
    sub.last_seq = event->seq;
    if (!group.filter.matches(*event)) continue;
    Metrics::add(metrics_.replayed_events);
    if (group.delivery.batch) {
      fresh.push_back(event);
    } else {
      enqueue(*session, dialect.encodeEvent(*event, id, Cursor{head_.epoch, event->seq}, group.delivery, node_),
              true);
    }
  }
  if (!fresh.empty()) enqueue(*session, encodeFor(sub, fresh), true);
  sub.catchup->replay_from = batch.next;

  if (batch.at_head || batch.events.empty()) {
    finishReplay(sub);
  } else if (session->queue().empty()) {
    requestPage(sub);
  } else {
    sub.catchup->awaiting_drain = true;
  }
}

// One history page of a snapshot subscription. Gaps are not reported: the snapshot is what the
// log still holds (docs/design/threading.md).
void Hub::collectSnapshot(Subscription& sub, ReadBatch& batch) {
  Session& session = *sub.session;
  const SubscriptionGroup& group = *sub.group;
  for (EventPtr& event : batch.events) {
    if (event->seq <= sub.last_seq) continue;
    sub.last_seq = event->seq;
    if (group.filter.matches(*event)) sub.catchup->snapshot.push_back(std::move(event));
  }
  session.dialect().foldSnapshot(group.delivery, sub.catchup->snapshot);
  sub.catchup->replay_from = batch.next;
  if (sub.catchup->snapshot.size() > limits_.snapshot_events) {
    const RequestId request_id = sub.catchup->pending_reply.value_or(RequestId{});
    const std::size_t held = sub.catchup->snapshot.size();
    removeSubscription(session, sub);
    reply(session, ErrorReply{request_id, Error::make(Errc::too_large,
                                                      "the snapshot holds " + std::to_string(held) +
                                                          " events, over the limit of " +
                                                          std::to_string(limits_.snapshot_events))});
    return;
  }
  if (!batch.at_head && !batch.events.empty()) {
    requestPage(sub);  // nothing was queued, so there is no drain to wait for
    return;
  }
  finishSnapshot(sub, batch.next);
}

void Hub::finishSnapshot(Subscription& sub, const Cursor& end) {
  Session& session = *sub.session;
  Subscription::Catchup& catchup = *sub.catchup;  // dropped by finishReplay below
  const RequestId request_id = catchup.pending_reply.value_or(RequestId{});
  std::vector<SubscribeCommand> companions = std::move(catchup.companions);
  SubscribedReply answer{request_id, sub.id, sub.group->topic, end, sub.group->delivery,
                         std::move(catchup.snapshot)};
  if (!sub.implicit) reply(session, answer);
  // Live events held while reading follow the reply, then the companions start where it ends.
  finishReplay(sub);
  for (SubscribeCommand& command : companions) {
    if (session.closing) return;
    command.since = end;
    command.implicit = true;
    command.snapshot = false;
    subscribe(session, request_id, command);
  }
}

void Hub::finishReplay(Subscription& sub) {
  Session& session = *sub.session;
  std::vector<EventPtr> held = std::move(sub.catchup->held);
  sub.catchup.reset();  // live from here
  std::vector<EventPtr> fresh;
  for (const EventPtr& event : held) {
    if (event->seq <= sub.last_seq) continue;  // already replayed from the log
    sub.last_seq = event->seq;
    fresh.push_back(event);
  }
  if (fresh.empty()) return;
  const SubscriptionGroup& group = *sub.group;
  if (group.delivery.batch) {
    if (enqueue(session, encodeFor(sub, fresh))) countEventOut();
    return;
  }
  for (const EventPtr& event : fresh) {
    if (session.closing) return;
    if (enqueue(session, session.dialect().encodeEvent(*event, sub.id, Cursor{head_.epoch, event->seq},
                                                       group.delivery, node_))) {
      countEventOut();
    }
  }
}

}  // namespace herald
