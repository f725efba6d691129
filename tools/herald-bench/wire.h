// The few bytes herald-bench puts into events and finds in messages, the same for every server it
// drives: a payload whose first member is the publisher's send time, and templates for subscribe
// messages and topics. Pure functions; no I/O.
//
// A client never parses a whole message: it looks for kStampMarker and reads the digits after it.
// Every occurrence is one delivered event, so a server that packs several events into one WebSocket
// frame (NATS does) is counted correctly.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace herald::bench {

inline constexpr std::string_view kStampMarker = "\"bench_ts\":";

// The stamps' clock: CLOCK_REALTIME in ns, the one clock the publisher and the client processes
// share.
std::int64_t stampClockNs();

// Replaces every {name} in `text` with its value: {value} (the connection's or event's filter value
// label, "v<n>"), {conn} (connection index), {since} (a resume cursor). Unknown names stay as written.
std::string expand(std::string_view text, std::uint64_t value, std::uint64_t conn, std::string_view since = {});

// A JSON object of exactly `bytes` bytes when bytes >= its minimum (about 40):
// {"bench_ts":<ns, 19 digits>,"v":"<value label>","pad":"xxx..."}.
std::string payload(std::int64_t send_ns, std::uint64_t value, std::size_t bytes);

// Writes the send time into a payload built by payload() without rebuilding it.
void restamp(std::string& payload, std::int64_t send_ns);

// Calls on_stamp(ns) for every stamp in `message`; returns how many. A stamp with no digits counts
// as 0 (the event is counted; its latency is not recorded).
template <class OnStamp>
std::size_t forEachStamp(std::string_view message, OnStamp&& on_stamp) {
  std::size_t n = 0;
  std::size_t at = 0;
  // glibc's memmem skips by the marker's length; string_view::find stops at every '"' of the JSON
  // around the stamp, which made it half of a client's CPU per message.
  while (const void* found = ::memmem(message.data() + at, message.size() - at, kStampMarker.data(),
                                      kStampMarker.size())) {
    at = static_cast<std::size_t>(static_cast<const char*>(found) - message.data()) + kStampMarker.size();
    std::uint64_t ns = 0;
    while (at < message.size() && message[at] >= '0' && message[at] <= '9') {
      ns = ns * 10 + static_cast<std::uint64_t>(message[at] - '0');
      ++at;
    }
    on_stamp(ns);
    ++n;
  }
  return n;
}

struct Url {
  std::string scheme;  // ws, http, nats
  std::string host;
  std::string port;
  std::string target = "/";  // path and query
};

// Parses scheme://host:port/target. Returns false (and leaves `out` unspecified) when malformed.
bool parseUrl(std::string_view text, Url& out);

}  // namespace herald::bench

namespace herald::bench {

// Whether connection `index` of `connections` is one of the `stalled` ones: spread evenly, so every
// client process and every filter value gets its share.
inline bool isStalled(std::size_t index, std::size_t stalled, std::size_t connections) {
  if (stalled == 0) return false;
  return (index * stalled) / connections != ((index + 1) * stalled) / connections;
}

}  // namespace herald::bench
