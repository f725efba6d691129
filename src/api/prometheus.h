// Prometheus text exposition (format 0.0.4) of herald::Metrics, served at GET /metrics.
//
// Must not: invent values. Every field of Metrics appears exactly once; a new field there needs a
// line here (tests/unit/api/prometheus_test.cpp lists them all, so a missing one fails).
#pragma once

#include "core/metrics.h"
#include "sources/source.h"

#include <string>
#include <string_view>

namespace herald::api {

inline constexpr std::string_view kPrometheusContentType = "text/plain; version=0.0.4";

// Names are herald_<field>: counters end in _total (once), gauges are plain, and the publish-to-write
// latency is the histogram herald_publish_to_write_seconds with `le` bounds in seconds. A reading is
// a snapshot of relaxed atomics; a histogram's _count is the sum of its buckets so the exposition
// stays self-consistent while other threads observe.
std::string renderPrometheus(const Metrics& metrics);

// The node sources, one series per source (label source="<name>"):
//   herald_source_up                       gauge   1 when the source is ok, else 0
//   herald_source_state{state=...}         gauge   1 for the current state of ok, degraded, down
//   herald_source_events_total{kind=...}   counter each of the source's counters
//   herald_source_last_event_age_seconds   gauge   since its last accepted batch (only once it has one)
// Appended to renderPrometheus's text; empty for no sources.
std::string renderSourceHealth(const std::vector<sources::SourceHealth>& list, std::int64_t now_ms);

}  // namespace herald::api
