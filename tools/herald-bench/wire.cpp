#include "wire.h"

#include <cstdio>
#include <cstring>
#include <ctime>

namespace herald::bench {
namespace {

// CLOCK_REALTIME in ns has 19 digits until 2286; payloads are padded as if it always does so their
// size does not change with the clock.
constexpr std::size_t kStampDigits = 19;

}  // namespace

std::int64_t stampClockNs() {
  timespec ts{};
  ::clock_gettime(CLOCK_REALTIME, &ts);
  return std::int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}

std::string expand(std::string_view text, std::uint64_t value, std::uint64_t conn, std::string_view since) {
  std::string out;
  out.reserve(text.size() + 16);
  std::size_t i = 0;
  while (i < text.size()) {
    if (text[i] == '{') {
      const auto close = text.find('}', i);
      if (close != std::string_view::npos) {
        const auto name = text.substr(i + 1, close - i - 1);
        if (name == "value") {
          out += 'v';
          out += std::to_string(value);
          i = close + 1;
          continue;
        }
        if (name == "conn") {
          out += std::to_string(conn);
          i = close + 1;
          continue;
        }
        if (name == "since") {
          out += since;
          i = close + 1;
          continue;
        }
      }
    }
    out += text[i++];
  }
  return out;
}

std::string payload(std::int64_t send_ns, std::uint64_t value, std::size_t bytes) {
  char stamp[32];
  std::snprintf(stamp, sizeof stamp, "%019lld", static_cast<long long>(send_ns));
  std::string out = "{";
  out += kStampMarker;
  out += stamp;
  out += ",\"v\":\"v" + std::to_string(value) + "\",\"pad\":\"";
  const std::size_t tail = 2;  // "}
  if (out.size() + tail < bytes) out.append(bytes - out.size() - tail, 'x');
  out += "\"}";
  return out;
}

void restamp(std::string& text, std::int64_t send_ns) {
  const auto at = text.find(kStampMarker);
  if (at == std::string::npos) return;
  char stamp[32];
  std::snprintf(stamp, sizeof stamp, "%019lld", static_cast<long long>(send_ns));
  std::memcpy(text.data() + at + kStampMarker.size(), stamp, kStampDigits);
}

bool parseUrl(std::string_view text, Url& out) {
  const auto scheme_end = text.find("://");
  if (scheme_end == std::string_view::npos || scheme_end == 0) return false;
  out.scheme = std::string(text.substr(0, scheme_end));
  text.remove_prefix(scheme_end + 3);
  const auto slash = text.find('/');
  const auto authority = text.substr(0, slash);
  out.target = slash == std::string_view::npos ? "/" : std::string(text.substr(slash));
  const auto colon = authority.rfind(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == authority.size()) return false;
  out.host = std::string(authority.substr(0, colon));
  out.port = std::string(authority.substr(colon + 1));
  for (char c : out.port) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

}  // namespace herald::bench
