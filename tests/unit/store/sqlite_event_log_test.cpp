// SqliteEventLog beyond the shared contract (event_log_contract_test.cpp): what lives in the file
// survives a restart, bytes round-trip exactly, and bad files are errors, not crashes.
#include "store/sqlite_event_log.h"

#include "temp_dir.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <fstream>
#include <string>
#include <vector>

namespace herald::store {
namespace {

std::unique_ptr<SqliteEventLog> openOrFail(const std::filesystem::path& file, SqliteOptions options = {}) {
  auto log = SqliteEventLog::open(file, options);
  EXPECT_TRUE(log) << (log ? "" : log.error().message);
  return log ? std::move(*log) : nullptr;
}

Event event(std::string topic, std::string data = R"({"n":1})", std::int64_t time_ms = 1'000) {
  Event e;
  e.topic = std::move(topic);
  e.time_ms = time_ms;
  e.data = std::move(data);
  return e;
}

// Runs one statement on its own connection, as another process would.
std::string queryText(const std::filesystem::path& file, const std::string& sql) {
  sqlite3* db = nullptr;
  std::string out;
  if (sqlite3_open(file.c_str(), &db) == SQLITE_OK) {
    sqlite3_stmt* statement = nullptr;
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &statement, nullptr) == SQLITE_OK &&
        sqlite3_step(statement) == SQLITE_ROW) {
      const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(statement, 0));
      out = text == nullptr ? "" : text;
    }
    sqlite3_finalize(statement);
  }
  sqlite3_close(db);
  return out;
}

TEST(SqliteEventLog, ReopeningContinuesTheSameEpochAndSeqs) {
  test::TempDir dir;
  const auto file = dir.file("events.db");
  std::uint64_t epoch = 0;
  {
    auto log = openOrFail(file);
    ASSERT_TRUE(log);
    epoch = log->bounds().epoch;
    std::vector<Event> batch = {event("a"), event("b"), event("a")};
    ASSERT_TRUE(log->append(batch));
    ASSERT_TRUE(log->applyRetention(RetentionPolicy{1, 0}, 0));
  }
  auto log = openOrFail(file);
  ASSERT_TRUE(log);
  const LogBounds bounds = log->bounds();
  EXPECT_EQ(bounds.epoch, epoch);
  EXPECT_EQ(bounds.first_seq, 3u);
  EXPECT_EQ(bounds.last_seq, 3u);

  std::vector<Event> more = {event("c")};
  auto cursor = log->append(more);
  ASSERT_TRUE(cursor);
  EXPECT_EQ(*cursor, (Cursor{epoch, 4}));
  auto batch = log->readAfter(Cursor{epoch, 0}, {}, 10);
  ASSERT_TRUE(batch);
  EXPECT_EQ(batch->gaps, (std::vector<Gap>{{epoch, 1, 2, GapReason::history_expired}}));
  ASSERT_EQ(batch->events.size(), 2u);
  EXPECT_EQ(batch->events[0]->seq, 3u);
  EXPECT_EQ(batch->events[1]->topic, "c");
}

TEST(SqliteEventLog, ReopeningAfterRetentionEmptiedTheLogKeepsLastSeq) {
  test::TempDir dir;
  const auto file = dir.file("events.db");
  {
    auto log = openOrFail(file);
    ASSERT_TRUE(log);
    std::vector<Event> batch = {event("a"), event("a")};
    ASSERT_TRUE(log->append(batch));
    auto deleted = log->applyRetention(RetentionPolicy{0, 1}, 1'000'000);
    ASSERT_TRUE(deleted);
    EXPECT_EQ(*deleted, 2u);
  }
  auto log = openOrFail(file);
  ASSERT_TRUE(log);
  EXPECT_EQ(log->bounds().first_seq, 3u);
  EXPECT_EQ(log->bounds().last_seq, 2u);
  std::vector<Event> batch = {event("a")};
  auto cursor = log->append(batch);
  ASSERT_TRUE(cursor);
  EXPECT_EQ(cursor->seq, 3u);
}

TEST(SqliteEventLog, DataAndAttributesRoundTripExactly) {
  test::TempDir dir;
  const auto file = dir.file("events.db");
  Event original =
      event("dex.chat", " { \"text\" : \"caf\xc3\xa9 \\\"quoted\\\" \\\\ \\u0001\" , \"n\":[1, 2.50] } ",
            -1'234'567'890'123);
  original.attributes = {{"account", {"alice", "bob \"b\""}},
                         {"empty", {}},
                         {"tag:\xe2\x9c\x93", {"back\\slash", "line\nbreak", ""}}};
  std::vector<Event> batch = {original};
  std::uint64_t epoch = 0;
  {
    auto log = openOrFail(file);
    ASSERT_TRUE(log);
    epoch = log->bounds().epoch;
    ASSERT_TRUE(log->append(batch));
    auto read = log->readAfter(Cursor{epoch, 0}, "dex.chat", 10);
    ASSERT_TRUE(read);
    ASSERT_EQ(read->events.size(), 1u);
    EXPECT_EQ(*read->events[0], batch[0]);
  }
  auto log = openOrFail(file);  // and from disk, by a fresh process's connection
  ASSERT_TRUE(log);
  auto read = log->readAfter(Cursor{epoch, 0}, {}, 10);
  ASSERT_TRUE(read);
  ASSERT_EQ(read->events.size(), 1u);
  EXPECT_EQ(*read->events[0], batch[0]);
  EXPECT_EQ(read->events[0]->seq, 1u);
}

TEST(SqliteEventLog, StoresTheDocumentedLayout) {
  test::TempDir dir;
  const auto file = dir.file("events.db");
  auto log = openOrFail(file);
  ASSERT_TRUE(log);
  Event e = event("chain.tx", R"({"txid":"ab"})", 42);
  e.attributes = {{"owner", {"o1"}}, {"tag:app", {"x", "y"}}};
  std::vector<Event> batch = {e};
  ASSERT_TRUE(log->append(batch));

  EXPECT_EQ(queryText(file, "PRAGMA journal_mode"), "wal");
  EXPECT_EQ(queryText(file, "SELECT attributes FROM events WHERE seq = 1"),
            R"({"owner":["o1"],"tag:app":["x","y"]})");
  EXPECT_EQ(queryText(file, "SELECT data FROM events WHERE seq = 1"), R"({"txid":"ab"})");
  EXPECT_EQ(queryText(file, "SELECT value FROM meta WHERE key = 'last_seq'"), "1");
  EXPECT_EQ(queryText(file, "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'events'"),
            "events_topic_seq");
  const auto stored_epoch = std::stoll(queryText(file, "SELECT value FROM meta WHERE key = 'epoch'"));
  EXPECT_EQ(static_cast<std::uint64_t>(stored_epoch), log->bounds().epoch);
}

TEST(SqliteEventLog, EachNewFileGetsItsOwnEpoch) {
  test::TempDir dir;
  auto first = openOrFail(dir.file("one.db"));
  auto second = openOrFail(dir.file("two.db"));
  ASSERT_TRUE(first && second);
  EXPECT_NE(first->bounds().epoch, 0u);
  EXPECT_NE(first->bounds().epoch, second->bounds().epoch);
}

TEST(SqliteEventLog, NormalSyncKeepsCommittedEventsAcrossReopen) {
  test::TempDir dir;
  const auto file = dir.file("events.db");
  {
    auto log = openOrFail(file, SqliteOptions{SqliteOptions::Sync::normal});
    ASSERT_TRUE(log);
    std::vector<Event> batch = {event("a"), event("b")};
    ASSERT_TRUE(log->append(batch));
  }
  auto log = openOrFail(file, SqliteOptions{SqliteOptions::Sync::normal});
  ASSERT_TRUE(log);
  EXPECT_EQ(log->bounds().last_seq, 2u);
}

TEST(SqliteEventLog, AGarbageFileIsUnavailableAndNamed) {
  test::TempDir dir;
  const auto file = dir.file("not-a-database.db");
  {
    std::ofstream out(file, std::ios::binary);
    for (int i = 0; i < 512; ++i) out << "this is not sqlite ";
  }
  auto log = SqliteEventLog::open(file);
  ASSERT_FALSE(log);
  EXPECT_EQ(log.error().code, Errc::unavailable);
  EXPECT_NE(log.error().message.find(file.string()), std::string::npos) << log.error().message;
}

TEST(SqliteEventLog, AMissingDirectoryIsUnavailableAndNamed) {
  test::TempDir dir;
  const auto file = dir.path() / "no" / "such" / "dir" / "events.db";
  auto log = SqliteEventLog::open(file);
  ASSERT_FALSE(log);
  EXPECT_EQ(log.error().code, Errc::unavailable);
  EXPECT_NE(log.error().message.find(file.string()), std::string::npos) << log.error().message;
}

TEST(SqliteEventLog, ANewerSchemaIsRefused) {
  test::TempDir dir;
  const auto file = dir.file("events.db");
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(file.c_str(), &db), SQLITE_OK);
    EXPECT_EQ(sqlite3_exec(db, "PRAGMA user_version = 99", nullptr, nullptr, nullptr), SQLITE_OK);
    sqlite3_close(db);
  }
  auto log = SqliteEventLog::open(file);
  ASSERT_FALSE(log);
  EXPECT_EQ(log.error().code, Errc::unavailable);
  EXPECT_NE(log.error().message.find("schema version 99"), std::string::npos) << log.error().message;
}

TEST(SqliteEventLog, ATamperedLastSeqIsRefused) {
  test::TempDir dir;
  const auto file = dir.file("events.db");
  {
    auto log = openOrFail(file);
    ASSERT_TRUE(log);
    std::vector<Event> batch = {event("a"), event("a")};
    ASSERT_TRUE(log->append(batch));
  }
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(file.c_str(), &db), SQLITE_OK);
  EXPECT_EQ(sqlite3_exec(db, "UPDATE meta SET value = 1 WHERE key = 'last_seq'", nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);

  auto log = SqliteEventLog::open(file);
  ASSERT_FALSE(log);
  EXPECT_EQ(log.error().code, Errc::unavailable);
}

// WAL: a read completes (from the last committed state) while another connection holds the write
// lock with an uncommitted insert. Were reads blocked by writers, this read would fail with
// "database is locked" after the busy timeout.
TEST(SqliteEventLog, ReadsAreNotBlockedByAnOpenWriteTransaction) {
  test::TempDir dir;
  const auto file = dir.file("events.db");
  auto log = openOrFail(file);
  ASSERT_TRUE(log);
  std::vector<Event> batch = {event("a")};
  ASSERT_TRUE(log->append(batch));

  sqlite3* other = nullptr;
  ASSERT_EQ(sqlite3_open(file.c_str(), &other), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(other,
                         "BEGIN IMMEDIATE; INSERT INTO events(seq, topic, time_ms, attributes, data)"
                         " VALUES(2, 'a', 0, '{}', '{}');",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  auto read = log->readAfter(Cursor{log->bounds().epoch, 0}, {}, 10);
  sqlite3_exec(other, "ROLLBACK", nullptr, nullptr, nullptr);
  sqlite3_close(other);

  ASSERT_TRUE(read) << read.error().message;
  ASSERT_EQ(read->events.size(), 1u);
  EXPECT_TRUE(read->at_head);
}

}  // namespace
}  // namespace herald::store
