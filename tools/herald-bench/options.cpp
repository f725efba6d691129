#include "options.h"

#include "wire.h"

#include <CLI/CLI.hpp>
#include <iostream>

namespace herald::bench {

int parseOptions(int argc, char** argv, Options& o, bool& exit_now) {
  exit_now = false;
  CLI::App app{
      "herald-bench: N WebSocket clients over K processes subscribe to a server (Herald or a peer), a "
      "publisher sends events stamped with their send time, and each client measures end-to-end latency. "
      "Prints one JSON object on stdout and a table on stderr.",
      "herald-bench"};
  app.get_formatter()->column_width(34);
  // A later flag wins over an earlier one, so scripts can append to a base set of flags.
  app.option_defaults()->always_capture_default()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);

  app.add_option("--label", o.label, "Name of the run in the report");
  app.add_option("--url", o.url, "WebSocket URL of the server: ws://HOST:PORT/PATH")->required();
  app.add_option("--subprotocol", o.subprotocol, "Sec-WebSocket-Protocol to offer (herald.v1.json for Herald)");
  app.add_option("--subscribe", o.subscribe,
                 "Text sent by each connection after the handshake; {value} {conn} {since} are replaced");
  app.add_option("--ack", o.ack, "A message containing this text answers the subscribe (Herald: \"result\")");
  app.add_option("--connections,-n", o.connections, "WebSocket connections")->check(CLI::Range(1, 1'000'000));
  app.add_option("--processes,-k", o.processes,
                 "Client processes (0: one per 9,000 connections; the open-files limit is per process)");
  app.add_option("--source", o.sources,
                 "Local address to connect from, round robin (repeatable; each address and server pair has "
                 "~28k ports). Default 127.0.0.1")
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  app.add_option("--connect-concurrency", o.connect_concurrency, "Handshakes in flight per process")
      ->check(CLI::Range(1, 100'000));
  app.add_option("--values", o.values, "Filter values: connection i subscribes to value i % N")
      ->check(CLI::Range(1, 10'000'000));
  app.add_option("--stalled", o.stalled, "Connections that stop reading once subscribed (slow consumers)");

  std::string publisher = "none";
  app.add_option("--publisher", publisher, "none, http (Herald's POST /api/v1/publish shape) or nats (TCP)")
      ->check(CLI::IsMember({"none", "http", "nats"}));
  app.add_option("--publish-url", o.publish_url, "http://HOST:PORT/PATH or nats://HOST:PORT");
  app.add_option("--token", o.token, "HTTP publisher: bearer token");
  app.add_option("--topic", o.topic, "Topic or subject of each event; {value} is replaced");
  app.add_option("--attribute", o.attribute, "HTTP publisher: attribute key carrying the event's value");
  app.add_option("--payload-bytes", o.payload_bytes, "Bytes of each event's data")->check(CLI::Range(48, 1 << 20));
  app.add_option("--rate", o.rate, "Events per second (0: the maximum the window sustains)");
  app.add_option("--duration", o.duration_s, "Seconds of publishing");
  app.add_option("--events", o.events, "Stop publishing after this many events (0: by duration)");
  app.add_option("--batch", o.batch, "Most events per request or write")->check(CLI::Range(1, 100'000));
  app.add_option("--publish-conns", o.publish_conns, "Publisher connections")->check(CLI::Range(1, 64));
  app.add_option("--window", o.window, "Max rate: events in flight before the publisher waits")
      ->check(CLI::Range(1, 1'000'000));
  app.add_option("--burst", o.burst, "Publish bursts of this many events at once instead of a rate");
  app.add_option("--bursts", o.bursts, "Number of bursts");
  app.add_option("--burst-interval-ms", o.burst_interval_ms, "Pause after a burst is delivered, before the next");

  app.add_option("--preload", o.preload,
                 "Herald: publish this many events before connecting; {since} is the head before them");
  app.add_option("--since-url", o.since_url, "Where to read the head cursor (default: publish origin /healthz)");
  app.add_option("--expect-per-conn", o.expect_per_conn,
                 "Report how long each connection took from subscribe to this many events");

  app.add_option("--connect-timeout", o.connect_timeout_s, "Seconds allowed for all connections");
  app.add_option("--settle-ms", o.settle_ms, "Wait after the last subscribe before sampling idle memory");
  app.add_option("--hold-ms", o.hold_ms, "Keep connections open this long after publishing");
  app.add_option("--drain-timeout-ms", o.drain_timeout_ms,
                 "The run ends when deliveries stop growing for this long");
  app.add_option("--max-drain", o.max_drain_s, "Seconds allowed for the drain at most");
  app.add_option("--server-pid", o.server_pid, "PID of the server: its RSS and CPU come from /proc");
  app.add_option("--json", o.json_path, "Append the JSON object to this file as well");
  app.add_flag("--quiet,-q", o.quiet, "No table on stderr");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    exit_now = true;
    return app.exit(e);
  }
  o.publisher = publisher == "http" ? PublisherKind::http : publisher == "nats" ? PublisherKind::nats
                                                                                 : PublisherKind::none;
  Url url;
  if (!parseUrl(o.url, url) || url.scheme != "ws") {
    std::cerr << "herald-bench: --url: expected ws://HOST:PORT/PATH, got '" << o.url << "'\n";
    exit_now = true;
    return 2;
  }
  if (o.publisher != PublisherKind::none &&
      (!parseUrl(o.publish_url, url) || url.scheme != (o.publisher == PublisherKind::http ? "http" : "nats"))) {
    std::cerr << "herald-bench: --publish-url: expected "
              << (o.publisher == PublisherKind::http ? "http://HOST:PORT/PATH" : "nats://HOST:PORT") << ", got '"
              << o.publish_url << "'\n";
    exit_now = true;
    return 2;
  }
  if (o.preload > 0 && o.publisher != PublisherKind::http) {
    std::cerr << "herald-bench: --preload needs --publisher http (a Herald gateway)\n";
    exit_now = true;
    return 2;
  }
  if (o.stalled >= o.connections) {
    std::cerr << "herald-bench: --stalled must be below --connections\n";
    exit_now = true;
    return 2;
  }
  if (o.sources.empty()) o.sources.push_back("127.0.0.1");
  // 9,000 connections per process leaves room under the 20,000 open-files limit for a second
  // address family of sockets, pipes and libraries, and lets two processes share two cores.
  if (o.processes == 0) o.processes = (o.connections + 8'999) / 9'000;
  if (o.processes > o.connections) o.processes = o.connections;
  if (o.label.empty()) o.label = o.url;
  return 0;
}

}  // namespace herald::bench
