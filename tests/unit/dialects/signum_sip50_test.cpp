#include "dialects/signum_sip50.h"

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include <variant>

namespace herald::dialects {
namespace {

namespace json = boost::json;

EventPtr event(std::string topic, std::string data, std::uint64_t seq = 1) {
  auto e = std::make_shared<Event>();
  e->topic = std::move(topic);
  e->seq = seq;
  e->data = std::move(data);
  return e;
}

// The seed's examples (002, SIP-50) as node data: a node 315680 blocks into a 632462-block chain.
NodeView seedNode() {
  return NodeView{event("node.status",
                        R"({"version":"v3.8.0-dev","network":"Signum-TESTNET","local_height":315680,)"
                        R"("global_height":632462,"connected":true,"syncing":true,"peers":8})")};
}

EventPtr mempoolTx(int i) {
  return event("mempool.tx", R"({"txid":")" + std::to_string(8987323561909124581ULL + i) + R"(","fee":1,"size":2})",
               static_cast<std::uint64_t>(i + 1));
}

class SignumSip50Test : public ::testing::Test {
 protected:
  SignumSip50 dialect_;
  std::unique_ptr<DialectState> state_ = dialect_.newState();
};

TEST_F(SignumSip50Test, ConnectedMatchesTheSeedExample) {
  Opening opening = dialect_.open(seedNode(), *state_);
  ASSERT_EQ(opening.frames.size(), 1u);
  EXPECT_EQ(json::parse(opening.frames[0]->bytes), json::parse(R"({
    "e": "CONNECTED",
    "p": {"version": "v3.8.0-dev", "networkName": "Signum-TESTNET", "globalHeight": 632462,
          "localHeight": 315680, "isConnected": true, "isSyncing": true}})"));
}

TEST_F(SignumSip50Test, ConnectedBeforeAnyNodeStatusClaimsNothing) {
  Opening opening = dialect_.open(NodeView{}, *state_);
  EXPECT_EQ(opening.frames[0]->bytes,
            R"({"e":"CONNECTED","p":{"version":"unknown","networkName":"unknown","globalHeight":0,)"
            R"("localHeight":0,"isConnected":false,"isSyncing":false}})");
}

TEST_F(SignumSip50Test, OpeningSubscribesImplicitlyToDebouncedBlocksAndBatchedMempool) {
  SignumSip50Options options;
  options.debounce_ms = 250;
  SignumSip50 dialect(options);
  Opening opening = dialect.open(NodeView{}, *state_);
  ASSERT_EQ(opening.commands.size(), 2u);
  const auto& blocks = std::get<SubscribeCommand>(opening.commands[0].body);
  EXPECT_EQ(blocks.topic, "chain.block");
  EXPECT_EQ(blocks.delivery.debounce_ms, 250);
  EXPECT_TRUE(blocks.implicit);
  EXPECT_FALSE(blocks.since);
  const auto& mempool = std::get<SubscribeCommand>(opening.commands[1].body);
  EXPECT_EQ(mempool.topic, "mempool.tx");
  EXPECT_TRUE(mempool.delivery.batch);
  EXPECT_TRUE(mempool.implicit);
}

TEST_F(SignumSip50Test, BlockPushedMatchesTheSeedExample) {
  // 1630937601 Unix seconds is 223215201 seconds after Signum's genesis (2014-08-11 02:00 UTC).
  auto block = event("chain.block", R"({"height":335876,"hash":"7085823688029188009","prev_hash":"1",)"
                                    R"("timestamp_ms":1630937601000,"tx_count":5,"tx_ids":[]})");
  NodeView node{event("node.status", R"({"version":"v","network":"n","local_height":335875,)"
                                     R"("global_height":632424,"connected":true,"syncing":true,"peers":1})")};
  const FramePtr frame = dialect_.encodeEvent(*block, "s", Cursor{}, Delivery{1000, false, {}}, node);
  const json::value v = json::parse(frame->bytes);
  EXPECT_EQ(v.at("e"), "BLOCK_PUSHED");
  const auto& p = v.at("p").as_object();
  EXPECT_EQ(p.size(), 6u);
  EXPECT_EQ(p.at("timestamp").to_number<std::int64_t>(), 223215201);
  EXPECT_EQ(p.at("blockId"), "7085823688029188009");
  EXPECT_EQ(p.at("localHeight").to_number<std::int64_t>(), 335876);
  EXPECT_EQ(p.at("globalHeight").to_number<std::int64_t>(), 632424);
  EXPECT_TRUE(p.at("progress").is_double());
  EXPECT_NEAR(p.at("progress").as_double(), 0.53109306, 1e-6);
  EXPECT_EQ(p.at("transactionCount").to_number<std::int64_t>(), 5);
}

TEST_F(SignumSip50Test, ProgressIsOneWhenSyncedOrGlobalHeightUnknown) {
  auto block = event("chain.block", R"({"height":10,"hash":"h","prev_hash":"p","timestamp_ms":0,"tx_count":0,"tx_ids":[]})");
  auto progress = [&](const NodeView& node) {
    return json::parse(dialect_.encodeEvent(*block, "s", Cursor{}, Delivery{}, node)->bytes).at("p").at("progress");
  };
  EXPECT_EQ(progress(NodeView{}).as_double(), 1.0);  // no node.status: global height 0
  NodeView behind{event("node.status", R"({"global_height":5})")};
  EXPECT_EQ(progress(behind).as_double(), 1.0);  // the block is past what the network was known to have
  const auto text = dialect_.encodeEvent(*block, "s", Cursor{}, Delivery{}, NodeView{})->bytes;
  EXPECT_NE(text.find(R"("progress":1.0)"), std::string::npos);  // a float, as the SIP types it
  EXPECT_NE(text.find(R"("timestamp":0)"), std::string::npos);   // before Signum's epoch: 0
}

TEST_F(SignumSip50Test, PendingTransactionsMatchTheSeedExample) {
  const std::vector<EventPtr> one{mempoolTx(0)};
  EXPECT_EQ(json::parse(dialect_.encodeBatch(one, "s", Cursor{}, Delivery{0, true, {}}, NodeView{})->bytes),
            json::parse(R"({"e":"PENDING_TRANSACTIONS_ADDED",
                             "p":{"transactionIds":["8987323561909124581"],"hasMore":false}})"));
}

TEST_F(SignumSip50Test, PendingTransactionsAreCappedAt100WithHasMore) {
  std::vector<EventPtr> many;
  for (int i = 0; i < 150; ++i) many.push_back(mempoolTx(i));
  const json::value v = json::parse(dialect_.encodeBatch(many, "s", Cursor{}, Delivery{0, true, {}}, NodeView{})->bytes);
  const auto& ids = v.at("p").at("transactionIds").as_array();
  ASSERT_EQ(ids.size(), 100u);
  EXPECT_EQ(ids.front(), "8987323561909124581");
  EXPECT_EQ(ids.back().as_string(), std::to_string(8987323561909124581ULL + 99));
  EXPECT_EQ(v.at("p").at("hasMore"), true);

  many.resize(100);
  EXPECT_EQ(json::parse(dialect_.encodeBatch(many, "s", Cursor{}, Delivery{0, true, {}}, NodeView{})->bytes)
                .at("p")
                .at("hasMore"),
            false);
}

TEST_F(SignumSip50Test, HeartbeatIsTheSeedExampleWithoutPayload) {
  EXPECT_EQ(dialect_.heartbeatMs(), 30'000);
  EXPECT_EQ(dialect_.heartbeat()->bytes, R"({"e":"HEARTBEAT"})");
}

TEST_F(SignumSip50Test, ReadOnlyEverythingAClientSaysIsIgnoredAndNothingIsAnswered) {
  for (std::string_view text : {"", "{}", "not json", R"({"e":"SUBMIT"})"}) {
    EXPECT_TRUE(std::holds_alternative<Ignored>(dialect_.decode(text, false, *state_, DecodeContext{})));
  }
  EXPECT_TRUE(std::holds_alternative<Ignored>(dialect_.decode("\x01\x02", true, *state_, DecodeContext{})));
  EXPECT_EQ(dialect_.encodeReply(PongReply{}, *state_), nullptr);
  EXPECT_EQ(dialect_.encodeReply(ErrorReply{{}, Error::make(Errc::rate_limited, "x")}, *state_), nullptr);
  EXPECT_EQ(dialect_.encodeGap("s", Gap{}), nullptr);
}

TEST_F(SignumSip50Test, OtherTopicsMakeNoFrame) {
  auto offer = event("dex.offer", "{}");
  EXPECT_EQ(dialect_.encodeEvent(*offer, "s", Cursor{}, Delivery{}, NodeView{}), nullptr);
  const std::vector<EventPtr> none{offer};
  EXPECT_EQ(dialect_.encodeBatch(none, "s", Cursor{}, Delivery{0, true, {}}, NodeView{}), nullptr);
}

}  // namespace
}  // namespace herald::dialects
