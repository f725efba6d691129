// `herald sub`: subscribes to a gateway over WebSocket (herald.v1, JSON-RPC 2.0) and prints every
// event and gap notification's params as one JSON line on stdout, flushed per line, so it can feed
// jq, a file or another program.
//
// Exit codes: 0 after --count events, on Ctrl-C, or when the server closes normally (1000/1001);
// 1 on a JSON-RPC error reply (printed to stderr), a refused handshake, a lost connection or any
// other close code; 2 on bad arguments (URL, --filter, --since).
//
// Must not: include Beast in this header; only cli_sub.cpp does.
#pragma once

#include "core/result.h"

#include <boost/json/object.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace CLI {
class App;
}

namespace herald::app {

struct SubOptions {
  std::string url = "ws://127.0.0.1:8080/ws";  // ws://, wss:// or unix:/path (path defaults to /ws)
  std::vector<std::string> topics;             // one subscription per topic
  std::vector<std::string> filters;            // "key=value"; a key given twice matches either value
  std::string since;                           // resume after this cursor ("<epoch hex>:<seq>")
  std::uint64_t count = 0;                     // exit after this many events; 0 = never
  std::string subprotocol = "herald.v1.json";  // Sec-WebSocket-Protocol; empty = none sent
  std::string ca_file;                         // wss: trust this PEM bundle instead of the system's
  bool insecure = false;                       // wss: skip certificate verification (testing only)
};

void addSubOptions(CLI::App& sub, SubOptions& options);

// Runs until done; returns the exit code above. Blocks the calling thread.
int runSub(const SubOptions& options);

// --filter flags as herald.v1's filter object: {"k": "v"} or {"k": ["v1", "v2"]} when a key repeats
// (values in the order given, duplicates dropped). Errc::invalid_params naming the flag when one has
// no '=' or an empty key.
Result<boost::json::object> filterFromFlags(const std::vector<std::string>& filters);

// The subscribe request text. `filter` and `since` are left out when empty.
std::string subscribeRequest(std::uint64_t id, std::string_view topic, const boost::json::object& filter,
                             std::string_view since);

// What to do with one frame from the server.
struct SubFrame {
  enum class Kind {
    event,    // print `line` on stdout; counts towards --count
    gap,      // print `line` on stdout
    error,    // print `line` (the JSON-RPC error object) on stderr; exit 1
    other,    // replies to our requests and notifications this verb does not show
    invalid,  // not a JSON object: `line` says why; exit 1
  };
  Kind kind = Kind::other;
  std::string line;
};
SubFrame classifyFrame(std::string_view frame);

}  // namespace herald::app
