// Prometheus text exposition (format 0.0.4) of herald::Metrics, served at GET /metrics.
//
// Must not: invent values. Every field of Metrics appears exactly once; a new field there needs a
// line here (tests/unit/api/prometheus_test.cpp lists them all, so a missing one fails).
#pragma once

#include "core/metrics.h"

#include <string>
#include <string_view>

namespace herald::api {

inline constexpr std::string_view kPrometheusContentType = "text/plain; version=0.0.4";

// Names are herald_<field>: counters end in _total (once), gauges are plain, and the publish-to-write
// latency is the histogram herald_publish_to_write_seconds with `le` bounds in seconds. A reading is
// a snapshot of relaxed atomics; a histogram's _count is the sum of its buckets so the exposition
// stays self-consistent while other threads observe.
std::string renderPrometheus(const Metrics& metrics);

}  // namespace herald::api
