// Renders Metrics as Prometheus text. One table of (name, help, field) per kind keeps every name and
// its HELP text in one place.
#include "api/prometheus.h"

#include <algorithm>
#include <array>

namespace herald::api {
namespace {

struct Gauge {
  std::string_view name;
  std::string_view help;
  std::atomic<std::int64_t> Metrics::*field;
};

struct Counter {
  std::string_view name;  // without the _total suffix
  std::string_view help;
  std::atomic<std::uint64_t> Metrics::*field;
};

constexpr std::array kGauges{
    Gauge{"connections", "Open client connections.", &Metrics::connections},
    Gauge{"subscriptions", "Active subscriptions across all connections.", &Metrics::subscriptions},
    Gauge{"queue_bytes", "Bytes waiting in session outbound queues.", &Metrics::queue_bytes},
};

constexpr std::array kCounters{
    Counter{"connections", "Client connections accepted.", &Metrics::connections_total},
    Counter{"connections_rejected", "Connections refused (over max_connections, bad origin, bad path).",
            &Metrics::connections_rejected},
    Counter{"events_in", "Durable events accepted from publishers and sources.", &Metrics::events_in},
    Counter{"events_out", "Frames carrying an event enqueued to a session.", &Metrics::events_out},
    Counter{"frames_out", "Frames written to sockets.", &Metrics::frames_out},
    Counter{"bytes_out", "Bytes of frames written to sockets.", &Metrics::bytes_out},
    Counter{"messages_in", "Client messages received.", &Metrics::messages_in},
    Counter{"messages_ignored", "Client messages a read-only dialect (SIP-50) accepted and ignored.",
            &Metrics::messages_ignored},
    Counter{"slow_consumer_closes", "Connections closed because their outbound queue was full.",
            &Metrics::slow_consumer_closes},
    Counter{"rate_limit_hits", "Client messages refused by the inbound rate limit.",
            &Metrics::rate_limit_hits},
    Counter{"rate_limit_closes", "Connections closed for repeatedly exceeding the rate limit.",
            &Metrics::rate_limit_closes},
    Counter{"client_errors", "Error replies sent to clients.", &Metrics::client_errors},
    Counter{"replayed_events", "Events replayed from history to resuming subscriptions.",
            &Metrics::replayed_events},
    Counter{"publish_rejected", "Publish requests refused (bad input, authentication).",
            &Metrics::publish_rejected},
    Counter{"log_commits", "Event log group commits (one fsync each).", &Metrics::log_commits},
    Counter{"retention_deleted", "Events deleted by retention.", &Metrics::retention_deleted},
};

void header(std::string& out, std::string_view name, std::string_view help, std::string_view type) {
  out.append("# HELP ").append(name).append(" ").append(help).append("\n");
  out.append("# TYPE ").append(name).append(" ").append(type).append("\n");
}

// Exact decimal seconds from microseconds (50 -> "0.00005"): no floating-point noise in `le`.
std::string seconds(std::uint64_t micros) {
  std::string out = std::to_string(micros / 1'000'000);
  std::uint64_t frac = micros % 1'000'000;
  if (frac == 0) return out;
  std::string digits = std::to_string(frac);
  digits.insert(0, 6 - digits.size(), '0');
  while (digits.back() == '0') digits.pop_back();
  return out + "." + digits;
}

}  // namespace

std::string renderPrometheus(const Metrics& metrics) {
  std::string out;
  out.reserve(4096);
  for (const auto& g : kGauges) {
    const std::string name = "herald_" + std::string(g.name);
    header(out, name, g.help, "gauge");
    out.append(name).append(" ").append(std::to_string((metrics.*g.field).load(std::memory_order_relaxed)));
    out.push_back('\n');
  }
  for (const auto& c : kCounters) {
    const std::string name = "herald_" + std::string(c.name) + "_total";
    header(out, name, c.help, "counter");
    out.append(name).append(" ").append(std::to_string((metrics.*c.field).load(std::memory_order_relaxed)));
    out.push_back('\n');
  }

  const LatencyHistogram& h = metrics.publish_to_write;
  constexpr std::string_view kName = "herald_publish_to_write_seconds";
  header(out, kName, "Time from an event being accepted to its frame being written to a socket.",
         "histogram");
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i <= LatencyHistogram::kBuckets; ++i) {
    cumulative += h.bucket(i);
    const std::string le = i < LatencyHistogram::kBuckets ? seconds(LatencyHistogram::boundUs(i)) : "+Inf";
    out.append(kName).append("_bucket{le=\"").append(le).append("\"} ").append(std::to_string(cumulative));
    out.push_back('\n');
  }
  out.append(kName).append("_sum ").append(seconds(h.sumUs())).push_back('\n');
  out.append(kName).append("_count ").append(std::to_string(cumulative)).push_back('\n');
  return out;
}

namespace {

// Label values are operator-chosen source names: escape what the text format requires.
std::string labelValue(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '\\' || c == '"') {
      out.push_back('\\');
      out.push_back(c);
    } else if (c == '\n') {
      out.append("\\n");
    } else {
      out.push_back(c);
    }
  }
  return out;
}

}  // namespace

std::string renderSourceHealth(const std::vector<sources::SourceHealth>& list, std::int64_t now_ms) {
  if (list.empty()) return {};
  std::string out;
  constexpr std::array kStates{sources::SourceState::ok, sources::SourceState::degraded,
                               sources::SourceState::down};
  header(out, "herald_source_up", "1 when the node source is ok, 0 when degraded or down.", "gauge");
  for (const auto& s : list) {
    out.append("herald_source_up{source=\"").append(labelValue(s.name)).append("\"} ");
    out.append(s.state == sources::SourceState::ok ? "1\n" : "0\n");
  }
  header(out, "herald_source_state", "1 for the node source's current state (ok, degraded, down), else 0.",
         "gauge");
  for (const auto& s : list) {
    for (auto state : kStates) {
      out.append("herald_source_state{source=\"").append(labelValue(s.name)).append("\",state=\"");
      out.append(sources::sourceStateName(state)).append("\"} ").append(s.state == state ? "1\n" : "0\n");
    }
  }
  header(out, "herald_source_events_total",
         "Each node source's own counters (blocks, polls, sequence gaps, ...).", "counter");
  for (const auto& s : list) {
    for (const auto& [kind, value] : s.counters) {
      out.append("herald_source_events_total{source=\"").append(labelValue(s.name)).append("\",kind=\"");
      out.append(labelValue(kind)).append("\"} ").append(std::to_string(value)).push_back('\n');
    }
  }
  header(out, "herald_source_last_event_age_seconds",
         "Seconds since the node source's last accepted event (absent until it has one).", "gauge");
  for (const auto& s : list) {
    if (s.last_event_ms <= 0) continue;
    const auto age_ms = static_cast<std::uint64_t>(std::max<std::int64_t>(0, now_ms - s.last_event_ms));
    out.append("herald_source_last_event_age_seconds{source=\"").append(labelValue(s.name)).append("\"} ");
    out.append(seconds(age_ms * 1000)).push_back('\n');
  }
  return out;
}

}  // namespace herald::api
