// Bitcoin Core's ZMQ notifications (doc/zmq.md upstream): each is a three-frame message
// [topic, body, sequence] where the sequence is a 4-byte little-endian counter kept per topic by the
// publisher. hashblock and hashtx bodies are 32-byte hashes in internal byte order, shown reversed as
// hex like bitcoind's RPC shows them; a rawtx body is a serialized transaction, from which the txid
// (double SHA-256 of the serialization without witness data), size, vsize and weight are computed.
// SequenceTracker finds the gaps a subscriber cannot see otherwise (ZMQ drops at its high-water mark
// and across reconnects).
//
// Pure: no I/O, no clock. Must not: read past a frame, or trust any length inside a rawtx.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace herald::sources::bitcoind {

inline constexpr std::string_view kHashBlock = "hashblock";
inline constexpr std::string_view kHashTx = "hashtx";
inline constexpr std::string_view kRawTx = "rawtx";

struct RawTx {
  std::string txid;          // reversed hex
  std::uint64_t size = 0;    // bytes, witness included
  std::uint64_t weight = 0;  // BIP 141: base size * 3 + total size
  std::uint64_t vsize = 0;   // weight / 4, rounded up
};

struct Notification {
  std::string topic;  // one of the constants above
  std::uint32_t sequence = 0;
  std::string hash;          // hashblock: block hash; hashtx and rawtx: txid (reversed hex)
  std::optional<RawTx> raw;  // rawtx only
};

// Errc::parse_error naming the fault: not three frames, an unknown topic, a hash body that is not 32
// bytes, a sequence frame that is not 4 bytes, a rawtx that does not parse (which field, which byte).
Result<Notification> parseNotification(const std::vector<std::string>& frames);

// A 32-byte hash in internal order to the hex bitcoind shows (byte order reversed).
std::string reversedHex(std::string_view bytes);

// Errc::parse_error for a transaction that is truncated, has trailing bytes, or declares more items
// than its bytes could hold.
Result<RawTx> parseRawTx(std::span<const unsigned char> bytes);

struct SequenceGap {
  std::uint32_t expected = 0;
  std::uint32_t got = 0;
  std::uint32_t missed = 0;  // messages lost: got - expected, modulo 2^32
};

// Per-topic sequence continuity. The first message of a topic sets its start; a 0 later means the
// publisher restarted (bitcoind counts from 0 at start-up), which is not a loss.
class SequenceTracker {
 public:
  // The gap before this message, if any; then remembers `sequence` as the topic's latest.
  std::optional<SequenceGap> observe(std::string_view topic, std::uint32_t sequence);

 private:
  std::map<std::string, std::uint32_t, std::less<>> last_;
};

}  // namespace herald::sources::bitcoind
