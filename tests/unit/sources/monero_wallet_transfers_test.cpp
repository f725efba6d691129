#include "sources/monero_wallet_transfers.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "schema/catalog.h"

namespace herald::sources {
namespace {

namespace json = boost::json;

constexpr const char* kAccount =
    "44DYH44PdsUUmnrnQQmKV5ahLGm4bcFY9bvkaxm8RuB97t6rLgrgrTvX9Jhwbh8DkANcU5ipAjxxm6xtTtWLSvqjQCtmUxP";
const std::string kTx1(64, 'a');
const std::string kTx2(64, 'b');

// The members monero-wallet-rpc 0.18 sends for one transfer (others it sends are ignored).
json::value transfer(const std::string& txid, std::string_view type, std::uint64_t height,
                     std::uint64_t amount) {
  return json::object{{"txid", txid},
                      {"type", type},
                      {"height", height},
                      {"amount", amount},
                      {"fee", 30'660'000},
                      {"timestamp", 1795441556},
                      {"unlock_time", 0},
                      {"payment_id", "0000000000000000"},
                      {"subaddr_index", {{"major", 0}, {"minor", 0}}},
                      {"confirmations", 0},
                      {"double_spend_seen", false}};
}

TEST(ReadTransfers, ReadsEveryListWithDirectionHeightAndFee) {
  json::value reply =
      json::object{{"in", json::array{transfer(kTx1, "in", 70, 5)}},
                   {"out", json::array{transfer(kTx2, "out", 71, 7)}},
                   {"pool", json::array{transfer(std::string(64, 'c'), "pool", 0, 9)}},
                   {"pending", json::array{transfer(std::string(64, 'd'), "pending", 0, 11)}}};
  auto list = readTransfers(reply);
  ASSERT_TRUE(list) << list.error().message;
  ASSERT_EQ(list->size(), 4u);
  const auto& in = (*list)[0];
  EXPECT_TRUE(in.receive);
  EXPECT_EQ(in.height, 70u);
  EXPECT_EQ(in.fee, 0u) << "a receive pays no fee";
  EXPECT_EQ(in.payment_id, "") << "an all-zero payment id is none";
  const auto& out = (*list)[1];
  EXPECT_FALSE(out.receive);
  EXPECT_EQ(out.fee, 30'660'000u);
  // in, out, pending, pool: the order readTransfers promises.
  EXPECT_FALSE((*list)[2].height) << "pending";
  EXPECT_FALSE((*list)[2].receive);
  EXPECT_EQ((*list)[2].amount, 11u);
  EXPECT_FALSE((*list)[3].height) << "pool";
  EXPECT_TRUE((*list)[3].receive);
  EXPECT_EQ((*list)[3].amount, 9u);
}

TEST(ReadTransfers, AnEmptyReplyIsNoTransfersAndFailedOnesAreNotHistory) {
  auto empty = readTransfers(json::object{});
  ASSERT_TRUE(empty);
  EXPECT_TRUE(empty->empty());
  auto failed = readTransfers(json::object{{"failed", json::array{transfer(kTx1, "failed", 0, 1)}}});
  ASSERT_TRUE(failed);
  EXPECT_TRUE(failed->empty());
}

TEST(ReadTransfers, NamesTheFieldAtFault) {
  json::value bad_txid =
      json::object{{"in", json::array{transfer(kTx1, "in", 1, 1), transfer("xyz", "in", 1, 1)}}};
  auto r = readTransfers(bad_txid);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::parse_error);
  EXPECT_NE(r.error().message.find("get_transfers.in[1].txid"), std::string::npos) << r.error().message;

  json::value no_height = transfer(kTx1, "out", 1, 1);
  no_height.as_object().erase("height");
  auto h = readTransfers(json::object{{"out", json::array{no_height}}});
  ASSERT_FALSE(h);
  EXPECT_NE(h.error().message.find("get_transfers.out[0]"), std::string::npos) << h.error().message;
  EXPECT_NE(h.error().message.find("height"), std::string::npos) << h.error().message;

  EXPECT_FALSE(readTransfers(json::object{{"pool", "nope"}}));
  EXPECT_FALSE(readTransfers(json::array{}));
}

TEST(ReadTransfers, MarksCoinbaseAndKeepsSubaddressAndPaymentId) {
  json::value mined = transfer(kTx1, "block", 5, 1000);
  mined.as_object()["subaddr_index"] = {{"major", 1}, {"minor", 4}};
  mined.as_object()["payment_id"] = "00000000000000ff";
  auto list = readTransfers(json::object{{"in", json::array{mined}}});
  ASSERT_TRUE(list) << list.error().message;
  EXPECT_TRUE((*list)[0].coinbase);
  EXPECT_EQ((*list)[0].major, 1u);
  EXPECT_EQ((*list)[0].minor, 4u);
  EXPECT_EQ((*list)[0].payment_id, "00000000000000ff");
}

WalletTransfer make(const std::string& txid, std::optional<std::uint64_t> height, bool receive = true) {
  WalletTransfer t;
  t.txid = txid;
  t.height = height;
  t.receive = receive;
  t.amount = 100;
  return t;
}

TEST(TransferLedger, ReportsNewThenNothingThenAPoolTransferConfirmed) {
  TransferLedger ledger;
  auto first = ledger.changes({make(kTx1, 10), make(kTx2, std::nullopt)});
  EXPECT_EQ(first.size(), 2u);
  EXPECT_TRUE(ledger.changes({make(kTx1, 10), make(kTx2, std::nullopt)}).empty());
  auto mined = ledger.changes({make(kTx1, 10), make(kTx2, 11)});
  ASSERT_EQ(mined.size(), 1u);
  EXPECT_EQ(mined[0].txid, kTx2);
  EXPECT_EQ(mined[0].height, 11u);
}

TEST(TransferLedger, TellsDirectionsApartAndReportsAReorgMove) {
  TransferLedger ledger;
  EXPECT_EQ(ledger.changes({make(kTx1, 10, true), make(kTx1, 10, false)}).size(), 2u);
  auto moved = ledger.changes({make(kTx1, 12, true), make(kTx1, 10, false)});
  ASSERT_EQ(moved.size(), 1u);
  EXPECT_TRUE(moved[0].receive);
  EXPECT_EQ(moved[0].height, 12u);
}

TEST(TransferLedger, AConfirmedAndAPoolEchoOfOneOutputAreOneReport) {
  TransferLedger ledger;
  auto r = ledger.changes({make(kTx1, 10), make(kTx1, std::nullopt)});
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].height, 10u);
  EXPECT_TRUE(ledger.changes({make(kTx1, 10), make(kTx1, std::nullopt)}).empty());
  EXPECT_EQ(ledger.size(), 1u);
}

TEST(TransferLedger, AForgottenTransferIsNewWhenItComesBack) {
  TransferLedger ledger;
  ledger.changes({make(kTx1, std::nullopt)});
  EXPECT_TRUE(ledger.changes({}).empty());
  EXPECT_EQ(ledger.changes({make(kTx1, std::nullopt)}).size(), 1u);
}

TEST(AccountTxEvent, IsACatalogEventWithTheAccountAttributeAndLwsMembers) {
  const TopicSet topics = schema::topicSet({});
  WalletTransfer t = make(kTx1, std::nullopt);
  t.timestamp = 1795441556;
  t.payment_id = "00000000000000ff";
  t.major = 0;
  t.minor = 3;
  auto event = accountTxEvent(kAccount, t, topics, 1);
  ASSERT_TRUE(event) << event.error().message;
  EXPECT_EQ(event->topic, "account.tx");
  const auto* account = event->attribute("account");
  ASSERT_NE(account, nullptr);
  EXPECT_EQ(*account, std::vector<std::string>{kAccount});
  const json::object data = json::parse(event->data).as_object();
  EXPECT_TRUE(data.at("height").is_null());
  EXPECT_EQ(data.at("direction"), "receive");
  EXPECT_EQ(data.at("timestamp_ms").to_number<std::uint64_t>(), 1795441556000u);
  EXPECT_EQ(data.at("payment_id"), "00000000000000ff");
  EXPECT_EQ(data.at("subaddr_index").at("minor").to_number<int>(), 3);
  EXPECT_FALSE(data.contains("coinbase"));

  t.height = 12;
  t.receive = false;
  t.fee = 7;
  auto spend = accountTxEvent(kAccount, t, topics, 1);
  ASSERT_TRUE(spend);
  const json::object s = json::parse(spend->data).as_object();
  EXPECT_EQ(s.at("height").to_number<int>(), 12);
  EXPECT_EQ(s.at("direction"), "spend");
  EXPECT_EQ(s.at("fee").to_number<int>(), 7);
}

}  // namespace
}  // namespace herald::sources
