#include "sources/demo_source.h"

#include "schema/catalog.h"
#include "schema/event_json.h"

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <utility>

namespace herald::sources {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

// Bounds a wait that should end almost at once; only reached if the code under test is broken.
constexpr auto kPatience = 20s;
constexpr std::int64_t kFixedNowMs = 1'700'000'000'000;

// The test implementation of EventSink: records every batch and answers each `done` with `answer`.
// `done` runs before the batch becomes visible to waiters, so a waiter that sees a batch also sees
// everything the source did in reaction to its acknowledgement.
class RecordingSink final : public bus::EventSink {
 public:
  explicit RecordingSink(Result<Cursor> answer = Cursor{1, 0}) : answer_(std::move(answer)) {}

  void publish(std::vector<Event> batch, std::function<void(Result<Cursor>)> done) override {
    std::unique_lock lock(mutex_);
    Result<Cursor> answer = answer_;
    if (answer) {
      seq_ += batch.size();
      answer = Cursor{1, seq_};
    }
    lock.unlock();
    done(answer);
    lock.lock();
    batches_.push_back(std::move(batch));
    changed_.notify_all();
  }

  // Waits until `enough(batches)` holds; false if kPatience runs out first.
  template <class Pred>
  bool waitFor(Pred enough) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, kPatience, [&] { return enough(batches_); });
  }

  std::vector<Event> events() const {
    std::lock_guard lock(mutex_);
    std::vector<Event> all;
    for (const auto& batch : batches_) all.insert(all.end(), batch.begin(), batch.end());
    return all;
  }

  std::size_t batchCount() const {
    std::lock_guard lock(mutex_);
    return batches_.size();
  }

 private:
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<std::vector<Event>> batches_;
  Result<Cursor> answer_;
  std::uint64_t seq_ = 0;
};

// Holds every acknowledgement until the test releases it, like a log writer that has stalled.
class StalledSink final : public bus::EventSink {
 public:
  void publish(std::vector<Event>, std::function<void(Result<Cursor>)> done) override {
    std::lock_guard lock(mutex_);
    held_.push_back(std::move(done));
    ++published_;
    max_held_ = std::max(max_held_, held_.size());
    changed_.notify_all();
  }

  bool waitForPublished(std::size_t n) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, kPatience, [&] { return published_ >= n; });
  }

  void releaseOne() {
    std::unique_lock lock(mutex_);
    auto done = std::move(held_.front());
    held_.erase(held_.begin());
    lock.unlock();
    done(Cursor{1, 1});
  }

  std::vector<std::function<void(Result<Cursor>)>> takeHeld() {
    std::lock_guard lock(mutex_);
    return std::exchange(held_, {});
  }

  std::size_t maxHeld() const {
    std::lock_guard lock(mutex_);
    return max_held_;
  }

 private:
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<std::function<void(Result<Cursor>)>> held_;
  std::size_t published_ = 0;
  std::size_t max_held_ = 0;
};

DemoConfig fastConfig() {
  DemoConfig config;
  config.seed = 99;
  config.block_interval_ms = 4;  // 1 ms ticks: many blocks in a few milliseconds
  config.now_ms = [] { return kFixedNowMs; };
  return config;
}

std::size_t blockCount(const std::vector<std::vector<Event>>& batches) {
  std::size_t n = 0;
  for (const auto& batch : batches) {
    for (const auto& event : batch) n += event.topic == "chain.block" ? 1 : 0;
  }
  return n;
}

TEST(DemoSourceTest, PublishesSchemaValidChainedBlocksUntilStopped) {
  RecordingSink sink;
  DemoSource source(fastConfig());
  EXPECT_EQ(source.health().state, SourceState::down);
  source.start(sink);
  ASSERT_TRUE(sink.waitFor([](const auto& batches) { return blockCount(batches) >= 6; }));
  source.stop();
  const std::size_t batches_at_stop = sink.batchCount();

  const auto topics = schema::topicSet();
  std::int64_t expected_height = 1;
  std::string prev_hash;
  for (const auto& event : sink.events()) {
    json::object published;
    published["topic"] = event.topic;
    published["data"] = json::parse(event.data);
    auto valid = schema::eventFromJson(published, topics, schema::PublishLimits{}, event.time_ms);
    ASSERT_TRUE(valid) << valid.error().field << ": " << valid.error().message;
    if (event.topic != "chain.block") continue;
    const auto& data = published["data"].as_object();
    EXPECT_EQ(data.at("height").as_int64(), expected_height++);
    if (!prev_hash.empty()) {
      EXPECT_EQ(data.at("prev_hash").as_string(), prev_hash);
    }
    prev_hash = data.at("hash").as_string();
  }
  EXPECT_GE(expected_height, 7);

  const auto health = source.health();
  EXPECT_EQ(health.name, "demo");
  EXPECT_EQ(health.state, SourceState::down);
  EXPECT_EQ(health.last_event_ms, kFixedNowMs);
  EXPECT_EQ(sink.batchCount(), batches_at_stop) << "no publish after stop() returned";
}

TEST(DemoSourceTest, StopWakesTheTimerAtOnce) {
  DemoConfig config = fastConfig();
  config.block_interval_ms = 3'600'000;  // the next tick would be 15 minutes away
  RecordingSink sink;
  DemoSource source(config);
  source.start(sink);
  ASSERT_TRUE(
      sink.waitFor([](const auto& batches) { return !batches.empty(); }));  // the first tick is at once
  EXPECT_EQ(source.health().state, SourceState::ok);

  const auto before = std::chrono::steady_clock::now();
  source.stop();
  EXPECT_LT(std::chrono::steady_clock::now() - before, 5s);
  EXPECT_EQ(sink.batchCount(), 1U);
  EXPECT_EQ(source.health().state, SourceState::down);
}

TEST(DemoSourceTest, StopAndDestructionAreIdempotent) {
  RecordingSink sink;
  DemoSource source(fastConfig());
  source.stop();  // never started
  source.start(sink);
  source.start(sink);  // no second thread
  ASSERT_TRUE(sink.waitFor([](const auto& batches) { return batches.size() >= 2; }));
  source.stop();
  source.stop();
}

TEST(DemoSourceTest, ARejectedBatchDegradesHealthWithTheReason) {
  RecordingSink sink(Error::make(Errc::unavailable, "disk full"));
  DemoSource source(fastConfig());
  source.start(sink);
  ASSERT_TRUE(sink.waitFor([](const auto& batches) { return !batches.empty(); }));
  const auto health = source.health();
  EXPECT_EQ(health.state, SourceState::degraded);
  EXPECT_NE(health.detail.find("disk full"), std::string::npos);
  EXPECT_EQ(health.last_event_ms, 0);
  source.stop();
}

TEST(DemoSourceTest, AStalledSinkBoundsBatchesInFlight) {
  DemoConfig config = fastConfig();
  config.max_in_flight = 3;
  StalledSink sink;
  std::vector<std::function<void(Result<Cursor>)>> late;
  {
    DemoSource source(config);
    source.start(sink);
    ASSERT_TRUE(sink.waitForPublished(3));
    sink.releaseOne();
    ASSERT_TRUE(sink.waitForPublished(4));  // a freed slot is used again
    source.stop();
    EXPECT_LE(sink.maxHeld(), 3U);
    late = sink.takeHeld();
  }
  // Acknowledgements may arrive after the source is gone: they must be harmless.
  for (auto& done : late) done(Cursor{1, 9});
}

}  // namespace
}  // namespace herald::sources
