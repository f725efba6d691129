// herald-bench: Herald's load generator. Many WebSocket clients over several processes and source
// addresses, a publisher at a fixed, burst or maximum rate, end-to-end latency from a stamp in each
// event, and the server's CPU and memory from /proc. It drives any server that speaks WebSocket
// (Herald, the NATS and Node `ws` peers of bench/peers/) with the same clients. docs/bench/README.md
// explains the flags by scenario and every member of the JSON report.
#include "coordinator.h"
#include "options.h"
#include "report.h"

#include <boost/json.hpp>

#include <csignal>
#include <fstream>
#include <iostream>
#include <sys/resource.h>

int main(int argc, char** argv) {
  using namespace herald::bench;
  Options options;
  bool exit_now = false;
  if (const int code = parseOptions(argc, argv, options, exit_now); exit_now) return code;

  // Every connection is a file descriptor: take the whole hard limit.
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &limit);
  }
  // A server that goes away mid-write must fail that write, not end the run unreported.
  std::signal(SIGPIPE, SIG_IGN);

  RunResult result;
  const int code = runBenchmark(options, result);
  const auto report = toJson(options, result);
  const std::string line = boost::json::serialize(report);
  std::cout << line << std::endl;
  if (!options.json_path.empty()) {
    std::ofstream out(options.json_path, std::ios::app);
    out << line << '\n';
  }
  if (!options.quiet) std::cerr << toTable(report);
  return code;
}
