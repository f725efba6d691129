#include "proc_sample.h"

#include <fstream>
#include <sstream>
#include <sys/utsname.h>
#include <unistd.h>

namespace herald::bench {

ProcSample sampleProcess(pid_t pid) {
  ProcSample s;
  if (pid <= 0) return s;
  const std::string base = "/proc/" + std::to_string(pid);
  std::ifstream stat(base + "/stat");
  std::string line;
  if (!std::getline(stat, line)) return s;
  // The command name (field 2) may hold spaces; fields are counted after its closing parenthesis.
  const auto close = line.rfind(')');
  if (close == std::string::npos) return s;
  std::istringstream fields(line.substr(close + 2));
  std::string field;
  unsigned long long utime = 0;
  unsigned long long stime = 0;
  for (int i = 3; i <= 15 && fields >> field; ++i) {
    if (i == 14) utime = std::stoull(field);
    if (i == 15) stime = std::stoull(field);
  }
  const long ticks = ::sysconf(_SC_CLK_TCK);
  s.cpu_seconds = static_cast<double>(utime + stime) / static_cast<double>(ticks > 0 ? ticks : 100);
  std::ifstream status(base + "/status");
  while (std::getline(status, line)) {
    auto value = [&line] { return std::stoull(line.substr(line.find(':') + 1)); };
    if (line.rfind("VmRSS:", 0) == 0) s.rss_kib = value();
    else if (line.rfind("RssAnon:", 0) == 0) s.rss_anon_kib = value();
    else if (line.rfind("Threads:", 0) == 0) s.threads = static_cast<int>(value());
  }
  s.ok = true;
  return s;
}

std::string loadAverage() {
  std::ifstream f("/proc/loadavg");
  std::string line;
  std::getline(f, line);
  return line;
}

std::string cpuModel() {
  std::ifstream f("/proc/cpuinfo");
  std::string line;
  while (std::getline(f, line)) {
    if (line.rfind("model name", 0) == 0) {
      auto v = line.substr(line.find(':') + 1);
      while (!v.empty() && v.front() == ' ') v.erase(0, 1);
      return v;
    }
  }
  return {};
}

std::string kernelRelease() {
  utsname u{};
  if (::uname(&u) != 0) return {};
  return u.release;
}

}  // namespace herald::bench
