// BitcoindZmqSource against a real libzmq publisher in the test, speaking bitcoind's documented
// framing (no bitcoind package exists on Debian 12). The publisher is an XPUB so the test can await
// the source's subscriptions instead of sleeping past ZMQ's slow-joiner window.
#include "sources/bitcoind_zmq_source.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <condition_variable>
#include <mutex>
#include <set>
#include <zmq.hpp>

#include "schema/catalog.h"

namespace herald::sources {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

constexpr auto kWait = 10s;  // bound for one expected event: far above a loopback round trip

// Records every event handed over; acknowledges each batch as committed.
class CollectingSink final : public bus::EventSink {
 public:
  void publish(std::vector<Event> batch, std::function<void(Result<Cursor>)> done) override {
    {
      std::lock_guard lock(mutex_);
      for (auto& e : batch) events_.push_back(std::move(e));
    }
    changed_.notify_all();
    done(Cursor{1, 1});
  }

  // The first `n` events, once that many arrived (empty after kWait).
  std::vector<Event> waitFor(std::size_t n) {
    std::unique_lock lock(mutex_);
    if (!changed_.wait_for(lock, kWait, [&] { return events_.size() >= n; })) return {};
    return {events_.begin(), events_.begin() + static_cast<std::ptrdiff_t>(n)};
  }

  std::size_t size() {
    std::lock_guard lock(mutex_);
    return events_.size();
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<Event> events_;
};

std::string le32(std::uint32_t v) {
  std::string out(4, '\0');
  for (int i = 0; i < 4; ++i) out[i] = static_cast<char>((v >> (8 * i)) & 0xff);
  return out;
}

class Publisher {
 public:
  Publisher() {
    socket_.set(zmq::sockopt::linger, 0);
    socket_.set(zmq::sockopt::rcvtimeo, static_cast<int>(std::chrono::milliseconds(kWait).count()));
    socket_.bind("tcp://127.0.0.1:*");
    endpoint_ = socket_.get(zmq::sockopt::last_endpoint);
  }

  const std::string& endpoint() const { return endpoint_; }

  // Blocks until every topic in `topics` has been subscribed to (XPUB hands subscriptions up).
  bool awaitSubscriptions(std::set<std::string> topics) {
    while (!topics.empty()) {
      zmq::message_t m;
      if (!socket_.recv(m)) return false;
      const std::string text = m.to_string();
      if (!text.empty() && text[0] == '\x01') topics.erase(text.substr(1));
    }
    return true;
  }

  void send(const std::string& topic, const std::string& body, std::uint32_t seq) {
    socket_.send(zmq::buffer(topic), zmq::send_flags::sndmore);
    socket_.send(zmq::buffer(body), zmq::send_flags::sndmore);
    socket_.send(zmq::buffer(le32(seq)), zmq::send_flags::none);
  }

  void sendFrames(const std::vector<std::string>& frames) {
    for (std::size_t i = 0; i < frames.size(); ++i) {
      socket_.send(zmq::buffer(frames[i]),
                   i + 1 < frames.size() ? zmq::send_flags::sndmore : zmq::send_flags::none);
    }
  }

 private:
  zmq::context_t context_{1};
  zmq::socket_t socket_{context_, zmq::socket_type::xpub};
  std::string endpoint_;
};

std::string hashOf(char c) { return std::string(31, c) + '\x01'; }

TEST(BitcoindZmqSource, EmitsBlocksAndTransactionsAndAnnouncesASequenceGap) {
  Publisher pub;
  BitcoindZmqConfig config;
  config.zmq = {pub.endpoint()};
  const TopicSet topics = schema::topicSet({"bitcoind.block", "bitcoind.tx"});
  BitcoindZmqSource source(config, topics);
  CollectingSink sink;
  source.start(sink);
  ASSERT_TRUE(pub.awaitSubscriptions({"hashblock", "hashtx"}));

  pub.send("hashblock", hashOf('\xaa'), 0);
  pub.send("hashtx", hashOf('\xbb'), 0);
  pub.send("hashtx", hashOf('\xcc'), 1);
  pub.sendFrames({"hashtx", hashOf('\xdd')});  // two frames: dropped and counted
  pub.send("hashtx", hashOf('\xee'), 4);       // 2 and 3 were lost
  pub.send("hashblock", hashOf('\xff'), 1);

  const auto events = sink.waitFor(6);
  ASSERT_EQ(events.size(), 6u);
  EXPECT_EQ(events[0].topic, "bitcoind.block");
  EXPECT_EQ(
      json::parse(events[0].data),
      json::parse(
          R"({"hash":"01aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa","sequence":0})"));
  EXPECT_EQ(events[1].topic, "bitcoind.tx");
  EXPECT_EQ(json::parse(events[2].data).at("sequence"), 1);
  EXPECT_EQ(events[3].topic, "system.notice");
  const auto notice = json::parse(events[3].data);
  EXPECT_EQ(notice.at("level"), "warning");
  EXPECT_EQ(notice.at("code"), "zmq_sequence_gap");
  EXPECT_EQ(notice.at("message"),
            "bitcoind hashtx: 2 notification(s) lost (sequence 2 expected, 4 received)");
  EXPECT_EQ(json::parse(events[4].data).at("txid"),
            "01eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee");
  EXPECT_EQ(events[5].topic, "bitcoind.block");

  const SourceHealth h = source.health();
  EXPECT_EQ(h.state, SourceState::ok) << h.detail;
  const std::map<std::string, std::uint64_t> counters(h.counters.begin(), h.counters.end());
  EXPECT_EQ(counters.at("blocks"), 2u);
  EXPECT_EQ(counters.at("txs"), 3u);
  EXPECT_EQ(counters.at("sequence_gaps"), 1u);
  EXPECT_EQ(counters.at("messages_missed"), 2u);
  EXPECT_EQ(counters.at("bad_messages"), 1u);
  EXPECT_GT(h.last_event_ms, 0);
  source.stop();
  EXPECT_EQ(source.health().state, SourceState::down);
  EXPECT_EQ(sink.size(), 6u);
}

TEST(BitcoindZmqSource, RawtxCarriesSizes) {
  Publisher pub;
  BitcoindZmqConfig config;
  config.zmq = {pub.endpoint()};
  config.blocks = false;
  config.tx_source = "rawtx";
  config.tx_topic = "btc.tx";
  BitcoindZmqSource source(config, schema::topicSet({"btc.tx"}));
  CollectingSink sink;
  source.start(sink);
  ASSERT_TRUE(pub.awaitSubscriptions({"rawtx"}));
  // A legacy transaction of one input and one output, both with empty scripts.
  std::string tx = std::string("\x01\x00\x00\x00", 4) + '\x01' + std::string(36, '\x07') + '\x00' +
                   std::string(4, '\xff') + '\x01' + std::string(8, '\x00') + '\x00' + std::string(4, '\x00');
  pub.send("rawtx", tx, 0);
  const auto events = sink.waitFor(1);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].topic, "btc.tx");
  const auto data = json::parse(events[0].data);
  EXPECT_EQ(data.at("size"), tx.size());
  EXPECT_EQ(data.at("vsize"), tx.size());
  EXPECT_EQ(data.at("weight"), tx.size() * 4);
  EXPECT_EQ(data.at("txid").as_string().size(), 64u);
}

TEST(BitcoindZmqSource, AnAbsentPublisherIsDownUntilItAppears) {
  BitcoindZmqConfig config;
  config.zmq = {"tcp://127.0.0.1:1"};  // port 1: nothing listens
  BitcoindZmqSource source(config, schema::topicSet({"bitcoind.block", "bitcoind.tx"}));
  CollectingSink sink;
  source.start(sink);
  EXPECT_EQ(source.health().state, SourceState::down);
  EXPECT_EQ(source.health().detail, "ZMQ: 0 of 1 publishers connected (connecting)");
  source.stop();
  EXPECT_EQ(source.health().state, SourceState::down);
  EXPECT_EQ(source.health().detail, "stopped");
}

}  // namespace
}  // namespace herald::sources
