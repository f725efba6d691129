// Monero address form check: see monero_address.h.
#include "schema/monero_address.h"

#include <algorithm>
#include <array>
#include <cstdint>

namespace herald::schema::monero {
namespace {

constexpr std::string_view kAlphabet = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
constexpr std::size_t kFullBlockBytes = 8;
constexpr std::size_t kFullBlockChars = 11;
// Characters that encode a block of N bytes, N = 0..8; -1 marks lengths no block encodes to.
constexpr std::array<int, 12> kBytesForChars = {0, -1, 1, 2, -1, 3, 4, 5, -1, 6, 7, 8};

int digitOf(char c) noexcept {
  const auto at = kAlphabet.find(c);
  return at == std::string_view::npos ? -1 : static_cast<int>(at);
}

bool decodeBlock(std::string_view chars, std::string& out) {
  const int bytes = kBytesForChars[chars.size()];
  if (bytes <= 0) return false;
  unsigned __int128 number = 0;  // 11 base58 digits exceed 64 bits before the range check
  for (char c : chars) {
    const int digit = digitOf(c);
    if (digit < 0) return false;
    number = number * 58 + static_cast<unsigned>(digit);
  }
  const unsigned __int128 limit = static_cast<unsigned __int128>(1) << (8 * bytes);
  if (number >= limit) return false;
  for (int shift = (bytes - 1) * 8; shift >= 0; shift -= 8) {
    out.push_back(static_cast<char>(static_cast<std::uint8_t>(number >> shift)));
  }
  return true;
}

struct NetworkTag {
  std::uint8_t tag;
  const char* network;
  AddressKind kind;
};

// Monero's CRYPTONOTE_PUBLIC_*_BASE58_PREFIX values (all below 0x80: a one-byte varint).
constexpr std::array<NetworkTag, 9> kTags = {{
    {18, "mainnet", AddressKind::standard},
    {19, "mainnet", AddressKind::integrated},
    {42, "mainnet", AddressKind::subaddress},
    {53, "testnet", AddressKind::standard},
    {54, "testnet", AddressKind::integrated},
    {63, "testnet", AddressKind::subaddress},
    {24, "stagenet", AddressKind::standard},
    {25, "stagenet", AddressKind::integrated},
    {36, "stagenet", AddressKind::subaddress},
}};

constexpr std::size_t kStandardChars = 95;     // 1 + 32 + 32 + 4 bytes
constexpr std::size_t kIntegratedChars = 106;  // 1 + 32 + 32 + 8 + 4 bytes

}  // namespace

std::optional<std::string> decodeBase58(std::string_view text) {
  std::string out;
  out.reserve(text.size() / kFullBlockChars * kFullBlockBytes + kFullBlockBytes);
  while (!text.empty()) {
    const std::size_t n = std::min(text.size(), kFullBlockChars);
    if (!decodeBlock(text.substr(0, n), out)) return std::nullopt;
    text.remove_prefix(n);
  }
  return out;
}

AddressCheck checkAddress(std::string_view address) {
  if (address.size() != kStandardChars && address.size() != kIntegratedChars) {
    return {std::nullopt,
            "a Monero address is 95 characters (106 when integrated), not " + std::to_string(address.size())};
  }
  for (char c : address) {
    if (digitOf(c) >= 0) continue;
    const auto byte = static_cast<unsigned char>(c);
    static constexpr char kHex[] = "0123456789abcdef";
    const std::string shown = byte >= 0x21 && byte < 0x7f
                                  ? "'" + std::string(1, c) + "'"
                                  : std::string("byte 0x") + kHex[byte >> 4] + kHex[byte & 0xf];
    return {std::nullopt, "a Monero address is base58: it cannot contain " + shown};
  }
  const auto bytes = decodeBase58(address);
  if (!bytes || bytes->empty()) return {std::nullopt, "not a valid base58 encoding"};
  const auto tag = static_cast<std::uint8_t>((*bytes)[0]);
  for (const NetworkTag& known : kTags) {
    if (known.tag != tag) continue;
    const bool integrated = known.kind == AddressKind::integrated;
    if (integrated != (address.size() == kIntegratedChars)) {
      return {std::nullopt, "the network tag does not agree with the address length"};
    }
    return {AddressInfo{known.network, known.kind}, {}};
  }
  return {std::nullopt, "unknown network tag " + std::to_string(tag)};
}

}  // namespace herald::schema::monero
