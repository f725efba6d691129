#include "core/hub.h"

#include <gtest/gtest.h>

#include <deque>
#include <functional>
#include <sstream>

namespace herald {
namespace {

// A tiny line protocol, so these tests exercise the hub and not JSON:
//   "sub <topic> [key=v1,v2 ...] [since=<cursor>] [debounce=<ms>] [batch]", "unsub <id>", "ping",
//   "fatal", "quiet" (ignored), "login <account> <secret>", "answer" (a frame, a subscription,
//   then a close).
// Options make it a greeting, implicit-subscribing, heartbeat or login dialect as a test needs.
struct LineOptions {
  bool shared_ids = true;
  std::string greeting;                 // non-empty: the opening frame, with the node view's version
  std::vector<std::string> implicit;    // topics subscribed on open, with no reply
  std::int64_t heartbeat_ms = 0;
  std::string snapshot_topic;           // login: history topic; afterLogin subscribes to it
  std::string closing;                  // non-empty: the closing frame for a slow consumer
};

class LineDialect final : public Dialect {
 public:
  explicit LineDialect(bool shared_ids = true) { options_.shared_ids = shared_ids; }
  explicit LineDialect(LineOptions options) : options_(std::move(options)) {}
  std::string_view name() const override { return "line"; }
  std::unique_ptr<DialectState> newState() const override { return std::make_unique<DialectState>(); }
  bool sharedSubscriptionIds() const override { return options_.shared_ids; }
  std::int64_t heartbeatMs() const override { return options_.heartbeat_ms; }
  FramePtr heartbeat() const override { return makeFrame("heartbeat"); }
  FramePtr closingFrame(ClosingReason reason) const override {
    if (options_.closing.empty() || reason != ClosingReason::slow_consumer) return nullptr;
    return makeFrame(options_.closing);
  }

  Opening open(const NodeView& node, DialectState&) const override {
    Opening opening;
    if (!options_.greeting.empty()) {
      opening.frames.push_back(makeFrame(options_.greeting + " " + (node.status ? node.status->data : "none")));
    }
    for (const auto& topic : options_.implicit) {
      SubscribeCommand c;
      c.topic = topic;
      c.implicit = true;
      opening.commands.push_back(Command{"", c});
    }
    return opening;
  }

  Decoded decode(std::string_view bytes, bool, DialectState&, const DecodeContext& context) const override {
    last_context_now_ = context.now_ms;
    std::istringstream in{std::string(bytes)};
    std::string verb;
    in >> verb;
    if (verb == "ping") return Command{"p", PingCommand{}};
    if (verb == "quiet") return Ignored{};
    if (verb == "unsub") {
      std::string id;
      in >> id;
      return Command{"u", UnsubscribeCommand{id}};
    }
    if (verb == "login") {
      LoginCommand login;
      in >> login.account >> login.secret;
      login.snapshot_topic = options_.snapshot_topic;
      return Command{"l", login};
    }
    if (verb == "answer") {
      Answer answer;
      answer.frames.push_back(makeFrame("answered"));
      SubscribeCommand c;
      c.topic = "dex.offer";
      answer.commands.push_back(Command{"a", c});
      answer.close_code = 4000;
      answer.close_reason = "done";
      return answer;
    }
    if (verb == "sub") {
      SubscribeCommand c;
      in >> c.topic;
      std::vector<Clause> clauses;
      std::string word;
      while (in >> word) {
        if (word == "batch") {
          c.delivery.batch = true;
          continue;
        }
        auto eq = word.find('=');
        std::string key = word.substr(0, eq), rest = word.substr(eq + 1);
        if (key == "since") {
          c.since = *Cursor::parse(rest);
          continue;
        }
        if (key == "debounce") {
          c.delivery.debounce_ms = std::stoll(rest);
          continue;
        }
        Clause clause{key, {}};
        std::istringstream values(rest);
        for (std::string v; std::getline(values, v, ',');) clause.any_of.push_back(v);
        clauses.push_back(clause);
      }
      c.filter = *Filter::make(clauses);
      return Command{"s", c};
    }
    if (verb == "book") {  // a snapshot subscription to dex.offer with a chain.block companion
      SubscribeCommand c;
      c.topic = "dex.offer";
      c.snapshot = true;
      SubscribeCommand companion;
      companion.topic = "chain.block";
      c.companions.push_back(companion);
      return Command{"b", c};
    }
    if (verb == "fatal") return Rejection{"", Error::make(Errc::invalid_request, "fatal"), true, 1002};
    return Rejection{"", Error::make(Errc::unknown_method, "unknown " + verb)};
  }

  FramePtr encodeReply(const Reply& reply, DialectState&) const override {
    return std::visit(
        [](const auto& r) -> FramePtr {
          using T = std::decay_t<decltype(r)>;
          if constexpr (std::is_same_v<T, SubscribedReply>) {
            std::string text = "subscribed " + r.subscription + " " + r.cursor.toString();
            if (!r.snapshot.empty()) text += " snapshot";
            for (const auto& e : r.snapshot) text += " " + std::to_string(e->seq);
            return makeFrame(text);
          } else if constexpr (std::is_same_v<T, UnsubscribedReply>) {
            return makeFrame("unsubscribed " + r.subscription);
          } else if constexpr (std::is_same_v<T, PongReply>) {
            return makeFrame("pong");
          } else if constexpr (std::is_same_v<T, LoggedInReply>) {
            return makeFrame("loggedin " + r.account);
          } else {
            return makeFrame("error " + std::string(errcName(r.error.code)));
          }
        },
        reply);
  }
  FramePtr encodeEvent(const Event& e, std::string_view sub, const Cursor&, const Delivery&,
                       const NodeView&) const override {
    return makeFrame("event " + std::string(sub) + " " + std::to_string(e.seq));
  }
  FramePtr encodeBatch(std::span<const EventPtr> events, std::string_view sub, const Cursor& last, const Delivery&,
                       const NodeView&) const override {
    std::string text = "batch " + std::string(sub);
    for (const auto& e : events) text += " " + std::to_string(e->seq);
    return makeFrame(text + " last=" + std::to_string(last.seq));
  }
  FramePtr encodeGap(std::string_view sub, const Gap& gap) const override {
    return makeFrame("gap " + std::string(sub) + " " + std::to_string(gap.missed_from) + "-" +
                     std::to_string(gap.missed_to) + " " + std::string(gapReasonName(gap.reason)));
  }
  FramePtr encodeSnapshot(const LoginCommand& login, std::span<const EventPtr> history, const Cursor& head,
                          const NodeView&) const override {
    std::string text = "snapshot " + login.account;
    for (const auto& e : history) text += " " + std::to_string(e->seq);
    return makeFrame(text + " head=" + std::to_string(head.seq));
  }
  // A test fold: odd seqs are "current", even ones superseded.
  void foldSnapshot(const Delivery&, std::vector<EventPtr>& events) const override {
    std::erase_if(events, [](const EventPtr& e) { return e->seq % 2 == 0; });
  }
  std::vector<SubscribeCommand> afterLogin(const LoginCommand& login) const override {
    SubscribeCommand c;
    c.topic = login.snapshot_topic;
    c.filter = *Filter::make({Clause{"account", {login.account}}});
    return {c};
  }

  mutable std::int64_t last_context_now_ = 0;

 private:
  LineOptions options_;
};

struct RecordingOutlet final : Outlet {
  int wakes = 0;
  std::optional<std::uint16_t> closed_code;
  std::string closed_reason;
  bool closed_after_flush = false;
  void wake() override { ++wakes; }
  void close(std::uint16_t code, std::string_view reason, bool after_flush) override {
    closed_code = code;
    closed_reason = reason;
    closed_after_flush = after_flush;
  }
};

// Accounts whose answers the test gives by hand, like ScriptedHistory.
struct ScriptedAccounts final : Accounts {
  struct Check {
    std::string account;
    std::string secret;
    std::function<void(Result<void>)> done;
  };
  std::deque<Check> checks;
  void verify(std::string account, std::string secret, std::function<void(Result<void>)> done) override {
    checks.push_back({std::move(account), std::move(secret), std::move(done)});
  }
  void answer(Result<void> result) {
    auto check = std::move(checks.front());
    checks.pop_front();
    check.done(std::move(result));
  }
};

// History whose reads the test answers by hand, in any order it likes.
struct ScriptedHistory final : History {
  struct Read {
    Cursor after;
    std::string topic;
    std::size_t limit;
    std::function<void(Result<ReadBatch>)> done;
  };
  std::deque<Read> reads;
  void readAfter(Cursor after, std::string topic, std::size_t limit,
                 std::function<void(Result<ReadBatch>)> done) override {
    reads.push_back({after, std::move(topic), limit, std::move(done)});
  }
  void answer(Result<ReadBatch> batch) {
    auto read = std::move(reads.front());
    reads.pop_front();
    read.done(std::move(batch));
  }
};

constexpr std::uint64_t kEpoch = 0xabcdefULL;

EventPtr makeEvent(std::uint64_t seq, std::string topic = "dex.offer", std::string market = "XMR/BTC") {
  auto e = std::make_shared<Event>();
  e->topic = std::move(topic);
  e->seq = seq;
  e->attributes = {{"market", {std::move(market)}}};
  e->data = "{}";
  return e;
}

class HubTest : public ::testing::Test {
 protected:
  HubTest() : topics_({"dex.offer", "chain.block", "node.status", "account.tx"}) { makeHub({}); }

  void makeHub(HubLimits limits, Cursor head = Cursor{kEpoch, 0}, Accounts* accounts = nullptr) {
    hub_ = std::make_unique<Hub>(limits, topics_, history_, metrics_, head, 7, accounts);
  }
  SessionId open(RecordingOutlet& outlet, const Dialect* dialect = nullptr) {
    return hub_->open(dialect ? *dialect : dialect_, outlet, now_);
  }
  std::vector<std::string> take(SessionId id) {
    std::vector<FramePtr> frames;
    hub_->takeFrames(id, frames);
    std::vector<std::string> out;
    for (auto& f : frames) out.push_back(f->bytes);
    return out;
  }
  void say(SessionId id, std::string_view text) { hub_->onMessage(id, text, false, now_); }
  void publish(std::vector<EventPtr> events) { hub_->publish(events, now_); }
  void tick() { hub_->tick(now_); }
  // A session of `dialect` (the default one when null) subscribed to dex.offer, published to until
  // its 100-byte queue overflows and the hub closes it as a slow consumer.
  SessionId overflowed(RecordingOutlet& out, const Dialect* dialect = nullptr) {
    HubLimits limits;
    limits.queue_bytes = 100;
    makeHub(limits);
    const auto s = open(out, dialect);
    say(s, "sub dex.offer");
    for (std::uint64_t seq = 1; seq <= 20 && !out.closed_code; ++seq) publish({makeEvent(seq)});
    return s;
  }

  TopicSet topics_;
  LineDialect dialect_;
  ScriptedHistory history_;
  Metrics metrics_;
  std::int64_t now_ = 1'000'000;
  std::unique_ptr<Hub> hub_;
};

TEST_F(HubTest, DeliversOnlyMatchingEvents) {
  RecordingOutlet out;
  auto s = open(out);
  say(s, "sub dex.offer market=XMR/BTC");
  auto replies = take(s);
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_EQ(replies[0].rfind("subscribed s", 0), 0u);
  const std::string id = replies[0].substr(11, 17);

  publish({makeEvent(1), makeEvent(2, "dex.offer", "XMR/USD"), makeEvent(3, "chain.block"), makeEvent(4)});
  EXPECT_EQ(take(s), (std::vector<std::string>{"event " + id + " 1", "event " + id + " 4"}));
  EXPECT_EQ(metrics_.events_out.load(), 2u);
  EXPECT_EQ(metrics_.subscriptions.load(), 1);
}

TEST_F(HubTest, WakesOnlyWhenQueueBecomesNonEmpty) {
  RecordingOutlet out;
  auto s = open(out);
  say(s, "sub dex.offer");
  EXPECT_EQ(out.wakes, 1);
  publish({makeEvent(1), makeEvent(2)});
  EXPECT_EQ(out.wakes, 1);
  take(s);
  publish({makeEvent(3)});
  EXPECT_EQ(out.wakes, 2);
}

TEST_F(HubTest, SessionsWithSameFilterShareOneFrame) {
  RecordingOutlet a_out, b_out;
  auto a = open(a_out);
  auto b = open(b_out);
  say(a, "sub dex.offer market=XMR/BTC,XMR/USD");
  say(b, "sub dex.offer market=XMR/USD,XMR/BTC");
  take(a);
  take(b);
  publish({makeEvent(1)});
  std::vector<FramePtr> fa, fb;
  hub_->takeFrames(a, fa);
  hub_->takeFrames(b, fb);
  ASSERT_EQ(fa.size(), 1u);
  ASSERT_EQ(fb.size(), 1u);
  EXPECT_EQ(fa[0].get(), fb[0].get());
}

TEST_F(HubTest, PerSubscriptionIdsAreUuidV4AndNotShared) {
  LineDialect own_ids(false);
  RecordingOutlet a_out, b_out;
  auto a = open(a_out, &own_ids);
  auto b = open(b_out, &own_ids);
  say(a, "sub dex.offer");
  say(b, "sub dex.offer");
  auto ra = take(a), rb = take(b);
  const std::string ida = ra[0].substr(11, 36), idb = rb[0].substr(11, 36);
  EXPECT_NE(ida, idb);
  EXPECT_EQ(ida[14], '4');
  EXPECT_NE(std::string("89ab").find(ida[19]), std::string::npos);
  publish({makeEvent(1)});
  EXPECT_EQ(take(a), std::vector<std::string>{"event " + ida + " 1"});
  EXPECT_EQ(take(b), std::vector<std::string>{"event " + idb + " 1"});
}

TEST_F(HubTest, CommandErrorsKeepTheConnectionUsable) {
  RecordingOutlet out;
  auto s = open(out);
  say(s, "sub no.such.topic");
  say(s, "unsub s0000000000000000");
  say(s, "sub dex.offer");
  say(s, "sub dex.offer");
  say(s, "bogus");
  say(s, "ping");
  auto frames = take(s);
  ASSERT_EQ(frames.size(), 6u);
  EXPECT_EQ(frames[0], "error unknown_topic");
  EXPECT_EQ(frames[1], "error unknown_subscription");
  EXPECT_EQ(frames[2].rfind("subscribed", 0), 0u);
  EXPECT_EQ(frames[3], "error duplicate_subscription");
  EXPECT_EQ(frames[4], "error unknown_method");
  EXPECT_EQ(frames[5], "pong");
  EXPECT_FALSE(out.closed_code);
  EXPECT_EQ(metrics_.client_errors.load(), 4u);
}

TEST_F(HubTest, UnsubscribeStopsDelivery) {
  RecordingOutlet out;
  auto s = open(out);
  say(s, "sub dex.offer");
  const std::string id = take(s)[0].substr(11, 17);
  say(s, "unsub " + id);
  EXPECT_EQ(take(s), std::vector<std::string>{"unsubscribed " + id});
  publish({makeEvent(1)});
  EXPECT_TRUE(take(s).empty());
  EXPECT_EQ(metrics_.subscriptions.load(), 0);
}

TEST_F(HubTest, SubscriptionLimitIsEnforced) {
  HubLimits limits;
  limits.max_subscriptions = 2;
  makeHub(limits);
  RecordingOutlet out;
  auto s = open(out);
  say(s, "sub dex.offer market=a");
  say(s, "sub dex.offer market=b");
  say(s, "sub dex.offer market=c");
  auto frames = take(s);
  ASSERT_EQ(frames.size(), 3u);
  EXPECT_EQ(frames[2], "error too_many_subscriptions");
}

TEST_F(HubTest, SlowConsumerIsClosedWhileFastOneKeepsReceiving) {
  HubLimits limits;
  limits.queue_bytes = 200;
  makeHub(limits);
  RecordingOutlet slow_out, fast_out;
  auto slow = open(slow_out);
  auto fast = open(fast_out);
  say(slow, "sub dex.offer");
  say(fast, "sub dex.offer");
  take(fast);
  for (std::uint64_t seq = 1; seq <= 50; ++seq) {
    publish({makeEvent(seq)});
    EXPECT_EQ(take(fast).size(), 1u) << seq;  // the fast client drains every time
  }
  ASSERT_TRUE(slow_out.closed_code);
  EXPECT_EQ(*slow_out.closed_code, close_code::policy);
  EXPECT_EQ(slow_out.closed_reason, "slow consumer");
  EXPECT_EQ(metrics_.slow_consumer_closes.load(), 1u);
  EXPECT_FALSE(fast_out.closed_code);
  hub_->close(slow);
  EXPECT_EQ(metrics_.subscriptions.load(), 1);
  EXPECT_EQ(metrics_.queue_bytes.load(), 0);
}

TEST_F(HubTest, SlowConsumerWithoutClosingFrameIsClosedAtOnce) {
  RecordingOutlet out;
  const auto s = overflowed(out);
  ASSERT_TRUE(out.closed_code);
  EXPECT_FALSE(out.closed_after_flush);
  EXPECT_TRUE(take(s).empty());
}

TEST_F(HubTest, SlowConsumerGetsOnlyTheDialectsClosingFrameThenTheClose) {
  LineOptions options;
  options.closing = "queue full";
  LineDialect closing(options);
  RecordingOutlet out;
  const auto s = overflowed(out, &closing);
  ASSERT_TRUE(out.closed_code);
  EXPECT_EQ(*out.closed_code, close_code::policy);
  EXPECT_EQ(out.closed_reason, "slow consumer");
  EXPECT_TRUE(out.closed_after_flush);
  publish({makeEvent(99)});  // nothing more is queued behind the closing frame
  EXPECT_EQ(take(s), std::vector<std::string>{"queue full"});
  EXPECT_EQ(metrics_.slow_consumer_closes.load(), 1u);
  EXPECT_EQ(metrics_.queue_bytes.load(), 0);
}

TEST_F(HubTest, RateLimitAnswersThenClosesPersistentAbuse) {
  HubLimits limits;
  limits.inbound = RateLimit{1, 2};
  limits.abuse_close_after = 3;
  makeHub(limits);
  RecordingOutlet out;
  auto s = open(out);
  say(s, "ping");
  say(s, "ping");
  say(s, "ping");  // over
  EXPECT_EQ(take(s), (std::vector<std::string>{"pong", "pong", "error rate_limited"}));
  now_ += 1000;   // one token back: the client is forgiven
  say(s, "ping");
  EXPECT_EQ(take(s), std::vector<std::string>{"pong"});
  say(s, "ping");
  say(s, "ping");
  EXPECT_FALSE(out.closed_code);
  say(s, "ping");
  ASSERT_TRUE(out.closed_code);
  EXPECT_EQ(*out.closed_code, close_code::policy);
  EXPECT_EQ(out.closed_reason, "rate limit exceeded");
  EXPECT_EQ(metrics_.rate_limit_hits.load(), 4u);
  // The refusals queued before the close are still written, then the close: the client learns why
  // however its messages were batched.
  EXPECT_TRUE(out.closed_after_flush);
  EXPECT_EQ(take(s), (std::vector<std::string>{"error rate_limited", "error rate_limited"}));
  say(s, "ping");  // nothing more is read from a closing session
  EXPECT_EQ(take(s), std::vector<std::string>{});
}

TEST_F(HubTest, FatalRejectionClosesAfterTheErrorFrame) {
  RecordingOutlet out;
  auto s = open(out);
  say(s, "fatal");
  ASSERT_TRUE(out.closed_code);
  EXPECT_EQ(*out.closed_code, 1002);
  EXPECT_EQ(take(s), std::vector<std::string>{"error invalid_request"});
}

// Resume: events published while history is being read are held, then delivered after the replay
// without repeating what history already gave: no gap, no duplicate.
TEST_F(HubTest, ResumeReplaysThenGoesLiveWithoutGapOrDuplicate) {
  makeHub({}, Cursor{kEpoch, 5});
  RecordingOutlet out;
  auto s = open(out);
  say(s, "sub dex.offer since=" + Cursor{kEpoch, 2}.toString());
  ASSERT_EQ(history_.reads.size(), 1u);
  EXPECT_EQ(history_.reads[0].after, (Cursor{kEpoch, 2}));
  EXPECT_EQ(history_.reads[0].topic, "dex.offer");
  EXPECT_TRUE(take(s).empty());  // answered once history confirms the cursor

  publish({makeEvent(6), makeEvent(7)});  // live, while replaying: held
  EXPECT_TRUE(take(s).empty());

  ReadBatch batch;
  for (std::uint64_t seq = 3; seq <= 6; ++seq) batch.events.push_back(makeEvent(seq));
  batch.next = Cursor{kEpoch, 6};
  batch.at_head = true;
  history_.answer(batch);

  auto frames = take(s);
  ASSERT_EQ(frames.size(), 6u);
  const std::string id = frames[0].substr(11, 17);
  EXPECT_EQ(frames[0], "subscribed " + id + " " + (Cursor{kEpoch, 2}).toString());
  for (std::size_t i = 0; i < 5; ++i) {
    EXPECT_EQ(frames[i + 1], "event " + id + " " + std::to_string(i + 3));
  }
  publish({makeEvent(8)});
  EXPECT_EQ(take(s), std::vector<std::string>{"event " + id + " 8"});
  EXPECT_EQ(metrics_.replayed_events.load(), 4u);
}

TEST_F(HubTest, SnapshotFoldsHistoryIntoTheReplyThenGoesLiveWithoutGapOrDuplicate) {
  makeHub({}, Cursor{kEpoch, 5});
  RecordingOutlet out;
  auto s = open(out);
  say(s, "book");
  ASSERT_EQ(history_.reads.size(), 1u);
  EXPECT_EQ(history_.reads[0].after, (Cursor{kEpoch, 0}));  // from the start of the log
  EXPECT_EQ(history_.reads[0].topic, "dex.offer");

  ReadBatch first;
  for (std::uint64_t seq = 1; seq <= 3; ++seq) first.events.push_back(makeEvent(seq));
  first.events.push_back(makeEvent(4, "dex.offer", "XMR/USD"));
  first.next = Cursor{kEpoch, 4};
  history_.answer(first);
  EXPECT_TRUE(take(s).empty());  // nothing until the whole history is read
  ASSERT_EQ(history_.reads.size(), 1u);
  EXPECT_EQ(history_.reads[0].after, (Cursor{kEpoch, 4}));

  publish({makeEvent(6), makeEvent(7), makeEvent(8, "chain.block")});  // live while reading: held
  EXPECT_TRUE(take(s).empty());

  ReadBatch last;
  last.events = {makeEvent(5), makeEvent(6)};
  last.next = Cursor{kEpoch, 6};
  last.at_head = true;
  history_.answer(last);

  auto frames = take(s);
  ASSERT_EQ(frames.size(), 2u) << frames[0];
  const std::string id = frames[0].substr(11, 17);
  // Folded (even seqs dropped), ends at 6; the held 6 is not sent again, 7 follows.
  EXPECT_EQ(frames[0], "subscribed " + id + " " + (Cursor{kEpoch, 6}).toString() + " snapshot 1 3 5");
  EXPECT_EQ(frames[1], "event " + id + " 7");
  EXPECT_EQ(metrics_.replayed_events.load(), 0u);

  // The companion starts where the snapshot ends: the chain.block published meanwhile is replayed.
  ASSERT_EQ(history_.reads.size(), 1u);
  EXPECT_EQ(history_.reads[0].after, (Cursor{kEpoch, 6}));
  EXPECT_EQ(history_.reads[0].topic, "chain.block");
  ReadBatch blocks;
  blocks.events = {makeEvent(8, "chain.block")};
  blocks.next = Cursor{kEpoch, 8};
  blocks.at_head = true;
  history_.answer(blocks);
  auto companion = take(s);
  ASSERT_EQ(companion.size(), 1u);  // implicit: no reply, only the event
  EXPECT_EQ(companion[0].substr(0, 6), "event ");
  EXPECT_EQ(companion[0].substr(companion[0].size() - 2), " 8");

  publish({makeEvent(9), makeEvent(10, "chain.block")});
  EXPECT_EQ(take(s).size(), 2u);
  EXPECT_EQ(metrics_.subscriptions.load(), 2);
}

TEST_F(HubTest, SnapshotNeedsRoomForItsCompanionsUpFront) {
  HubLimits limits;
  limits.max_subscriptions = 2;
  makeHub(limits);
  RecordingOutlet out;
  auto s = open(out);
  say(s, "sub chain.block");
  take(s);
  say(s, "book");  // itself and one companion: three in all
  EXPECT_EQ(take(s), std::vector<std::string>{"error too_many_subscriptions"});
  EXPECT_TRUE(history_.reads.empty());
}

TEST_F(HubTest, SnapshotOverTheBoundIsRefused) {
  HubLimits limits;
  limits.snapshot_events = 2;
  makeHub(limits, Cursor{kEpoch, 9});
  RecordingOutlet out;
  auto s = open(out);
  say(s, "book");
  ReadBatch batch;
  for (std::uint64_t seq = 1; seq <= 9; ++seq) batch.events.push_back(makeEvent(seq));
  batch.next = Cursor{kEpoch, 9};
  batch.at_head = true;
  history_.answer(batch);
  EXPECT_EQ(take(s), std::vector<std::string>{"error too_large"});
  EXPECT_EQ(metrics_.subscriptions.load(), 0);
  EXPECT_TRUE(history_.reads.empty());  // no companion without its book
}

TEST_F(HubTest, ResumeReportsGapBeforeReplayedEvents) {
  makeHub({}, Cursor{kEpoch, 20});
  RecordingOutlet out;
  auto s = open(out);
  say(s, "sub dex.offer since=" + Cursor{kEpoch, 2}.toString());
  ReadBatch batch;
  batch.gaps.push_back(Gap{kEpoch, 3, 9, GapReason::history_expired});
  batch.events.push_back(makeEvent(10));
  batch.next = Cursor{kEpoch, 20};
  batch.at_head = true;
  history_.answer(batch);
  auto frames = take(s);
  ASSERT_EQ(frames.size(), 3u);
  const std::string id = frames[0].substr(11, 17);
  EXPECT_EQ(frames[1], "gap " + id + " 3-9 history_expired");
  EXPECT_EQ(frames[2], "event " + id + " 10");
}

TEST_F(HubTest, ResumeFiltersReplayedEvents) {
  makeHub({}, Cursor{kEpoch, 3});
  RecordingOutlet out;
  auto s = open(out);
  say(s, "sub dex.offer market=XMR/USD since=" + Cursor{kEpoch, 0}.toString());
  ReadBatch batch;
  batch.events = {makeEvent(1, "dex.offer", "XMR/USD"), makeEvent(2), makeEvent(3, "dex.offer", "XMR/USD")};
  batch.next = Cursor{kEpoch, 3};
  batch.at_head = true;
  history_.answer(batch);
  auto frames = take(s);
  ASSERT_EQ(frames.size(), 3u);
  EXPECT_EQ(frames[1].substr(frames[1].size() - 2), " 1");
  EXPECT_EQ(frames[2].substr(frames[2].size() - 2), " 3");
}

TEST_F(HubTest, ResumeWithBadCursorIsAnErrorAndLeavesNoSubscription) {
  RecordingOutlet out;
  auto s = open(out);
  say(s, "sub dex.offer since=" + Cursor{kEpoch, 99}.toString());
  history_.answer(Error::make(Errc::cursor_ahead, "cursor is ahead of the log"));
  EXPECT_EQ(take(s), std::vector<std::string>{"error cursor_ahead"});
  EXPECT_EQ(metrics_.subscriptions.load(), 0);
  EXPECT_EQ(hub_->find(s)->subscriptions().size(), 0u);
}

TEST_F(HubTest, PagedReplayWaitsForTheQueueToDrain) {
  HubLimits limits;
  limits.replay_page = 2;
  makeHub(limits, Cursor{kEpoch, 4});
  RecordingOutlet out;
  auto s = open(out);
  say(s, "sub dex.offer since=" + Cursor{kEpoch, 0}.toString());
  ReadBatch first;
  first.events = {makeEvent(1), makeEvent(2)};
  first.next = Cursor{kEpoch, 2};
  history_.answer(first);
  EXPECT_TRUE(history_.reads.empty());  // queue not yet written: no next read
  EXPECT_EQ(take(s).size(), 3u);
  hub_->onDrained(s);
  ASSERT_EQ(history_.reads.size(), 1u);
  EXPECT_EQ(history_.reads[0].after, (Cursor{kEpoch, 2}));
  ReadBatch second;
  second.events = {makeEvent(3), makeEvent(4)};
  second.next = Cursor{kEpoch, 4};
  second.at_head = true;
  history_.answer(second);
  EXPECT_EQ(take(s).size(), 2u);
  publish({makeEvent(5)});
  EXPECT_EQ(take(s).size(), 1u);
}

TEST_F(HubTest, LatePageForAClosedSessionIsDropped) {
  makeHub({}, Cursor{kEpoch, 3});
  RecordingOutlet out;
  auto s = open(out);
  say(s, "sub dex.offer since=" + Cursor{kEpoch, 0}.toString());
  ASSERT_EQ(history_.reads.size(), 1u);
  hub_->close(s);
  ReadBatch batch;
  batch.at_head = true;
  history_.answer(batch);  // must not touch the closed session
  EXPECT_EQ(hub_->sessionCount(), 0u);
}

TEST_F(HubTest, ClosingASessionRemovesItsSubscriptions) {
  RecordingOutlet a_out, b_out;
  auto a = open(a_out);
  auto b = open(b_out);
  say(a, "sub dex.offer");
  say(b, "sub dex.offer");
  hub_->close(a);
  take(b);
  publish({makeEvent(1)});
  EXPECT_EQ(take(b).size(), 1u);
  EXPECT_EQ(metrics_.subscriptions.load(), 1);
}

// --- the dialect seam: openings, answers, deliveries, heartbeats, logins, the node view ----------

EventPtr makeStatus(std::uint64_t seq, std::string version) {
  auto e = std::make_shared<Event>();
  e->topic = "node.status";
  e->seq = seq;
  e->data = version;
  return e;
}

EventPtr makeAccountEvent(std::uint64_t seq, std::string account) {
  auto e = std::make_shared<Event>();
  e->topic = "account.tx";
  e->seq = seq;
  e->attributes = {{"account", {std::move(account)}}};
  e->data = "{}";
  return e;
}

std::string idOf(const std::string& subscribed_frame) { return subscribed_frame.substr(11, 17); }

TEST_F(HubTest, OpeningSendsGreetingWithNodeViewAndSubscribesImplicitly) {
  LineOptions options;
  options.greeting = "hello";
  options.implicit = {"dex.offer"};
  LineDialect greeter(options);
  RecordingOutlet first_out;
  auto first = open(first_out, &greeter);
  EXPECT_EQ(take(first), std::vector<std::string>{"hello none"});  // no node.status yet; no reply
  EXPECT_EQ(metrics_.subscriptions.load(), 1);

  publish({makeStatus(1, "v1"), makeEvent(2)});
  const std::string id = sharedSubscriptionId(groupKey("dex.offer", Filter{}));
  EXPECT_EQ(take(first), std::vector<std::string>{"event " + id + " 2"});

  RecordingOutlet second_out;
  auto second = open(second_out, &greeter);
  EXPECT_EQ(take(second), std::vector<std::string>{"hello v1"});
}

TEST_F(HubTest, NodeViewFollowsTheLatestStatusAndIgnoresAnOlderSeed) {
  EXPECT_EQ(hub_->nodeView().status, nullptr);
  hub_->seedNodeStatus(makeStatus(5, "seeded"));
  EXPECT_EQ(hub_->nodeView().status->data, "seeded");
  publish({makeStatus(6, "live")});
  EXPECT_EQ(hub_->nodeView().status->data, "live");
  hub_->seedNodeStatus(makeStatus(3, "older"));
  EXPECT_EQ(hub_->nodeView().status->data, "live");
}

TEST_F(HubTest, DecodeGetsTheClock) {
  RecordingOutlet out;
  auto s = open(out);
  now_ += 42;
  say(s, "ping");
  EXPECT_EQ(dialect_.last_context_now_, now_);
}

TEST_F(HubTest, AnswerSendsFramesThenRunsCommandsThenClosesAfterFlush) {
  RecordingOutlet out;
  auto s = open(out);
  say(s, "answer");
  auto frames = take(s);
  ASSERT_EQ(frames.size(), 2u);
  EXPECT_EQ(frames[0], "answered");
  EXPECT_EQ(frames[1].rfind("subscribed s", 0), 0u);
  ASSERT_TRUE(out.closed_code);
  EXPECT_EQ(*out.closed_code, 4000);
  EXPECT_EQ(out.closed_reason, "done");
  EXPECT_TRUE(out.closed_after_flush);
}

TEST_F(HubTest, IgnoredMessagesAreCountedAndAnsweredWithNothing) {
  RecordingOutlet out;
  auto s = open(out);
  say(s, "quiet");
  say(s, "quiet");
  EXPECT_TRUE(take(s).empty());
  EXPECT_EQ(metrics_.messages_ignored.load(), 2u);
  EXPECT_FALSE(out.closed_code);
}

TEST_F(HubTest, DeliveryIsPartOfTheGroup) {
  RecordingOutlet out;
  auto s = open(out);
  say(s, "sub dex.offer");
  say(s, "sub dex.offer debounce=1000");
  say(s, "sub dex.offer batch");
  auto frames = take(s);
  ASSERT_EQ(frames.size(), 3u);
  EXPECT_NE(idOf(frames[0]), idOf(frames[1]));
  EXPECT_NE(idOf(frames[1]), idOf(frames[2]));
  EXPECT_EQ(idOf(frames[0]), sharedSubscriptionId(groupKey("dex.offer", Filter{})));  // plain ids unchanged
}

TEST_F(HubTest, DebounceSendsOnlyTheLatestEventOfEachWindow) {
  RecordingOutlet out;
  auto s = open(out);
  say(s, "sub dex.offer debounce=1000");
  const std::string id = idOf(take(s)[0]);
  const std::int64_t start = now_;
  publish({makeEvent(1), makeEvent(2)});
  now_ += 300;
  publish({makeEvent(3)});  // same window: it opened at the first event after quiet
  EXPECT_TRUE(take(s).empty());
  now_ = start + 999;
  tick();
  EXPECT_TRUE(take(s).empty());
  now_ = start + 1000;
  tick();
  EXPECT_EQ(take(s), std::vector<std::string>{"event " + id + " 3"});
  now_ += 5000;
  tick();
  EXPECT_TRUE(take(s).empty());  // a quiet period sends nothing

  const std::int64_t second = now_;
  publish({makeEvent(4)});  // opens a new window
  now_ += 900;
  publish({makeEvent(5)});
  now_ = second + 999;
  tick();
  EXPECT_TRUE(take(s).empty());
  now_ = second + 1000;
  tick();
  EXPECT_EQ(take(s), std::vector<std::string>{"event " + id + " 5"});
  EXPECT_EQ(metrics_.events_out.load(), 2u);
}

TEST_F(HubTest, DebounceNeverSendsAnEventFromBeforeTheSubscription) {
  RecordingOutlet early_out, late_out;
  auto early = open(early_out);
  auto late = open(late_out);
  say(early, "sub dex.offer debounce=500");
  take(early);
  publish({makeEvent(1)});
  say(late, "sub dex.offer debounce=500");  // joins the group while its window is open
  const std::string id = idOf(take(late)[0]);
  now_ += 500;
  tick();
  EXPECT_EQ(take(early), std::vector<std::string>{"event " + id + " 1"});
  EXPECT_TRUE(take(late).empty());
}

TEST_F(HubTest, DebounceWindowOfAGroupThatEmptiedIsDropped) {
  RecordingOutlet out;
  auto s = open(out);
  say(s, "sub dex.offer debounce=500");
  const std::string id = idOf(take(s)[0]);
  publish({makeEvent(1)});
  say(s, "unsub " + id);
  take(s);
  now_ += 500;
  tick();
  EXPECT_TRUE(take(s).empty());
}

TEST_F(HubTest, BatchSendsOneFramePerPublishPerGroup) {
  RecordingOutlet a_out, b_out;
  auto a = open(a_out);
  auto b = open(b_out);
  say(a, "sub dex.offer batch");
  say(b, "sub dex.offer batch");
  say(a, "sub chain.block");
  const std::string id = idOf(take(a)[0]);
  take(b);
  publish({makeEvent(1), makeEvent(2, "chain.block"), makeEvent(3, "dex.offer", "XMR/USD")});
  std::vector<FramePtr> fa, fb;
  hub_->takeFrames(a, fa);
  hub_->takeFrames(b, fb);
  ASSERT_EQ(fa.size(), 2u);
  ASSERT_EQ(fb.size(), 1u);
  EXPECT_EQ(fa[0]->bytes.rfind("event ", 0), 0u);  // the plain subscription is not held back
  EXPECT_EQ(fa[1]->bytes, "batch " + id + " 1 3 last=3");
  EXPECT_EQ(fa[1].get(), fb[0].get());  // shared ids: one frame for the group
  publish({makeEvent(4)});
  EXPECT_EQ(take(a), std::vector<std::string>{"batch " + id + " 4 last=4"});
  EXPECT_EQ(take(b), std::vector<std::string>{"batch " + id + " 4 last=4"});
  publish({makeEvent(5, "chain.block")});
  EXPECT_EQ(take(b), std::vector<std::string>{});  // nothing matched: no empty batch
}

TEST_F(HubTest, BatchWithOwnIdsEncodesPerMember) {
  LineDialect own_ids(false);
  RecordingOutlet a_out, b_out;
  auto a = open(a_out, &own_ids);
  auto b = open(b_out, &own_ids);
  say(a, "sub dex.offer batch");
  say(b, "sub dex.offer batch");
  const std::string ida = take(a)[0].substr(11, 36), idb = take(b)[0].substr(11, 36);
  publish({makeEvent(1), makeEvent(2)});
  EXPECT_EQ(take(a), std::vector<std::string>{"batch " + ida + " 1 2 last=2"});
  EXPECT_EQ(take(b), std::vector<std::string>{"batch " + idb + " 1 2 last=2"});
}

TEST_F(HubTest, HeartbeatOnlyToIdleSessionsOfHeartbeatDialects) {
  LineOptions options;
  options.heartbeat_ms = 5000;
  LineDialect beating(options);
  RecordingOutlet beat_out, plain_out;
  const std::int64_t start = now_;
  auto beat = open(beat_out, &beating);
  auto plain = open(plain_out);
  say(beat, "sub dex.offer");
  take(beat);
  now_ = start + 4000;
  tick();  // a scan; the next is not before start + 5000
  EXPECT_TRUE(take(beat).empty());
  publish({makeEvent(1)});  // something was sent at start + 4000: idle restarts
  EXPECT_EQ(take(beat).size(), 1u);
  now_ = start + 8999;
  tick();
  EXPECT_TRUE(take(beat).empty());  // idle 4999 ms
  now_ = start + 9500;
  tick();
  EXPECT_TRUE(take(beat).empty());  // due, but the scan waits until start + 9999
  now_ = start + 10'000;
  tick();
  EXPECT_EQ(take(beat), std::vector<std::string>{"heartbeat"});
  now_ = start + 11'000;
  tick();
  EXPECT_TRUE(take(beat).empty());  // the heartbeat itself counts as sent
  now_ = start + 15'000;
  tick();
  EXPECT_EQ(take(beat), std::vector<std::string>{"heartbeat"});
  EXPECT_TRUE(take(plain).empty());
}

TEST_F(HubTest, HeartbeatScanRunsAtMostOncePerSecond) {
  LineOptions options;
  options.heartbeat_ms = 1000;
  LineDialect beating(options);
  RecordingOutlet out;
  const std::int64_t start = now_;
  auto s = open(out, &beating);
  now_ = start + 500;
  tick();  // scans (first scan), nothing due; next scan not before start + 1500
  now_ = start + 1000;
  tick();
  EXPECT_TRUE(take(s).empty());
  now_ = start + 1500;
  tick();
  EXPECT_EQ(take(s), std::vector<std::string>{"heartbeat"});
}

class HubLoginTest : public HubTest {
 protected:
  HubLoginTest() {
    LineOptions options;
    options.snapshot_topic = "account.tx";
    login_dialect_ = std::make_unique<LineDialect>(options);
  }
  std::unique_ptr<LineDialect> login_dialect_;
  ScriptedAccounts accounts_;
};

// The snapshot ends at the log position its last history page reached; the live subscription
// resumes from exactly there, so an event published while the snapshot was read is neither lost
// nor sent twice.
TEST_F(HubLoginTest, SnapshotThenLiveWithoutGapOrDuplicate) {
  makeHub({}, Cursor{kEpoch, 3}, &accounts_);
  RecordingOutlet out;
  auto s = open(out, login_dialect_.get());
  say(s, "login alice key");
  ASSERT_EQ(accounts_.checks.size(), 1u);
  EXPECT_EQ(accounts_.checks[0].account, "alice");
  EXPECT_EQ(accounts_.checks[0].secret, "key");
  EXPECT_TRUE(take(s).empty());  // nothing before the check answers
  accounts_.answer({});
  EXPECT_EQ(take(s), std::vector<std::string>{"loggedin alice"});
  ASSERT_EQ(history_.reads.size(), 1u);
  EXPECT_EQ(history_.reads[0].topic, "account.tx");
  EXPECT_EQ(history_.reads[0].after, (Cursor{kEpoch, 0}));

  ReadBatch page;
  page.events = {makeAccountEvent(1, "alice"), makeAccountEvent(2, "bob"), makeAccountEvent(3, "alice")};
  page.next = Cursor{kEpoch, 4};  // the log already holds seq 4, not yet published to this worker
  page.at_head = true;
  history_.answer(page);
  EXPECT_EQ(take(s), std::vector<std::string>{"snapshot alice 1 3 head=4"});
  ASSERT_EQ(history_.reads.size(), 1u);  // the live subscription resumes after seq 4
  EXPECT_EQ(history_.reads[0].after, (Cursor{kEpoch, 4}));

  publish({makeAccountEvent(4, "alice"), makeAccountEvent(5, "alice")});  // 4 was in the snapshot's range
  ReadBatch rest;
  rest.next = Cursor{kEpoch, 4};
  rest.at_head = true;
  history_.answer(rest);
  const std::string id =
      sharedSubscriptionId(groupKey("account.tx", *Filter::make({Clause{"account", {"alice"}}})));
  EXPECT_EQ(take(s), std::vector<std::string>{"event " + id + " 5"});  // no SubscribedReply: implicit
  publish({makeAccountEvent(6, "bob"), makeAccountEvent(7, "alice")});
  EXPECT_EQ(take(s), std::vector<std::string>{"event " + id + " 7"});
  EXPECT_FALSE(out.closed_code);
}

TEST_F(HubLoginTest, SnapshotReadsEveryPageAndKeepsTheNewestEvents) {
  HubLimits limits;
  limits.snapshot_events = 2;
  makeHub(limits, Cursor{kEpoch, 4}, &accounts_);
  RecordingOutlet out;
  auto s = open(out, login_dialect_.get());
  say(s, "login alice key");
  accounts_.answer({});
  take(s);
  ReadBatch first;
  first.events = {makeAccountEvent(1, "alice"), makeAccountEvent(2, "alice")};
  first.next = Cursor{kEpoch, 2};
  history_.answer(first);
  ASSERT_EQ(history_.reads.size(), 1u);
  EXPECT_EQ(history_.reads[0].after, (Cursor{kEpoch, 2}));
  ReadBatch second;
  second.events = {makeAccountEvent(3, "alice"), makeAccountEvent(4, "alice")};
  second.next = Cursor{kEpoch, 4};
  second.at_head = true;
  history_.answer(second);
  EXPECT_EQ(take(s), std::vector<std::string>{"snapshot alice 3 4 head=4"});
}

TEST_F(HubLoginTest, RefusedLoginIsAnsweredThenClosedWithPolicy) {
  makeHub({}, Cursor{kEpoch, 0}, &accounts_);
  RecordingOutlet out;
  auto s = open(out, login_dialect_.get());
  say(s, "login alice wrong");
  accounts_.answer(Error::make(Errc::unauthorized, "view key does not match"));
  EXPECT_EQ(take(s), std::vector<std::string>{"error unauthorized"});
  ASSERT_TRUE(out.closed_code);
  EXPECT_EQ(*out.closed_code, close_code::policy);
  EXPECT_EQ(out.closed_reason, "view key does not match");
  EXPECT_TRUE(out.closed_after_flush);
  EXPECT_TRUE(history_.reads.empty());
  EXPECT_EQ(metrics_.subscriptions.load(), 0);
}

TEST_F(HubLoginTest, LoginWithoutAccountCheckerIsUnavailable) {
  RecordingOutlet out;
  auto s = open(out, login_dialect_.get());
  say(s, "login alice key");
  EXPECT_EQ(take(s), std::vector<std::string>{"error unavailable"});
  ASSERT_TRUE(out.closed_code);
  EXPECT_EQ(*out.closed_code, close_code::internal);
}

TEST_F(HubLoginTest, HistoryFailureDuringSnapshotClosesWithInternal) {
  makeHub({}, Cursor{kEpoch, 0}, &accounts_);
  RecordingOutlet out;
  auto s = open(out, login_dialect_.get());
  say(s, "login alice key");
  accounts_.answer({});
  take(s);
  history_.answer(Error::make(Errc::unavailable, "disk gone"));
  EXPECT_EQ(take(s), std::vector<std::string>{"error unavailable"});
  ASSERT_TRUE(out.closed_code);
  EXPECT_EQ(*out.closed_code, close_code::internal);
}

TEST_F(HubLoginTest, LateAccountAnswerForAClosedSessionIsDropped) {
  makeHub({}, Cursor{kEpoch, 0}, &accounts_);
  RecordingOutlet out;
  auto s = open(out, login_dialect_.get());
  say(s, "login alice key");
  hub_->close(s);
  accounts_.answer({});
  EXPECT_TRUE(history_.reads.empty());
  EXPECT_EQ(hub_->sessionCount(), 0u);
}

}  // namespace
}  // namespace herald
