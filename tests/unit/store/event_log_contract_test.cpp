// The EventLog contract (core/event_log.h), run against every implementation: what the bus, the
// hub and the history endpoint may rely on whichever log the gateway was configured with.
#include "core/event_log.h"

#include "store/memory_event_log.h"
#include "store/sqlite_event_log.h"
#include "temp_dir.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <atomic>
#include <functional>
#include <ostream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace herald::store {
namespace {

// One log under test plus what the suite needs to provoke failures in it.
class LogUnderTest {
 public:
  virtual ~LogUnderTest() = default;
  virtual EventLog& log() = 0;
  // Makes every later append that contains an event of `topic` fail inside the storage engine, after
  // the events before it in the batch were written. False when the implementation cannot fail so.
  virtual bool failAppendsOf(const std::string& topic) = 0;
};

class MemoryLogUnderTest final : public LogUnderTest {
 public:
  EventLog& log() override { return log_; }
  bool failAppendsOf(const std::string&) override { return false; }

 private:
  MemoryEventLog log_;
};

class SqliteLogUnderTest final : public LogUnderTest {
 public:
  SqliteLogUnderTest() {
    auto opened = SqliteEventLog::open(dir_.file("events.db"));
    if (!opened) throw std::runtime_error(opened.error().message);
    log_ = std::move(*opened);
  }
  EventLog& log() override { return *log_; }

  // A trigger added through a second connection: the failure is SQLite's own, mid-transaction.
  bool failAppendsOf(const std::string& topic) override {
    sqlite3* db = nullptr;
    bool ok = sqlite3_open(dir_.file("events.db").c_str(), &db) == SQLITE_OK;
    const std::string sql = "CREATE TRIGGER fail_" + topic + " BEFORE INSERT ON events WHEN NEW.topic = '" +
                            topic + "' BEGIN SELECT RAISE(ABORT, 'refused by test trigger'); END;";
    ok = ok && sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr) == SQLITE_OK;
    sqlite3_close(db);
    return ok;
  }

 private:
  test::TempDir dir_;
  std::unique_ptr<SqliteEventLog> log_;
};

struct Implementation {
  std::string name;
  std::function<std::unique_ptr<LogUnderTest>()> make;
};

void PrintTo(const Implementation& implementation, std::ostream* out) { *out << implementation.name; }

std::string implementationName(const ::testing::TestParamInfo<Implementation>& info) {
  return info.param.name;
}

Event event(std::string topic, std::int64_t time_ms = 1'000, std::string data = R"({"n":1})") {
  Event e;
  e.topic = std::move(topic);
  e.time_ms = time_ms;
  e.data = std::move(data);
  return e;
}

std::vector<Event> events(std::size_t count, const std::string& topic = "chain.block") {
  std::vector<Event> batch;
  for (std::size_t i = 0; i < count; ++i)
    batch.push_back(event(topic, 1'000, R"({"i":)" + std::to_string(i) + "}"));
  return batch;
}

std::vector<std::uint64_t> seqsOf(const ReadBatch& batch) {
  std::vector<std::uint64_t> seqs;
  for (const auto& e : batch.events) seqs.push_back(e->seq);
  return seqs;
}

std::vector<std::uint64_t> range(std::uint64_t from, std::uint64_t to) {
  std::vector<std::uint64_t> seqs;
  for (auto s = from; s <= to; ++s) seqs.push_back(s);
  return seqs;
}

class EventLogContract : public ::testing::TestWithParam<Implementation> {
 protected:
  void SetUp() override { subject_ = GetParam().make(); }

  EventLog& log() { return subject_->log(); }
  std::uint64_t epoch() { return log().bounds().epoch; }

  Cursor append(std::vector<Event> batch) {
    auto cursor = log().append(batch);
    EXPECT_TRUE(cursor) << (cursor ? "" : cursor.error().message);
    return cursor ? *cursor : Cursor{};
  }

  ReadBatch read(Cursor after, std::string_view topic = {}, std::size_t limit = 1'000) {
    auto batch = log().readAfter(after, topic, limit);
    EXPECT_TRUE(batch) << (batch ? "" : batch.error().message);
    return batch ? *batch : ReadBatch{};
  }

  std::unique_ptr<LogUnderTest> subject_;
};

TEST_P(EventLogContract, NewLogIsEmptyWithANonzeroEpoch) {
  const LogBounds bounds = log().bounds();
  EXPECT_NE(bounds.epoch, 0u);
  EXPECT_EQ(bounds.first_seq, 1u);
  EXPECT_EQ(bounds.last_seq, 0u);

  const ReadBatch batch = read(Cursor{bounds.epoch, 0});
  EXPECT_TRUE(batch.events.empty());
  EXPECT_TRUE(batch.gaps.empty());
  EXPECT_EQ(batch.next, (Cursor{bounds.epoch, 0}));
  EXPECT_TRUE(batch.at_head);
}

TEST_P(EventLogContract, AppendAssignsConsecutiveSeqsAcrossBatches) {
  std::vector<Event> first = events(3);
  auto cursor = log().append(first);
  ASSERT_TRUE(cursor);
  EXPECT_EQ(*cursor, (Cursor{epoch(), 3}));
  EXPECT_EQ(first[0].seq, 1u);
  EXPECT_EQ(first[2].seq, 3u);

  EXPECT_EQ(append(events(2, "chain.tx")), (Cursor{epoch(), 5}));
  EXPECT_EQ(append(events(1)), (Cursor{epoch(), 6}));
  EXPECT_EQ(log().bounds().last_seq, 6u);

  const ReadBatch batch = read(Cursor{epoch(), 0});
  EXPECT_EQ(seqsOf(batch), range(1, 6));
  EXPECT_EQ(batch.events[3]->topic, "chain.tx");
  EXPECT_EQ(batch.events[4]->data, R"({"i":1})");
  EXPECT_EQ(batch.next, (Cursor{epoch(), 6}));
  EXPECT_TRUE(batch.at_head);
}

TEST_P(EventLogContract, FailedAppendChangesNothing) {
  if (!subject_->failAppendsOf("poison")) GTEST_SKIP() << "this log has no way to fail an append";
  append(events(2));

  std::vector<Event> batch = events(2);
  batch.push_back(event("poison"));
  batch.push_back(event("chain.block"));
  auto failed = log().append(batch);
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.error().code, Errc::unavailable);
  for (const Event& e : batch) EXPECT_EQ(e.seq, 0u) << "seqs are written only on success";

  EXPECT_EQ(log().bounds().last_seq, 2u);
  EXPECT_EQ(seqsOf(read(Cursor{epoch(), 0})), range(1, 2));
  // No seq was used up by the failure.
  EXPECT_EQ(append(events(1)), (Cursor{epoch(), 3}));
  EXPECT_EQ(seqsOf(read(Cursor{epoch(), 0})), range(1, 3));
}

TEST_P(EventLogContract, ReadAfterFiltersByTopic) {
  append({event("a"), event("b"), event("a"), event("b"), event("b"), event("a")});

  const ReadBatch a = read(Cursor{epoch(), 0}, "a");
  EXPECT_EQ(seqsOf(a), (std::vector<std::uint64_t>{1, 3, 6}));
  for (const auto& e : a.events) EXPECT_EQ(e->topic, "a");
  EXPECT_TRUE(a.at_head);

  EXPECT_EQ(seqsOf(read(Cursor{epoch(), 3}, "b")), (std::vector<std::uint64_t>{4, 5}));

  const ReadBatch none = read(Cursor{epoch(), 0}, "never.published");
  EXPECT_TRUE(none.events.empty());
  EXPECT_EQ(none.next, (Cursor{epoch(), 6}));
  EXPECT_TRUE(none.at_head);
}

TEST_P(EventLogContract, PagingWithALimitReachesTheHeadExactly) {
  append(events(10));
  Cursor after{epoch(), 0};
  std::vector<std::vector<std::uint64_t>> pages;
  std::vector<bool> at_head;
  for (int guard = 0; guard < 10; ++guard) {
    const ReadBatch page = read(after, {}, 3);
    pages.push_back(seqsOf(page));
    at_head.push_back(page.at_head);
    after = page.next;
    if (page.at_head) break;
  }
  EXPECT_EQ(pages, (std::vector<std::vector<std::uint64_t>>{{1, 2, 3}, {4, 5, 6}, {7, 8, 9}, {10}}));
  EXPECT_EQ(at_head, (std::vector<bool>{false, false, false, true}));
  EXPECT_EQ(after, (Cursor{epoch(), 10}));

  const ReadBatch past = read(after, {}, 3);
  EXPECT_TRUE(past.events.empty());
  EXPECT_TRUE(past.at_head);
  EXPECT_EQ(past.next, after);
}

TEST_P(EventLogContract, TopicPagingSkipsOtherTopicsAndEndsAtTheHead) {
  // "a" at seqs 1, 4, 7, 10; the log ends with seq 11 of another topic.
  std::vector<Event> batch;
  for (int i = 1; i <= 11; ++i) batch.push_back(event(i % 3 == 1 && i < 11 ? "a" : "b"));
  append(batch);

  ReadBatch page = read(Cursor{epoch(), 0}, "a", 2);
  EXPECT_EQ(seqsOf(page), (std::vector<std::uint64_t>{1, 4}));
  EXPECT_EQ(page.next, (Cursor{epoch(), 4}));
  EXPECT_FALSE(page.at_head);

  page = read(page.next, "a", 2);
  EXPECT_EQ(seqsOf(page), (std::vector<std::uint64_t>{7, 10}));
  EXPECT_EQ(page.next, (Cursor{epoch(), 10}));
  EXPECT_FALSE(page.at_head);

  page = read(page.next, "a", 2);
  EXPECT_TRUE(page.events.empty());
  EXPECT_EQ(page.next, (Cursor{epoch(), 11}));
  EXPECT_TRUE(page.at_head);
}

TEST_P(EventLogContract, RetentionByCountReportsTheExactGap) {
  append(events(10));
  auto deleted = log().applyRetention(RetentionPolicy{4, 0}, 0);
  ASSERT_TRUE(deleted);
  EXPECT_EQ(*deleted, 6u);
  EXPECT_EQ(log().bounds().first_seq, 7u);
  EXPECT_EQ(log().bounds().last_seq, 10u);

  ReadBatch batch = read(Cursor{epoch(), 2});
  EXPECT_EQ(batch.gaps, (std::vector<Gap>{{epoch(), 3, 6, GapReason::history_expired}}));
  EXPECT_EQ(seqsOf(batch), range(7, 10));

  batch = read(Cursor{epoch(), 0});
  EXPECT_EQ(batch.gaps, (std::vector<Gap>{{epoch(), 1, 6, GapReason::history_expired}}));

  batch = read(Cursor{epoch(), 6});  // exactly at the edge: nothing was missed
  EXPECT_TRUE(batch.gaps.empty());
  EXPECT_EQ(seqsOf(batch), range(7, 10));

  deleted = log().applyRetention(RetentionPolicy{4, 0}, 0);
  ASSERT_TRUE(deleted);
  EXPECT_EQ(*deleted, 0u);
}

TEST_P(EventLogContract, RetentionByAgeReportsTheExactGap) {
  std::vector<Event> batch;
  for (int i = 1; i <= 10; ++i) batch.push_back(event("chain.block", i * 100));
  append(batch);

  // Older than 1000 - 500: times 100 .. 400, seqs 1 .. 4.
  auto deleted = log().applyRetention(RetentionPolicy{0, 500}, 1'000);
  ASSERT_TRUE(deleted);
  EXPECT_EQ(*deleted, 4u);
  EXPECT_EQ(log().bounds().first_seq, 5u);

  const ReadBatch read_batch = read(Cursor{epoch(), 1});
  EXPECT_EQ(read_batch.gaps, (std::vector<Gap>{{epoch(), 2, 4, GapReason::history_expired}}));
  EXPECT_EQ(seqsOf(read_batch), range(5, 10));
}

TEST_P(EventLogContract, RetentionByAgeRemovesOnlyAPrefix) {
  // An old time behind a young one stays until the young one expires: history stays contiguous.
  append({event("x", 100), event("x", 900), event("x", 200), event("x", 950)});
  auto deleted = log().applyRetention(RetentionPolicy{0, 500}, 1'000);
  ASSERT_TRUE(deleted);
  EXPECT_EQ(*deleted, 1u);
  EXPECT_EQ(seqsOf(read(Cursor{epoch(), 1})), range(2, 4));
}

TEST_P(EventLogContract, RetentionAppliesBothLimits) {
  std::vector<Event> batch;
  for (int i = 1; i <= 10; ++i) batch.push_back(event("chain.block", i * 100));
  append(batch);
  // The count keeps 8 (deletes 1, 2); the age then deletes times below 500 (3, 4).
  auto deleted = log().applyRetention(RetentionPolicy{8, 500}, 1'000);
  ASSERT_TRUE(deleted);
  EXPECT_EQ(*deleted, 4u);
  EXPECT_EQ(log().bounds().first_seq, 5u);
}

TEST_P(EventLogContract, LastSeqSurvivesRetentionOfEverything) {
  append(events(5));
  auto deleted = log().applyRetention(RetentionPolicy{0, 1}, 1'000'000);
  ASSERT_TRUE(deleted);
  EXPECT_EQ(*deleted, 5u);
  const LogBounds bounds = log().bounds();
  EXPECT_EQ(bounds.first_seq, 6u);
  EXPECT_EQ(bounds.last_seq, 5u);

  const ReadBatch batch = read(Cursor{epoch(), 0});
  EXPECT_EQ(batch.gaps, (std::vector<Gap>{{epoch(), 1, 5, GapReason::history_expired}}));
  EXPECT_TRUE(batch.events.empty());
  EXPECT_EQ(batch.next, (Cursor{epoch(), 5}));
  EXPECT_TRUE(batch.at_head);

  EXPECT_EQ(append(events(1)), (Cursor{epoch(), 6}));
  EXPECT_EQ(seqsOf(read(Cursor{epoch(), 5})), range(6, 6));
}

TEST_P(EventLogContract, ForeignEpochGetsEpochChangedAndEverythingRetained) {
  append(events(3));
  const std::uint64_t foreign = epoch() ^ 0x5a5a5a5a5a5a5a5aULL;
  const ReadBatch batch = read(Cursor{foreign, 42});
  EXPECT_EQ(batch.gaps, (std::vector<Gap>{{foreign, 43, 0, GapReason::epoch_changed}}));
  EXPECT_EQ(seqsOf(batch), range(1, 3));
  EXPECT_EQ(batch.next, (Cursor{epoch(), 3}));
  EXPECT_TRUE(batch.at_head);
}

TEST_P(EventLogContract, ForeignEpochAfterRetentionAlsoReportsTheExpiredStart) {
  append(events(6));
  ASSERT_TRUE(log().applyRetention(RetentionPolicy{2, 0}, 0));
  const std::uint64_t foreign = epoch() + 1;
  const ReadBatch batch = read(Cursor{foreign, 0});
  EXPECT_EQ(batch.gaps, (std::vector<Gap>{{foreign, 1, 0, GapReason::epoch_changed},
                                          {epoch(), 1, 4, GapReason::history_expired}}));
  EXPECT_EQ(seqsOf(batch), range(5, 6));
}

TEST_P(EventLogContract, CursorAheadOfTheHeadIsAnError) {
  auto empty = log().readAfter(Cursor{epoch(), 1}, {}, 10);
  ASSERT_FALSE(empty);
  EXPECT_EQ(empty.error().code, Errc::cursor_ahead);

  append(events(3));
  auto ahead = log().readAfter(Cursor{epoch(), 4}, "chain.block", 10);
  ASSERT_FALSE(ahead);
  EXPECT_EQ(ahead.error().code, Errc::cursor_ahead);
  EXPECT_TRUE(log().readAfter(Cursor{epoch(), 3}, {}, 10));
}

TEST_P(EventLogContract, ReadsReturnSharedImmutableCopies) {
  std::vector<Event> batch = {event("a", 7, R"({"v":"x"})")};
  batch[0].attributes = {{"k", {"v1", "v2"}}};
  append(batch);
  batch[0].data = "changed by the caller";
  const ReadBatch read_batch = read(Cursor{epoch(), 0});
  ASSERT_EQ(read_batch.events.size(), 1u);
  Event expected = event("a", 7, R"({"v":"x"})");
  expected.attributes = {{"k", {"v1", "v2"}}};
  expected.seq = 1;
  EXPECT_EQ(*read_batch.events[0], expected);
}

// Readers run while the writer appends: every read is a contiguous prefix 1..n (no torn batch, no
// hole), n never shrinks, and a cursor-following reader sees each seq exactly once.
TEST_P(EventLogContract, ConcurrentReadersNeverSeeTornOrMissingEvents) {
  constexpr int kBatches = 150;  // enough interleavings to matter, few enough for fsync per commit
  const std::uint64_t log_epoch = epoch();
  std::atomic<std::uint64_t> appended_total{0};
  std::atomic<bool> writer_done{false};

  std::vector<std::string> writer_failures;
  std::thread writer([&] {
    for (int i = 0; i < kBatches; ++i) {
      std::vector<Event> batch = events(static_cast<std::size_t>(i % 4 + 1));
      auto cursor = log().append(batch);
      if (!cursor) {
        writer_failures.push_back(cursor.error().message);
        break;
      }
      appended_total.store(cursor->seq);
    }
    writer_done.store(true);  // also after a failure, so the readers finish
  });

  auto prefixReader = [&](std::vector<std::string>& failures) {
    std::uint64_t seen = 0;
    for (;;) {
      const bool finished = writer_done.load();
      const LogBounds bounds = log().bounds();
      if (bounds.first_seq != 1 || bounds.last_seq < seen) failures.push_back("bounds went back");
      auto batch = log().readAfter(Cursor{log_epoch, 0}, {}, 1'000'000);
      if (!batch) {
        failures.push_back(batch.error().message);
        return;
      }
      const auto n = batch->events.size();
      for (std::size_t i = 0; i < n; ++i) {
        if (batch->events[i]->seq != i + 1) failures.push_back("not contiguous at " + std::to_string(i));
      }
      if (n < seen) failures.push_back("read went back");
      if (batch->next.seq != n || !batch->at_head) failures.push_back("next/at_head wrong");
      if (!failures.empty()) return;
      seen = n;
      if (finished && seen == appended_total.load()) return;
    }
  };

  auto followingReader = [&](std::vector<std::string>& failures) {
    Cursor after{log_epoch, 0};
    for (;;) {
      const bool finished = writer_done.load();
      auto batch = log().readAfter(after, {}, 7);
      if (!batch) {
        failures.push_back(batch.error().message);
        return;
      }
      for (const auto& e : batch->events) {
        if (e->seq != after.seq + 1) failures.push_back("skipped or repeated seq " + std::to_string(e->seq));
        after.seq = e->seq;
      }
      if (batch->next != after) failures.push_back("next is not the last event read");
      if (!failures.empty()) return;
      if (finished && batch->at_head && after.seq == appended_total.load()) return;
    }
  };

  std::vector<std::string> prefix_failures, following_failures;
  std::thread prefix([&] { prefixReader(prefix_failures); });
  std::thread following([&] { followingReader(following_failures); });
  writer.join();
  prefix.join();
  following.join();

  EXPECT_TRUE(writer_failures.empty()) << writer_failures.front();
  EXPECT_TRUE(prefix_failures.empty()) << prefix_failures.front();
  EXPECT_TRUE(following_failures.empty()) << following_failures.front();
  EXPECT_EQ(log().bounds().last_seq, appended_total.load());
}

INSTANTIATE_TEST_SUITE_P(
    AllLogs, EventLogContract,
    ::testing::Values(
        Implementation{"memory", [] { return std::unique_ptr<LogUnderTest>(new MemoryLogUnderTest); }},
        Implementation{"sqlite", [] { return std::unique_ptr<LogUnderTest>(new SqliteLogUnderTest); }}),
    implementationName);

}  // namespace
}  // namespace herald::store
