// SqliteEventLog: the embedded, durable EventLog: one SQLite file in WAL mode, so readers see a
// consistent snapshot while the writer commits and never wait for it.
//
// Layout (schema version 1, PRAGMA user_version):
//   events(seq INTEGER PRIMARY KEY, topic TEXT, time_ms INTEGER, attributes TEXT, data TEXT)
//     with index events_topic_seq(topic, seq); attributes is compact JSON {"key": ["value", ...]},
//     data is stored verbatim.
//   meta(key TEXT PRIMARY KEY, value INTEGER): 'epoch' (random, nonzero, chosen when the file is
//     created; stored as the signed 64-bit pattern of the unsigned value) and 'last_seq' (the newest
//     seq ever appended, kept apart from events so seqs never go back even when retention empties
//     the table).
//
// Threads: the contract of core/event_log.h. append() and applyRetention() use the write connection
// (one writer thread); readAfter() takes a read connection of its own from a small pool, so readers
// run concurrently with the writer and with each other; bounds() reads atomics.
//
// Must not: be called from a worker's event loop for anything but bounds(): reads and commits touch
// the disk.
#pragma once

#include "core/event_log.h"

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <vector>

namespace herald::store {

namespace detail {
struct SqliteConnection;  // one sqlite3 handle and its prepared statements (sqlite_event_log.cpp)
struct SqliteConnectionDeleter {
  void operator()(SqliteConnection* connection) const noexcept;
};
using SqliteConnectionPtr = std::unique_ptr<SqliteConnection, SqliteConnectionDeleter>;
}  // namespace detail

struct SqliteOptions {
  // How far "durable when append() returns" reaches.
  // - full: each commit is fsynced before append() returns; an acknowledged event survives a power
  //   loss or OS crash. Group commit (bus/pipeline.h) shares one fsync among everything that arrived
  //   together.
  // - normal: the WAL is fsynced only at checkpoints; an acknowledged event survives a crash of the
  //   process (kill -9) but a power loss or OS crash may lose the latest commits. The file is never
  //   corrupted either way.
  enum class Sync { full, normal } sync = Sync::full;
};

class SqliteEventLog final : public EventLog {
 public:
  // Opens `file`, creating it (with a new epoch) when it does not exist. A file that is not a
  // database, is unreadable, or has an unknown schema is Errc::unavailable with the path in the
  // message. The directory must exist.
  static Result<std::unique_ptr<SqliteEventLog>> open(const std::filesystem::path& file,
                                                      SqliteOptions options = {});
  ~SqliteEventLog() override;
  SqliteEventLog(const SqliteEventLog&) = delete;
  SqliteEventLog& operator=(const SqliteEventLog&) = delete;

  // Errors: Errc::unavailable (disk full, I/O error, database locked by another process for longer
  // than the busy timeout); the log is unchanged then.
  Result<Cursor> append(std::span<Event> batch) override;
  Result<ReadBatch> readAfter(const Cursor& after, std::string_view topic, std::size_t limit) override;
  LogBounds bounds() const override;
  // Deletes a prefix of the log: the oldest events beyond max_events, then the oldest events while
  // their time_ms < now_ms - max_age_ms (stopping at the first younger one, so the retained history
  // stays contiguous and gaps stay exact).
  Result<std::size_t> applyRetention(const RetentionPolicy& policy, std::int64_t now_ms) override;

  const std::filesystem::path& file() const noexcept { return file_; }

 private:
  using ConnectionPtr = detail::SqliteConnectionPtr;

  SqliteEventLog(std::filesystem::path file, ConnectionPtr writer, LogBounds bounds);

  Result<ConnectionPtr> acquireReader();
  void releaseReader(ConnectionPtr reader);
  Result<ReadBatch> readWith(detail::SqliteConnection& reader, const Cursor& after, std::string_view topic,
                             std::size_t limit);

  const std::filesystem::path file_;
  const std::uint64_t epoch_;

  std::mutex write_mutex_;  // guards writer_: the contract allows one writer thread, this makes misuse safe
  ConnectionPtr writer_;

  std::mutex readers_mutex_;
  std::vector<ConnectionPtr> idle_readers_;

  // Published by the writer after each commit, for bounds(). first_seq_ only grows in retention.
  std::atomic<std::uint64_t> first_seq_;
  std::atomic<std::uint64_t> last_seq_;
};

}  // namespace herald::store
