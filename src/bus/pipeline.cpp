// Pipeline: see pipeline.h. A group is everything queued when the writer comes round, up to
// max_group_events, appended as one transaction. The log makes a group all or nothing, so when a
// group fails each of its batches is retried alone: one bad batch fails only its own publisher.
// Retention runs on the writer thread between groups, on a steady-clock schedule (wall-clock jumps
// neither skip nor repeat it); `now_ms` only decides which events are old.
#include "bus/pipeline.h"

#include <chrono>
#include <utility>

namespace herald::bus {

class Pipeline::WorkerHistory final : public History {
 public:
  WorkerHistory(Pipeline& pipeline, std::function<void(std::function<void()>)> post)
      : pipeline_(pipeline), post_(std::move(post)) {}

  void readAfter(Cursor after, std::string topic, std::size_t limit,
                 std::function<void(Result<ReadBatch>)> done) override {
    // The job owns copies of everything it needs: this History may be gone before it runs.
    auto job = [&log = pipeline_.log_, post = post_, after, topic = std::move(topic), limit, done]() {
      auto result = log.readAfter(after, topic, limit);
      post([result = std::move(result), done]() mutable { done(std::move(result)); });
    };
    if (!pipeline_.enqueueRead(std::move(job))) {
      post_([done = std::move(done)] { done(Error::make(Errc::unavailable, "history reader is stopped")); });
    }
  }

 private:
  Pipeline& pipeline_;
  std::function<void(std::function<void()>)> post_;
};

Pipeline::Pipeline(EventLog& log, PipelineConfig config, Metrics& metrics,
                   std::function<void(EventBatchPtr)> fanout, std::function<std::int64_t()> now_ms)
    : log_(log), config_(config), metrics_(metrics), fanout_(std::move(fanout)), now_ms_(std::move(now_ms)) {}

Pipeline::~Pipeline() { stop(); }

void Pipeline::start() {
  if (writer_.joinable()) return;
  writer_ = std::thread([this] { writerLoop(); });
  reader_ = std::thread([this] { readerLoop(); });
}

void Pipeline::stop() {
  const bool started = writer_.joinable();
  {
    std::lock_guard lock(write_mutex_);
    stopping_ = true;
  }
  write_cv_.notify_all();
  // Never started: what was published still gets committed (and its `done` called), here.
  if (started)
    writer_.join();
  else
    writerLoop();
  {
    std::lock_guard lock(read_mutex_);
    reader_stopping_ = true;
  }
  read_cv_.notify_all();
  if (started)
    reader_.join();
  else
    readerLoop();
}

void Pipeline::publish(std::vector<Event> batch, std::function<void(Result<Cursor>)> done) {
  const std::int64_t accepted_ns =
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch()).count();
  for (Event& event : batch) event.accepted_ns = accepted_ns;
  {
    std::lock_guard lock(write_mutex_);
    if (!stopping_) {
      write_queue_.push_back(Pending{std::move(batch), std::move(done)});
      write_cv_.notify_one();
      return;
    }
  }
  done(Error::make(Errc::unavailable, "event pipeline is stopped"));
}

std::unique_ptr<History> Pipeline::historyFor(std::function<void(std::function<void()>)> post) {
  return std::make_unique<WorkerHistory>(*this, std::move(post));
}

void Pipeline::writerLoop() {
  using Clock = std::chrono::steady_clock;
  // An interval of 0 or less turns periodic retention off.
  const bool retention_on = config_.retention_interval_ms > 0;
  const auto interval = std::chrono::milliseconds(config_.retention_interval_ms);
  // First pass right away: a gateway restarted after a long stop prunes before it grows.
  auto next_retention = Clock::now();

  std::unique_lock lock(write_mutex_);
  for (;;) {
    auto ready = [this] { return stopping_ || !write_queue_.empty(); };
    if (retention_on) {
      write_cv_.wait_until(lock, next_retention, ready);
    } else {
      write_cv_.wait(lock, ready);
    }
    if (retention_on && !stopping_ && Clock::now() >= next_retention) {
      lock.unlock();
      runRetention();
      lock.lock();
      next_retention = Clock::now() + interval;
    }
    if (write_queue_.empty()) {
      if (stopping_) return;
      continue;
    }
    // At least one batch, even one larger than max_group_events on its own (publish limits bound it).
    std::vector<Pending> group;
    std::size_t events = 0;
    do {
      events += write_queue_.front().batch.size();
      group.push_back(std::move(write_queue_.front()));
      write_queue_.pop_front();
    } while (!write_queue_.empty() && events + write_queue_.front().batch.size() <= config_.max_group_events);
    lock.unlock();
    commit(group);
    lock.lock();
  }
}

void Pipeline::commit(std::vector<Pending>& group) {
  std::size_t total = 0;
  for (const Pending& pending : group) total += pending.batch.size();
  std::vector<Event> events;
  events.reserve(total);
  for (Pending& pending : group) {
    for (Event& event : pending.batch) events.push_back(std::move(event));
  }
  if (events.empty()) {
    const Cursor head = log_.bounds().head();
    for (Pending& pending : group) pending.done(head);
    return;
  }

  std::vector<EventPtr> committed;
  committed.reserve(events.size());
  auto appended = log_.append(events);
  if (appended) {
    Metrics::add(metrics_.log_commits);
    Metrics::add(metrics_.events_in, events.size());
    // Each batch is acknowledged with the seq of its own last event (an empty batch with the seq
    // before it).
    std::uint64_t last_seq = appended->seq - events.size();
    for (Pending& pending : group) {
      last_seq += pending.batch.size();
      pending.done(Cursor{appended->epoch, last_seq});
    }
    for (Event& event : events) committed.push_back(std::make_shared<const Event>(std::move(event)));
  } else if (group.size() == 1) {
    group.front().done(appended.error());
  } else {
    // Give each batch its events back (moved-from slots, same sizes) and try them one by one.
    std::size_t next = 0;
    for (Pending& pending : group) {
      for (Event& event : pending.batch) {
        event = std::move(events[next++]);
        event.seq = 0;
      }
    }
    for (Pending& pending : group) {
      auto alone = log_.append(pending.batch);
      if (!alone) {
        pending.done(alone.error());
        continue;
      }
      if (!pending.batch.empty()) Metrics::add(metrics_.log_commits);
      Metrics::add(metrics_.events_in, pending.batch.size());
      pending.done(*alone);
      for (Event& event : pending.batch) committed.push_back(std::make_shared<const Event>(std::move(event)));
    }
  }
  if (!committed.empty()) fanout_(std::make_shared<const std::vector<EventPtr>>(std::move(committed)));
}

void Pipeline::runRetention() {
  auto deleted = log_.applyRetention(config_.retention, now_ms_());
  // A failed pass leaves the log as it was; the next pass retries. Nothing to tell a client.
  if (deleted) Metrics::add(metrics_.retention_deleted, *deleted);
}

void Pipeline::readerLoop() {
  std::unique_lock lock(read_mutex_);
  for (;;) {
    read_cv_.wait(lock, [this] { return reader_stopping_ || !read_queue_.empty(); });
    if (read_queue_.empty()) return;  // stopping, and every queued read has run
    auto job = std::move(read_queue_.front());
    read_queue_.pop_front();
    lock.unlock();
    job();
    lock.lock();
  }
}

bool Pipeline::enqueueRead(std::function<void()> job) {
  {
    std::lock_guard lock(read_mutex_);
    if (reader_stopping_) return false;
    read_queue_.push_back(std::move(job));
  }
  read_cv_.notify_one();
  return true;
}

}  // namespace herald::bus
