// Pipeline: group commit, acknowledgement, fan-out order, per-batch isolation of failures, history
// reads off the worker thread, retention and shutdown. Runs over a real MemoryEventLog; a decorator
// only observes calls, holds one append to make grouping deterministic, or refuses a topic.
#include "bus/pipeline.h"

#include "store/memory_event_log.h"

#include <gtest/gtest.h>

#include <condition_variable>
#include <future>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace herald::bus {
namespace {

constexpr std::int64_t kNowMs = 1'700'000'000'000;

// Forwards to a real log, recording what the pipeline asked of it.
class ObservedLog final : public EventLog {
 public:
  explicit ObservedLog(EventLog& inner) : inner_(inner) {}

  // The next append waits inside the log until release().
  void holdNextAppend() {
    std::lock_guard lock(mutex_);
    hold_next_ = true;
  }
  void waitUntilHolding() {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [&] { return holding_; });
  }
  void release() {
    std::lock_guard lock(mutex_);
    released_ = true;
    changed_.notify_all();
  }
  // Appends containing an event of `topic` fail, leaving the log unchanged (as EventLog promises).
  void refuse(std::string topic) {
    std::lock_guard lock(mutex_);
    refused_ = std::move(topic);
  }

  Result<Cursor> append(std::span<Event> batch) override {
    {
      std::unique_lock lock(mutex_);
      append_sizes_.push_back(batch.size());
      writer_thread_ = std::this_thread::get_id();
      if (hold_next_) {
        hold_next_ = false;
        holding_ = true;
        changed_.notify_all();
        changed_.wait(lock, [&] { return released_; });
      }
      for (const Event& event : batch) {
        if (!refused_.empty() && event.topic == refused_) {
          return Error::make(Errc::unavailable, "refused " + refused_);
        }
      }
    }
    return inner_.append(batch);
  }

  Result<ReadBatch> readAfter(const Cursor& after, std::string_view topic, std::size_t limit) override {
    {
      std::lock_guard lock(mutex_);
      reader_thread_ = std::this_thread::get_id();
    }
    return inner_.readAfter(after, topic, limit);
  }

  LogBounds bounds() const override { return inner_.bounds(); }

  Result<std::size_t> applyRetention(const RetentionPolicy& policy, std::int64_t now_ms) override {
    auto deleted = inner_.applyRetention(policy, now_ms);
    std::lock_guard lock(mutex_);
    retention_now_ms_ = now_ms;
    retention_thread_ = std::this_thread::get_id();
    if (deleted) retention_deleted_ += *deleted;
    changed_.notify_all();
    return deleted;
  }

  void waitUntilRetentionDeleted(std::size_t count) {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [&] { return retention_deleted_ >= count; });
  }

  std::vector<std::size_t> appendSizes() const {
    std::lock_guard lock(mutex_);
    return append_sizes_;
  }
  std::thread::id writerThread() const {
    std::lock_guard lock(mutex_);
    return writer_thread_;
  }
  std::thread::id readerThread() const {
    std::lock_guard lock(mutex_);
    return reader_thread_;
  }
  std::thread::id retentionThread() const {
    std::lock_guard lock(mutex_);
    return retention_thread_;
  }
  std::int64_t retentionNowMs() const {
    std::lock_guard lock(mutex_);
    return retention_now_ms_;
  }

 private:
  EventLog& inner_;
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  bool hold_next_ = false;
  bool holding_ = false;
  bool released_ = false;
  std::string refused_;
  std::vector<std::size_t> append_sizes_;
  std::thread::id writer_thread_;
  std::thread::id reader_thread_;
  std::thread::id retention_thread_;
  std::int64_t retention_now_ms_ = 0;
  std::size_t retention_deleted_ = 0;
};

// Every acknowledgement, by batch name; counts calls so "exactly once" can be checked.
class Acks {
 public:
  std::function<void(Result<Cursor>)> of(std::string name) {
    return [this, name](Result<Cursor> result) {
      std::lock_guard lock(mutex_);
      results_[name].push_back(std::move(result));
      ++total_;
      changed_.notify_all();
    };
  }
  void waitFor(std::size_t total) {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [&] { return total_ >= total; });
  }
  std::vector<Result<Cursor>> resultsOf(const std::string& name) {
    std::lock_guard lock(mutex_);
    return results_[name];
  }
  // The one result of a batch acknowledged exactly once.
  Result<Cursor> only(const std::string& name) {
    auto results = resultsOf(name);
    EXPECT_EQ(results.size(), 1u) << name;
    if (results.empty()) return Error::make(Errc::internal, "never acknowledged");
    return results.front();
  }
  std::size_t total() {
    std::lock_guard lock(mutex_);
    return total_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::map<std::string, std::vector<Result<Cursor>>> results_;
  std::size_t total_ = 0;
};

class Fanout {
 public:
  std::function<void(EventBatchPtr)> sink() {
    return [this](EventBatchPtr batch) {
      std::lock_guard lock(mutex_);
      batches_.push_back(std::move(batch));
    };
  }
  std::vector<EventBatchPtr> batches() {
    std::lock_guard lock(mutex_);
    return batches_;
  }
  std::vector<EventPtr> events() {
    std::vector<EventPtr> all;
    for (const auto& batch : batches()) all.insert(all.end(), batch->begin(), batch->end());
    return all;
  }
  std::vector<std::uint64_t> seqs() {
    std::vector<std::uint64_t> seqs;
    for (const auto& e : events()) seqs.push_back(e->seq);
    return seqs;
  }

 private:
  std::mutex mutex_;
  std::vector<EventBatchPtr> batches_;
};

// A worker's event loop, reduced to a queue the test drains on its own thread.
class WorkerQueue {
 public:
  std::function<void(std::function<void()>)> post() {
    return [this](std::function<void()> job) {
      std::lock_guard lock(mutex_);
      jobs_.push_back(std::move(job));
      changed_.notify_all();
    };
  }
  std::function<void()> waitForJob() {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [&] { return !jobs_.empty(); });
    auto job = std::move(jobs_.front());
    jobs_.erase(jobs_.begin());
    return job;
  }
  std::size_t pending() {
    std::lock_guard lock(mutex_);
    return jobs_.size();
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<std::function<void()>> jobs_;
};

std::vector<Event> batchOf(std::size_t count, const std::string& topic = "chain.block",
                           const std::string& tag = "") {
  std::vector<Event> batch;
  for (std::size_t k = 0; k < count; ++k) {
    Event e;
    e.topic = topic;
    e.time_ms = kNowMs;
    e.data = R"({"batch":")" + tag + R"(","k":)" + std::to_string(k) + "}";
    batch.push_back(std::move(e));
  }
  return batch;
}

PipelineConfig noRetention() {
  PipelineConfig config;
  config.retention = RetentionPolicy{0, 0};
  config.retention_interval_ms = 0;
  return config;
}

class PipelineTest : public ::testing::Test {
 protected:
  Pipeline& make(PipelineConfig config = noRetention()) {
    pipeline_ =
        std::make_unique<Pipeline>(observed_, config, metrics_, fanout_.sink(), [] { return kNowMs; });
    return *pipeline_;
  }
  std::uint64_t epoch() const { return memory_.bounds().epoch; }

  store::MemoryEventLog memory_;
  ObservedLog observed_{memory_};
  Metrics metrics_;
  Fanout fanout_;
  Acks acks_;
  std::unique_ptr<Pipeline> pipeline_;
};

TEST_F(PipelineTest, ManyPublishersEveryBatchAcknowledgedOnceAndFannedOutInSeqOrder) {
  constexpr int kPublishers = 6;
  constexpr int kBatchesEach = 150;
  Pipeline& pipeline = make();
  pipeline.start();

  std::vector<std::thread> publishers;
  for (int p = 0; p < kPublishers; ++p) {
    publishers.emplace_back([&, p] {
      for (int b = 0; b < kBatchesEach; ++b) {
        const std::string name = std::to_string(p) + "/" + std::to_string(b);
        pipeline.publish(batchOf(static_cast<std::size_t>((p + b) % 4 + 1), "t" + std::to_string(p), name),
                         acks_.of(name));
      }
    });
  }
  for (auto& t : publishers) t.join();
  pipeline.stop();

  const std::vector<EventPtr> events = fanout_.events();
  std::uint64_t expected_total = 0;
  for (int p = 0; p < kPublishers; ++p) {
    for (int b = 0; b < kBatchesEach; ++b) {
      const std::string name = std::to_string(p) + "/" + std::to_string(b);
      const auto size = static_cast<std::uint64_t>((p + b) % 4 + 1);
      expected_total += size;
      auto cursor = acks_.only(name);
      ASSERT_TRUE(cursor) << name;
      ASSERT_EQ(cursor->epoch, epoch());
      ASSERT_GE(cursor->seq, size);
      ASSERT_LE(cursor->seq, events.size());
      // The batch's own events, in order, end exactly at its cursor.
      for (std::uint64_t k = 0; k < size; ++k) {
        const Event& e = *events[cursor->seq - size + k];
        EXPECT_EQ(e.topic, "t" + std::to_string(p));
        EXPECT_EQ(e.data, R"({"batch":")" + name + R"(","k":)" + std::to_string(k) + "}");
      }
    }
  }
  EXPECT_EQ(acks_.total(), static_cast<std::size_t>(kPublishers * kBatchesEach));
  ASSERT_EQ(events.size(), expected_total);
  for (std::size_t i = 0; i < events.size(); ++i) ASSERT_EQ(events[i]->seq, i + 1);

  EXPECT_EQ(metrics_.events_in.load(), expected_total);
  EXPECT_EQ(metrics_.log_commits.load(), observed_.appendSizes().size());
  EXPECT_EQ(fanout_.batches().size(), observed_.appendSizes().size());
  EXPECT_EQ(memory_.bounds().last_seq, expected_total);
}

TEST_F(PipelineTest, BatchesQueuedWhileTheWriterIsBusyShareOneCommit) {
  Pipeline& pipeline = make();
  observed_.holdNextAppend();
  pipeline.start();
  pipeline.publish(batchOf(1), acks_.of("a"));
  observed_.waitUntilHolding();
  pipeline.publish(batchOf(2), acks_.of("b"));
  pipeline.publish(batchOf(1), acks_.of("c"));
  pipeline.publish(batchOf(3), acks_.of("d"));
  observed_.release();
  acks_.waitFor(4);

  EXPECT_EQ(observed_.appendSizes(), (std::vector<std::size_t>{1, 6}));
  EXPECT_EQ(metrics_.log_commits.load(), 2u);
  EXPECT_EQ(metrics_.events_in.load(), 7u);
  EXPECT_EQ(*acks_.only("a"), (Cursor{epoch(), 1}));
  EXPECT_EQ(*acks_.only("b"), (Cursor{epoch(), 3}));
  EXPECT_EQ(*acks_.only("c"), (Cursor{epoch(), 4}));
  EXPECT_EQ(*acks_.only("d"), (Cursor{epoch(), 7}));

  pipeline.stop();
  const auto batches = fanout_.batches();
  ASSERT_EQ(batches.size(), 2u);
  EXPECT_EQ(batches[0]->size(), 1u);
  EXPECT_EQ(batches[1]->size(), 6u);
  EXPECT_EQ(fanout_.seqs(), (std::vector<std::uint64_t>{1, 2, 3, 4, 5, 6, 7}));
}

TEST_F(PipelineTest, MaxGroupEventsBoundsOneTransaction) {
  PipelineConfig config = noRetention();
  config.max_group_events = 6;
  Pipeline& pipeline = make(config);
  observed_.holdNextAppend();
  pipeline.start();
  pipeline.publish(batchOf(1), acks_.of("a"));
  observed_.waitUntilHolding();
  pipeline.publish(batchOf(3), acks_.of("b"));
  pipeline.publish(batchOf(3), acks_.of("c"));
  pipeline.publish(batchOf(3), acks_.of("d"));
  pipeline.publish(batchOf(8), acks_.of("big"));  // alone over the bound: still one transaction
  observed_.release();
  acks_.waitFor(5);

  EXPECT_EQ(observed_.appendSizes(), (std::vector<std::size_t>{1, 6, 3, 8}));
  EXPECT_EQ(*acks_.only("big"), (Cursor{epoch(), 18}));
}

TEST_F(PipelineTest, AFailingBatchFailsAloneAndTheOthersCommit) {
  Pipeline& pipeline = make();
  observed_.refuse("poison");
  observed_.holdNextAppend();
  pipeline.start();
  pipeline.publish(batchOf(1, "chain.block", "first"), acks_.of("first"));
  observed_.waitUntilHolding();
  pipeline.publish(batchOf(2, "chain.block", "good1"), acks_.of("good1"));
  pipeline.publish(batchOf(1, "poison"), acks_.of("poison"));
  pipeline.publish(batchOf(1, "chain.block", "good2"), acks_.of("good2"));
  observed_.release();
  acks_.waitFor(4);
  pipeline.stop();

  // The group of three fails as a whole, then each batch is tried alone.
  EXPECT_EQ(observed_.appendSizes(), (std::vector<std::size_t>{1, 4, 2, 1, 1}));
  EXPECT_EQ(*acks_.only("good1"), (Cursor{epoch(), 3}));
  EXPECT_EQ(*acks_.only("good2"), (Cursor{epoch(), 4}));
  auto poison = acks_.only("poison");
  ASSERT_FALSE(poison);
  EXPECT_EQ(poison.error().code, Errc::unavailable);

  EXPECT_EQ(fanout_.seqs(), (std::vector<std::uint64_t>{1, 2, 3, 4}));
  const auto events = fanout_.events();
  EXPECT_EQ(events[1]->data, R"({"batch":"good1","k":0})");
  EXPECT_EQ(events[3]->data, R"({"batch":"good2","k":0})");
  EXPECT_EQ(fanout_.batches().size(), 2u) << "one fan-out per group, even after retries";
  EXPECT_EQ(metrics_.log_commits.load(), 3u);
  EXPECT_EQ(metrics_.events_in.load(), 4u);
}

TEST_F(PipelineTest, AnEmptyBatchIsAcknowledgedWithTheHeadAndCommitsNothing) {
  Pipeline& pipeline = make();
  pipeline.start();
  pipeline.publish(batchOf(2), acks_.of("two"));
  pipeline.publish({}, acks_.of("empty"));
  acks_.waitFor(2);
  pipeline.stop();
  EXPECT_EQ(*acks_.only("empty"), (Cursor{epoch(), 2}));
  EXPECT_EQ(metrics_.events_in.load(), 2u);
  EXPECT_EQ(fanout_.seqs(), (std::vector<std::uint64_t>{1, 2}));
}

TEST_F(PipelineTest, HistoryIsReadOnTheReaderThreadAndDeliveredThroughPost) {
  Pipeline& pipeline = make();
  pipeline.start();
  pipeline.publish(batchOf(3), acks_.of("three"));
  acks_.waitFor(1);

  WorkerQueue worker;
  auto history = pipeline.historyFor(worker.post());
  bool delivered = false;
  std::thread::id delivered_on;
  Result<ReadBatch> result = Error::make(Errc::internal, "not delivered");
  history->readAfter(Cursor{epoch(), 1}, "chain.block", 10, [&](Result<ReadBatch> r) {
    delivered = true;
    delivered_on = std::this_thread::get_id();
    result = std::move(r);
  });
  EXPECT_FALSE(delivered) << "done must never run inline";

  auto job = worker.waitForJob();
  EXPECT_FALSE(delivered) << "done runs only when the worker runs the posted job";
  job();
  ASSERT_TRUE(delivered);
  EXPECT_EQ(delivered_on, std::this_thread::get_id());
  EXPECT_NE(observed_.readerThread(), std::this_thread::get_id());
  EXPECT_NE(observed_.readerThread(), observed_.writerThread());
  ASSERT_TRUE(result);
  ASSERT_EQ(result->events.size(), 2u);
  EXPECT_EQ(result->events[0]->seq, 2u);
  EXPECT_EQ(result->next, (Cursor{epoch(), 3}));
  EXPECT_TRUE(result->at_head);
}

TEST_F(PipelineTest, HistoryErrorsAreDeliveredThroughPostToo) {
  Pipeline& pipeline = make();
  pipeline.start();
  WorkerQueue worker;
  auto history = pipeline.historyFor(worker.post());
  std::promise<Result<ReadBatch>> delivered;
  history->readAfter(Cursor{epoch(), 5}, "", 10,
                     [&](Result<ReadBatch> r) { delivered.set_value(std::move(r)); });
  worker.waitForJob()();
  auto result = delivered.get_future().get();
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, Errc::cursor_ahead);
}

TEST_F(PipelineTest, AHistoryMayBeDestroyedWhileItsReadIsInFlight) {
  Pipeline& pipeline = make();
  pipeline.start();
  WorkerQueue worker;
  std::promise<Result<ReadBatch>> delivered;
  {
    auto history = pipeline.historyFor(worker.post());
    history->readAfter(Cursor{epoch(), 0}, "", 10,
                       [&](Result<ReadBatch> r) { delivered.set_value(std::move(r)); });
  }
  worker.waitForJob()();
  auto result = delivered.get_future().get();
  EXPECT_TRUE(result);
}

TEST_F(PipelineTest, StopCommitsEverythingQueued) {
  Pipeline& pipeline = make();
  observed_.holdNextAppend();
  pipeline.start();
  pipeline.publish(batchOf(1), acks_.of("held"));
  observed_.waitUntilHolding();
  pipeline.publish(batchOf(2), acks_.of("queued1"));
  pipeline.publish(batchOf(3), acks_.of("queued2"));

  auto stopped = std::async(std::launch::async, [&] { pipeline.stop(); });
  // Once stop() has begun, publish() refuses inline; until then probes are queued like any batch.
  int probes = 0;
  for (;;) {
    const std::string name = "probe" + std::to_string(probes++);
    pipeline.publish(batchOf(1), acks_.of(name));
    auto results = acks_.resultsOf(name);
    if (!results.empty()) {
      ASSERT_FALSE(results.front());
      EXPECT_EQ(results.front().error().code, Errc::unavailable);
      break;
    }
  }
  observed_.release();
  stopped.get();

  EXPECT_EQ(*acks_.only("held"), (Cursor{epoch(), 1}));
  EXPECT_EQ(*acks_.only("queued1"), (Cursor{epoch(), 3}));
  EXPECT_EQ(*acks_.only("queued2"), (Cursor{epoch(), 6}));
  for (int i = 0; i + 1 < probes; ++i) EXPECT_TRUE(acks_.only("probe" + std::to_string(i)));
  EXPECT_EQ(acks_.total(), static_cast<std::size_t>(3 + probes));
  EXPECT_EQ(memory_.bounds().last_seq, static_cast<std::uint64_t>(6 + probes - 1));
  EXPECT_EQ(fanout_.seqs().size(), memory_.bounds().last_seq);
}

TEST_F(PipelineTest, BatchesPublishedBeforeStartAreCommittedOnceStarted) {
  Pipeline& pipeline = make();
  pipeline.publish(batchOf(2), acks_.of("early"));
  EXPECT_EQ(acks_.total(), 0u);
  pipeline.start();
  acks_.waitFor(1);
  EXPECT_EQ(*acks_.only("early"), (Cursor{epoch(), 2}));
}

TEST_F(PipelineTest, StopWithoutStartStillCommitsWhatWasPublished) {
  Pipeline& pipeline = make();
  pipeline.publish(batchOf(2), acks_.of("early"));
  pipeline.stop();
  EXPECT_EQ(*acks_.only("early"), (Cursor{epoch(), 2}));
  EXPECT_EQ(fanout_.seqs(), (std::vector<std::uint64_t>{1, 2}));
}

TEST_F(PipelineTest, AfterStopPublishAndHistoryFailWithUnavailable) {
  Pipeline& pipeline = make();
  pipeline.start();
  pipeline.stop();
  pipeline.stop();  // idempotent

  pipeline.publish(batchOf(1), acks_.of("late"));
  auto late = acks_.only("late");
  ASSERT_FALSE(late);
  EXPECT_EQ(late.error().code, Errc::unavailable);
  EXPECT_EQ(memory_.bounds().last_seq, 0u);

  WorkerQueue worker;
  auto history = pipeline.historyFor(worker.post());
  std::promise<Result<ReadBatch>> delivered;
  history->readAfter(Cursor{epoch(), 0}, "", 10,
                     [&](Result<ReadBatch> r) { delivered.set_value(std::move(r)); });
  ASSERT_EQ(worker.pending(), 1u) << "delivered through post, not inline";
  worker.waitForJob()();
  auto result = delivered.get_future().get();
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, Errc::unavailable);
}

TEST_F(PipelineTest, RetentionRunsOnTheWriterThreadWithTheInjectedClock) {
  PipelineConfig config;
  config.retention = RetentionPolicy{2, 0};
  config.retention_interval_ms = 1;  // every pass of the writer loop, in effect
  Pipeline& pipeline = make(config);
  pipeline.start();
  pipeline.publish(batchOf(5), acks_.of("five"));
  acks_.waitFor(1);
  observed_.waitUntilRetentionDeleted(3);
  pipeline.stop();  // joins the writer: its metric updates are visible now

  EXPECT_EQ(metrics_.retention_deleted.load(), 3u);
  EXPECT_EQ(memory_.bounds().first_seq, 4u);
  EXPECT_EQ(observed_.retentionNowMs(), kNowMs);
  EXPECT_EQ(observed_.retentionThread(), observed_.writerThread());
}

}  // namespace
}  // namespace herald::bus
