// Options: everything one herald-bench run is told, from the command line (options.cpp lists each
// flag with its default and why). Plain values, shared read-only by the coordinator and every client
// process (the client processes are forked after parsing).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace herald::bench {

enum class PublisherKind { none, http, nats };

struct Options {
  std::string label;                 // names the run in the report ("herald", "nats", "ws")

  // Clients
  std::string url;                   // ws://host:port/path
  std::string subprotocol;           // Sec-WebSocket-Protocol offered; empty: none
  std::string subscribe;             // sent once per connection after the handshake (template: {value} {conn} {since})
  std::string ack;                   // a message containing this answers the subscribe; empty: none expected
  std::size_t connections = 100;
  std::size_t processes = 0;         // 0: one per 9,000 connections (open-files limit 20,000 per process)
  std::vector<std::string> sources;  // local addresses to connect from, round robin
  std::size_t connect_concurrency = 256;  // handshakes in flight per process
  std::size_t values = 1;            // connection i filters on value i % values; event j carries value j % values
  std::size_t stalled = 0;           // this many connections (spread evenly) stop reading once subscribed,
                                     // with a 4 KiB receive buffer

  // Publisher
  PublisherKind publisher = PublisherKind::none;
  std::string publish_url;           // http://host:port/path or nats://host:port
  std::string token;                 // HTTP: Authorization: Bearer <token>
  std::string topic = "bench.tick";  // template: {value}
  std::string attribute;             // HTTP: when set, each event carries attributes {<attribute>: "v<value>"}
  std::size_t payload_bytes = 200;
  double rate = 0;                   // events per second; 0: as fast as the window allows (max sustainable)
  double duration_s = 5;
  std::uint64_t events = 0;          // stop after this many events (0: duration only)
  std::size_t batch = 100;           // most events per publish request or write
  std::size_t publish_conns = 1;     // publisher connections (requests in flight)
  std::size_t window = 64;           // max-rate mode: events in flight, per connection, before pausing
  std::size_t burst = 0;             // > 0: publish in bursts of this many events at once
  std::size_t bursts = 3;
  double burst_interval_ms = 1000;

  // Catch-up (Herald only)
  std::uint64_t preload = 0;         // publish this many events before the clients connect; {since} = head before them
  std::string since_url;             // GET here for {"head": cursor}; default <publish origin>/healthz
  std::uint64_t expect_per_conn = 0; // report when each connection has this many events

  // Timing
  double connect_timeout_s = 120;
  double settle_ms = 500;            // after every connection subscribed, before measuring idle memory
  double hold_ms = 0;                // keep connections open this long after the publish phase
  double drain_timeout_ms = 2000;    // end of the run when deliveries stop growing for this long
  double max_drain_s = 60;

  // Server under test
  int server_pid = 0;

  // Output
  std::string json_path;             // append the JSON object here too
  bool quiet = false;                // no human table on stderr
};

// Parses argv. Returns 0 and fills `out` to run; otherwise the exit code to leave with (help: 0 with
// `exit_now`, errors: 2).
int parseOptions(int argc, char** argv, Options& out, bool& exit_now);

}  // namespace herald::bench
