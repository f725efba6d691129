// Pipeline: the in-process bus. Every accepted event passes through it: publishers and sources hand
// batches to one log-writer thread, which appends all that has arrived together as one durable
// transaction (group commit: one fsync for many publishers), acknowledges each batch, and hands the
// sequenced events to the fan-out (one post per worker). A reader thread serves history reads for
// resuming sessions so that no worker ever waits on the disk.
//
// Must not: know about clients, dialects or sockets.
#pragma once

#include "core/event_log.h"
#include "core/history.h"
#include "core/metrics.h"

#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace herald::bus {

using EventBatchPtr = std::shared_ptr<const std::vector<EventPtr>>;

// Where events enter. `done` runs on the log-writer thread once the batch is durable (or failed);
// callers post back to their own thread from it. Events of one batch get consecutive seqs.
class EventSink {
 public:
  virtual ~EventSink() = default;
  virtual void publish(std::vector<Event> batch, std::function<void(Result<Cursor>)> done) = 0;
};

struct PipelineConfig {
  RetentionPolicy retention;
  std::int64_t retention_interval_ms = 10'000;  // how often the writer applies retention
  std::size_t max_group_events = 10'000;         // bounds one transaction
};

class Pipeline final : public EventSink {
 public:
  // `fanout` runs on the writer thread with each committed batch, in seq order.
  // `now_ms` is the wall clock (injected for tests).
  Pipeline(EventLog& log, PipelineConfig config, Metrics& metrics, std::function<void(EventBatchPtr)> fanout,
           std::function<std::int64_t()> now_ms);
  ~Pipeline() override;  // stop()

  // Starts the writer and reader threads. start() and stop() are called by the owner's thread, never
  // from inside `done`, `fanout` or a history callback; a stopped Pipeline does not start again.
  void start();
  // Commits what is queued, runs the queued history reads, then stops both threads. Idempotent.
  void stop();

  // Batches published before start() wait for it. After stop(), `done` gets Errc::unavailable at once,
  // on the caller's thread (there is no writer thread left to run it).
  void publish(std::vector<Event> batch, std::function<void(Result<Cursor>)> done) override;

  // A History for one worker: results are delivered through `post` (which must run the function on
  // that worker's thread).
  std::unique_ptr<History> historyFor(std::function<void(std::function<void()>)> post);

  LogBounds bounds() const { return log_.bounds(); }

 private:
  struct Pending {
    std::vector<Event> batch;
    std::function<void(Result<Cursor>)> done;
  };
  class WorkerHistory;

  void writerLoop();
  void commit(std::vector<Pending>& group);
  void runRetention();
  void readerLoop();
  // False once the reader is stopping: the job will never run.
  bool enqueueRead(std::function<void()> job);

  EventLog& log_;
  PipelineConfig config_;
  Metrics& metrics_;
  std::function<void(EventBatchPtr)> fanout_;
  std::function<std::int64_t()> now_ms_;

  std::mutex write_mutex_;
  std::condition_variable write_cv_;
  std::deque<Pending> write_queue_;
  bool stopping_ = false;

  std::mutex read_mutex_;
  std::condition_variable read_cv_;
  std::deque<std::function<void()>> read_queue_;
  bool reader_stopping_ = false;

  std::thread writer_;
  std::thread reader_;
};

}  // namespace herald::bus
