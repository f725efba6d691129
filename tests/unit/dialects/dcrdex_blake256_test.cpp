// BLAKE-256 against published vectors: the specification's own (one byte 0x00, 72 zero bytes), the
// empty message and two texts that BLAKE implementations commonly test, and the dcrdex reference's
// account-id vector (server/account TestNewID), which exercises BLAKE-256 applied twice.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "dialects/blake256.h"
#include "dialects/dcrdex_auth.h"

namespace herald::dialects {
namespace {

std::string hexDigest(std::span<const std::uint8_t> bytes) { return dcrdex::toHex(Blake256::hash(bytes)); }

std::string hexDigest(std::string_view text) {
  return hexDigest(std::span(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()));
}

TEST(Blake256, SpecificationVectorOneZeroByte) {
  const std::vector<std::uint8_t> message = {0x00};
  EXPECT_EQ(hexDigest(message), "0ce8d4ef4dd7cd8d62dfded9d4edb0a774ae6a41929a74da23109e8f11139c87");
}

TEST(Blake256, SpecificationVectorSeventyTwoZeroBytes) {
  // Two blocks: the second holds 64 message bits, so its counter is 576.
  const std::vector<std::uint8_t> message(72, 0x00);
  EXPECT_EQ(hexDigest(message), "d419bad32d504fb7d44d460c42c5593fe544fa4c135dec31e21bd9abdcc22d41");
}

TEST(Blake256, EmptyMessage) {
  EXPECT_EQ(hexDigest(std::string_view()),
            "716f6e863f744b9ac22c97ec7b76ea5f5908bc5b2f67c61510bfc4751384ea7a");
}

TEST(Blake256, Texts) {
  EXPECT_EQ(hexDigest("a"), "43234ff894a9c0590d0246cfc574eb781a80958b01d7a2fa1ac73c673ba5e311");
  EXPECT_EQ(hexDigest("The quick brown fox jumps over the lazy dog"),
            "7576698ee9cad30173080678e5965916adbb11cb5245d386bf1ffda1cb26c9d7");
}

TEST(Blake256, DcrdexReferenceAccountId) {
  const auto key = dcrdex::fromHex("03bb43cffd94ac0eb7e2219308db241490ce69096c0fe75c3ccffc13300da9c535");
  ASSERT_TRUE(key);
  EXPECT_EQ(dcrdex::toHex(dcrdex::accountIdFromPublicKey(*key)),
            "6124aa3017a3d3230df9b67658b5d3ca14791a8ed466661c69256c03b9edc3d1");
}

// Every way of splitting a message into update() calls gives the one-shot digest, across the
// padding boundaries (55, 56, 64 bytes in the last block).
TEST(Blake256, IncrementalEqualsOneShot) {
  for (std::size_t size : {0u, 1u, 54u, 55u, 56u, 57u, 63u, 64u, 65u, 119u, 120u, 128u, 129u}) {
    std::vector<std::uint8_t> message(size);
    for (std::size_t i = 0; i < size; ++i) message[i] = static_cast<std::uint8_t>(i * 7 + 3);
    const auto expected = Blake256::hash(message);
    for (std::size_t split = 0; split <= size; ++split) {
      Blake256 b;
      b.update(std::span(message).first(split));
      b.update(std::span(message).subspan(split));
      ASSERT_EQ(b.digest(), expected) << "size " << size << " split " << split;
    }
  }
}

}  // namespace
}  // namespace herald::dialects
