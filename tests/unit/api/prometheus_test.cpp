// The /metrics text: every Metrics field under its documented name and type, histogram in seconds.
#include "api/prometheus.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <sstream>

namespace herald::api {
namespace {

using ::testing::HasSubstr;

// Sample lines ("name{labels} value") keyed by everything before the value.
std::map<std::string, std::string> samples(const std::string& text) {
  std::map<std::string, std::string> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    const auto space = line.rfind(' ');
    out[line.substr(0, space)] = line.substr(space + 1);
  }
  return out;
}

TEST(PrometheusTest, EveryFieldWithItsTypeAndHelp) {
  Metrics m;
  m.connections = 3;
  m.subscriptions = 5;
  m.queue_bytes = 4096;
  const std::vector<std::pair<std::atomic<std::uint64_t>*, std::string>> counters{
      {&m.connections_total, "herald_connections_total"},
      {&m.connections_rejected, "herald_connections_rejected_total"},
      {&m.events_in, "herald_events_in_total"},
      {&m.events_out, "herald_events_out_total"},
      {&m.frames_out, "herald_frames_out_total"},
      {&m.bytes_out, "herald_bytes_out_total"},
      {&m.messages_in, "herald_messages_in_total"},
      {&m.messages_ignored, "herald_messages_ignored_total"},
      {&m.slow_consumer_closes, "herald_slow_consumer_closes_total"},
      {&m.rate_limit_hits, "herald_rate_limit_hits_total"},
      {&m.rate_limit_closes, "herald_rate_limit_closes_total"},
      {&m.client_errors, "herald_client_errors_total"},
      {&m.replayed_events, "herald_replayed_events_total"},
      {&m.publish_rejected, "herald_publish_rejected_total"},
      {&m.log_commits, "herald_log_commits_total"},
      {&m.retention_deleted, "herald_retention_deleted_total"},
  };
  std::uint64_t value = 100;
  for (const auto& [field, name] : counters) field->store(value++);

  const std::string text = renderPrometheus(m);
  const auto s = samples(text);
  EXPECT_EQ(s.at("herald_connections"), "3");
  EXPECT_EQ(s.at("herald_subscriptions"), "5");
  EXPECT_EQ(s.at("herald_queue_bytes"), "4096");
  for (std::string gauge : {"herald_connections", "herald_subscriptions", "herald_queue_bytes"}) {
    EXPECT_THAT(text, HasSubstr("# TYPE " + gauge + " gauge\n"));
    EXPECT_THAT(text, HasSubstr("# HELP " + gauge + " "));
  }
  value = 100;
  for (const auto& [field, name] : counters) {
    EXPECT_EQ(s.at(name), std::to_string(value++)) << name;
    EXPECT_THAT(text, HasSubstr("# TYPE " + name + " counter\n"));
    EXPECT_THAT(text, HasSubstr("# HELP " + name + " "));
  }
  // 3 gauges + 15 counters + 17 buckets + sum + count, and nothing else.
  EXPECT_EQ(s.size(), 3u + counters.size() + LatencyHistogram::kBuckets + 1 + 2);
  EXPECT_EQ(text.back(), '\n');
}

TEST(PrometheusTest, HistogramIsCumulativeInSeconds) {
  Metrics m;
  m.publish_to_write.observe(10);         // first bucket (<= 50 us)
  m.publish_to_write.observe(50);         // first bucket, on the bound
  m.publish_to_write.observe(75);         // (50, 100]
  m.publish_to_write.observe(3'000'000);  // over the last bound: +Inf only
  const std::string text = renderPrometheus(m);
  const auto s = samples(text);
  EXPECT_THAT(text, HasSubstr("# TYPE herald_publish_to_write_seconds histogram\n"));
  EXPECT_EQ(s.at("herald_publish_to_write_seconds_bucket{le=\"0.00005\"}"), "2");
  EXPECT_EQ(s.at("herald_publish_to_write_seconds_bucket{le=\"0.0001\"}"), "3");
  EXPECT_EQ(s.at("herald_publish_to_write_seconds_bucket{le=\"0.0002\"}"), "3");
  EXPECT_EQ(s.at("herald_publish_to_write_seconds_bucket{le=\"1.6384\"}"), "3");  // 50 us << 15
  EXPECT_EQ(s.at("herald_publish_to_write_seconds_bucket{le=\"+Inf\"}"), "4");
  EXPECT_EQ(s.at("herald_publish_to_write_seconds_count"), "4");
  EXPECT_EQ(s.at("herald_publish_to_write_seconds_sum"), "3.000135");
  // Buckets appear in increasing order of le.
  EXPECT_LT(text.find("le=\"0.00005\""), text.find("le=\"0.0001\""));
  EXPECT_LT(text.find("le=\"1.6384\""), text.find("le=\"+Inf\""));
}

TEST(PrometheusTest, EmptyHistogram) {
  Metrics m;
  const auto s = samples(renderPrometheus(m));
  EXPECT_EQ(s.at("herald_publish_to_write_seconds_bucket{le=\"+Inf\"}"), "0");
  EXPECT_EQ(s.at("herald_publish_to_write_seconds_sum"), "0");
  EXPECT_EQ(s.at("herald_publish_to_write_seconds_count"), "0");
}

TEST(PrometheusTest, SourceHealthSeries) {
  std::vector<sources::SourceHealth> list(2);
  list[0].name = "monerod";
  list[0].state = sources::SourceState::ok;
  list[0].last_event_ms = 1'000'000;
  list[0].counters = {{"blocks", 7}, {"zmq_connects", 2}};
  list[1].name = "odd\"name\\";
  list[1].state = sources::SourceState::degraded;
  const std::string text = renderSourceHealth(list, 1'002'250);
  const auto s = samples(text);
  EXPECT_EQ(s.at(R"(herald_source_up{source="monerod"})"), "1");
  EXPECT_EQ(s.at(R"(herald_source_up{source="odd\"name\\"})"), "0") << text;
  EXPECT_EQ(s.at(R"(herald_source_state{source="monerod",state="ok"})"), "1");
  EXPECT_EQ(s.at(R"(herald_source_state{source="monerod",state="down"})"), "0");
  EXPECT_EQ(s.at(R"(herald_source_state{source="odd\"name\\",state="degraded"})"), "1");
  EXPECT_EQ(s.at(R"(herald_source_events_total{source="monerod",kind="blocks"})"), "7");
  EXPECT_EQ(s.at(R"(herald_source_events_total{source="monerod",kind="zmq_connects"})"), "2");
  EXPECT_EQ(s.at(R"(herald_source_last_event_age_seconds{source="monerod"})"), "2.25");
  EXPECT_EQ(s.count(R"(herald_source_last_event_age_seconds{source="odd\"name\\"})"), 0u) << "no event yet";
  EXPECT_THAT(text, HasSubstr("# TYPE herald_source_events_total counter\n"));
  EXPECT_THAT(text, HasSubstr("# TYPE herald_source_up gauge\n"));
  EXPECT_EQ(renderSourceHealth({}, 0), "");
}

}  // namespace
}  // namespace herald::api
