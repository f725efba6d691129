// What the micro-benchmarks share: a stamped event like the ones herald-bench publishes (about 200
// bytes of data), and the stand-ins the Hub needs around it (a History that is never asked, an
// Outlet that only counts wakes).
#pragma once

#include "core/event.h"
#include "core/history.h"
#include "core/session.h"

#include <memory>
#include <string>

namespace herald::bench {

inline std::shared_ptr<Event> makeBenchEvent(std::string topic, std::string value, std::size_t data_bytes = 200) {
  auto event = std::make_shared<Event>();
  event->topic = std::move(topic);
  event->seq = 1;
  event->time_ms = 1'732'450'000'123;
  event->attributes.push_back(Attribute{"k", {std::move(value)}});
  std::string data = "{\"bench_ts\":1732450000123456789,\"v\":\"v1\",\"pad\":\"";
  if (data.size() + 2 < data_bytes) data.append(data_bytes - data.size() - 2, 'x');
  data += "\"}";
  event->data = std::move(data);
  return event;
}

// Live subscriptions never read history; a call would be a benchmark bug.
class NoHistory final : public History {
 public:
  void readAfter(Cursor, std::string, std::size_t, std::function<void(Result<ReadBatch>)>) override { std::abort(); }
};

class CountingOutlet final : public Outlet {
 public:
  void wake() override { ++wakes; }
  void close(std::uint16_t, std::string_view, bool) override { ++closes; }
  std::uint64_t wakes = 0;
  std::uint64_t closes = 0;
};

}  // namespace herald::bench
