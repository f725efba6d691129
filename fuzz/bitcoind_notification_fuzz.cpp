// Fuzzes bitcoind::parseNotification (ZMQ frames from a node) and parseRawTx. The first byte picks
// the topic frame (one of them unknown), the last four are the sequence frame, the rest is the body.
// Beyond "no crash, no sanitizer report": a parsed hash is 64 hex digits of a 32-byte body, a parsed
// transaction's sizes agree with its bytes (weight between size and 4 x size), and the sequence is
// the little-endian value of the last four bytes.
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "fuzz_support.h"
#include "sources/bitcoind_messages.h"

using herald::fuzz::require;
namespace bitcoind = herald::sources::bitcoind;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 5) return 0;
  static const std::array<std::string, 4> kTopics{"hashblock", "hashtx", "rawtx", "rawblock"};
  const std::string topic = kTopics[data[0] % kTopics.size()];
  const std::string body(reinterpret_cast<const char*>(data + 1), size - 5);
  const std::string seq(reinterpret_cast<const char*>(data + size - 4), 4);

  auto n = bitcoind::parseNotification({topic, body, seq});
  if (!n) {
    require(!n.error().message.empty());
    return 0;
  }
  require(n->topic == topic && topic != "rawblock");
  std::uint32_t expected = 0;
  for (int i = 0; i < 4; ++i) expected |= static_cast<std::uint32_t>(data[size - 4 + i]) << (8 * i);
  require(n->sequence == expected);
  require(n->hash.size() == 64);
  for (char c : n->hash) require((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'));
  if (topic == "rawtx") {
    require(n->raw.has_value() && n->raw->txid == n->hash);
    require(n->raw->size == body.size());
    require(n->raw->weight >= n->raw->size && n->raw->weight <= 4 * n->raw->size);
    require(n->raw->vsize * 4 >= n->raw->weight && n->raw->vsize * 4 < n->raw->weight + 4);
  } else {
    require(body.size() == 32 && !n->raw);
  }
  return 0;
}
