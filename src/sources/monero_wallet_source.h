// MoneroWalletSource: Monero accounts watched through monero-wallet-rpc, and the Accounts checker
// the lws feed's login uses (docs/sources/monero.md).
//
// A login (address + view key) is checked here first (checkViewKey: the key must belong to the
// address), then the account gets a view-only wallet in wallet-rpc's --wallet-dir, named
// <wallet_prefix><address>: opened when it exists (and its stored view key must be the one given),
// made with generate_from_keys (empty spend key, restore_height) when it does not. The wallet is
// refreshed and its get_transfers published as account.tx before the login is answered, so the
// feed's tx_sync already holds the account's history. From then on every watched account is polled
// (refresh, get_transfers) each poll interval and each new or changed transfer becomes an account.tx
// event: a pool transfer first with height null, again with its height once mined.
//
// How: one thread owns the wallet-rpc connection (it opens one wallet at a time, so accounts are
// polled in turn) and serves logins between polls; verify() only queues. Failures degrade the
// health and back off; the next poll reopens the wallet. No lock is held across RPC.
//
// Must not: block a worker, log a view key, or watch an account whose key it has not checked.
// Watched accounts live in memory: after a restart an account is watched again from its next login
// (its transfers are then published again; the lws feed folds repeats by txid).
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/accounts.h"
#include "core/topics.h"
#include "sources/http_json_client.h"
#include "sources/monero_wallet_transfers.h"
#include "sources/source.h"
#include "sources/source_health.h"

namespace herald::sources {

struct MoneroWalletConfig {
  std::string name = "monero-wallet";  // SourceHealth::name
  HttpUrl rpc;                         // monero-wallet-rpc started with --wallet-dir and --disable-rpc-login
  std::string wallet_prefix = "herald-";
  std::uint64_t restore_height = 0;  // where a new view-only wallet starts scanning
  std::size_t max_accounts = 64;     // wallet-rpc holds one wallet open: each poll reopens every one
  std::chrono::milliseconds poll_interval{2000};
  std::chrono::milliseconds rpc_timeout{10'000};
  // Opening, making and refreshing a wallet: a refresh scans the chain from the wallet's height
  // (long for a new wallet on a big chain), and wallet-rpc answers nothing else meanwhile.
  std::chrono::milliseconds wallet_timeout{120'000};
  std::chrono::milliseconds backoff_initial{250};
  std::chrono::milliseconds backoff_max{10'000};
  std::function<std::int64_t()> now_ms;  // wall clock; empty = system clock
};

class MoneroWalletSource final : public Source {
 public:
  // Runs a function later on one worker's thread (Server::post bound to it).
  using Post = std::function<void(std::function<void()>)>;

  MoneroWalletSource(MoneroWalletConfig config, TopicSet topics);
  ~MoneroWalletSource() override;  // stop()
  MoneroWalletSource(const MoneroWalletSource&) = delete;
  MoneroWalletSource& operator=(const MoneroWalletSource&) = delete;

  void start(bus::EventSink& sink) override;
  // Answers every login still queued with Errc::unavailable, then joins the thread.
  void stop() override;
  SourceHealth health() const override;

  // Any thread; never inline: `done` runs through `post`, after the account's history is in the log.
  // Errors as checkViewKey, or Errc::unavailable when wallet-rpc cannot be reached, the source is not
  // running, or max_accounts are watched already.
  void login(std::string address, std::string view_key, Post post, std::function<void(Result<void>)> done);

  // The Accounts of one worker: `first` (the configured table, may be null) is asked first; an
  // account it does not accept is checked and watched here. Must not outlive this source.
  std::unique_ptr<Accounts> accountsFor(Post post, Accounts* first);

 private:
  struct Login {
    std::string address;
    std::string view_key;
    Post post;
    std::function<void(Result<void>)> done;
  };
  struct Watched {
    std::string address;
    std::string wallet;  // file name in wallet-rpc's wallet dir
    TransferLedger ledger;
  };

  void run(bus::EventSink& sink);
  void serve(bus::EventSink& sink, Login login);
  // Makes `w`'s wallet the open one; `view_key` non-empty: create it when missing and check its key.
  Result<void> openWallet(const Watched& w, const std::string& view_key);
  // refresh + get_transfers → account.tx for what changed.
  Result<std::vector<Event>> poll(Watched& w);
  bool pollAll(bus::EventSink& sink);  // false when one account failed
  std::int64_t nowMs() const;

  MoneroWalletConfig config_;
  TopicSet topics_;
  std::shared_ptr<SourceHealthCell> health_;
  std::atomic<bool> abort_{false};

  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Login> logins_;
  bool running_ = false;
  std::thread thread_;

  // The source thread's alone.
  std::unique_ptr<HttpJsonClient> client_;
  std::unique_ptr<HttpJsonClient> wallet_client_;  // wallet_timeout: open, make, refresh
  std::map<std::string, Watched, std::less<>> watched_;
  std::string open_;  // wallet open in wallet-rpc as far as we know; empty = unknown
};

}  // namespace herald::sources
