// Account ids, the connect serialization and secp256k1 signatures (see dcrdex_auth.h for the
// conventions and where the reference defines them).
#include "dialects/dcrdex_auth.h"

#include "core/hex.h"

#include <openssl/rand.h>
#include <openssl/sha.h>
#include <secp256k1.h>

#include <cassert>
#include <stdexcept>

#include "dialects/blake256.h"

namespace herald::dialects::dcrdex {
namespace {

std::array<std::uint8_t, 32> sha256(std::span<const std::uint8_t> message) {
  std::array<std::uint8_t, 32> out;
  SHA256(message.data(), message.size(), out.data());
  return out;
}


}  // namespace

std::string toHex(std::span<const std::uint8_t> bytes) { return hex::encode(bytes); }

std::optional<std::vector<std::uint8_t>> fromHex(std::string_view text) {
  const auto bytes = hex::decode(text);
  if (!bytes) return std::nullopt;
  return std::vector<std::uint8_t>(bytes->begin(), bytes->end());
}

AccountId accountIdFromPublicKey(std::span<const std::uint8_t> public_key) {
  const Blake256Digest once = Blake256::hash(public_key);
  return Blake256::hash(once);
}

ConnectMessage connectMessage(const AccountId& account, std::uint16_t api_version,
                              std::uint64_t timestamp_ms) {
  ConnectMessage out{};
  std::copy(account.begin(), account.end(), out.begin());
  out[32] = static_cast<std::uint8_t>(api_version >> 8);
  out[33] = static_cast<std::uint8_t>(api_version);
  for (int i = 0; i < 8; ++i) out[34 + i] = static_cast<std::uint8_t>(timestamp_ms >> (56 - 8 * i));
  return out;
}

Secp256k1::Secp256k1() : ctx_(secp256k1_context_create(SECP256K1_CONTEXT_NONE)) {
  if (ctx_ == nullptr) throw std::runtime_error("secp256k1_context_create failed");
  // Randomizing the context blinds signing against side channels; it is done once, here, so the
  // context is never written to while shared.
  std::array<std::uint8_t, 32> seed{};
  if (RAND_bytes(seed.data(), static_cast<int>(seed.size())) == 1) {
    [[maybe_unused]] const int ok = secp256k1_context_randomize(ctx_, seed.data());
    assert(ok == 1);
  }
}

Secp256k1::~Secp256k1() { secp256k1_context_destroy(ctx_); }

bool Secp256k1::validPublicKey(std::span<const std::uint8_t> public_key) const {
  if (public_key.size() != 33) return false;
  secp256k1_pubkey key;
  return secp256k1_ec_pubkey_parse(ctx_, &key, public_key.data(), public_key.size()) == 1;
}

bool Secp256k1::validSecretKey(const SecretKey& secret) const {
  return secp256k1_ec_seckey_verify(ctx_, secret.data()) == 1;
}

PublicKey Secp256k1::publicKey(const SecretKey& secret) const {
  secp256k1_pubkey key;
  [[maybe_unused]] const int created = secp256k1_ec_pubkey_create(ctx_, &key, secret.data());
  assert(created == 1);
  PublicKey out{};
  std::size_t size = out.size();
  secp256k1_ec_pubkey_serialize(ctx_, out.data(), &size, &key, SECP256K1_EC_COMPRESSED);
  return out;
}

std::optional<SecretKey> Secp256k1::generateSecretKey() const {
  SecretKey secret{};
  // A random 256-bit value is out of range with probability ~2^-128; retry rather than reduce.
  do {
    if (RAND_bytes(secret.data(), static_cast<int>(secret.size())) != 1) return std::nullopt;
  } while (!validSecretKey(secret));
  return secret;
}

bool Secp256k1::verify(std::span<const std::uint8_t> public_key, std::span<const std::uint8_t> message,
                       std::span<const std::uint8_t> der_signature) const {
  if (public_key.size() != 33 || der_signature.empty()) return false;
  secp256k1_pubkey key;
  if (secp256k1_ec_pubkey_parse(ctx_, &key, public_key.data(), public_key.size()) != 1) return false;
  secp256k1_ecdsa_signature sig;
  if (secp256k1_ecdsa_signature_parse_der(ctx_, &sig, der_signature.data(), der_signature.size()) != 1) {
    return false;
  }
  secp256k1_ecdsa_signature_normalize(ctx_, &sig, &sig);
  const auto digest = sha256(message);
  return secp256k1_ecdsa_verify(ctx_, &sig, digest.data(), &key) == 1;
}

std::vector<std::uint8_t> Secp256k1::sign(const SecretKey& secret,
                                          std::span<const std::uint8_t> message) const {
  const auto digest = sha256(message);
  secp256k1_ecdsa_signature sig;
  [[maybe_unused]] const int signed_ok =
      secp256k1_ecdsa_sign(ctx_, &sig, digest.data(), secret.data(), nullptr, nullptr);
  assert(signed_ok == 1);
  std::vector<std::uint8_t> der(72);  // the longest DER encoding of a secp256k1 signature
  std::size_t size = der.size();
  secp256k1_ecdsa_signature_serialize_der(ctx_, der.data(), &size, &sig);
  der.resize(size);
  return der;
}

bool ConnectLedger::accept(const AccountId& account, std::uint64_t timestamp_ms) {
  const std::string key(account.begin(), account.end());
  std::lock_guard lock(mutex_);
  auto [it, inserted] = last_.try_emplace(key, timestamp_ms);
  if (inserted) return true;
  if (timestamp_ms <= it->second) return false;
  it->second = timestamp_ms;
  return true;
}

std::optional<std::uint64_t> ConnectLedger::last(const AccountId& account) const {
  const std::string key(account.begin(), account.end());
  std::lock_guard lock(mutex_);
  const auto it = last_.find(key);
  if (it == last_.end()) return std::nullopt;
  return it->second;
}

}  // namespace herald::dialects::dcrdex
