// monerod's upstream messages as plain values: the ZMQ PUB frames (`<topic>:<json>`, one frame per
// message, topics json-minimal-chain_main, json-full-chain_main, json-minimal-txpool_add, ...) and
// the JSON-RPC replies the sources read (get_info, block headers, get_block), plus the mapping of
// each to catalog events.
//
// Pure: no I/O, no clock, no threads; every function takes text or JSON and returns values or an
// Error naming the field. Every event returned has been through schema::eventFromJson.
#pragma once

#include "core/event.h"
#include "core/result.h"
#include "core/topics.h"

#include <boost/json/fwd.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace herald::sources::monerod {

// Topic prefixes Herald subscribes to. monerod serializes only topics someone subscribed to, so the
// full txpool topic (kilobytes per transaction, and no txid in it) is left out.
inline constexpr std::string_view kMinimalChainMain = "json-minimal-chain_main";
inline constexpr std::string_view kFullChainMain = "json-full-chain_main";
inline constexpr std::string_view kMinimalTxpoolAdd = "json-minimal-txpool_add";

struct ZmqMessage {
  std::string_view topic;
  std::string_view body;  // JSON text
};

// Splits at the first ':'. Errc::parse_error when there is none or the topic is empty.
Result<ZmqMessage> splitFrame(std::string_view frame);

// json-minimal-chain_main: blocks added to the main chain, first_height upwards.
struct ChainMain {
  std::uint64_t first_height = 0;
  std::string first_prev_id;
  std::vector<std::string> ids;  // non-empty
};
Result<ChainMain> parseMinimalChainMain(std::string_view body);

// What json-full-chain_main (or get_block) says of one block beyond its hash, which the full form
// does not carry: the hash comes from the minimal form or from RPC.
struct BlockBody {
  std::uint64_t height = 0;  // from miner_tx.inputs[0].gen.height
  std::string prev_id;
  std::int64_t timestamp = 0;  // Unix seconds
  std::vector<std::string> tx_hashes;
};
Result<std::vector<BlockBody>> parseFullChainMain(std::string_view body);

// One entry of json-minimal-txpool_add.
struct PoolTx {
  std::string id;
  std::uint64_t blob_size = 0;
  std::uint64_t weight = 0;
  std::uint64_t fee = 0;
};
Result<std::vector<PoolTx>> parseMinimalTxpoolAdd(std::string_view body);

// A block as a chain.block event needs it.
struct Block {
  std::uint64_t height = 0;
  std::string hash;
  std::string prev_hash;
  std::int64_t timestamp = 0;  // Unix seconds
  std::vector<std::string> tx_ids;
};

// get_block_header_by_height / get_last_block_header / get_block_headers_range entries: height,
// hash, prev_hash, timestamp, num_txes (tx ids need get_block).
struct BlockHeader {
  std::uint64_t height = 0;
  std::string hash;
  std::string prev_hash;
  std::int64_t timestamp = 0;
  std::uint64_t num_txes = 0;
};
Result<BlockHeader> parseBlockHeader(const boost::json::value& header);
// get_block's result: its block_header plus tx_hashes (absent when the block has none).
Result<Block> parseGetBlock(const boost::json::value& result);

// get_info's result, reduced to what node.status carries.
struct NodeInfo {
  std::string version;          // "0.18.0.0-unknown"; "unknown" when the node does not say
  std::string network;          // mainnet, testnet, stagenet, regtest (monerod's "fakechain")
  std::uint64_t top_height = 0; // height of the best block (get_info's height is the block count)
  std::uint64_t target_height = 0;  // best height known on the network (never below top_height)
  bool synchronized = true;
  std::uint64_t peers = 0;      // incoming + outgoing connections
  std::string top_hash;

  friend bool operator==(const NodeInfo&, const NodeInfo&) = default;
};
Result<NodeInfo> parseGetInfo(const boost::json::value& result);

// Catalog events. `now_ms` is the ingest time; the topics are the catalog's.
Result<Event> blockEvent(const Block& block, const TopicSet& topics, std::int64_t now_ms);
Result<Event> reorgEvent(std::uint64_t fork_height, std::uint64_t depth, std::string_view old_tip,
                         std::string_view new_tip, const TopicSet& topics, std::int64_t now_ms);
Result<Event> mempoolEvent(const PoolTx& tx, const TopicSet& topics, std::int64_t now_ms);
// connected=false keeps the last known heights (or zeros) and says the node is unreachable.
Result<Event> nodeStatusEvent(const NodeInfo& info, bool connected, const TopicSet& topics, std::int64_t now_ms);

}  // namespace herald::sources::monerod
