// Bitcoin Core ZMQ notification parsing and sequence tracking: see bitcoind_messages.h.
#include "sources/bitcoind_messages.h"

#include <openssl/sha.h>

#include <array>

namespace herald::sources::bitcoind {

namespace {

Error bad(std::string message) { return Error::make(Errc::parse_error, std::move(message)); }

constexpr std::size_t kHashBytes = 32;
constexpr std::size_t kSequenceBytes = 4;

// A bounded reader over a rawtx: every read checks what is left, so a lying count cannot run past
// the frame.
class TxReader {
 public:
  explicit TxReader(std::span<const unsigned char> bytes) : bytes_(bytes) {}

  std::size_t offset() const noexcept { return at_; }
  std::size_t left() const noexcept { return bytes_.size() - at_; }

  Result<void> skip(std::size_t n, std::string_view what) {
    if (n > left()) {
      return bad("rawtx: " + std::string(what) + " needs " + std::to_string(n) + " bytes at offset " +
                 std::to_string(at_) + ", only " + std::to_string(left()) + " left");
    }
    at_ += n;
    return {};
  }

  Result<std::uint8_t> byte(std::string_view what) {
    if (left() < 1)
      return bad("rawtx: " + std::string(what) + " is cut off at offset " + std::to_string(at_));
    return bytes_[at_++];
  }

  // Bitcoin's CompactSize: one byte, or 0xfd/0xfe/0xff followed by 2/4/8 little-endian bytes.
  Result<std::uint64_t> compactSize(std::string_view what) {
    auto first = byte(what);
    if (!first) return first.error();
    std::size_t width = *first == 0xfd ? 2 : *first == 0xfe ? 4 : *first == 0xff ? 8 : 0;
    if (width == 0) return *first;
    if (width > left())
      return bad("rawtx: " + std::string(what) + " is cut off at offset " + std::to_string(at_));
    std::uint64_t v = 0;
    for (std::size_t i = 0; i < width; ++i) v |= static_cast<std::uint64_t>(bytes_[at_ + i]) << (8 * i);
    at_ += width;
    return v;
  }

  // A count of items each at least `min_item` bytes: a count the remaining bytes cannot hold is an
  // error now, not an allocation or a long loop later.
  Result<std::uint64_t> count(std::string_view what, std::size_t min_item) {
    auto n = compactSize(what);
    if (!n) return n.error();
    if (min_item > 0 && *n > left() / min_item) {
      return bad("rawtx: " + std::string(what) + " " + std::to_string(*n) + " cannot fit in the " +
                 std::to_string(left()) + " bytes left");
    }
    return n;
  }

  Result<void> skipBytes(std::string_view what) {
    auto n = count(what, 1);
    if (!n) return n.error();
    return skip(static_cast<std::size_t>(*n), what);
  }

 private:
  std::span<const unsigned char> bytes_;
  std::size_t at_ = 0;
};

// The txid covers version, inputs, outputs and lock time: the serialization without witness data.
void sha256d(std::span<const unsigned char> first, std::span<const unsigned char> second,
             std::span<const unsigned char> third, unsigned char out[SHA256_DIGEST_LENGTH]) {
  std::vector<unsigned char> joined;
  joined.reserve(first.size() + second.size() + third.size());
  joined.insert(joined.end(), first.begin(), first.end());
  joined.insert(joined.end(), second.begin(), second.end());
  joined.insert(joined.end(), third.begin(), third.end());
  unsigned char once[SHA256_DIGEST_LENGTH];
  SHA256(joined.data(), joined.size(), once);
  SHA256(once, sizeof once, out);
}

}  // namespace

std::string reversedHex(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (auto it = bytes.rbegin(); it != bytes.rend(); ++it) {
    const auto b = static_cast<unsigned char>(*it);
    out.push_back(kDigits[b >> 4]);
    out.push_back(kDigits[b & 0x0f]);
  }
  return out;
}

Result<RawTx> parseRawTx(std::span<const unsigned char> bytes) {
  // Smallest items: an input is 32 (prevout hash) + 4 (index) + 1 (script length) + 4 (sequence);
  // an output is 8 (value) + 1 (script length).
  constexpr std::size_t kMinInput = 41;
  constexpr std::size_t kMinOutput = 9;
  TxReader r(bytes);
  if (auto ok = r.skip(4, "version"); !ok) return ok.error();
  const std::size_t after_version = r.offset();
  bool witness = false;
  // BIP 144: a zero input count followed by flag 1 marks the extended (witness) serialization.
  if (r.left() >= 2 && bytes[after_version] == 0x00 && bytes[after_version + 1] == 0x01) {
    witness = true;
    (void)r.skip(2, "witness marker");
  }
  const std::size_t body_begin = r.offset();
  auto inputs = r.count("input count", kMinInput);
  if (!inputs) return inputs.error();
  for (std::uint64_t i = 0; i < *inputs; ++i) {
    if (auto ok = r.skip(36, "input prevout"); !ok) return ok.error();
    if (auto ok = r.skipBytes("input script"); !ok) return ok.error();
    if (auto ok = r.skip(4, "input sequence"); !ok) return ok.error();
  }
  auto outputs = r.count("output count", kMinOutput);
  if (!outputs) return outputs.error();
  for (std::uint64_t i = 0; i < *outputs; ++i) {
    if (auto ok = r.skip(8, "output value"); !ok) return ok.error();
    if (auto ok = r.skipBytes("output script"); !ok) return ok.error();
  }
  const std::size_t body_end = r.offset();
  if (witness) {
    for (std::uint64_t i = 0; i < *inputs; ++i) {
      auto items = r.count("witness item count", 1);
      if (!items) return items.error();
      for (std::uint64_t j = 0; j < *items; ++j) {
        if (auto ok = r.skipBytes("witness item"); !ok) return ok.error();
      }
    }
  }
  const std::size_t locktime_at = r.offset();
  if (auto ok = r.skip(4, "lock time"); !ok) return ok.error();
  if (r.left() != 0) {
    return bad("rawtx: " + std::to_string(r.left()) + " bytes after the lock time (a transaction is " +
               std::to_string(r.offset()) + " bytes)");
  }

  RawTx tx;
  tx.size = bytes.size();
  const std::uint64_t base = 4 + (body_end - body_begin) + 4;
  tx.weight = base * 3 + tx.size;
  tx.vsize = (tx.weight + 3) / 4;
  unsigned char digest[SHA256_DIGEST_LENGTH];
  sha256d(bytes.subspan(0, 4), bytes.subspan(body_begin, body_end - body_begin),
          bytes.subspan(locktime_at, 4), digest);
  tx.txid = reversedHex(std::string_view(reinterpret_cast<const char*>(digest), sizeof digest));
  return tx;
}

Result<Notification> parseNotification(const std::vector<std::string>& frames) {
  if (frames.size() != 3) {
    return bad("expected 3 frames [topic, body, sequence], got " + std::to_string(frames.size()));
  }
  Notification n;
  n.topic = frames[0];
  if (n.topic != kHashBlock && n.topic != kHashTx && n.topic != kRawTx) {
    std::string shown = n.topic.substr(0, 32);
    for (char& c : shown) {
      if (c < 0x20 || c > 0x7e) c = '?';
    }
    return bad("unknown topic '" + shown + "' (known: hashblock, hashtx, rawtx)");
  }
  const std::string& seq = frames[2];
  if (seq.size() != kSequenceBytes) {
    return bad(n.topic + ": sequence frame is " + std::to_string(seq.size()) + " bytes, expected 4");
  }
  for (std::size_t i = 0; i < kSequenceBytes; ++i) {
    n.sequence |= static_cast<std::uint32_t>(static_cast<unsigned char>(seq[i])) << (8 * i);
  }
  const std::string& body = frames[1];
  if (n.topic == kRawTx) {
    auto tx = parseRawTx(std::span(reinterpret_cast<const unsigned char*>(body.data()), body.size()));
    if (!tx) return tx.error();
    n.hash = tx->txid;
    n.raw = std::move(*tx);
    return n;
  }
  if (body.size() != kHashBytes) {
    return bad(n.topic + ": body is " + std::to_string(body.size()) + " bytes, expected a 32-byte hash");
  }
  n.hash = reversedHex(body);
  return n;
}

std::optional<SequenceGap> SequenceTracker::observe(std::string_view topic, std::uint32_t sequence) {
  auto it = last_.find(topic);
  if (it == last_.end()) {
    last_.emplace(std::string(topic), sequence);
    return std::nullopt;
  }
  const std::uint32_t expected = it->second + 1;  // wraps at 2^32 like the publisher's counter
  it->second = sequence;
  if (sequence == expected) return std::nullopt;
  // A publisher that restarted counts from 0 again: nothing was lost on this connection's account.
  if (sequence == 0) return std::nullopt;
  return SequenceGap{expected, sequence, sequence - expected};
}

}  // namespace herald::sources::bitcoind
