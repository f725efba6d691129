#include "sources/monerod_messages.h"

#include "schema/catalog.h"

#include <boost/json.hpp>
#include <gtest/gtest.h>

namespace herald::sources::monerod {
namespace {

namespace json = boost::json;

// Frames captured from monerod 0.18.0.0 (Debian) in regtest: generateblocks 1, then with one
// transaction (from the two-node recipe), and a txpool_add.
constexpr std::string_view kMinimalFrame =
    R"(json-minimal-chain_main:{"first_height":1,"first_prev_id":"418015bb9ae982a1975da7d79277c2705727a56894ba0fb246adaabb1f4632e3","ids":["0d3e4f52b8fa61a5e221b7b6b63b2ae30494055345ac810f198e573dad93564e"]})";
constexpr std::string_view kFullFrame =
    R"(json-full-chain_main:[{"major_version":16,"minor_version":16,"timestamp":1795561164,"prev_id":"418015bb9ae982a1975da7d79277c2705727a56894ba0fb246adaabb1f4632e3","nonce":0,"miner_tx":{"version":2,"unlock_time":61,"inputs":[{"gen":{"height":1}}],"outputs":[{"amount":35184338534400,"to_tagged_key":{"key":"d8676d57f0e89f99feab455e94badbb17ea3c13a2f1a66f23d0489e9fe339bef","view_tag":"b2"}}],"extra":"01359bfed54ed5e77fcb333c1ad17481c18c6de6fc09d60f78ac600b817b16e3ac020100","signatures":[],"ringct":{"type":0}},"tx_hashes":[]}])";
constexpr std::string_view kFullWithTx =
    R"(json-full-chain_main:[{"major_version":16,"minor_version":16,"timestamp":1795441556,"prev_id":"689c99e0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a43cf7","nonce":0,"miner_tx":{"version":2,"unlock_time":141,"inputs":[{"gen":{"height":81}}],"outputs":[{"amount":35181575434859,"to_tagged_key":{"key":"447784fb00000000000000000000000000000000000000000000000000040ed3","view_tag":"06"}}],"extra":"01b581c2020100","signatures":[],"ringct":{"type":0}},"tx_hashes":["1e6ed43a07416628b374c106c14d6c1d9d0dd02f7b21572ae524bec4e2e50183"]}])";
constexpr std::string_view kTxpoolFrame =
    R"(json-minimal-txpool_add:[{"id":"1e6ed43a07416628b374c106c14d6c1d9d0dd02f7b21572ae524bec4e2e50183","blob_size":2166,"weight":2166,"fee":2605200000}])";

TEST(SplitFrame, SplitsAtTheFirstColon) {
  auto m = splitFrame(kMinimalFrame);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->topic, kMinimalChainMain);
  EXPECT_TRUE(m->body.starts_with("{\"first_height\""));
  auto colon_in_body = splitFrame("t:{\"a\":\"b:c\"}");
  ASSERT_TRUE(colon_in_body);
  EXPECT_EQ(colon_in_body->topic, "t");
  EXPECT_EQ(colon_in_body->body, "{\"a\":\"b:c\"}");
}

TEST(SplitFrame, RefusesFramesWithoutATopic) {
  EXPECT_FALSE(splitFrame("no colon at all"));
  EXPECT_FALSE(splitFrame(":{}"));
  EXPECT_EQ(splitFrame("").error().code, Errc::parse_error);
}

TEST(MinimalChainMain, ParsesCapturedFrame) {
  auto chain = parseMinimalChainMain(splitFrame(kMinimalFrame)->body);
  ASSERT_TRUE(chain) << chain.error().message;
  EXPECT_EQ(chain->first_height, 1u);
  EXPECT_EQ(chain->first_prev_id, "418015bb9ae982a1975da7d79277c2705727a56894ba0fb246adaabb1f4632e3");
  ASSERT_EQ(chain->ids.size(), 1u);
  EXPECT_EQ(chain->ids[0], "0d3e4f52b8fa61a5e221b7b6b63b2ae30494055345ac810f198e573dad93564e");
}

TEST(MinimalChainMain, NamesTheBadField) {
  auto missing = parseMinimalChainMain(R"({"first_prev_id":"x","ids":["a"]})");
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message.find("first_height"), std::string::npos);
  EXPECT_FALSE(parseMinimalChainMain(R"({"first_height":-1,"first_prev_id":"x","ids":["a"]})"));
  EXPECT_FALSE(parseMinimalChainMain(R"({"first_height":1,"first_prev_id":"x","ids":[]})"));
  EXPECT_FALSE(parseMinimalChainMain(R"({"first_height":1,"first_prev_id":"x","ids":[""]})"));
  EXPECT_FALSE(parseMinimalChainMain("not json"));
  EXPECT_FALSE(parseMinimalChainMain("[1]"));
}

TEST(FullChainMain, TakesHeightFromTheCoinbase) {
  auto blocks = parseFullChainMain(splitFrame(kFullFrame)->body);
  ASSERT_TRUE(blocks) << blocks.error().message;
  ASSERT_EQ(blocks->size(), 1u);
  EXPECT_EQ((*blocks)[0].height, 1u);
  EXPECT_EQ((*blocks)[0].timestamp, 1795561164);
  EXPECT_EQ((*blocks)[0].prev_id, "418015bb9ae982a1975da7d79277c2705727a56894ba0fb246adaabb1f4632e3");
  EXPECT_TRUE((*blocks)[0].tx_hashes.empty());

  auto with_tx = parseFullChainMain(splitFrame(kFullWithTx)->body);
  ASSERT_TRUE(with_tx);
  EXPECT_EQ((*with_tx)[0].height, 81u);
  ASSERT_EQ((*with_tx)[0].tx_hashes.size(), 1u);
}

TEST(FullChainMain, RefusesABlockWithoutCoinbaseHeight) {
  auto blocks = parseFullChainMain(R"([{"timestamp":1,"prev_id":"p","miner_tx":{"inputs":[]},"tx_hashes":[]}])");
  ASSERT_FALSE(blocks);
  EXPECT_NE(blocks.error().message.find("gen.height"), std::string::npos);
  EXPECT_FALSE(parseFullChainMain("{}"));
}

TEST(TxpoolAdd, ParsesCapturedFrame) {
  auto txs = parseMinimalTxpoolAdd(splitFrame(kTxpoolFrame)->body);
  ASSERT_TRUE(txs) << txs.error().message;
  ASSERT_EQ(txs->size(), 1u);
  EXPECT_EQ((*txs)[0].id, "1e6ed43a07416628b374c106c14d6c1d9d0dd02f7b21572ae524bec4e2e50183");
  EXPECT_EQ((*txs)[0].blob_size, 2166u);
  EXPECT_EQ((*txs)[0].weight, 2166u);
  EXPECT_EQ((*txs)[0].fee, 2605200000u);
  EXPECT_FALSE(parseMinimalTxpoolAdd(R"([{"id":"a","blob_size":1,"weight":1}])"));
}

// get_info from the same regtest node (trimmed to the fields read, plus a few that are not).
constexpr std::string_view kGetInfo = R"({"height":1,"target_height":0,"version":"0.18.0.0-unknown",
  "nettype":"fakechain","synchronized":true,"incoming_connections_count":0,"outgoing_connections_count":1,
  "top_block_hash":"418015bb9ae982a1975da7d79277c2705727a56894ba0fb246adaabb1f4632e3","offline":true,"status":"OK"})";

TEST(GetInfo, MapsToNodeStatus) {
  auto info = parseGetInfo(json::parse(kGetInfo));
  ASSERT_TRUE(info) << info.error().message;
  EXPECT_EQ(info->top_height, 0u);  // block count 1: genesis only
  EXPECT_EQ(info->target_height, 0u);
  EXPECT_EQ(info->network, "regtest");
  EXPECT_EQ(info->version, "0.18.0.0-unknown");
  EXPECT_EQ(info->peers, 1u);
  EXPECT_TRUE(info->synchronized);

  auto event = nodeStatusEvent(*info, true, schema::topicSet(), 1000);
  ASSERT_TRUE(event) << event.error().message;
  auto data = json::parse(event->data).as_object();
  EXPECT_EQ(data.at("local_height").as_int64(), 0);
  EXPECT_EQ(data.at("connected").as_bool(), true);
  EXPECT_EQ(data.at("syncing").as_bool(), false);

  auto down = nodeStatusEvent(*info, false, schema::topicSet(), 1000);
  ASSERT_TRUE(down);
  EXPECT_EQ(json::parse(down->data).at("connected").as_bool(), false);
  EXPECT_EQ(json::parse(down->data).at("peers").as_int64(), 0);
}

TEST(GetInfo, SyncingNodeReportsTheNetworkHeight) {
  auto info = parseGetInfo(json::parse(R"({"height":100,"target_height":3000,"synchronized":false,
    "mainnet":true,"nettype":"mainnet","version":""})"));
  ASSERT_TRUE(info);
  EXPECT_EQ(info->top_height, 99u);
  EXPECT_EQ(info->target_height, 2999u);
  EXPECT_EQ(info->version, "unknown");
  auto event = nodeStatusEvent(*info, true, schema::topicSet(), 1);
  ASSERT_TRUE(event);
  EXPECT_TRUE(json::parse(event->data).at("syncing").as_bool());
}

TEST(GetBlock, ReadsHeaderAndTransactions) {
  auto block = parseGetBlock(json::parse(R"({"block_header":{"height":5,"hash":"h5","prev_hash":"h4",
    "timestamp":1700000000,"num_txes":2},"tx_hashes":["t1","t2"]})"));
  ASSERT_TRUE(block) << block.error().message;
  EXPECT_EQ(block->tx_ids.size(), 2u);
  auto empty = parseGetBlock(json::parse(R"({"block_header":{"height":0,"hash":"g","prev_hash":"00",
    "timestamp":0,"num_txes":0}})"));
  ASSERT_TRUE(empty);
  EXPECT_TRUE(empty->tx_ids.empty());
  EXPECT_FALSE(parseGetBlock(json::parse(R"({"block_header":{"height":5,"hash":"h5","prev_hash":"h4",
    "timestamp":1,"num_txes":2},"tx_hashes":["t1"]})")));
}

TEST(Events, PassTheCatalog) {
  const auto topics = schema::topicSet();
  Block block{81, "b81", "b80", 1795441556, {"t1"}};
  auto e = blockEvent(block, topics, 5);
  ASSERT_TRUE(e) << e.error().message;
  EXPECT_EQ(e->topic, "chain.block");
  auto data = json::parse(e->data).as_object();
  EXPECT_EQ(data.at("timestamp_ms").as_int64(), 1795441556000);
  EXPECT_EQ(data.at("tx_count").as_int64(), 1);

  auto r = reorgEvent(8, 2, "old", "new", topics, 5);
  ASSERT_TRUE(r);
  EXPECT_EQ(json::parse(r->data).at("fork_height").as_int64(), 8);

  auto m = mempoolEvent(PoolTx{"tx", 2166, 2166, 2605200000}, topics, 5);
  ASSERT_TRUE(m);
  EXPECT_EQ(json::parse(m->data).at("size").as_int64(), 2166);
}

}  // namespace
}  // namespace herald::sources::monerod
