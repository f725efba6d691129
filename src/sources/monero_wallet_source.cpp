// MoneroWalletSource: see monero_wallet_source.h.
#include "sources/monero_wallet_source.h"

#include <spdlog/spdlog.h>

#include <boost/json.hpp>
#include <optional>

#include "sources/monero_view_key.h"

namespace herald::sources {
namespace {

namespace json = boost::json;
using Clock = std::chrono::steady_clock;

// An address in logs and health details: enough to tell accounts apart, not the whole address.
std::string shortAddress(std::string_view address) { return std::string(address.substr(0, 12)) + "…"; }

Error unavailable(std::string message) { return Error::make(Errc::unavailable, std::move(message)); }

// Equal in time that depends only on the lengths (the stored key is compared with the given one).
bool sameKey(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (std::size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

// The Accounts one worker's hub asks: the configured table first, then the wallet.
class WalletAccounts final : public Accounts {
 public:
  WalletAccounts(MoneroWalletSource& wallet, MoneroWalletSource::Post post, Accounts* first)
      : wallet_(wallet), post_(std::move(post)), first_(first) {}

  void verify(std::string account, std::string secret, std::function<void(Result<void>)> done) override {
    if (first_ == nullptr) {
      wallet_.login(std::move(account), std::move(secret), post_, std::move(done));
      return;
    }
    // Both answers arrive on this worker's thread, so the chain needs no lock.
    first_->verify(account, secret,
                   [this, account, secret, done = std::move(done)](Result<void> configured) mutable {
                     if (configured) {
                       done(std::move(configured));
                       return;
                     }
                     wallet_.login(std::move(account), std::move(secret), post_, std::move(done));
                   });
  }

 private:
  MoneroWalletSource& wallet_;
  MoneroWalletSource::Post post_;
  Accounts* first_;
};

}  // namespace

MoneroWalletSource::MoneroWalletSource(MoneroWalletConfig config, TopicSet topics)
    : config_(std::move(config)),
      topics_(std::move(topics)),
      health_(std::make_shared<SourceHealthCell>(config_.name)) {}

MoneroWalletSource::~MoneroWalletSource() { stop(); }

std::int64_t MoneroWalletSource::nowMs() const { return config_.now_ms ? config_.now_ms() : systemNowMs(); }

void MoneroWalletSource::start(bus::EventSink& sink) {
  std::lock_guard lock(mutex_);
  if (thread_.joinable()) return;
  running_ = true;
  abort_ = false;
  health_->running(true);
  health_->set(SourceState::degraded, "connecting to " + config_.rpc.text());
  thread_ = std::thread([this, &sink] { run(sink); });
}

void MoneroWalletSource::stop() {
  std::deque<Login> unanswered;
  {
    std::lock_guard lock(mutex_);
    if (!thread_.joinable()) return;
    running_ = false;
    abort_ = true;
  }
  wake_.notify_all();
  thread_.join();
  {
    std::lock_guard lock(mutex_);
    unanswered.swap(logins_);
  }
  for (Login& login : unanswered) {
    login.post([done = std::move(login.done)] { done(unavailable("the monero-wallet source is stopping")); });
  }
  health_->running(false);
  health_->set(SourceState::down, "stopped");
}

SourceHealth MoneroWalletSource::health() const { return health_->snapshot(); }

void MoneroWalletSource::login(std::string address, std::string view_key, Post post,
                               std::function<void(Result<void>)> done) {
  {
    std::lock_guard lock(mutex_);
    if (running_) {
      logins_.push_back(Login{std::move(address), std::move(view_key), post, std::move(done)});
      wake_.notify_all();
      return;
    }
  }
  post([done = std::move(done)] { done(unavailable("the monero-wallet source is not running")); });
}

std::unique_ptr<Accounts> MoneroWalletSource::accountsFor(Post post, Accounts* first) {
  return std::make_unique<WalletAccounts>(*this, std::move(post), first);
}

void MoneroWalletSource::run(bus::EventSink& sink) {
  client_ = std::make_unique<HttpJsonClient>(config_.rpc_timeout, &abort_);
  wallet_client_ = std::make_unique<HttpJsonClient>(config_.wallet_timeout, &abort_);
  Backoff backoff(config_.backoff_initial, config_.backoff_max);
  auto next_poll = Clock::now();
  for (;;) {
    std::optional<Login> login;
    {
      std::unique_lock lock(mutex_);
      wake_.wait_until(lock, next_poll, [&] { return !running_ || !logins_.empty(); });
      if (!running_) return;
      if (!logins_.empty()) {
        login.emplace(std::move(logins_.front()));
        logins_.pop_front();
      }
    }
    if (login) {
      serve(sink, std::move(*login));
      continue;
    }
    if (Clock::now() < next_poll) continue;
    if (pollAll(sink)) {
      backoff.reset();
      next_poll = Clock::now() + config_.poll_interval;
    } else {
      open_.clear();  // whatever wallet-rpc holds now, reopen before the next call
      next_poll = Clock::now() + backoff.next();
    }
  }
}

void MoneroWalletSource::serve(bus::EventSink& sink, Login login) {
  const auto answer = [&login](Result<void> result) {
    login.post(
        [done = std::move(login.done), result = std::move(result)]() mutable { done(std::move(result)); });
  };
  if (auto checked = checkViewKey(login.address, login.view_key); !checked) {
    health_->count("logins_refused");
    answer(checked.error());
    return;
  }
  health_->count("logins");
  if (watched_.contains(login.address)) {
    answer({});  // its history is in the log already; the poll keeps it current
    return;
  }
  if (watched_.size() >= config_.max_accounts) {
    answer(unavailable("this gateway watches its maximum of " + std::to_string(config_.max_accounts) +
                       " Monero accounts (monero-wallet max_accounts)"));
    return;
  }
  Watched candidate{login.address, config_.wallet_prefix + login.address, {}};
  if (auto opened = openWallet(candidate, login.view_key); !opened) {
    open_.clear();
    health_->set(SourceState::degraded, opened.error().message);
    answer(opened.error());
    return;
  }
  Watched& w = watched_.emplace(login.address, std::move(candidate)).first->second;
  spdlog::info("{}: watching Monero account {} (wallet {}); {} watched", config_.name,
               shortAddress(w.address), w.wallet, watched_.size());
  auto events = poll(w);
  if (!events) {
    // The key is right and the account is watched; its history follows with the next good poll.
    open_.clear();
    health_->set(SourceState::degraded, shortAddress(w.address) + ": " + events.error().message);
    answer({});
    return;
  }
  health_->set(SourceState::ok, "");
  if (events->empty()) {
    answer({});
    return;
  }
  health_->count("transfers", events->size());
  // Answer once the history is durable, so the login's tx_sync (read from the log) includes it.
  sink.publish(std::move(*events), [cell = health_, post = std::move(login.post),
                                    done = std::move(login.done)](Result<Cursor> published) mutable {
    Result<void> result;
    if (!published) {
      cell->set(SourceState::degraded, "publish failed: " + published.error().message);
      result = unavailable("the account's history could not be recorded: " + published.error().message);
    }
    post([done = std::move(done), result = std::move(result)]() mutable { done(std::move(result)); });
  });
}

Result<void> MoneroWalletSource::openWallet(const Watched& w, const std::string& view_key) {
  if (open_ == w.wallet) return {};
  auto opened = wallet_client_->jsonRpc(config_.rpc, "open_wallet",
                                        json::object{{"filename", w.wallet}, {"password", ""}});
  if (!opened) {
    if (opened.error().code == Errc::unavailable || view_key.empty()) {
      return unavailable("monero-wallet-rpc open_wallet " + w.wallet + ": " + opened.error().message);
    }
    // No such wallet yet (wallet-rpc says "Failed to open wallet"): make the view-only one.
    auto made = wallet_client_->jsonRpc(config_.rpc, "generate_from_keys",
                                        json::object{{"filename", w.wallet},
                                                     {"address", w.address},
                                                     {"viewkey", view_key},
                                                     {"spendkey", ""},
                                                     {"password", ""},
                                                     {"restore_height", config_.restore_height},
                                                     {"autosave_current", true}});
    if (!made) {
      return unavailable("monero-wallet-rpc generate_from_keys " + w.wallet + ": " + made.error().message);
    }
    open_ = w.wallet;
    spdlog::info("{}: made view-only wallet {} from height {}", config_.name, w.wallet,
                 config_.restore_height);
    return {};
  }
  open_ = w.wallet;
  if (view_key.empty()) return {};
  auto stored = client_->jsonRpc(config_.rpc, "query_key", json::object{{"key_type", "view_key"}});
  if (!stored)
    return unavailable("monero-wallet-rpc query_key in " + w.wallet + ": " + stored.error().message);
  const json::value* key = stored->is_object() ? stored->get_object().if_contains("key") : nullptr;
  if (key == nullptr || !key->is_string() || !sameKey(key->get_string(), view_key)) {
    // The login's key is right for the address (checkViewKey), so the file is what is wrong.
    return unavailable("wallet " + w.wallet +
                       " in monero-wallet-rpc's wallet dir holds another view key for " +
                       shortAddress(w.address) + "; remove it and its .keys file");
  }
  return {};
}

Result<std::vector<Event>> MoneroWalletSource::poll(Watched& w) {
  if (auto opened = openWallet(w, {}); !opened) return opened.error();
  if (auto refreshed = wallet_client_->jsonRpc(config_.rpc, "refresh", json::object{}); !refreshed) {
    return unavailable("monero-wallet-rpc refresh " + w.wallet + ": " + refreshed.error().message);
  }
  auto reply = client_->jsonRpc(
      config_.rpc, "get_transfers",
      json::object{{"in", true}, {"out", true}, {"pending", true}, {"pool", true}, {"all_accounts", true}});
  if (!reply)
    return unavailable("monero-wallet-rpc get_transfers " + w.wallet + ": " + reply.error().message);
  auto transfers = readTransfers(*reply);
  if (!transfers) return transfers.error();
  std::vector<Event> events;
  const std::int64_t now = nowMs();
  for (const WalletTransfer& t : w.ledger.changes(*transfers)) {
    auto event = accountTxEvent(w.address, t, topics_, now);
    if (!event) {
      health_->count("transfers_refused");
      spdlog::error("{}: account.tx for {} refused by the catalog: {}", config_.name, t.txid,
                    event.error().message);
      continue;
    }
    events.push_back(std::move(*event));
  }
  return events;
}

bool MoneroWalletSource::pollAll(bus::EventSink& sink) {
  if (watched_.empty()) {
    // Nothing to watch yet: still tell /healthz whether wallet-rpc answers.
    auto version = client_->jsonRpc(config_.rpc, "get_version", json::object{});
    if (!version) {
      health_->set(SourceState::degraded, "monero-wallet-rpc: " + version.error().message);
      return false;
    }
    health_->set(SourceState::ok, "");
    return true;
  }
  for (auto& [address, w] : watched_) {
    auto events = poll(w);
    if (!events) {
      health_->count("poll_failures");
      health_->set(SourceState::degraded, shortAddress(address) + ": " + events.error().message);
      spdlog::warn("{}: {}: {}", config_.name, shortAddress(address), events.error().message);
      return false;
    }
    if (!events->empty()) {
      health_->count("transfers", events->size());
      SourceHealthCell::publish(health_, sink, std::move(*events), nowMs());
    }
  }
  health_->set(SourceState::ok, "");
  return true;
}

}  // namespace herald::sources
