// `herald publish`: reads NDJSON events ({"topic", "attributes"?, "data"}) from stdin, validates each
// line with the gateway's own schema rules, and POSTs them in batches to /api/v1/publish with
// `Authorization: Bearer <token>`, printing the server's reply to each batch on stdout.
//
// A batch is sent when it is full (--batch lines) or when stdin has nothing more to read right now,
// so `tail -f events.ndjson | herald publish` delivers each event as it comes rather than after 100.
//
// Exit codes: 0 when every line was accepted; 1 on an HTTP error (the server's body on stderr) or a
// network failure; 2 on the first invalid line ("line N: <field>: <message>"), before anything of
// its batch is sent (earlier batches were).
//
// Must not: include Beast in this header; only cli_publish.cpp does.
#pragma once

#include "app/cli_endpoint.h"
#include "core/result.h"
#include "core/topics.h"
#include "schema/event_json.h"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace CLI {
class App;
}

namespace herald::app {

struct PublishOptions {
  std::string url = "http://127.0.0.1:8080";  // http://, https:// or unix:/path; a path is a prefix
  std::string token;                          // --token or HERALD_TOKEN
  std::size_t batch = 100;                    // lines per request
  std::vector<std::string> extra_topics;      // topics the gateway was configured with beyond the catalog
  std::size_t max_data_bytes = schema::PublishLimits{}.max_data_bytes;  // match the gateway's setting
  std::string ca_file;
  bool insecure = false;
};

void addPublishOptions(CLI::App& publish, PublishOptions& options);

// Reads stdin to its end; returns the exit code above. Blocks the calling thread.
int runPublish(const PublishOptions& options);

// One input line checked as the gateway will check it: the compact JSON of the event object to send,
// or an error whose message is "line N: <field>: <message>" (or "line N: <message>").
Result<std::string> checkPublishLine(std::string_view line, std::size_t line_no, const TopicSet& topics,
                                     const schema::PublishLimits& limits, std::int64_t now_ms);

// A JSON array of already-validated compact event objects.
std::string batchBody(const std::vector<std::string>& events);

// The publish request target under the URL's path: "/" -> "/api/v1/publish",
// "/herald" -> "/herald/api/v1/publish"; a path already naming the endpoint is kept.
std::string publishTarget(const Endpoint& endpoint);

// Lines from a file descriptor, with a way to ask whether reading on would wait.
class LineReader {
 public:
  // Lines longer than `max_line_bytes` are an error: nothing that long can be one valid event.
  LineReader(int fd, std::size_t max_line_bytes);

  // The next line without its "\n" (or "\r\n"); nullopt at the end of input. A last line without a
  // newline is returned too. Errors: a line over the bound, or a read failure (Errc::unavailable).
  Result<std::optional<std::string>> next();

  // True when next() would return without waiting: a whole line is buffered, or the descriptor has
  // data or end-of-file pending.
  bool ready();

 private:
  int fd_;
  std::size_t max_line_bytes_;
  std::string buffer_;
  std::size_t scanned_ = 0;  // bytes of buffer_ known to hold no '\n'
  bool eof_ = false;
};

}  // namespace herald::app
