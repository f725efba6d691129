#include "core/hub.h"

#include <gtest/gtest.h>

#include <deque>
#include <sstream>

namespace herald {
namespace {

// A tiny line protocol, so these tests exercise the hub and not JSON:
//   "sub <topic> [key=v1,v2 ...] [since=<cursor>]", "unsub <id>", "ping", "fatal".
class LineDialect final : public Dialect {
 public:
  explicit LineDialect(bool shared_ids = true) : shared_ids_(shared_ids) {}
  std::string_view name() const override { return "line"; }
  std::unique_ptr<DialectState> newState() const override { return std::make_unique<DialectState>(); }
  bool sharedSubscriptionIds() const override { return shared_ids_; }

  Decoded decode(std::string_view bytes, bool, DialectState&) const override {
    std::istringstream in{std::string(bytes)};
    std::string verb;
    in >> verb;
    if (verb == "ping") return Command{"p", PingCommand{}};
    if (verb == "unsub") {
      std::string id;
      in >> id;
      return Command{"u", UnsubscribeCommand{id}};
    }
    if (verb == "sub") {
      SubscribeCommand c;
      in >> c.topic;
      std::vector<Clause> clauses;
      std::string word;
      while (in >> word) {
        auto eq = word.find('=');
        std::string key = word.substr(0, eq), rest = word.substr(eq + 1);
        if (key == "since") {
          c.since = *Cursor::parse(rest);
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
    if (verb == "fatal") return Rejection{"", Error::make(Errc::invalid_request, "fatal"), true, 1002};
    return Rejection{"", Error::make(Errc::unknown_method, "unknown " + verb)};
  }

  FramePtr encodeReply(const Reply& reply) const override {
    return std::visit(
        [](const auto& r) -> FramePtr {
          using T = std::decay_t<decltype(r)>;
          if constexpr (std::is_same_v<T, SubscribedReply>) {
            return makeFrame("subscribed " + r.subscription + " " + r.cursor.toString());
          } else if constexpr (std::is_same_v<T, UnsubscribedReply>) {
            return makeFrame("unsubscribed " + r.subscription);
          } else if constexpr (std::is_same_v<T, PongReply>) {
            return makeFrame("pong");
          } else {
            return makeFrame("error " + std::string(errcName(r.error.code)));
          }
        },
        reply);
  }
  FramePtr encodeEvent(const Event& e, std::string_view sub, const Cursor&) const override {
    return makeFrame("event " + std::string(sub) + " " + std::to_string(e.seq));
  }
  FramePtr encodeGap(std::string_view sub, const Gap& gap) const override {
    return makeFrame("gap " + std::string(sub) + " " + std::to_string(gap.missed_from) + "-" +
                     std::to_string(gap.missed_to) + " " + std::string(gapReasonName(gap.reason)));
  }

 private:
  bool shared_ids_;
};

struct RecordingOutlet final : Outlet {
  int wakes = 0;
  std::optional<std::uint16_t> closed_code;
  std::string closed_reason;
  void wake() override { ++wakes; }
  void close(std::uint16_t code, std::string_view reason, bool) override {
    closed_code = code;
    closed_reason = reason;
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
  HubTest() : topics_({"dex.offer", "chain.block"}) { makeHub({}); }

  void makeHub(HubLimits limits, Cursor head = Cursor{kEpoch, 0}) {
    hub_ = std::make_unique<Hub>(limits, topics_, history_, metrics_, head, 7);
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
  void publish(std::vector<EventPtr> events) { hub_->publish(events); }

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

}  // namespace
}  // namespace herald
