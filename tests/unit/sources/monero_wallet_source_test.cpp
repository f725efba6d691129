#include "sources/monero_wallet_source.h"

#include <gtest/gtest.h>

#include <deque>

#include "schema/catalog.h"
#include "sources/source_factory.h"

namespace herald::sources {
namespace {

constexpr const char* kAddress =
    "44DYH44PdsUUmnrnQQmKV5ahLGm4bcFY9bvkaxm8RuB97t6rLgrgrTvX9Jhwbh8DkANcU5ipAjxxm6xtTtWLSvqjQCtmUxP";
constexpr const char* kViewKey = "2bfa9f0077416e0eab252b4b22c7bed70f8658f1da7277298a8f795a4c99330d";

// Stands in for a worker's post: keeps what was posted, so a test sees that nothing ran inline.
struct PostedQueue {
  std::deque<std::function<void()>> jobs;
  MoneroWalletSource::Post post() {
    return [this](std::function<void()> fn) { jobs.push_back(std::move(fn)); };
  }
  void runAll() {
    while (!jobs.empty()) {
      auto fn = std::move(jobs.front());
      jobs.pop_front();
      fn();
    }
  }
};

// An Accounts that answers from a fixed result through the same post.
class FixedAccounts final : public Accounts {
 public:
  FixedAccounts(Result<void> answer, MoneroWalletSource::Post post)
      : answer_(std::move(answer)), post_(std::move(post)) {}
  void verify(std::string, std::string, std::function<void(Result<void>)> done) override {
    ++asked;
    post_([answer = answer_, done = std::move(done)] { done(answer); });
  }
  int asked = 0;

 private:
  Result<void> answer_;
  MoneroWalletSource::Post post_;
};

TEST(MoneroWalletSource, ALoginWhileNotRunningIsUnavailableAndNeverInline) {
  MoneroWalletConfig c;
  c.rpc = *parseHttpUrl("http://127.0.0.1:9");
  MoneroWalletSource source(std::move(c), schema::topicSet({}));
  PostedQueue worker;
  std::optional<Result<void>> answer;
  source.login(kAddress, kViewKey, worker.post(), [&](Result<void> r) { answer = std::move(r); });
  EXPECT_FALSE(answer) << "answered inline";
  worker.runAll();
  ASSERT_TRUE(answer);
  ASSERT_FALSE(*answer);
  EXPECT_EQ(answer->error().code, Errc::unavailable);
  EXPECT_EQ(source.health().state, SourceState::down);
}

TEST(MoneroWalletSource, TheConfiguredTableIsAskedFirstAndItsYesSkipsTheWallet) {
  MoneroWalletConfig c;
  c.rpc = *parseHttpUrl("http://127.0.0.1:9");
  MoneroWalletSource source(std::move(c), schema::topicSet({}));
  PostedQueue worker;
  FixedAccounts table(Result<void>{}, worker.post());
  auto accounts = source.accountsFor(worker.post(), &table);
  std::optional<Result<void>> answer;
  accounts->verify(kAddress, kViewKey, [&](Result<void> r) { answer = std::move(r); });
  worker.runAll();
  EXPECT_EQ(table.asked, 1);
  ASSERT_TRUE(answer);
  EXPECT_TRUE(*answer) << "the table said yes";

  // The table says no: the wallet decides (here: not running, so unavailable).
  FixedAccounts refusing(Error::make(Errc::unauthorized, "unknown account", "account"), worker.post());
  auto chained = source.accountsFor(worker.post(), &refusing);
  answer.reset();
  chained->verify(kAddress, kViewKey, [&](Result<void> r) { answer = std::move(r); });
  worker.runAll();
  ASSERT_TRUE(answer);
  ASSERT_FALSE(*answer);
  EXPECT_EQ(answer->error().code, Errc::unavailable);
}

TEST(MakeSources, BuildsAMoneroWalletSourceAndNamesBadKeys) {
  auto ok = makeSources({{"monero-wallet:rpc=http://127.0.0.1:18088,restore_height=100,poll_ms=500"}, {}});
  ASSERT_TRUE(ok) << ok.error().message;
  ASSERT_EQ(ok->size(), 1u);
  EXPECT_EQ((*ok)[0]->health().name, "monero-wallet");
  EXPECT_NE(dynamic_cast<MoneroWalletSource*>((*ok)[0].get()), nullptr);

  const auto message = [](const std::string& spec) {
    auto r = makeSources({{spec}, {}});
    return r ? std::string("accepted") : r.error().message;
  };
  EXPECT_NE(message("monero-wallet:restore_height=1").find("rpc is required"), std::string::npos);
  EXPECT_NE(message("monero-wallet:rpc=https://x").find("rpc:"), std::string::npos);
  EXPECT_NE(message("monero-wallet:rpc=http://127.0.0.1:1,restore_height=-1").find("restore_height"),
            std::string::npos);
  EXPECT_NE(message("monero-wallet:rpc=http://127.0.0.1:1,max_accounts=0").find("max_accounts"),
            std::string::npos);
  EXPECT_NE(message("monero-wallet:rpc=http://127.0.0.1:1,wallet_prefix=../x").find("wallet_prefix"),
            std::string::npos);
  EXPECT_NE(message("monero-wallet:rpc=http://127.0.0.1:1,accounts=x").find("unknown key 'accounts'"),
            std::string::npos);
}

}  // namespace
}  // namespace herald::sources
