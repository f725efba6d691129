#include "coordinator.h"

#include "load_client.h"
#include "publisher.h"
#include "wire.h"

#include <boost/asio.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/json.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <csignal>
#include <ctime>
#include <iostream>
#include <optional>
#include <sys/wait.h>
#include <unistd.h>

namespace herald::bench {
namespace {

namespace net = boost::asio;
using net::awaitable;
using net::use_awaitable;
using Clock = std::chrono::steady_clock;

double secondsSince(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

std::string utcNow() {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return text;
}

awaitable<void> sleepFor(double ms) {
  net::steady_timer timer(co_await net::this_coro::executor);
  timer.expires_after(std::chrono::microseconds(static_cast<std::int64_t>(ms * 1000)));
  co_await timer.async_wait(use_awaitable);
}

struct Progress {
  std::uint64_t connected = 0, subscribed = 0, failed = 0, delivered = 0, closed = 0, expect_reached = 0;
};

struct ClientHandle {
  pid_t pid = -1;
  int report_fd = -1;
  int control_fd = -1;
  std::unique_ptr<net::posix::stream_descriptor> reader;
  std::string pending;
  Progress progress;
  std::optional<boost::json::object> final;
};

class Coordinator {
 public:
  Coordinator(const Options& options, RunResult& result) : options_(options), result_(result) {}

  // Forks the client processes (before any io_context of this process exists).
  void spawnClients(const std::string& since) {
    const std::size_t n = options_.connections;
    const std::size_t k = options_.processes;
    clients_.resize(k);
    for (std::size_t i = 0; i < k; ++i) {
      int report[2];
      int control[2];
      if (::pipe(report) != 0 || ::pipe(control) != 0) throw std::runtime_error("pipe failed");
      const ClientSlice slice{n * i / k, n * (i + 1) / k - n * i / k};
      const pid_t pid = ::fork();
      if (pid < 0) throw std::runtime_error("fork failed");
      if (pid == 0) {
        ::close(report[0]);
        ::close(control[1]);
        for (std::size_t j = 0; j < i; ++j) {  // the other clients' pipes are not this one's business
          ::close(clients_[j].report_fd);
          ::close(clients_[j].control_fd);
        }
        runClientProcess(options_, slice, report[1], control[0], since);
      }
      ::close(report[1]);
      ::close(control[0]);
      clients_[i].pid = pid;
      clients_[i].report_fd = report[0];
      clients_[i].control_fd = control[1];
    }
  }

  awaitable<void> run() {
    auto executor = co_await net::this_coro::executor;
    for (auto& c : clients_) {
      c.reader = std::make_unique<net::posix::stream_descriptor>(executor, c.report_fd);
      net::co_spawn(executor, readReports(c), net::detached);
    }
    net::co_spawn(executor, sampleMemory(), net::detached);

    // Connect and subscribe.
    const auto start = Clock::now();
    const std::uint64_t n = options_.connections;
    bool connected_all = false;
    while (secondsSince(start) < options_.connect_timeout_s) {
      const Progress p = total();
      if (!connected_all && p.connected + p.failed >= n) {
        connected_all = true;
        result_.connect_seconds = secondsSince(start);
      }
      if (p.subscribed + p.failed >= n) break;
      // Connections the server closed before they subscribed never will: stop waiting for them.
      if (connected_all && p.subscribed + p.failed + p.closed >= n) break;
      co_await sleepFor(5);
    }
    if (!connected_all) result_.connect_seconds = secondsSince(start);
    result_.subscribe_seconds = secondsSince(start);
    co_await sleepFor(options_.settle_ms);
    result_.server_subscribed = sampleProcess(options_.server_pid);

    // Publish and drain.
    const Progress before = total();
    delivered_before_ = before.delivered;
    const auto clients_before = clientCpu();
    result_.server_publish_start = sampleProcess(options_.server_pid);
    measuring_memory_ = true;
    const auto publish_start = Clock::now();
    if (options_.publisher != PublisherKind::none) {
      try {
        co_await publishAll(publish_start);
      } catch (const std::exception& e) {
        result_.publish_error = e.what();
      }
    }
    result_.publish_seconds = secondsSince(publish_start);
    co_await drain(before.delivered);
    result_.delivery_seconds = last_delivery_ > publish_start
                                   ? std::chrono::duration<double>(last_delivery_ - publish_start).count()
                                   : result_.publish_seconds;
    result_.server_publish_end = sampleProcess(options_.server_pid);
    result_.client_cpu_publish = clientCpu() - clients_before;
    const Progress after = total();
    result_.delivered = after.delivered - before.delivered;
    result_.delivered_total = after.delivered;
    result_.published = published_;
    result_.expected = expected_;
    if (options_.hold_ms > 0) co_await sleepFor(options_.hold_ms);
    measuring_memory_ = false;

    // Stop the clients and collect their reports.
    result_.client_cpu_total = clientCpu();
    for (auto& c : clients_) {
      const char stop = 'S';
      [[maybe_unused]] const auto written = ::write(c.control_fd, &stop, 1);
    }
    const auto stop_start = Clock::now();
    while (secondsSince(stop_start) < 30) {
      if (std::all_of(clients_.begin(), clients_.end(), [](const ClientHandle& c) { return c.final.has_value(); })) break;
      co_await sleepFor(5);
    }
    stopped_ = true;
    for (auto& c : clients_) {
      c.reader->cancel();
      ::close(c.control_fd);
    }
    merge();
  }

  void reap() {
    for (auto& c : clients_) {
      int status = 0;
      if (::waitpid(c.pid, &status, WNOHANG) == 0) {
        ::kill(c.pid, SIGKILL);
        ::waitpid(c.pid, &status, 0);
      }
    }
  }

 private:
  awaitable<void> readReports(ClientHandle& c) {
    char chunk[4096];
    try {
      for (;;) {
        const std::size_t n = co_await c.reader->async_read_some(net::buffer(chunk), use_awaitable);
        c.pending.append(chunk, n);
        std::size_t eol;
        while ((eol = c.pending.find('\n')) != std::string::npos) {
          const std::string line = c.pending.substr(0, eol);
          c.pending.erase(0, eol + 1);
          onReport(c, line);
        }
      }
    } catch (const boost::system::system_error&) {
      // the client process ended or the run is over
    }
  }

  void onReport(ClientHandle& c, const std::string& line) {
    if (line.rfind("P ", 0) == 0) {
      Progress p;
      if (std::sscanf(line.c_str(), "P %lu %lu %lu %lu %lu %lu", &p.connected, &p.subscribed, &p.failed,
                      &p.delivered, &p.closed, &p.expect_reached) == 6) {
        if (p.delivered != c.progress.delivered) last_delivery_ = Clock::now();
        c.progress = p;
      }
    } else if (line.rfind("F ", 0) == 0) {
      boost::system::error_code ec;
      auto value = boost::json::parse(line.substr(2), ec);
      if (!ec && value.is_object()) {
        c.final = std::move(value.as_object());
        const auto& f = *c.final;
        c.progress.delivered = static_cast<std::uint64_t>(f.at("delivered").to_number<double>());
      }
    }
  }

  Progress total() const {
    Progress t;
    for (const auto& c : clients_) {
      t.connected += c.progress.connected;
      t.subscribed += c.progress.subscribed;
      t.failed += c.progress.failed;
      t.delivered += c.progress.delivered;
      t.closed += c.progress.closed;
      t.expect_reached += c.progress.expect_reached;
    }
    return t;
  }

  double clientCpu() const {
    double s = 0;
    for (const auto& c : clients_) s += sampleProcess(c.pid).cpu_seconds;
    return s;
  }

  awaitable<void> sampleMemory() {
    while (!stopped_) {
      if (measuring_memory_) {
        const ProcSample s = sampleProcess(options_.server_pid);
        if (s.ok) {
          result_.server_rss_max_kib = std::max(result_.server_rss_max_kib, s.rss_kib);
          result_.server_rss_min_kib =
              result_.server_rss_min_kib == 0 ? s.rss_kib : std::min(result_.server_rss_min_kib, s.rss_kib);
        }
      }
      co_await sleepFor(100);
    }
  }

  // Deliveries event j makes: the connections that read and subscribed to its value.
  std::uint64_t fanout(std::uint64_t event) {
    if (fanout_.empty()) {
      fanout_.assign(options_.values, 0);
      for (std::size_t i = 0; i < options_.connections; ++i) {
        if (!isStalled(i, options_.stalled, options_.connections)) ++fanout_[i % options_.values];
      }
    }
    return fanout_[event % options_.values];
  }

  // Claims `count` events for one publish call and accounts for the deliveries they should make.
  std::uint64_t claim(std::size_t count) {
    const std::uint64_t first = published_;
    for (std::size_t i = 0; i < count; ++i) expected_ += fanout(first + i);
    published_ += count;
    return first;
  }

  bool publishDone(Clock::time_point start) const {
    if (options_.events != 0 && published_ >= options_.events) return true;
    return secondsSince(start) >= options_.duration_s;
  }

  std::size_t eventsLeft(std::size_t want) const {
    if (options_.events == 0) return want;
    return static_cast<std::size_t>(std::min<std::uint64_t>(want, options_.events - published_));
  }

  awaitable<void> publishAll(Clock::time_point start) {
    auto executor = co_await net::this_coro::executor;
    std::vector<std::unique_ptr<Publisher>> publishers;
    for (std::size_t i = 0; i < options_.publish_conns; ++i) {
      publishers.push_back(makePublisher(options_, static_cast<net::io_context&>(executor.context())));
      co_await publishers.back()->connect();
    }
    if (options_.burst > 0) {
      for (std::size_t b = 0; b < options_.bursts; ++b) {
        burst_left_ = options_.burst;
        co_await runLoops(publishers, [this](Publisher& p) { return burstLoop(p); });
        // Each burst is measured on its own: the next one waits until this one is delivered.
        if (b + 1 < options_.bursts) {
          co_await drain(delivered_before_);
          co_await sleepFor(options_.burst_interval_ms);
        }
      }
    } else {
      co_await runLoops(publishers, [this, start](Publisher& p) { return rateLoop(p, start); });
    }
  }

  template <class MakeLoop>
  awaitable<void> runLoops(std::vector<std::unique_ptr<Publisher>>& publishers, MakeLoop make) {
    auto executor = co_await net::this_coro::executor;
    std::size_t running = publishers.size();
    std::exception_ptr failure;
    for (auto& p : publishers) {
      net::co_spawn(executor, make(*p), [&running, &failure](std::exception_ptr e) {
        if (e && !failure) failure = e;
        --running;
      });
    }
    while (running > 0) co_await sleepFor(1);
    if (failure) std::rethrow_exception(failure);
  }

  awaitable<void> burstLoop(Publisher& p) {
    while (burst_left_ > 0) {
      const std::size_t n = std::min(burst_left_, options_.batch);
      burst_left_ -= n;
      co_await p.publish(claim(n), n);
    }
  }

  awaitable<void> rateLoop(Publisher& p, Clock::time_point start) {
    const std::uint64_t window = static_cast<std::uint64_t>(options_.window) *
                                 (options_.connections - options_.stalled);
    while (!publishDone(start)) {
      std::size_t n = 0;
      if (options_.rate <= 0) {
        // Maximum sustainable rate: publish while fewer than `window` events per connection are
        // published but not yet delivered; the server's delivery pace sets the rate.
        if (expected_ + delivered_before_ > total().delivered + window) {
          co_await sleepFor(0.5);
          continue;
        }
        n = eventsLeft(options_.batch);
      } else {
        const double elapsed = secondsSince(start);
        const auto due = static_cast<std::uint64_t>(options_.rate * elapsed) + 1;
        if (due <= published_) {
          co_await sleepFor(std::max(0.1, (static_cast<double>(published_) / options_.rate - elapsed) * 1000));
          continue;
        }
        n = eventsLeft(static_cast<std::size_t>(std::min<std::uint64_t>(due - published_, options_.batch)));
      }
      if (n == 0) break;
      co_await p.publish(claim(n), n);
    }
  }

  awaitable<void> drain(std::uint64_t delivered_before) {
    const auto start = Clock::now();
    auto last_change = Clock::now();
    std::uint64_t last = total().delivered;
    while (secondsSince(start) < options_.max_drain_s) {
      const std::uint64_t now = total().delivered;
      if (now - delivered_before >= expected_) break;
      if (now != last) {
        last = now;
        last_change = Clock::now();
      } else if (secondsSince(last_change) * 1000 >= options_.drain_timeout_ms) {
        break;
      }
      co_await sleepFor(2);
    }
  }

  void merge() {
    for (const auto& c : clients_) {
      if (!c.final) continue;
      const auto& f = *c.final;
      auto u = [&f](const char* key) { return static_cast<std::uint64_t>(f.at(key).to_number<double>()); };
      result_.connected += u("connected");
      result_.subscribed += u("subscribed");
      result_.failed += u("failed");
      result_.closed += u("closed");
      result_.expect_reached += u("expect_reached");
      if (result_.first_error.empty()) result_.first_error = std::string(f.at("first_error").as_string());
      for (const auto& [reason, n] : f.at("close_reasons").as_object()) {
        const double prior = result_.close_reasons.contains(reason) ? result_.close_reasons[reason].to_number<double>() : 0;
        result_.close_reasons[reason] = static_cast<std::uint64_t>(prior + n.to_number<double>());
      }
      mergeHistogram(f.at("latency").as_object(), result_.latency);
      mergeHistogram(f.at("expect").as_object(), result_.expect);
    }
  }

  static void mergeHistogram(const boost::json::object& h, LogHistogram& into) {
    for (const auto& b : h.at("buckets").as_array()) {
      const auto& pair = b.as_array();
      into.addBucket(static_cast<std::size_t>(pair[0].to_number<double>()),
                     static_cast<std::uint64_t>(pair[1].to_number<double>()));
    }
    into.setExtremes(static_cast<std::uint64_t>(h.at("min").to_number<double>()),
                     static_cast<std::uint64_t>(h.at("max").to_number<double>()),
                     static_cast<std::uint64_t>(h.at("sum").to_number<double>()));
  }

  const Options& options_;
  RunResult& result_;
  std::vector<ClientHandle> clients_;
  std::vector<std::uint64_t> fanout_;
  std::uint64_t published_ = 0;
  std::uint64_t expected_ = 0;
  std::uint64_t delivered_before_ = 0;  // deliveries before the publish phase (preloaded events)
  std::size_t burst_left_ = 0;
  bool measuring_memory_ = false;
  bool stopped_ = false;
  Clock::time_point last_delivery_{};
};

// Publishes --preload events before any client exists and returns the cursor before them.
std::string preload(const Options& options, RunResult& result) {
  net::io_context io;
  std::string since;
  std::exception_ptr failure;
  net::co_spawn(
      io,
      [&]() -> awaitable<void> {
        Url url;
        parseUrl(options.publish_url, url);
        // Built before the co_await: GCC 12 destroys temporaries of a conditional expression twice
        // when the expression is an operand of co_await.
        std::string since_url = options.since_url;
        if (since_url.empty()) since_url = "http://" + url.host + ":" + url.port + "/healthz";
        since = co_await fetchHead(since_url);
        const auto start = Clock::now();
        auto publisher = makePublisher(options, io);
        co_await publisher->connect();
        for (std::uint64_t sent = 0; sent < options.preload;) {
          const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(options.batch, options.preload - sent));
          co_await publisher->publish(sent, n);
          sent += n;
        }
        result.preload_seconds = secondsSince(start);
      },
      [&failure](std::exception_ptr e) { failure = e; });
  io.run();
  if (failure) std::rethrow_exception(failure);
  return since;
}

}  // namespace

int runBenchmark(const Options& options, RunResult& result) {
  result.started_at = utcNow();
  result.load_start = loadAverage();
  std::string since;
  if (options.preload > 0) {
    try {
      since = preload(options, result);
    } catch (const std::exception& e) {
      std::cerr << "herald-bench: preload failed: " << e.what() << "\n";
      return 1;
    }
    result.since = since;
  }
  result.server_start = sampleProcess(options.server_pid);
  Coordinator coordinator(options, result);
  coordinator.spawnClients(since);
  int code = 0;
  {
    net::io_context io{1};
    net::co_spawn(io, coordinator.run(), [&code](std::exception_ptr e) {
      if (!e) return;
      try {
        std::rethrow_exception(e);
      } catch (const std::exception& ex) {
        std::cerr << "herald-bench: " << ex.what() << "\n";
      }
      code = 1;
    });
    io.run();
  }
  coordinator.reap();
  result.load_end = loadAverage();
  return code;
}

}  // namespace herald::bench
