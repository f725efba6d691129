// monerod messages: see monerod_messages.h. Field names are monerod 0.18's (src/rpc/zmq_pub.cpp,
// core_rpc_server_commands_defs.h); the samples in tests/unit/sources/ are captured frames.
#include "sources/monerod_messages.h"

#include "sources/source_events.h"

#include <boost/json.hpp>

namespace herald::sources::monerod {

namespace json = boost::json;

namespace {

Error parseError(std::string message) { return Error::make(Errc::parse_error, std::move(message)); }

Result<std::vector<std::string>> readIdArray(const json::object& obj, std::string_view key, std::string_view where,
                                             bool optional) {
  std::vector<std::string> out;
  const auto* v = obj.if_contains(key);
  if (v == nullptr) {
    if (optional) return out;
    return parseError(std::string(where) + "." + std::string(key) + " is missing");
  }
  if (!v->is_array()) return parseError(std::string(where) + "." + std::string(key) + " must be an array");
  for (const auto& item : v->get_array()) {
    if (!item.is_string() || item.get_string().empty()) {
      return parseError(std::string(where) + "." + std::string(key) + " must hold non-empty strings");
    }
    out.emplace_back(item.get_string());
  }
  return out;
}

json::array toArray(const std::vector<std::string>& ids) {
  json::array out;
  out.reserve(ids.size());
  for (const auto& id : ids) out.emplace_back(id);
  return out;
}

}  // namespace

Result<ZmqMessage> splitFrame(std::string_view frame) {
  const auto colon = frame.find(':');
  if (colon == std::string_view::npos || colon == 0) {
    return parseError("frame is not <topic>:<json> (" + std::to_string(frame.size()) + " bytes)");
  }
  return ZmqMessage{frame.substr(0, colon), frame.substr(colon + 1)};
}

Result<ChainMain> parseMinimalChainMain(std::string_view body) {
  auto doc = parseJson(body, kMinimalChainMain);
  if (!doc) return doc.error();
  auto obj = readObject(*doc, kMinimalChainMain);
  if (!obj) return obj.error();
  ChainMain out;
  auto first_height = readUint(**obj, "first_height", kMinimalChainMain);
  if (!first_height) return first_height.error();
  auto prev = readString(**obj, "first_prev_id", kMinimalChainMain);
  if (!prev) return prev.error();
  auto ids = readIdArray(**obj, "ids", kMinimalChainMain, false);
  if (!ids) return ids.error();
  if (ids->empty()) return parseError(std::string(kMinimalChainMain) + ".ids is empty");
  out.first_height = *first_height;
  out.first_prev_id = std::move(*prev);
  out.ids = std::move(*ids);
  return out;
}

Result<std::vector<BlockBody>> parseFullChainMain(std::string_view body) {
  auto doc = parseJson(body, kFullChainMain);
  if (!doc) return doc.error();
  if (!doc->is_array()) return parseError(std::string(kFullChainMain) + " must be an array of blocks");
  std::vector<BlockBody> out;
  std::size_t i = 0;
  for (const auto& item : doc->get_array()) {
    const std::string where = std::string(kFullChainMain) + "[" + std::to_string(i++) + "]";
    auto obj = readObject(item, where);
    if (!obj) return obj.error();
    BlockBody block;
    auto timestamp = readInt(**obj, "timestamp", where);
    if (!timestamp) return timestamp.error();
    auto prev = readString(**obj, "prev_id", where);
    if (!prev) return prev.error();
    auto txs = readIdArray(**obj, "tx_hashes", where, true);
    if (!txs) return txs.error();
    // The height is only in the coinbase: miner_tx.inputs[0].gen.height.
    const json::value* height = nullptr;
    if (const auto* miner = (*obj)->if_contains("miner_tx"); miner != nullptr && miner->is_object()) {
      if (const auto* inputs = miner->get_object().if_contains("inputs"); inputs != nullptr && inputs->is_array() &&
                                                                          !inputs->get_array().empty()) {
        if (const auto* in0 = inputs->get_array()[0].if_object()) {
          if (const auto* gen = in0->if_contains("gen"); gen != nullptr && gen->is_object()) {
            height = gen->get_object().if_contains("height");
          }
        }
      }
    }
    if (height == nullptr || !(height->is_uint64() || (height->is_int64() && height->get_int64() >= 0))) {
      return parseError(where + ".miner_tx.inputs[0].gen.height is missing");
    }
    block.height = height->is_uint64() ? height->get_uint64() : static_cast<std::uint64_t>(height->get_int64());
    block.timestamp = *timestamp;
    block.prev_id = std::move(*prev);
    block.tx_hashes = std::move(*txs);
    out.push_back(std::move(block));
  }
  return out;
}

Result<std::vector<PoolTx>> parseMinimalTxpoolAdd(std::string_view body) {
  auto doc = parseJson(body, kMinimalTxpoolAdd);
  if (!doc) return doc.error();
  if (!doc->is_array()) return parseError(std::string(kMinimalTxpoolAdd) + " must be an array");
  std::vector<PoolTx> out;
  std::size_t i = 0;
  for (const auto& item : doc->get_array()) {
    const std::string where = std::string(kMinimalTxpoolAdd) + "[" + std::to_string(i++) + "]";
    auto obj = readObject(item, where);
    if (!obj) return obj.error();
    PoolTx tx;
    auto id = readString(**obj, "id", where);
    if (!id) return id.error();
    if (id->empty()) return parseError(where + ".id is empty");
    auto size = readUint(**obj, "blob_size", where);
    if (!size) return size.error();
    auto weight = readUint(**obj, "weight", where);
    if (!weight) return weight.error();
    auto fee = readUint(**obj, "fee", where);
    if (!fee) return fee.error();
    tx.id = std::move(*id);
    tx.blob_size = *size;
    tx.weight = *weight;
    tx.fee = *fee;
    out.push_back(std::move(tx));
  }
  return out;
}

Result<BlockHeader> parseBlockHeader(const json::value& header) {
  auto obj = readObject(header, "block_header");
  if (!obj) return obj.error();
  BlockHeader out;
  auto height = readUint(**obj, "height", "block_header");
  if (!height) return height.error();
  auto hash = readString(**obj, "hash", "block_header");
  if (!hash) return hash.error();
  auto prev = readString(**obj, "prev_hash", "block_header");
  if (!prev) return prev.error();
  auto timestamp = readInt(**obj, "timestamp", "block_header");
  if (!timestamp) return timestamp.error();
  auto num_txes = readUint(**obj, "num_txes", "block_header");
  if (!num_txes) return num_txes.error();
  out.height = *height;
  out.hash = std::move(*hash);
  out.prev_hash = std::move(*prev);
  out.timestamp = *timestamp;
  out.num_txes = *num_txes;
  return out;
}

Result<Block> parseGetBlock(const json::value& result) {
  auto obj = readObject(result, "get_block");
  if (!obj) return obj.error();
  const auto* header = (*obj)->if_contains("block_header");
  if (header == nullptr) return parseError("get_block.block_header is missing");
  auto parsed = parseBlockHeader(*header);
  if (!parsed) return parsed.error();
  auto txs = readIdArray(**obj, "tx_hashes", "get_block", true);
  if (!txs) return txs.error();
  if (txs->size() != parsed->num_txes) {
    return parseError("get_block: num_txes is " + std::to_string(parsed->num_txes) + " but tx_hashes has " +
                      std::to_string(txs->size()));
  }
  Block block;
  block.height = parsed->height;
  block.hash = std::move(parsed->hash);
  block.prev_hash = std::move(parsed->prev_hash);
  block.timestamp = parsed->timestamp;
  block.tx_ids = std::move(*txs);
  return block;
}

Result<NodeInfo> parseGetInfo(const json::value& result) {
  auto obj = readObject(result, "get_info");
  if (!obj) return obj.error();
  NodeInfo info;
  auto count = readUint(**obj, "height", "get_info");
  if (!count) return count.error();
  // get_info's height is the number of blocks: the best block is one below it.
  info.top_height = *count > 0 ? *count - 1 : 0;
  auto target = readUint(**obj, "target_height", "get_info");
  if (!target) return target.error();
  // monerod reports target_height 0 when it knows of nothing higher than itself.
  info.target_height = std::max(info.top_height, *target > 0 ? *target - 1 : 0);
  if (auto v = readString(**obj, "version", "get_info"); v && !v->empty()) {
    info.version = std::move(*v);
  } else {
    info.version = "unknown";
  }
  auto nettype = readString(**obj, "nettype", "get_info");
  if (nettype && !nettype->empty()) {
    info.network = *nettype == "fakechain" ? "regtest" : *nettype;
  } else if (auto testnet = readBool(**obj, "testnet", "get_info"); testnet && *testnet) {
    info.network = "testnet";
  } else if (auto stagenet = readBool(**obj, "stagenet", "get_info"); stagenet && *stagenet) {
    info.network = "stagenet";
  } else {
    info.network = "mainnet";
  }
  if (auto synced = readBool(**obj, "synchronized", "get_info")) {
    info.synchronized = *synced;
  } else {
    info.synchronized = info.top_height >= info.target_height;
  }
  auto incoming = readUint(**obj, "incoming_connections_count", "get_info");
  auto outgoing = readUint(**obj, "outgoing_connections_count", "get_info");
  info.peers = (incoming ? *incoming : 0) + (outgoing ? *outgoing : 0);
  if (auto top = readString(**obj, "top_block_hash", "get_info")) info.top_hash = std::move(*top);
  return info;
}

Result<Event> blockEvent(const Block& block, const TopicSet& topics, std::int64_t now_ms) {
  json::object data{{"height", block.height},
                    {"hash", block.hash},
                    {"prev_hash", block.prev_hash},
                    {"timestamp_ms", block.timestamp * 1000},
                    {"tx_count", block.tx_ids.size()},
                    {"tx_ids", toArray(block.tx_ids)}};
  return makeEvent("chain.block", std::move(data), topics, now_ms);
}

Result<Event> reorgEvent(std::uint64_t fork_height, std::uint64_t depth, std::string_view old_tip,
                         std::string_view new_tip, const TopicSet& topics, std::int64_t now_ms) {
  json::object data{{"fork_height", fork_height}, {"depth", depth}, {"old_tip", old_tip}, {"new_tip", new_tip}};
  return makeEvent("chain.reorg", std::move(data), topics, now_ms);
}

Result<Event> mempoolEvent(const PoolTx& tx, const TopicSet& topics, std::int64_t now_ms) {
  json::object data{{"txid", tx.id}, {"fee", tx.fee}, {"size", tx.blob_size}, {"weight", tx.weight}};
  return makeEvent("mempool.tx", std::move(data), topics, now_ms);
}

Result<Event> nodeStatusEvent(const NodeInfo& info, bool connected, const TopicSet& topics, std::int64_t now_ms) {
  json::object data{{"version", info.version.empty() ? "unknown" : info.version},
                    {"network", info.network.empty() ? "unknown" : info.network},
                    {"local_height", info.top_height},
                    {"global_height", info.target_height},
                    {"connected", connected},
                    {"syncing", connected && (!info.synchronized || info.top_height < info.target_height)},
                    {"peers", connected ? info.peers : 0}};
  if (!info.top_hash.empty()) data["top_hash"] = info.top_hash;
  return makeEvent("node.status", std::move(data), topics, now_ms);
}

}  // namespace herald::sources::monerod
