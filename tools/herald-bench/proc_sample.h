// ProcSample: what /proc says about one process right now: CPU seconds used (user + system, all its
// threads) and resident memory. Used for the server under test (--server-pid) and for herald-bench's
// own client processes. Linux only.
#pragma once

#include <cstdint>
#include <string>
#include <sys/types.h>

namespace herald::bench {

struct ProcSample {
  bool ok = false;          // false: the process is gone or /proc is unreadable
  double cpu_seconds = 0;   // utime + stime (clock ticks, 10 ms on this kernel)
  std::uint64_t rss_kib = 0;       // VmRSS
  std::uint64_t rss_anon_kib = 0;  // RssAnon: heap and stacks, without mapped files
  int threads = 0;
};

ProcSample sampleProcess(pid_t pid);

// One line of /proc/loadavg ("1.02 0.95 0.80 2/143 4242"), trimmed; empty when unreadable.
std::string loadAverage();

// Facts about the machine for the report: processor model (first "model name"), kernel release.
std::string cpuModel();
std::string kernelRelease();

}  // namespace herald::bench
