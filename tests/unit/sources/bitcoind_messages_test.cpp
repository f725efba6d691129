#include "sources/bitcoind_messages.h"

#include <gtest/gtest.h>

namespace herald::sources::bitcoind {
namespace {

std::string unhex(std::string_view hex) {
  std::string out;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  }
  return out;
}

std::string le32(std::uint32_t v) {
  std::string out(4, '\0');
  for (int i = 0; i < 4; ++i) out[i] = static_cast<char>((v >> (8 * i)) & 0xff);
  return out;
}

Result<RawTx> rawTx(const std::string& bytes) {
  return parseRawTx(std::span(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size()));
}

// Bitcoin's genesis coinbase: a legacy transaction with a well-known txid.
const char* const kGenesisTx =
    "01000000010000000000000000000000000000000000000000000000000000000000000000ffffffff4d04ffff001d0104455468"
    "652054696d65732030332f4a616e2f32303039204368616e63656c6c6f72206f6e206272696e6b206f66207365636f6e64206261"
    "696c6f757420666f722062616e6b73ffffffff0100f2052a01000000434104678afdb0fe5548271967f1a67130b7105cd6a828e0"
    "3909a67962e0ea1f61deb649f6bc3f4cef38c4f35504e51ec112de5c384df7ba0b8d578a4c702b6bf11d5fac00000000";
const char* const kGenesisTxid = "4a5e1e4baab89f3a32518a88c31bc87f618f76673e2cc77ab2127b7afdeda33b";

// One input, one P2WPKH output; with and without its witness (two stack items of 71 and 33 bytes).
std::string segwitTx(bool witness) {
  std::string tx = unhex("02000000");
  if (witness) tx += unhex("0001");
  tx += unhex("01") + std::string(32, '\x11') + unhex("00000000") + unhex("00") + unhex("fdffffff");
  tx += unhex("01") + unhex("e803000000000000") + unhex("16") + unhex("0014") + std::string(20, '\x22');
  if (witness)
    tx += unhex("02") + unhex("47") + std::string(71, '\x33') + unhex("21") + std::string(33, '\x44');
  tx += unhex("00000000");
  return tx;
}

TEST(BitcoindNotification, HashblockIsShownReversedWithItsLittleEndianSequence) {
  std::string hash;
  for (int i = 0; i < 32; ++i) hash.push_back(static_cast<char>(i));
  auto n = parseNotification({"hashblock", hash, unhex("01020000")});
  ASSERT_TRUE(n) << n.error().message;
  EXPECT_EQ(n->topic, "hashblock");
  EXPECT_EQ(n->sequence, 513u);
  EXPECT_EQ(n->hash, "1f1e1d1c1b1a191817161514131211100f0e0d0c0b0a09080706050403020100");
  EXPECT_FALSE(n->raw);

  n = parseNotification({"hashtx", hash, le32(0xfffffffe)});
  ASSERT_TRUE(n);
  EXPECT_EQ(n->sequence, 0xfffffffeu);
}

TEST(BitcoindNotification, RawtxGivesTxidAndSizes) {
  auto n = parseNotification({"rawtx", unhex(kGenesisTx), le32(7)});
  ASSERT_TRUE(n) << n.error().message;
  EXPECT_EQ(n->hash, kGenesisTxid);
  ASSERT_TRUE(n->raw);
  EXPECT_EQ(n->raw->size, 204u);
  EXPECT_EQ(n->raw->weight, 816u);
  EXPECT_EQ(n->raw->vsize, 204u);
}

TEST(BitcoindNotification, TheTxidIgnoresWitnessData) {
  const std::string full = segwitTx(true);
  const std::string stripped = segwitTx(false);
  auto with = rawTx(full);
  auto without = rawTx(stripped);
  ASSERT_TRUE(with) << with.error().message;
  ASSERT_TRUE(without) << without.error().message;
  EXPECT_EQ(with->txid, without->txid);
  EXPECT_EQ(with->size, full.size());
  EXPECT_EQ(with->weight, stripped.size() * 3 + full.size());
  EXPECT_EQ(with->vsize, (with->weight + 3) / 4);
  EXPECT_EQ(without->weight, stripped.size() * 4);
}

TEST(BitcoindNotification, ErrorsNameTheFault) {
  const std::string hash(32, 'x');
  auto e = parseNotification({"hashblock", hash});
  ASSERT_FALSE(e);
  EXPECT_EQ(e.error().message, "expected 3 frames [topic, body, sequence], got 2");
  e = parseNotification({"hashblock", hash.substr(1), le32(0)});
  EXPECT_EQ(e.error().message, "hashblock: body is 31 bytes, expected a 32-byte hash");
  e = parseNotification({"hashtx", hash, "abc"});
  EXPECT_EQ(e.error().message, "hashtx: sequence frame is 3 bytes, expected 4");
  e = parseNotification({std::string("raw\nblock"), hash, le32(0)});
  EXPECT_EQ(e.error().message, "unknown topic 'raw?block' (known: hashblock, hashtx, rawtx)");
  EXPECT_EQ(e.error().code, Errc::parse_error);
}

TEST(BitcoindNotification, ARawtxThatDoesNotParseIsRefused) {
  const std::string tx = unhex(kGenesisTx);
  auto e = rawTx(tx.substr(0, tx.size() - 1));
  ASSERT_FALSE(e);
  EXPECT_NE(e.error().message.find("lock time needs 4 bytes"), std::string::npos) << e.error().message;
  e = rawTx(tx + "z");
  ASSERT_FALSE(e);
  EXPECT_NE(e.error().message.find("1 bytes after the lock time"), std::string::npos);
  // An input count of 2^64-1 in a tiny frame is refused at once.
  e = rawTx(unhex("01000000ffffffffffffffffff00000000"));
  ASSERT_FALSE(e);
  EXPECT_NE(e.error().message.find("input count"), std::string::npos) << e.error().message;
  EXPECT_FALSE(rawTx(""));
  EXPECT_FALSE(parseNotification({"rawtx", "", le32(0)}));
}

TEST(SequenceTracker, CountsWhatWasLostPerTopic) {
  SequenceTracker t;
  EXPECT_FALSE(t.observe("hashtx", 10)) << "the first message sets the start";
  EXPECT_FALSE(t.observe("hashtx", 11));
  EXPECT_FALSE(t.observe("hashblock", 3)) << "each topic counts on its own";
  auto gap = t.observe("hashtx", 14);
  ASSERT_TRUE(gap);
  EXPECT_EQ(gap->expected, 12u);
  EXPECT_EQ(gap->got, 14u);
  EXPECT_EQ(gap->missed, 2u);
  EXPECT_FALSE(t.observe("hashtx", 15));
  EXPECT_FALSE(t.observe("hashblock", 4));
}

TEST(SequenceTracker, WrapsAndRestartsAreNotGaps) {
  SequenceTracker t;
  EXPECT_FALSE(t.observe("hashblock", 0xffffffffu));
  EXPECT_FALSE(t.observe("hashblock", 0)) << "the counter wraps";
  EXPECT_FALSE(t.observe("hashblock", 1));
  EXPECT_FALSE(t.observe("hashblock", 2));
  EXPECT_FALSE(t.observe("hashblock", 0)) << "a restarted publisher counts from 0";
  auto gap = t.observe("hashblock", 5);
  ASSERT_TRUE(gap);
  EXPECT_EQ(gap->missed, 4u);
}

}  // namespace
}  // namespace herald::sources::bitcoind
