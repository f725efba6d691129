// Monero address syntax (the lws feed's login, the wallet account source's view-key check): Monero's block base58 (8 bytes ↔ 11 characters),
// a one-byte network tag, two 32-byte public keys, an optional 8-byte payment id (integrated), and a
// 4-byte checksum. Only the form is checked here; the checksum (Keccak-256) is not: the account
// resolver compares the whole address against what it knows, so a mistyped address is still refused,
// as an unknown account.
//
// Pure; no allocation beyond the decoded bytes.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace herald::schema::monero {

enum class AddressKind { standard, integrated, subaddress };

struct AddressInfo {
  std::string network;  // "mainnet", "testnet" or "stagenet"
  AddressKind kind = AddressKind::standard;
};

// What is wrong with `address`, or nothing when it has the form of a Monero address: 95 characters
// (standard or subaddress) or 106 (integrated), base58 digits, blocks that decode, and a known
// network tag that agrees with the length.
struct AddressCheck {
  std::optional<AddressInfo> info;
  std::string problem;  // set when info is empty
};
AddressCheck checkAddress(std::string_view address);

// Monero block base58; nothing when `text` is not valid base58 of a whole number of blocks.
std::optional<std::string> decodeBase58(std::string_view text);

}  // namespace herald::schema::monero
