// DemoSource: runs a DemoFeed on its own thread so a fresh gateway has live, realistic traffic on
// every catalog topic a dashboard shows (blocks, mempool, offers, prices, node status).
//
// Must not: know about clients. It sees only the EventSink.
// The timer is a condition variable waited on until the next deadline, so stop() wakes it at once
// and an idle demo costs no CPU between ticks.
#pragma once

#include "sources/demo_feed.h"
#include "sources/source.h"

#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>

namespace herald::sources {

class DemoSource final : public Source {
 public:
  explicit DemoSource(DemoConfig config);
  ~DemoSource() override;  // stop()
  DemoSource(const DemoSource&) = delete;
  DemoSource& operator=(const DemoSource&) = delete;

  // The first tick is produced at once, then one every block_interval_ms / ticks_per_block (at
  // least 1 ms). A tick that falls more than a period behind is skipped, not bunched up.
  // start() and stop() are called from one controlling thread.
  void start(bus::EventSink& sink) override;
  void stop() override;
  SourceHealth health() const override;

 private:
  // Health and the in-flight count: shared with the sink's acknowledgement callbacks, which run
  // on the log-writer thread and may arrive after this source is gone.
  struct Shared;

  void run(bus::EventSink& sink);
  void produce(bus::EventSink& sink);
  std::int64_t nowMs() const;

  DemoConfig config_;
  DemoFeed feed_;  // the source thread's alone once started
  std::shared_ptr<Shared> shared_;

  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace herald::sources
