// Server: binds the listeners, runs one io_context per worker thread, deals accepted connections to
// workers round-robin, and shuts down in order (stop accepting, go away, wait, abort, join).
//
// Start-up failures throw std::runtime_error naming the listener: they happen once, before any
// client is served, and the caller can only report them and exit. Nothing after start() throws.
#include "transport/server.h"

#include "transport/http_session.h"
#include "transport/lean_ws_session.h"
#include "transport/worker.h"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <openssl/ssl.h>
#include <pthread.h>
#include <unistd.h>

#include <cassert>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <thread>

namespace herald::transport {

namespace asio = boost::asio;
using asio::ip::tcp;
using UnixProtocol = asio::local::stream_protocol;

namespace {

// Accept fails mostly for descriptor exhaustion (EMFILE), which clears only when connections close;
// retrying at once would spin a core, waiting longer would leave clients queued in the backlog.
constexpr std::chrono::milliseconds kAcceptRetryDelay{50};
// After abort() every socket operation fails at once; this only bounds a handler that never returns.
constexpr std::chrono::milliseconds kAbortWait{1000};

std::string describe(std::size_t index, const ListenerConfig& config) {
  std::string kind;
  std::string where;
  switch (config.kind) {
    case ListenerConfig::Kind::tcp:
      kind = "tcp";
      where = config.host + ":" + std::to_string(config.port);
      break;
    case ListenerConfig::Kind::tls:
      kind = "tls";
      where = config.host + ":" + std::to_string(config.port);
      break;
    case ListenerConfig::Kind::unix_socket:
      kind = "unix";
      where = config.path;
      break;
  }
  return "listener " + std::to_string(index) + " (" + kind + " " + where + ")";
}

std::string endpointText(const tcp::endpoint& endpoint) {
  const auto address = endpoint.address();
  const std::string host = address.is_v6() ? "[" + address.to_string() + "]" : address.to_string();
  return host + ":" + std::to_string(endpoint.port());
}

tcp::endpoint resolve(const std::string& host, std::uint16_t port) {
  boost::system::error_code ec;
  const auto address = asio::ip::make_address(host, ec);
  if (!ec) return {address, port};
  asio::io_context scratch;
  tcp::resolver resolver(scratch);
  const auto results = resolver.resolve(host, std::to_string(port), tcp::resolver::passive);
  if (results.empty()) throw std::runtime_error("no address for " + host);
  return results.begin()->endpoint();
}

std::unique_ptr<asio::ssl::context> makeTlsContext(const ListenerConfig& config) {
  auto tls = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_server);
  tls->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                   asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 | asio::ssl::context::no_tlsv1_1 |
                   asio::ssl::context::single_dh_use);
  // TLS 1.0 and 1.1 are deprecated (RFC 8996).
  if (SSL_CTX_set_min_proto_version(tls->native_handle(), TLS1_2_VERSION) != 1) {
    throw std::runtime_error("cannot require TLS 1.2");
  }
  tls->use_certificate_chain_file(config.cert_file);
  tls->use_private_key_file(config.key_file, asio::ssl::context::pem);
  if (SSL_CTX_check_private_key(tls->native_handle()) != 1) {
    throw std::runtime_error("private key " + config.key_file + " does not match " + config.cert_file);
  }
  return tls;
}

// A periodic task of one worker (Server::every).
struct Ticker {
  Ticker(asio::io_context& ioc, std::chrono::milliseconds period_in, std::function<void()> fn_in)
      : timer(ioc), period(period_in), fn(std::move(fn_in)) {}

  void arm() {
    const auto now = std::chrono::steady_clock::now();
    // After a stall, the next run is one period from now, not a burst of the runs that were missed.
    auto next = timer.expiry() + period;
    if (next <= now) next = now + period;
    timer.expires_at(next);
    timer.async_wait([this](boost::system::error_code ec) {
      if (ec || stopped) return;
      fn();
      arm();
    });
  }

  asio::steady_timer timer;
  std::chrono::milliseconds period;
  std::function<void()> fn;
  bool stopped = false;  // touched on the owning worker's thread only
};

struct Listener {
  ListenerConfig config;
  detail::Worker* owner = nullptr;  // the worker whose thread runs this accept loop
  std::optional<tcp::acceptor> tcp_acceptor;
  std::optional<UnixProtocol::acceptor> unix_acceptor;
  std::unique_ptr<asio::ssl::context> tls;
  std::optional<asio::steady_timer> retry;
  std::string bound;
  detail::MountPaths paths;  // from config.paths; null: every mount

  void close() {
    boost::system::error_code ignored;
    if (tcp_acceptor) tcp_acceptor->close(ignored);
    if (unix_acceptor) unix_acceptor->close(ignored);
    if (retry) retry->cancel();
  }
};

}  // namespace

struct Server::Impl {
  Impl(ServerConfig config_in, Application& app, Metrics& metrics)
      : config(std::move(config_in)), state(app, metrics, config.limits) {
    std::size_t count = config.workers != 0 ? config.workers : std::thread::hardware_concurrency();
    if (count == 0) count = 1;  // hardware_concurrency() may not know
    for (std::size_t i = 0; i < count; ++i) workers.push_back(std::make_unique<detail::Worker>(i, state));
    worker_tickers.resize(count);
  }

  void bindListener(std::size_t index) {
    const ListenerConfig& listener_config = config.listeners[index];
    auto listener = std::make_unique<Listener>();
    listener->config = listener_config;
    if (!listener_config.paths.empty()) {
      listener->paths = std::make_shared<const std::vector<std::string>>(listener_config.paths);
    }
    listener->owner = workers[index % workers.size()].get();
    asio::io_context& ioc = listener->owner->ioc;
    listener->retry.emplace(ioc);
    try {
      if (listener_config.kind == ListenerConfig::Kind::unix_socket) {
        bindUnix(*listener);
      } else {
        if (listener_config.kind == ListenerConfig::Kind::tls) listener->tls = makeTlsContext(listener_config);
        const tcp::endpoint endpoint = resolve(listener_config.host, listener_config.port);
        auto& acceptor = listener->tcp_acceptor.emplace(ioc);
        acceptor.open(endpoint.protocol());
        acceptor.set_option(asio::socket_base::reuse_address(true));
        acceptor.bind(endpoint);
        acceptor.listen(asio::socket_base::max_listen_connections);
        listener->bound = endpointText(acceptor.local_endpoint());
      }
    } catch (const std::exception& e) {
      throw std::runtime_error(describe(index, listener_config) + ": " + e.what());
    }
    listeners.push_back(std::move(listener));
  }

  void bindUnix(Listener& listener) {
    namespace fs = std::filesystem;
    const std::string& path = listener.config.path;
    const UnixProtocol::endpoint endpoint(path);
    std::error_code fs_error;
    const auto status = fs::symlink_status(path, fs_error);
    if (fs::exists(status)) {
      if (!fs::is_socket(status)) throw std::runtime_error(path + " exists and is not a socket");
      // A socket file left by a process that died is stale; one that still answers is not ours.
      UnixProtocol::socket probe(listener.owner->ioc);
      boost::system::error_code ec;
      probe.connect(endpoint, ec);
      if (!ec) throw std::runtime_error("another process is listening on " + path);
      fs::remove(path, fs_error);
    }
    auto& acceptor = listener.unix_acceptor.emplace(listener.owner->ioc);
    acceptor.open(endpoint.protocol());
    acceptor.bind(endpoint);
    acceptor.listen(asio::socket_base::max_listen_connections);
    listener.bound = "unix:" + path;
  }

  // Removes the socket files this server created; acceptors must be closed (or never opened).
  void unlinkUnixSockets() {
    namespace fs = std::filesystem;
    for (auto& listener : listeners) {
      if (!listener->unix_acceptor) continue;
      std::error_code ignored;
      if (fs::is_socket(fs::symlink_status(listener->config.path, ignored))) fs::remove(listener->config.path, ignored);
    }
  }

  detail::Worker& nextWorker() { return *workers[next_worker.fetch_add(1, std::memory_order_relaxed) % workers.size()]; }

  // Owner's thread. The socket is accepted on the owner's io_context and handed to the target's by
  // its descriptor (onAccept): accepting straight into the target's io_context would leave, at
  // stop, a cancelled accept queued on the owner that holds a socket of another io_context, which
  // may be destroyed first.
  void doAccept(Listener& listener) {
    if (listener.tcp_acceptor) {
      listener.tcp_acceptor->async_accept([this, &listener](boost::system::error_code ec, tcp::socket socket) {
        onAccept(listener, ec, std::move(socket));
      });
    } else {
      listener.unix_acceptor->async_accept([this, &listener](boost::system::error_code ec, UnixProtocol::socket socket) {
        onAccept(listener, ec, std::move(socket));
      });
    }
  }

  // The same connection, registered with `target`'s io_context instead; empty when the descriptor
  // cannot be taken over (the connection is dropped, as if the peer had gone).
  template <class Socket>
  static std::optional<Socket> rehome(Socket& socket, const typename Socket::protocol_type& protocol,
                                      asio::io_context& target) {
    Socket moved(target);
    if (!detail::moveDescriptor(socket, protocol, moved)) return std::nullopt;
    return moved;
  }

  template <class Socket>
  void onAccept(Listener& listener, boost::system::error_code ec, Socket socket) {
    const bool open = listener.tcp_acceptor ? listener.tcp_acceptor->is_open() : listener.unix_acceptor->is_open();
    if (!open || ec == asio::error::operation_aborted) return;
    if (ec) {
      listener.retry->expires_after(kAcceptRetryDelay);
      listener.retry->async_wait([this, &listener](boost::system::error_code wait_error) {
        if (!wait_error) doAccept(listener);
      });
      return;
    }
    if constexpr (std::is_same_v<Socket, tcp::socket>) {
      boost::system::error_code peer_error;
      const auto peer = socket.remote_endpoint(peer_error);
      detail::Worker& target = nextWorker();
      std::optional<tcp::socket> moved;
      if (!peer_error) moved = rehome(socket, peer.protocol(), target.ioc);
      if (moved) {
        asio::post(target.ioc, [&target, &listener, socket = std::move(*moved), remote = endpointText(peer)]() mutable {
          if (listener.tls) {
            detail::startTlsConnection(target, std::move(socket), *listener.tls, std::move(remote),
                                       listener.paths);
          } else {
            detail::startTcpConnection(target, std::move(socket), std::move(remote), listener.paths);
          }
        });
      }  // else the peer is already gone; the socket closes here
    } else {
      detail::Worker& target = nextWorker();
      if (auto moved = rehome(socket, UnixProtocol(), target.ioc)) {
        asio::post(target.ioc, [&target, socket = std::move(*moved)]() mutable {
          detail::startUnixConnection(target, std::move(socket));
        });
      }
    }
    doAccept(listener);
  }

  // Worker thread: the first half of stop() for this worker.
  void goAway(detail::Worker& worker) {
    for (auto& listener : listeners) {
      if (listener->owner == &worker) listener->close();
    }
    worker.stopping = true;
    for (auto& ticker : worker_tickers[worker.index]) {
      ticker->stopped = true;
      ticker->timer.cancel();
    }
    state.app.beforeClose(worker.index);
    for (const auto& connection : worker.liveConnections()) connection->goAway();  // may end others
    std::lock_guard lock(stop_mutex);
    ++workers_gone_away;
    stop_progress.notify_all();
  }

  void abortAll(detail::Worker& worker) {
    for (const auto& connection : worker.liveConnections()) connection->abort();
  }

  // Destruction runs bottom-up: listeners (their acceptors and timers use a worker's io_context)
  // go before workers, and workers (whose io_contexts may still hold connections) before state.
  ServerConfig config;
  detail::ServerState state;
  std::vector<std::unique_ptr<detail::Worker>> workers;
  std::vector<std::optional<asio::executor_work_guard<asio::io_context::executor_type>>> guards;
  std::vector<std::thread> threads;
  std::vector<std::unique_ptr<Listener>> listeners;
  // Per worker; like listeners, destroyed before the workers whose io_contexts their timers use.
  // The outer vector is sized once (constructor); each inner one grows under `lifecycle`.
  std::vector<std::vector<std::unique_ptr<Ticker>>> worker_tickers;
  std::vector<std::string> bound;
  std::atomic<std::size_t> next_worker{0};

  std::mutex lifecycle;  // start() and stop() may be called from different threads
  bool started = false;
  bool stopped = false;

  // stop() counts connections only once every worker has stopped taking new ones.
  std::mutex stop_mutex;
  std::condition_variable stop_progress;
  std::size_t workers_gone_away = 0;
};

Server::Server(ServerConfig config, Application& app, Metrics& metrics)
    : impl_(std::make_unique<Impl>(std::move(config), app, metrics)) {}

Server::~Server() { stop(); }

std::size_t Server::workerCount() const noexcept { return impl_->workers.size(); }

std::vector<std::string> Server::start() {
  Impl& impl = *impl_;
  std::lock_guard lock(impl.lifecycle);
  if (impl.started || impl.stopped) return impl.bound;

  try {
    for (std::size_t i = 0; i < impl.config.listeners.size(); ++i) impl.bindListener(i);
  } catch (...) {
    for (auto& listener : impl.listeners) listener->close();
    impl.unlinkUnixSockets();
    impl.listeners.clear();
    throw;
  }
  for (const auto& listener : impl.listeners) impl.bound.push_back(listener->bound);

  for (auto& worker : impl.workers) {
    impl.guards.emplace_back(asio::make_work_guard(worker->ioc));
    impl.threads.emplace_back([w = worker.get()] {
      // Linux limits thread names to 15 characters.
      const std::string name = "herald-w" + std::to_string(w->index);
      pthread_setname_np(pthread_self(), name.substr(0, 15).c_str());
      w->ioc.run();
    });
  }
  for (auto& listener : impl.listeners) {
    asio::post(listener->owner->ioc, [&impl, l = listener.get()] { impl.doAccept(*l); });
  }
  impl.started = true;
  return impl.bound;
}

void Server::post(std::size_t index, std::function<void()> fn) {
  assert(index < impl_->workers.size() && "Server::post: no such worker");
  detail::Worker& worker = *impl_->workers[index % impl_->workers.size()];
  asio::post(worker.ioc, [&worker, fn = std::move(fn)] {
    fn();
    detail::flushWokenSessions(worker);
  });
}

void Server::every(std::size_t worker, std::chrono::milliseconds period, std::function<void()> fn) {
  Impl& impl = *impl_;
  assert(worker < impl.workers.size() && "Server::every: no such worker");
  std::lock_guard lock(impl.lifecycle);
  if (impl.stopped) return;
  detail::Worker& owner = *impl.workers[worker % impl.workers.size()];
  // Like a posted task, a tick writes what it queued (debounced events, heartbeats) when it ends.
  auto ticker = std::make_unique<Ticker>(owner.ioc, period, [&owner, fn = std::move(fn)] {
    fn();
    detail::flushWokenSessions(owner);
  });
  Ticker* raw = ticker.get();
  impl.worker_tickers[owner.index].push_back(std::move(ticker));
  asio::post(owner.ioc, [raw, &owner] {
    if (owner.stopping || raw->stopped) return;
    raw->timer.expires_at(std::chrono::steady_clock::now());
    raw->arm();
  });
}

void Server::stop(std::chrono::milliseconds grace) {
  Impl& impl = *impl_;
  std::lock_guard lock(impl.lifecycle);
  if (impl.stopped) return;
  impl.stopped = true;
  if (!impl.started) return;
  for (const auto& worker : impl.workers) {
    // Joining a worker from its own thread would never return.
    assert(!worker->ioc.get_executor().running_in_this_thread() && "Server::stop called on a worker thread");
    asio::post(worker->ioc, [&impl, w = worker.get()] { impl.goAway(*w); });
  }
  const auto deadline = std::chrono::steady_clock::now() + grace;
  bool gone_away = false;
  {
    std::unique_lock progress(impl.stop_mutex);
    gone_away = impl.stop_progress.wait_until(progress, deadline,
                                              [&impl] { return impl.workers_gone_away == impl.workers.size(); });
  }
  if (!gone_away || !impl.state.waitAllClosed(deadline)) {
    for (const auto& worker : impl.workers) {
      asio::post(worker->ioc, [&impl, w = worker.get()] { impl.abortAll(*w); });
    }
    // Whatever is still open after this is destroyed with its io_context (onClose still runs).
    impl.state.waitAllClosed(std::chrono::steady_clock::now() + kAbortWait);
  }
  for (auto& guard : impl.guards) guard.reset();
  for (const auto& worker : impl.workers) worker->ioc.stop();
  for (auto& thread : impl.threads) thread.join();
  impl.unlinkUnixSockets();
}

}  // namespace herald::transport
