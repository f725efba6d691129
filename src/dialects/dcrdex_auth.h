// dcrdex account authentication, following the reference implementation (decred/dcrdex):
//   - an account id is BLAKE-256(BLAKE-256(compressed secp256k1 public key)) (server/account);
//   - `connect` signs the 42-byte serialization  account id (32) | API version (uint16 BE) |
//     timestamp (uint64 BE, Unix ms)  (dex/msgjson Connect.Serialize);
//   - a signature is DER-encoded ECDSA over SHA-256 of the serialized bytes, both for the client's
//     signature and for the server's signature of the same bytes in the response (server/auth
//     checkSigS256 and SignMsg).
// Herald adds what the reference leaves to TLS: a freshness window and a per-account replay guard
// (ConnectLedger).
//
// Signing and verification use libsecp256k1 through one context per Secp256k1 object; its methods
// are const and safe to call from several threads at once (the context is never mutated after
// construction). ConnectLedger is the one piece of shared mutable state and takes a mutex.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/result.h"

struct secp256k1_context_struct;

namespace herald::dialects::dcrdex {

using AccountId = std::array<std::uint8_t, 32>;
using PublicKey = std::array<std::uint8_t, 33>;  // compressed: 0x02/0x03 | X
using SecretKey = std::array<std::uint8_t, 32>;

inline constexpr std::size_t kConnectMessageSize = 42;
using ConnectMessage = std::array<std::uint8_t, kConnectMessageSize>;

// Lowercase hex. fromHex accepts either case and returns nullopt on odd length or a non-hex digit.
std::string toHex(std::span<const std::uint8_t> bytes);
std::optional<std::vector<std::uint8_t>> fromHex(std::string_view hex);

AccountId accountIdFromPublicKey(std::span<const std::uint8_t> public_key);

ConnectMessage connectMessage(const AccountId& account, std::uint16_t api_version,
                              std::uint64_t timestamp_ms);

// libsecp256k1 behind a value type. Construct once; share by const reference.
class Secp256k1 {
 public:
  Secp256k1();
  ~Secp256k1();
  Secp256k1(const Secp256k1&) = delete;
  Secp256k1& operator=(const Secp256k1&) = delete;

  // True when `public_key` is a valid compressed point.
  bool validPublicKey(std::span<const std::uint8_t> public_key) const;
  // True when `secret` is a valid secret key (0 < secret < n).
  bool validSecretKey(const SecretKey& secret) const;
  PublicKey publicKey(const SecretKey& secret) const;  // precondition: validSecretKey(secret)
  // A fresh secret key from OpenSSL's CSPRNG; nullopt when it has no entropy.
  std::optional<SecretKey> generateSecretKey() const;

  // Verifies a strict-DER ECDSA signature over SHA-256(message). A high-S signature is accepted (it
  // is normalized first), as the reference's verifier accepts both forms. False on any malformed
  // input; never throws.
  bool verify(std::span<const std::uint8_t> public_key, std::span<const std::uint8_t> message,
              std::span<const std::uint8_t> der_signature) const;

  // DER-encoded, low-S, deterministic (RFC 6979) ECDSA signature over SHA-256(message).
  std::vector<std::uint8_t> sign(const SecretKey& secret, std::span<const std::uint8_t> message) const;

 private:
  secp256k1_context_struct* ctx_;
};

// The newest accepted `connect` timestamp of each account, shared by every connection of every
// worker (one Dcrdex dialect object serves them all). Thread-safe: one mutex, held only for a map
// lookup and store. Bounded: only registered accounts ever reach it.
class ConnectLedger {
 public:
  // Records `timestamp_ms` and returns true when it is newer than the last one accepted for the
  // account; otherwise returns false and changes nothing.
  bool accept(const AccountId& account, std::uint64_t timestamp_ms);
  std::optional<std::uint64_t> last(const AccountId& account) const;

 private:
  mutable std::mutex mutex_;
  std::unordered_map<std::string, std::uint64_t> last_;  // key: the 32 id bytes
};

}  // namespace herald::dialects::dcrdex
