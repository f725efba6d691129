// Coordinator: one herald-bench run from start to report. It forks the client processes, waits until
// every connection has subscribed (connect rate, then idle server memory), runs the publisher (a
// fixed rate, bursts, or the maximum rate a window of in-flight events sustains), waits for the
// deliveries to drain, samples the server's and its own processes' CPU and memory from /proc around
// each phase, then stops the clients and merges their histograms into the report (report.h).
//
// Single-threaded: one io_context, the publisher and the pipe readers are coroutines on it.
#pragma once

#include "log_histogram.h"
#include "options.h"
#include "proc_sample.h"

#include <boost/json/object.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace herald::bench {

// What one run measured, before it is rendered (report.h).
struct RunResult {
  std::string started_at;  // UTC, ISO 8601
  std::string load_start;  // /proc/loadavg
  std::string load_end;

  // connections
  std::uint64_t connected = 0;
  std::uint64_t subscribed = 0;
  std::uint64_t failed = 0;
  std::uint64_t closed = 0;
  std::string first_error;
  boost::json::object close_reasons;
  double connect_seconds = 0;    // start until every connection was up (or failed)
  double subscribe_seconds = 0;  // start until every subscribe was answered

  // preload (catch-up)
  double preload_seconds = 0;
  std::string since;

  // publishing
  std::uint64_t published = 0;
  std::uint64_t expected = 0;     // deliveries the published events should make
  std::uint64_t delivered = 0;    // during the publish phase and its drain
  std::uint64_t delivered_total = 0;
  double publish_seconds = 0;
  double delivery_seconds = 0;    // publish start until the last delivery (drain end)
  std::string publish_error;

  LogHistogram latency;           // ns, every stamped event every client received
  LogHistogram expect;            // ns, per connection: subscribe to --expect-per-conn events
  std::uint64_t expect_reached = 0;

  // server (from /proc)
  ProcSample server_start;        // before any connection
  ProcSample server_subscribed;   // every connection subscribed, after --settle-ms
  ProcSample server_publish_start;
  ProcSample server_publish_end;
  std::uint64_t server_rss_max_kib = 0;  // during publish, drain and hold
  std::uint64_t server_rss_min_kib = 0;  // during publish, drain and hold (0: no sample)

  // client processes
  double client_cpu_publish = 0;  // CPU seconds of every client process during publish and drain
  double client_cpu_total = 0;
};

// Runs the whole benchmark. Returns the process exit code (0: the run completed; its numbers may
// still show failures, which the report states).
int runBenchmark(const Options& options, RunResult& result);

}  // namespace herald::bench
