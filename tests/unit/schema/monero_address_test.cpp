#include <gtest/gtest.h>

#include <cstdint>
#include <string>

#include "schema/monero_address.h"

namespace herald::schema::monero {
namespace {

// Monero block base58, written here independently of the decoder under test.
std::string encodeBase58(const std::string& bytes) {
  static constexpr std::string_view kAlphabet = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
  static constexpr int kCharsForBytes[] = {0, 2, 3, 5, 6, 7, 9, 10, 11};
  std::string out;
  for (std::size_t at = 0; at < bytes.size(); at += 8) {
    const std::size_t n = std::min<std::size_t>(8, bytes.size() - at);
    unsigned __int128 number = 0;
    for (std::size_t i = 0; i < n; ++i) number = (number << 8) | static_cast<unsigned char>(bytes[at + i]);
    std::string block(static_cast<std::size_t>(kCharsForBytes[n]), kAlphabet[0]);
    for (auto it = block.rbegin(); it != block.rend() && number > 0; ++it) {
      *it = kAlphabet[static_cast<std::size_t>(number % 58)];
      number /= 58;
    }
    out += block;
  }
  return out;
}

std::string addressWithTag(std::uint8_t tag, bool integrated) {
  std::string bytes(1, static_cast<char>(tag));
  bytes += std::string(64 + (integrated ? 8 : 0), '\x5a');
  bytes += std::string(4, '\x01');  // checksum: not verified by the form check
  return encodeBase58(bytes);
}

// From the lws feed documentation's login example.
constexpr std::string_view kSeedAddress =
    "47nPhxp2cJeKN2NjamupNUNA13XgzcYPzQBCzzsKcj717s8M2UpFVmmdwSuYwgyy8kPDwU7hpEqTTDvfe5LAb9Aj6nwmEzf";
// Monero's general fund address (docs/events.md uses it too).
constexpr std::string_view kFundAddress =
    "44AFFq5kSiGBoZ4NMDwYtN18obc8AemS33DBLWs3H7otXft3XjrpDtQGv7SqSsaBYBb98uNbr2VBBEt7f2wfn3RVGQBEP3A";

TEST(LwsAddress, RealMainnetAddressesHaveTheForm) {
  for (std::string_view address : {kSeedAddress, kFundAddress}) {
    const AddressCheck check = checkAddress(address);
    ASSERT_TRUE(check.info) << address << ": " << check.problem;
    EXPECT_EQ(check.info->network, "mainnet");
    EXPECT_EQ(check.info->kind, AddressKind::standard);
  }
}

TEST(LwsAddress, DecodesToTagKeysAndChecksum) {
  const auto bytes = decodeBase58(kFundAddress);
  ASSERT_TRUE(bytes);
  EXPECT_EQ(bytes->size(), 69u);
  EXPECT_EQ(static_cast<unsigned char>((*bytes)[0]), 18u);
  EXPECT_EQ(encodeBase58(*bytes), kFundAddress);
}

TEST(LwsAddress, EveryNetworkAndKind) {
  struct Case {
    std::uint8_t tag;
    bool integrated;
    const char* network;
    AddressKind kind;
    char first;
  };
  const Case cases[] = {
      {18, false, "mainnet", AddressKind::standard, '4'},
      {19, true, "mainnet", AddressKind::integrated, '4'},
      {42, false, "mainnet", AddressKind::subaddress, '8'},
      {53, false, "testnet", AddressKind::standard, '9'},
      {54, true, "testnet", AddressKind::integrated, 'A'},
      {63, false, "testnet", AddressKind::subaddress, 'B'},
      {24, false, "stagenet", AddressKind::standard, '5'},
      {25, true, "stagenet", AddressKind::integrated, '5'},
      {36, false, "stagenet", AddressKind::subaddress, '7'},
  };
  for (const Case& c : cases) {
    const std::string address = addressWithTag(c.tag, c.integrated);
    EXPECT_EQ(address.size(), c.integrated ? 106u : 95u);
    EXPECT_EQ(address[0], c.first) << int(c.tag);
    const AddressCheck check = checkAddress(address);
    ASSERT_TRUE(check.info) << int(c.tag) << ": " << check.problem;
    EXPECT_EQ(check.info->network, c.network);
    EXPECT_EQ(check.info->kind, c.kind);
  }
}

TEST(LwsAddress, RefusesWrongLength) {
  const AddressCheck check = checkAddress(kFundAddress.substr(0, 94));
  EXPECT_FALSE(check.info);
  EXPECT_NE(check.problem.find("95 characters"), std::string::npos) << check.problem;
  EXPECT_FALSE(checkAddress("").info);
}

TEST(LwsAddress, RefusesCharactersOutsideBase58) {
  std::string address(kFundAddress);
  address[10] = '0';  // base58 has no 0, O, I or l
  const AddressCheck check = checkAddress(address);
  EXPECT_FALSE(check.info);
  EXPECT_NE(check.problem.find("'0'"), std::string::npos) << check.problem;
  address[10] = '\xd0';  // not shown raw: error messages stay valid UTF-8
  EXPECT_NE(checkAddress(address).problem.find("byte 0xd0"), std::string::npos);
}

TEST(LwsAddress, RefusesBlocksThatOverflow) {
  std::string address(kFundAddress);
  address.replace(0, 11, "zzzzzzzzzzz");  // 58^11 - 1 > 2^64 - 1
  EXPECT_FALSE(checkAddress(address).info);
  EXPECT_FALSE(decodeBase58("zzzzzzzzzzz"));
  EXPECT_FALSE(decodeBase58("1"));  // one character decodes to no whole byte count
}

TEST(LwsAddress, RefusesUnknownNetworkTagAndTagLengthMismatch) {
  const AddressCheck unknown = checkAddress(addressWithTag(1, false));
  EXPECT_FALSE(unknown.info);
  EXPECT_NE(unknown.problem.find("network tag"), std::string::npos);
  // An integrated tag on a standard-length address.
  EXPECT_FALSE(checkAddress(addressWithTag(19, false)).info);
  EXPECT_FALSE(checkAddress(addressWithTag(18, true)).info);
}

}  // namespace
}  // namespace herald::schema::monero
