// `herald publish`: see cli_publish.h. One connection is kept alive across batches; when a reused
// connection turns out to have been closed by the server (idle timeout) before any reply byte
// arrived, the batch is sent once more on a fresh connection, as HTTP clients do for that case.
#include "app/cli_publish.h"

#include "app/cli_net.h"
#include "schema/catalog.h"

#include <CLI/CLI.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <optional>

#include <poll.h>
#include <unistd.h>

namespace herald::app {

namespace json = boost::json;
namespace http = boost::beast::http;
using namespace cli;

namespace {

// A publish is acknowledged once durable; even a large batch on a slow disk answers well within this.
constexpr std::chrono::seconds kRequestTimeout{60};
// stdin is read in pieces of this size: large enough that a fast producer costs few system calls.
constexpr std::size_t kReadChunk = 64 * 1024;
constexpr std::string_view kPublishPath = "/api/v1/publish";

void printLine(std::FILE* to, std::string_view line) {
  std::fwrite(line.data(), 1, line.size(), to);
  std::fputc('\n', to);
  std::fflush(to);
}

void printError(const std::string& message) { printLine(stderr, "herald publish: " + message); }

std::int64_t nowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string_view trimEnd(std::string_view text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' '))
    text.remove_suffix(1);
  return text;
}

bool blank(std::string_view line) { return line.find_first_not_of(" \t\r") == std::string_view::npos; }

}  // namespace

Result<std::string> checkPublishLine(std::string_view line, std::size_t line_no, const TopicSet& topics,
                                     const schema::PublishLimits& limits, std::int64_t now_ms) {
  const std::string where = "line " + std::to_string(line_no) + ": ";
  boost::system::error_code ec;
  json::value doc = json::parse(line, ec);
  if (ec) return Error::make(Errc::parse_error, where + "not JSON: " + ec.message());
  auto event = schema::eventFromJson(doc, topics, limits, now_ms);
  if (!event) {
    const auto& error = event.error();
    std::string_view message = error.message;
    // Schema messages usually begin with the field they name; say it once.
    if (!error.field.empty() && message.starts_with(error.field)) {
      message.remove_prefix(error.field.size());
      while (!message.empty() && (message.front() == ' ' || message.front() == ':')) message.remove_prefix(1);
    }
    std::string text = where;
    if (!error.field.empty()) text += error.field + ": ";
    text += message;
    return Error::make(error.code, std::move(text), error.field);
  }
  return json::serialize(doc);
}

std::string batchBody(const std::vector<std::string>& events) {
  std::size_t size = 2;
  for (const auto& e : events) size += e.size() + 1;
  std::string body;
  body.reserve(size);
  body += '[';
  for (std::size_t i = 0; i < events.size(); ++i) {
    if (i > 0) body += ',';
    body += events[i];
  }
  body += ']';
  return body;
}

std::string publishTarget(const Endpoint& endpoint) {
  std::string_view path = endpoint.target;
  path = path.substr(0, path.find('?'));
  while (!path.empty() && path.back() == '/') path.remove_suffix(1);
  if (path.ends_with(kPublishPath)) return std::string(path);
  return std::string(path) + std::string(kPublishPath);
}

LineReader::LineReader(int fd, std::size_t max_line_bytes) : fd_(fd), max_line_bytes_(max_line_bytes) {}

Result<std::optional<std::string>> LineReader::next() {
  for (;;) {
    const auto newline = buffer_.find('\n', scanned_);
    const auto length = newline == std::string::npos ? buffer_.size() : newline;
    if (length > max_line_bytes_) {
      return Error::make(Errc::too_large,
                         "a line is longer than " + std::to_string(max_line_bytes_) + " bytes");
    }
    if (newline != std::string::npos) {
      std::string line = buffer_.substr(0, newline);
      buffer_.erase(0, newline + 1);
      scanned_ = 0;
      if (!line.empty() && line.back() == '\r') line.pop_back();
      return std::optional<std::string>(std::move(line));
    }
    scanned_ = buffer_.size();
    if (eof_) {
      if (buffer_.empty()) return std::optional<std::string>();
      std::string line = std::move(buffer_);
      buffer_.clear();
      scanned_ = 0;
      return std::optional<std::string>(std::move(line));
    }
    char chunk[kReadChunk];
    const ssize_t n = ::read(fd_, chunk, sizeof chunk);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Error::make(Errc::unavailable, std::string("reading input: ") + std::strerror(errno));
    }
    if (n == 0) {
      eof_ = true;
    } else {
      buffer_.append(chunk, static_cast<std::size_t>(n));
    }
  }
}

bool LineReader::ready() {
  if (eof_ || buffer_.find('\n', scanned_) != std::string::npos) return true;
  pollfd p{fd_, POLLIN, 0};
  return ::poll(&p, 1, 0) > 0;  // readable, hung up or in error: read() will not wait
}

void addPublishOptions(CLI::App& publish, PublishOptions& o) {
  publish.add_option("--url", o.url, "Gateway base URL: http://HOST:PORT, https://..., unix:/path/to.sock")
      ->capture_default_str();
  publish.add_option("--token", o.token, "Bearer token for the publish API")->envname("HERALD_TOKEN");
  // 1..100000: the gateway's publish.max_batch bounds it in the end; this only stops nonsense early.
  publish.add_option("--batch", o.batch, "Lines per request")
      ->check(CLI::Range(1, 100'000))
      ->capture_default_str();
  publish
      .add_option("--topic-extra", o.extra_topics,
                  "A topic the gateway accepts beyond the catalog (repeatable)")
      ->expected(1)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  publish
      .add_option("--max-data-bytes", o.max_data_bytes, "Largest event data, as configured on the gateway")
      ->check(CLI::Range(std::size_t{1}, std::size_t{1} << 30))
      ->capture_default_str();
  publish.add_option("--ca-file", o.ca_file, "https: trust this PEM CA bundle instead of the system's");
  publish.add_flag("--insecure", o.insecure, "https: do not verify the server's certificate (testing only)");
}

namespace {

// One keep-alive HTTP connection of any stream kind, reopened when the server closed it.
template <class Stream>
class Poster {
 public:
  using Factory = std::function<Stream()>;

  Poster(Endpoint endpoint, std::string target, std::string token, Factory make)
      : endpoint_(std::move(endpoint)),
        target_(std::move(target)),
        token_(std::move(token)),
        make_(std::move(make)) {}

  asio::awaitable<http::response<http::string_body>> post(const std::string& body) {
    const bool reused = stream_.has_value();
    if (!reused) co_await open();
    auto [ec, response] = co_await exchange(body);
    if (ec && reused && !got_reply_bytes_) {
      stream_.reset();
      co_await open();
      std::tie(ec, response) = co_await exchange(body);
    }
    if (ec) {
      stream_.reset();
      throw boost::system::system_error(ec);
    }
    if (!response.keep_alive()) stream_.reset();
    co_return response;
  }

 private:
  asio::awaitable<void> open() {
    stream_.emplace(make_());
    buffer_.clear();  // bytes left from the old connection mean nothing on the new one
    co_await connect(*stream_, endpoint_);
  }

  asio::awaitable<std::tuple<boost::system::error_code, http::response<http::string_body>>> exchange(
      const std::string& body) {
    http::request<http::string_body> request{http::verb::post, target_, 11};
    request.set(http::field::host, endpoint_.hostHeader());
    request.set(http::field::user_agent, kUserAgent);
    request.set(http::field::content_type, "application/json");
    if (!token_.empty()) request.set(http::field::authorization, "Bearer " + token_);
    request.keep_alive(true);
    request.body() = body;
    request.prepare_payload();

    http::response<http::string_body> response;
    got_reply_bytes_ = false;
    beast::get_lowest_layer(*stream_).expires_after(kRequestTimeout);
    auto [write_ec, written] =
        co_await http::async_write(*stream_, request, asio::as_tuple(asio::use_awaitable));
    (void)written;
    if (write_ec) co_return std::make_tuple(write_ec, std::move(response));
    http::response_parser<http::string_body> parser;
    auto [read_ec, read] =
        co_await http::async_read(*stream_, buffer_, parser, asio::as_tuple(asio::use_awaitable));
    got_reply_bytes_ = read > 0 || buffer_.size() > 0;
    beast::get_lowest_layer(*stream_).expires_never();
    if (read_ec) co_return std::make_tuple(read_ec, std::move(response));
    co_return std::make_tuple(boost::system::error_code{}, parser.release());
  }

  Endpoint endpoint_;
  std::string target_;
  std::string token_;
  Factory make_;
  std::optional<Stream> stream_;
  beast::flat_buffer buffer_;
  bool got_reply_bytes_ = false;
};

template <class Stream>
asio::awaitable<int> publishAll(const PublishOptions& o, const Endpoint& ep,
                                typename Poster<Stream>::Factory make) {
  Poster<Stream> poster(ep, publishTarget(ep), o.token, std::move(make));
  const TopicSet topics = schema::topicSet(o.extra_topics);
  schema::PublishLimits limits;
  limits.max_data_bytes = o.max_data_bytes;
  // A line holds one event: its data plus the envelope and attributes, which the schema bounds too.
  LineReader reader(STDIN_FILENO, o.max_data_bytes * 2 + 64 * 1024);

  std::vector<std::string> batch;
  std::size_t line_no = 0;
  const auto send = [&]() -> asio::awaitable<int> {
    auto response = co_await poster.post(batchBody(batch));
    batch.clear();
    const std::string_view body = trimEnd(response.body());
    if (response.result_int() / 100 != 2) {
      printError("HTTP " + std::to_string(response.result_int()) + " " + std::string(response.reason()) +
                 (body.empty() ? "" : ": " + std::string(body)));
      co_return 1;
    }
    printLine(stdout, body);
    co_return 0;
  };

  for (;;) {
    auto line = reader.next();
    if (!line) {
      printError("line " + std::to_string(line_no + 1) + ": " + line.error().message);
      co_return line.error().code == Errc::too_large ? 2 : 1;
    }
    if (!*line) break;
    ++line_no;
    if (blank(**line)) continue;
    auto event = checkPublishLine(**line, line_no, topics, limits, nowMs());
    if (!event) {
      printError(event.error().message);
      co_return 2;
    }
    batch.push_back(std::move(*event));
    if (batch.size() >= o.batch || !reader.ready()) {
      if (int code = co_await send(); code != 0) co_return code;
    }
  }
  if (!batch.empty()) co_return co_await send();
  co_return 0;
}

}  // namespace

int runPublish(const PublishOptions& o) {
  auto ep = parseEndpoint(o.url, "/", /*allow_websocket=*/false, /*allow_http=*/true);
  if (!ep) {
    printError(ep.error().message);
    return 2;
  }
  if (o.batch == 0) {
    printError("--batch must be at least 1");
    return 2;
  }

  asio::io_context io;
  std::optional<ssl::context> tls;
  if (ep->tls()) tls.emplace(tlsContext(o.ca_file, o.insecure));

  asio::awaitable<int> work = [&]() -> asio::awaitable<int> {
    if (ep->unixSocket()) return publishAll<UnixStream>(o, *ep, [&] { return UnixStream(io); });
    if (ep->tls()) return publishAll<TlsStream>(o, *ep, [&] { return TlsStream(io, *tls); });
    return publishAll<TcpStream>(o, *ep, [&] { return TcpStream(io); });
  }();

  return runVerb(io, std::move(work), *ep, printError);
}

}  // namespace herald::app
