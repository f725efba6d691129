// SqliteEventLog: see sqlite_event_log.h. Every read runs in one read transaction, so the bounds it
// checks the cursor against and the events it returns come from the same snapshot: a retention or a
// commit racing with a read can never make it skip events silently.
#include "store/sqlite_event_log.h"

#include "store/read_plan.h"

#include <boost/json.hpp>
#include <sqlite3.h>

#include <algorithm>
#include <limits>
#include <optional>
#include <random>
#include <string>
#include <utility>

namespace herald::store {
namespace {

// Another process (a backup, the sqlite3 shell) may hold the write lock for a moment; waiting this
// long rides that out, and is short enough that a stuck lock surfaces as an error to publishers
// instead of an endless stall.
constexpr int kBusyTimeoutMs = 5000;
// Idle read connections kept open. Each holds a file descriptor and its own page cache; the bus has
// one reader thread, so more than a few concurrent readers are rare and get a connection of their own.
constexpr std::size_t kMaxIdleReaders = 4;
// PRAGMA user_version of the layout described in sqlite_event_log.h.
constexpr int kSchemaVersion = 1;

// Idempotent: runs on every open. The user_version it sets is kSchemaVersion.
constexpr const char* kSchema =
    "CREATE TABLE IF NOT EXISTS events("
    "seq INTEGER PRIMARY KEY, topic TEXT NOT NULL, time_ms INTEGER NOT NULL,"
    " attributes TEXT NOT NULL, data TEXT NOT NULL);"
    "CREATE INDEX IF NOT EXISTS events_topic_seq ON events(topic, seq);"
    "CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;"
    "INSERT OR IGNORE INTO meta(key, value) VALUES('last_seq', 0);"
    "PRAGMA user_version = 1;";

std::uint64_t randomEpoch() {
  std::random_device device;
  std::uint64_t epoch = 0;
  while (epoch == 0) epoch = (std::uint64_t{device()} << 32) ^ std::uint64_t{device()};
  return epoch;
}

std::int64_t toSql(std::uint64_t value) noexcept { return static_cast<std::int64_t>(value); }
std::uint64_t fromSql(std::int64_t value) noexcept { return static_cast<std::uint64_t>(value); }

std::string columnText(sqlite3_stmt* statement, int column) {
  const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(statement, column));
  const int bytes = sqlite3_column_bytes(statement, column);
  return text == nullptr ? std::string() : std::string(text, static_cast<std::size_t>(bytes));
}

// Duplicate keys (an event that skipped normalizeAttributes) are merged rather than lost.
std::string attributesToJson(const std::vector<Attribute>& attributes) {
  boost::json::object object;
  for (const Attribute& attribute : attributes) {
    auto& values = object[attribute.key];
    if (!values.is_array()) values.emplace_array();
    for (const std::string& value : attribute.values) values.get_array().emplace_back(value);
  }
  return boost::json::serialize(object);
}

bool attributesFromJson(std::string_view text, std::vector<Attribute>& attributes) {
  boost::system::error_code ec;
  boost::json::value parsed = boost::json::parse(text, ec);
  if (ec || !parsed.is_object()) return false;
  for (const auto& [key, values] : parsed.get_object()) {
    if (!values.is_array()) return false;
    Attribute attribute{std::string(key), {}};
    for (const auto& value : values.get_array()) {
      if (!value.is_string()) return false;
      attribute.values.emplace_back(value.get_string());
    }
    attributes.push_back(std::move(attribute));
  }
  return true;
}

class Statement {
 public:
  Statement() = default;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  ~Statement() { sqlite3_finalize(statement_); }

  sqlite3_stmt* get() const noexcept { return statement_; }
  sqlite3_stmt** out() noexcept { return &statement_; }

 private:
  sqlite3_stmt* statement_ = nullptr;
};

// Resets a statement on scope exit so it never holds a snapshot or bound text between calls.
class Reset {
 public:
  explicit Reset(sqlite3_stmt* statement) : statement_(statement) {}
  Reset(const Reset&) = delete;
  Reset& operator=(const Reset&) = delete;
  ~Reset() {
    sqlite3_reset(statement_);
    sqlite3_clear_bindings(statement_);
  }

 private:
  sqlite3_stmt* statement_;
};

}  // namespace

namespace detail {

struct SqliteConnection {
  std::filesystem::path file;
  sqlite3* db = nullptr;
  // writer
  Statement insert;
  Statement set_last_seq;
  Statement first_young;
  Statement delete_before;
  // reader
  Statement last_seq;
  Statement min_seq;
  Statement read_all;
  Statement read_topic;

  SqliteConnection() = default;
  SqliteConnection(const SqliteConnection&) = delete;
  SqliteConnection& operator=(const SqliteConnection&) = delete;

  Error failure(std::string_view what) const {
    std::string message = "event log '" + file.string() + "': " + std::string(what);
    if (db != nullptr) {
      message += ": ";
      message += sqlite3_errmsg(db);
    }
    return Error::make(Errc::unavailable, std::move(message));
  }

  Result<void> exec(const char* sql, std::string_view what) {
    if (sqlite3_exec(db, sql, nullptr, nullptr, nullptr) != SQLITE_OK) return failure(what);
    return {};
  }

  Result<void> prepare(Statement& statement, const char* sql) {
    if (sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, statement.out(), nullptr) != SQLITE_OK) {
      return failure(std::string("unexpected layout (") + sql + ")");
    }
    return {};
  }

  // One integer from a statement whose parameters are bound; nullopt for no row or NULL.
  Result<std::optional<std::int64_t>> single(const Statement& statement, std::string_view what) {
    Reset reset(statement.get());
    const int rc = sqlite3_step(statement.get());
    if (rc == SQLITE_DONE) return std::optional<std::int64_t>();
    if (rc != SQLITE_ROW) return failure(what);
    if (sqlite3_column_type(statement.get(), 0) == SQLITE_NULL) return std::optional<std::int64_t>();
    return std::optional<std::int64_t>(sqlite3_column_int64(statement.get(), 0));
  }

  // Ends a transaction that failed part way; harmless when SQLite already rolled it back.
  void rollback() noexcept {
    if (sqlite3_get_autocommit(db) == 0) sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
  }
};

// The handle outlives its statements: members are destroyed before the deleter closes it.
void SqliteConnectionDeleter::operator()(SqliteConnection* connection) const noexcept {
  if (connection == nullptr) return;
  sqlite3* db = connection->db;
  delete connection;
  sqlite3_close_v2(db);
}

}  // namespace detail

namespace {

using detail::SqliteConnection;
using detail::SqliteConnectionPtr;

// Opens a handle; only the writer may create the file.
Result<SqliteConnectionPtr> openConnection(const std::filesystem::path& file, bool create) {
  SqliteConnectionPtr connection(new SqliteConnection);
  connection->file = file;
  // NOMUTEX: a handle is used by one thread at a time, guarded by the log's own mutexes.
  const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | (create ? SQLITE_OPEN_CREATE : 0);
  if (sqlite3_open_v2(file.string().c_str(), &connection->db, flags, nullptr) != SQLITE_OK) {
    return connection->failure("cannot open");
  }
  sqlite3_busy_timeout(connection->db, kBusyTimeoutMs);
  return connection;
}

Result<SqliteConnectionPtr> openReader(const std::filesystem::path& file) {
  auto reader = openConnection(file, false);
  if (!reader) return reader.error();
  SqliteConnection& c = **reader;
  // A reader never writes: make that a property of the handle, not just of the code.
  if (auto r = c.exec("PRAGMA query_only = 1", "cannot open a read connection"); !r) return r.error();
  if (auto r = c.prepare(c.last_seq, "SELECT value FROM meta WHERE key = 'last_seq'"); !r) return r.error();
  if (auto r = c.prepare(c.min_seq, "SELECT MIN(seq) FROM events"); !r) return r.error();
  if (auto r = c.prepare(c.read_all,
                         "SELECT seq, topic, time_ms, attributes, data FROM events"
                         " WHERE seq > ?1 AND seq <= ?2 ORDER BY seq LIMIT ?3");
      !r) {
    return r.error();
  }
  if (auto r = c.prepare(c.read_topic,
                         "SELECT seq, topic, time_ms, attributes, data FROM events"
                         " WHERE topic = ?1 AND seq > ?2 AND seq <= ?3 ORDER BY seq LIMIT ?4");
      !r) {
    return r.error();
  }
  return reader;
}

// Creates the layout when missing and reads the bounds, in one write transaction so two processes
// opening a new file at once agree on one epoch.
Result<LogBounds> setUp(SqliteConnection& c, SqliteOptions options) {
  {
    // The first statement that reads the file: a file that is not a database fails here.
    Statement journal;
    if (auto r = c.prepare(journal, "PRAGMA journal_mode = WAL"); !r)
      return c.failure("not a usable database");
    Reset reset(journal.get());
    if (sqlite3_step(journal.get()) != SQLITE_ROW) return c.failure("not a usable database");
    if (columnText(journal.get(), 0) != "wal") return c.failure("cannot switch to WAL mode");
  }
  const char* sync =
      options.sync == SqliteOptions::Sync::full ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL";
  if (auto r = c.exec(sync, "cannot set synchronous"); !r) return r.error();

  if (auto r = c.exec("BEGIN IMMEDIATE", "cannot lock for setup"); !r) return r.error();
  auto fail = [&](Error error) -> Result<LogBounds> {
    c.rollback();
    return error;
  };
  Statement version;
  if (auto r = c.prepare(version, "PRAGMA user_version"); !r) return fail(r.error());
  auto stored_version = c.single(version, "cannot read the schema version");
  if (!stored_version) return fail(stored_version.error());
  if (stored_version->value_or(0) > kSchemaVersion) {
    return fail(c.failure("schema version " + std::to_string(**stored_version) + " is newer than " +
                          std::to_string(kSchemaVersion)));
  }
  if (auto r = c.exec(kSchema, "cannot create the layout"); !r) return fail(r.error());

  Statement add_epoch;
  if (auto r = c.prepare(add_epoch, "INSERT OR IGNORE INTO meta(key, value) VALUES('epoch', ?1)"); !r) {
    return fail(r.error());
  }
  sqlite3_bind_int64(add_epoch.get(), 1, toSql(randomEpoch()));
  if (auto r = c.single(add_epoch, "cannot store the epoch"); !r) return fail(r.error());

  Statement epoch_query, last_query, min_query, max_query;
  for (auto [statement, sql] : {std::pair{&epoch_query, "SELECT value FROM meta WHERE key = 'epoch'"},
                                std::pair{&last_query, "SELECT value FROM meta WHERE key = 'last_seq'"},
                                std::pair{&min_query, "SELECT MIN(seq) FROM events"},
                                std::pair{&max_query, "SELECT MAX(seq) FROM events"}}) {
    if (auto r = c.prepare(*statement, sql); !r) return fail(r.error());
  }
  auto epoch = c.single(epoch_query, "cannot read the epoch");
  if (!epoch) return fail(epoch.error());
  auto last = c.single(last_query, "cannot read last_seq");
  if (!last) return fail(last.error());
  auto min = c.single(min_query, "cannot read the first seq");
  if (!min) return fail(min.error());
  auto max = c.single(max_query, "cannot read the last seq");
  if (!max) return fail(max.error());
  if (auto r = c.exec("COMMIT", "cannot commit setup"); !r) return fail(r.error());

  if (!*epoch || **epoch == 0) return c.failure("meta has no epoch");
  if (!*last || **last < 0 || (*max && **max > **last) || (*min && **min < 1)) {
    return c.failure("meta last_seq does not match the stored events");
  }
  LogBounds bounds;
  bounds.epoch = fromSql(**epoch);
  bounds.last_seq = fromSql(**last);
  bounds.first_seq = *min ? fromSql(**min) : bounds.last_seq + 1;
  return bounds;
}

Result<void> prepareWriter(SqliteConnection& c) {
  if (auto r = c.prepare(
          c.insert, "INSERT INTO events(seq, topic, time_ms, attributes, data) VALUES(?1, ?2, ?3, ?4, ?5)");
      !r) {
    return r;
  }
  if (auto r = c.prepare(c.set_last_seq, "UPDATE meta SET value = ?1 WHERE key = 'last_seq'"); !r) return r;
  // Walks the oldest events in seq order and stops at the first young one: cost grows with what is
  // deleted, not with the size of the log (time_ms has no index).
  if (auto r = c.prepare(c.first_young,
                         "SELECT seq FROM events WHERE seq >= ?1 AND time_ms >= ?2 ORDER BY seq LIMIT 1");
      !r) {
    return r;
  }
  return c.prepare(c.delete_before, "DELETE FROM events WHERE seq < ?1");
}

std::int64_t sqlLimit(std::size_t limit) noexcept {
  return limit > static_cast<std::size_t>(std::numeric_limits<std::int64_t>::max())
             ? std::numeric_limits<std::int64_t>::max()
             : static_cast<std::int64_t>(limit);
}

}  // namespace

Result<std::unique_ptr<SqliteEventLog>> SqliteEventLog::open(const std::filesystem::path& file,
                                                             SqliteOptions options) {
  auto writer = openConnection(file, true);
  if (!writer) return writer.error();
  auto bounds = setUp(**writer, options);
  if (!bounds) return bounds.error();
  if (auto r = prepareWriter(**writer); !r) return r.error();
  return std::unique_ptr<SqliteEventLog>(new SqliteEventLog(file, std::move(*writer), *bounds));
}

SqliteEventLog::SqliteEventLog(std::filesystem::path file, ConnectionPtr writer, LogBounds bounds)
    : file_(std::move(file)),
      epoch_(bounds.epoch),
      writer_(std::move(writer)),
      first_seq_(bounds.first_seq),
      last_seq_(bounds.last_seq) {}

SqliteEventLog::~SqliteEventLog() = default;

Result<Cursor> SqliteEventLog::append(std::span<Event> batch) {
  std::lock_guard lock(write_mutex_);
  SqliteConnection& c = *writer_;
  const std::uint64_t first = last_seq_.load(std::memory_order_relaxed) + 1;
  if (batch.empty()) return Cursor{epoch_, first - 1};
  const std::uint64_t last = first + batch.size() - 1;

  if (auto r = c.exec("BEGIN IMMEDIATE", "cannot begin append"); !r) return r.error();
  auto fail = [&](std::string_view what) -> Error {
    Error error = c.failure(what);  // before rollback replaces the message
    c.rollback();
    return error;
  };
  for (std::size_t i = 0; i < batch.size(); ++i) {
    const Event& event = batch[i];
    const std::string attributes = attributesToJson(event.attributes);
    Reset reset(c.insert.get());
    sqlite3_bind_int64(c.insert.get(), 1, toSql(first + i));
    sqlite3_bind_text(c.insert.get(), 2, event.topic.data(), static_cast<int>(event.topic.size()),
                      SQLITE_STATIC);
    sqlite3_bind_int64(c.insert.get(), 3, event.time_ms);
    sqlite3_bind_text(c.insert.get(), 4, attributes.data(), static_cast<int>(attributes.size()),
                      SQLITE_STATIC);
    sqlite3_bind_text(c.insert.get(), 5, event.data.data(), static_cast<int>(event.data.size()),
                      SQLITE_STATIC);
    if (sqlite3_step(c.insert.get()) != SQLITE_DONE)
      return fail("cannot append seq " + std::to_string(first + i));
  }
  {
    Reset reset(c.set_last_seq.get());
    sqlite3_bind_int64(c.set_last_seq.get(), 1, toSql(last));
    if (sqlite3_step(c.set_last_seq.get()) != SQLITE_DONE) return fail("cannot advance last_seq");
  }
  if (sqlite3_exec(c.db, "COMMIT", nullptr, nullptr, nullptr) != SQLITE_OK)
    return fail("cannot commit append");

  for (std::size_t i = 0; i < batch.size(); ++i) batch[i].seq = first + i;
  last_seq_.store(last, std::memory_order_release);
  return Cursor{epoch_, last};
}

Result<SqliteEventLog::ConnectionPtr> SqliteEventLog::acquireReader() {
  {
    std::lock_guard lock(readers_mutex_);
    if (!idle_readers_.empty()) {
      ConnectionPtr reader = std::move(idle_readers_.back());
      idle_readers_.pop_back();
      return reader;
    }
  }
  return openReader(file_);
}

void SqliteEventLog::releaseReader(ConnectionPtr reader) {
  std::lock_guard lock(readers_mutex_);
  if (idle_readers_.size() < kMaxIdleReaders) idle_readers_.push_back(std::move(reader));
}

Result<ReadBatch> SqliteEventLog::readAfter(const Cursor& after, std::string_view topic, std::size_t limit) {
  auto reader = acquireReader();
  if (!reader) return reader.error();
  auto batch = readWith(**reader, after, topic, limit);
  releaseReader(std::move(*reader));
  return batch;
}

Result<ReadBatch> SqliteEventLog::readWith(SqliteConnection& c, const Cursor& after, std::string_view topic,
                                           std::size_t limit) {
  // Commits become visible to readers a moment before the writer publishes them to bounds(); reading
  // only up to what bounds() already showed keeps the two consistent: a read is never ahead of it.
  const std::uint64_t published = last_seq_.load(std::memory_order_acquire);
  // One snapshot for the bounds and the events (see the top of this file).
  if (auto r = c.exec("BEGIN", "cannot begin read"); !r) return r.error();
  auto fail = [&](Error error) -> Result<ReadBatch> {
    c.rollback();
    return error;
  };
  auto last = c.single(c.last_seq, "cannot read last_seq");
  if (!last) return fail(last.error());
  auto min = c.single(c.min_seq, "cannot read the first seq");
  if (!min) return fail(min.error());
  if (!*last) return fail(c.failure("meta has no last_seq"));

  LogBounds bounds;
  bounds.epoch = epoch_;
  const std::uint64_t stored_last = fromSql(**last);
  bounds.first_seq = *min ? fromSql(**min) : stored_last + 1;
  // Retention after a commit this read does not count yet may have removed more than that commit
  // added: then nothing up to first_seq - 1 can be read, so that is the head this read reports.
  bounds.last_seq = std::max(std::min(stored_last, published), bounds.first_seq - 1);
  auto start = planRead(bounds, after);
  if (!start) return fail(start.error());

  ReadBatch batch;
  batch.gaps = std::move(start->gaps);
  if (limit > 0) {
    sqlite3_stmt* query = topic.empty() ? c.read_all.get() : c.read_topic.get();
    Reset reset(query);
    int index = 1;
    if (!topic.empty()) {
      sqlite3_bind_text(query, index++, topic.data(), static_cast<int>(topic.size()), SQLITE_STATIC);
    }
    sqlite3_bind_int64(query, index++, toSql(start->after_seq));
    sqlite3_bind_int64(query, index++, toSql(bounds.last_seq));
    sqlite3_bind_int64(query, index++, sqlLimit(limit));
    int rc;
    while ((rc = sqlite3_step(query)) == SQLITE_ROW) {
      auto event = std::make_shared<Event>();
      event->seq = fromSql(sqlite3_column_int64(query, 0));
      event->topic = columnText(query, 1);
      event->time_ms = sqlite3_column_int64(query, 2);
      if (!attributesFromJson(columnText(query, 3), event->attributes)) {
        return fail(c.failure("malformed attributes at seq " + std::to_string(event->seq)));
      }
      event->data = columnText(query, 4);
      batch.events.push_back(std::move(event));
    }
    if (rc != SQLITE_DONE) return fail(c.failure("cannot read events"));
  }
  if (auto r = c.exec("COMMIT", "cannot end read"); !r) return fail(r.error());
  finishRead(batch, bounds, start->after_seq, limit);
  return batch;
}

LogBounds SqliteEventLog::bounds() const {
  // first_seq before last_seq: last_seq only grows, so the pair read never shows first > last + 1.
  LogBounds bounds;
  bounds.epoch = epoch_;
  bounds.first_seq = first_seq_.load(std::memory_order_acquire);
  bounds.last_seq = last_seq_.load(std::memory_order_acquire);
  return bounds;
}

Result<std::size_t> SqliteEventLog::applyRetention(const RetentionPolicy& policy, std::int64_t now_ms) {
  std::lock_guard lock(write_mutex_);
  SqliteConnection& c = *writer_;
  const std::uint64_t first = first_seq_.load(std::memory_order_relaxed);
  const std::uint64_t last = last_seq_.load(std::memory_order_relaxed);
  std::uint64_t keep_from = first;  // every event with seq < keep_from goes
  if (policy.max_events > 0 && last + 1 - first > policy.max_events) keep_from = last + 1 - policy.max_events;
  if (policy.max_age_ms > 0 && keep_from <= last) {
    sqlite3_bind_int64(c.first_young.get(), 1, toSql(keep_from));
    sqlite3_bind_int64(c.first_young.get(), 2, now_ms - policy.max_age_ms);
    auto young = c.single(c.first_young, "cannot find expired events");
    if (!young) return young.error();
    keep_from = *young ? fromSql(**young) : last + 1;
  }
  if (keep_from == first) return std::size_t{0};

  if (auto r = c.exec("BEGIN IMMEDIATE", "cannot begin retention"); !r) return r.error();
  sqlite3_bind_int64(c.delete_before.get(), 1, toSql(keep_from));
  auto deleted = c.single(c.delete_before, "cannot delete expired events");
  if (!deleted) {
    c.rollback();
    return deleted.error();
  }
  const auto count = static_cast<std::size_t>(sqlite3_changes64(c.db));
  if (sqlite3_exec(c.db, "COMMIT", nullptr, nullptr, nullptr) != SQLITE_OK) {
    Error error = c.failure("cannot commit retention");
    c.rollback();
    return error;
  }
  first_seq_.store(keep_from, std::memory_order_release);
  return count;
}

}  // namespace herald::store
