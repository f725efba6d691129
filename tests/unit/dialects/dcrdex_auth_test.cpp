// The connect signing conventions, pinned by vectors from an independent signer.
//
// The vectors below were made once with Python's `cryptography` package (OpenSSL's ECDSA, not
// libsecp256k1), secret key d = SHA-256("herald dcrdex connect vector"):
//
//   /usr/bin/python3 -c '
//   from cryptography.hazmat.primitives.asymmetric import ec
//   from cryptography.hazmat.primitives import hashes, serialization
//   k = ec.derive_private_key(0x467bab094fd0186fd766d77095a53d98cc29f07a0d4abb327df69bc99c054bcc,
//   ec.SECP256K1()) print(k.public_key().public_bytes(serialization.Encoding.X962,
//   serialization.PublicFormat.CompressedPoint).hex()) msg =
//   bytes.fromhex("376032b7949644390633912921d7f2086aaf3e253eaf20c559af40e77dffce3d" + "0001" + "%016x" %
//   1732450000000) print(k.sign(msg, ec.ECDSA(hashes.SHA256())).hex())'
//
// ec.ECDSA(hashes.SHA256()) hashes the 42 bytes with SHA-256 and signs the digest: the reference's
// convention (server/auth checkSigS256 / SignMsg). Its nonces are random, so two runs give
// different signatures; one low-S and one high-S result were kept.
#include "dialects/dcrdex_auth.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

namespace herald::dialects::dcrdex {
namespace {

constexpr std::string_view kSecret = "467bab094fd0186fd766d77095a53d98cc29f07a0d4abb327df69bc99c054bcc";
constexpr std::string_view kPublicKey = "0205a652a97e5f13a9f962b7f397a4ff56592de6e03fa831514455ce072efcd16b";
constexpr std::string_view kAccountId = "376032b7949644390633912921d7f2086aaf3e253eaf20c559af40e77dffce3d";
constexpr std::uint16_t kApiVersion = 1;
constexpr std::uint64_t kTimestamp = 1732450000000;
constexpr std::string_view kMessage =
    "376032b7949644390633912921d7f2086aaf3e253eaf20c559af40e77dffce3d0001000001935e111c80";
constexpr std::string_view kLowSSignature =
    "3044022065211c04b462a3b78ab79b1832f781413a4deb667b31fa91827d75154999e9ee02203bc28d3b0682d22caefc8db4eea2"
    "bb00de67acb28145735d1856726a6c44e4a6";
constexpr std::string_view kHighSSignature =
    "304502203d72f647c0abdc0ba9fcb35b8a9f13616e1d113d65b0a801f1a44caf62a370b4022100c4c67b239e2b83d2d1deba17ea"
    "0b6062cb72f3d5a43486155de576861150dccc";

std::vector<std::uint8_t> bytes(std::string_view hex) {
  auto out = fromHex(hex);
  EXPECT_TRUE(out) << hex;
  return out.value_or(std::vector<std::uint8_t>{});
}

SecretKey secret() {
  SecretKey out{};
  const auto b = bytes(kSecret);
  std::copy(b.begin(), b.end(), out.begin());
  return out;
}

AccountId account() {
  AccountId out{};
  const auto b = bytes(kAccountId);
  std::copy(b.begin(), b.end(), out.begin());
  return out;
}

TEST(DcrdexHex, RoundTripAndRefusals) {
  EXPECT_EQ(toHex(bytes("00ff10Ab")), "00ff10ab");
  EXPECT_FALSE(fromHex("abc"));
  EXPECT_FALSE(fromHex("zz"));
  EXPECT_TRUE(fromHex("")->empty());
}

TEST(DcrdexAccount, IdIsBlake256TwiceOfCompressedKey) {
  EXPECT_EQ(toHex(accountIdFromPublicKey(bytes(kPublicKey))), kAccountId);
}

TEST(DcrdexConnect, SerializationIs42BytesBigEndian) {
  const ConnectMessage message = connectMessage(account(), kApiVersion, kTimestamp);
  EXPECT_EQ(message.size(), 42u);
  EXPECT_EQ(toHex(message), kMessage);
  const ConnectMessage max = connectMessage(account(), 0xfffe, 0x0102030405060708);
  EXPECT_EQ(toHex(std::span(max).subspan(32)), "fffe0102030405060708");
}

TEST(DcrdexSignature, IndependentVectorsVerify) {
  const Secp256k1 secp;
  const auto message = connectMessage(account(), kApiVersion, kTimestamp);
  EXPECT_TRUE(secp.verify(bytes(kPublicKey), message, bytes(kLowSSignature)));
  // The reference's verifier accepts a high-S signature; so does Herald (normalized first).
  EXPECT_TRUE(secp.verify(bytes(kPublicKey), message, bytes(kHighSSignature)));
}

TEST(DcrdexSignature, TheDigestIsSha256OfTheMessageNotTheMessage) {
  // Any change to the 42 bytes (here the API version) invalidates the signature.
  const Secp256k1 secp;
  EXPECT_FALSE(
      secp.verify(bytes(kPublicKey), connectMessage(account(), 0, kTimestamp), bytes(kLowSSignature)));
  EXPECT_FALSE(secp.verify(bytes(kPublicKey), connectMessage(account(), kApiVersion, kTimestamp + 1),
                           bytes(kLowSSignature)));
}

TEST(DcrdexSignature, RefusesWrongKeyAndMalformedInput) {
  const Secp256k1 secp;
  const auto message = connectMessage(account(), kApiVersion, kTimestamp);
  // The reference test account's key: valid point, wrong signer.
  const auto other = bytes("03bb43cffd94ac0eb7e2219308db241490ce69096c0fe75c3ccffc13300da9c535");
  EXPECT_FALSE(secp.verify(other, message, bytes(kLowSSignature)));
  auto truncated = bytes(kLowSSignature);
  truncated.pop_back();
  EXPECT_FALSE(secp.verify(bytes(kPublicKey), message, truncated));
  EXPECT_FALSE(secp.verify(bytes(kPublicKey), message, {}));
  EXPECT_FALSE(
      secp.verify(std::vector<std::uint8_t>(32, 2), message, bytes(kLowSSignature)));  // not 33 bytes
  // A compact (r|s) signature is not DER.
  EXPECT_FALSE(secp.verify(bytes(kPublicKey), message, std::vector<std::uint8_t>(64, 1)));
}

TEST(DcrdexSignature, SignIsDeterministicLowSAndVerifies) {
  const Secp256k1 secp;
  ASSERT_TRUE(secp.validSecretKey(secret()));
  EXPECT_EQ(toHex(secp.publicKey(secret())), kPublicKey);
  const auto message = connectMessage(account(), kApiVersion, kTimestamp);
  const auto sig = secp.sign(secret(), message);
  EXPECT_EQ(sig, secp.sign(secret(), message));  // RFC 6979
  EXPECT_TRUE(secp.verify(bytes(kPublicKey), message, sig));
  // DER: 0x30 len 0x02 rlen r 0x02 slen s; low-S means s fits in 32 bytes without a sign pad above 0x7f.
  ASSERT_GE(sig.size(), 8u);
  EXPECT_EQ(sig[0], 0x30);
  const std::size_t s_at = 4 + sig[3];
  ASSERT_LT(s_at + 2, sig.size());
  EXPECT_LE(sig[s_at + 1], 32);
}

TEST(DcrdexSignature, GeneratedKeysAreValidAndDistinct) {
  const Secp256k1 secp;
  const auto a = secp.generateSecretKey();
  const auto b = secp.generateSecretKey();
  ASSERT_TRUE(a && b);
  EXPECT_TRUE(secp.validSecretKey(*a));
  EXPECT_NE(*a, *b);
  EXPECT_FALSE(secp.validSecretKey(SecretKey{}));
}

TEST(DcrdexLedger, AcceptsOnlyNewerTimestampsPerAccount) {
  ConnectLedger ledger;
  AccountId a{};
  AccountId b{};
  b[0] = 1;
  EXPECT_TRUE(ledger.accept(a, 100));
  EXPECT_FALSE(ledger.accept(a, 100));  // the same connect replayed
  EXPECT_FALSE(ledger.accept(a, 99));   // an older one
  EXPECT_EQ(ledger.last(a), 100u);
  EXPECT_TRUE(ledger.accept(b, 50));  // accounts are independent
  EXPECT_TRUE(ledger.accept(a, 101));
  EXPECT_EQ(ledger.last(a), 101u);
  EXPECT_EQ(ledger.last(AccountId{9}), std::nullopt);
}

TEST(DcrdexLedger, ConcurrentReplaysAcceptExactlyOnce) {
  ConnectLedger ledger;
  const AccountId a{};
  std::atomic<int> accepted{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (std::uint64_t ts = 1; ts <= 1000; ++ts) {
        if (ledger.accept(a, ts)) accepted.fetch_add(1);
      }
    });
  }
  for (auto& t : threads) t.join();
  // Each timestamp is accepted at most once overall, and the last one is always recorded.
  EXPECT_LE(accepted.load(), 1000);
  EXPECT_EQ(ledger.last(a), 1000u);
}

}  // namespace
}  // namespace herald::dialects::dcrdex
