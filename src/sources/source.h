// Source: anything that produces events (demo generator, publish API, ZMQ, pollers, gRPC streams)
// and hands them to the bus. A source knows nothing of clients, sessions or dialects: it only sees an
// EventSink. health() is what /healthz and the dashboard show for it.
#pragma once

#include "bus/pipeline.h"

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace herald::sources {

enum class SourceState {
  ok,        // producing, and its last batch was accepted
  degraded,  // running, but its last batch failed or it is skipping work (detail says why)
  down,      // not started, stopped, or unable to produce at all
};

constexpr std::string_view sourceStateName(SourceState state) noexcept {
  switch (state) {
    case SourceState::ok:
      return "ok";
    case SourceState::degraded:
      return "degraded";
    case SourceState::down:
      return "down";
  }
  return "down";
}

struct SourceHealth {
  std::string name;  // unique among the gateway's sources, e.g. "demo"
  SourceState state = SourceState::down;
  std::string detail;              // why, when not ok; empty otherwise
  std::int64_t last_event_ms = 0;  // Unix ms of the last accepted batch; 0 = none yet
  // Monotonic counts a source chooses to expose ("blocks", "reorgs", "zmq_connects", ...), sorted by
  // name; /metrics shows each as herald_source_events_total{source=name,kind=counter}.
  std::vector<std::pair<std::string, std::uint64_t>> counters;
};

class Source {
 public:
  virtual ~Source() = default;

  // Begins producing into `sink`, which must outlive stop(). Returns at once; production runs on the
  // source's own thread(s) and calls sink.publish from there. A second start() while running is a
  // no-op.
  virtual void start(bus::EventSink& sink) = 0;

  // Stops producing and joins the source's threads; after it returns, the source calls the sink no
  // more (acknowledgements of batches already handed over may still arrive). Idempotent.
  virtual void stop() = 0;

  // Any thread, any time.
  virtual SourceHealth health() const = 0;
};

}  // namespace herald::sources
